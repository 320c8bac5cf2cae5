// Test harness for real-browser tests: a tiny static server on 127.0.0.1 (cross-origin isolated), headless
// Chromium driven by playwright-core, page scripts bundled with esbuild, and float arrays moved between the
// page and Node as base64. Nothing is downloaded: Chromium is the system's (/usr/bin/chromium).
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'esbuild';

/** Where the system Chromium lives; override with $CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch flags that work headless in a container (see STACK.md "The browser"). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Repository root (two levels above this file). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.f32': 'application/octet-stream',
  '.map': 'application/json',
};

/** A running static server: `url` ends without a slash; `routes` can add in-memory files by path. */
export interface StaticServer {
  url: string;
  routes: Map<string, { body: Uint8Array | string; type?: string }>;
  close(): Promise<void>;
}

/**
 * Serves files from `root` (and in-memory `routes`, which win) on 127.0.0.1 at a free port, with
 * COOP/COEP/CORP headers so the page is cross-origin isolated (SharedArrayBuffer available).
 */
export async function startServer(root: string): Promise<StaticServer> {
  const rootAbs = resolve(root);
  const routes: StaticServer['routes'] = new Map([['/favicon.ico', { body: new Uint8Array(0), type: 'image/x-icon' }]]);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    const mem = routes.get(path);
    if (mem) {
      res.writeHead(200, { ...headers, 'Content-Type': mem.type ?? MIME[extname(path)] ?? 'application/octet-stream' });
      res.end(mem.body);
      return;
    }
    const file = normalize(join(rootAbs, path === '/' ? '/index.html' : path));
    if (!(file === rootAbs || file.startsWith(rootAbs + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Why the browser cannot run here, or null when it can. */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM_PATH)) return `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  return null;
}

/** Launches headless Chromium; page console errors and uncaught page errors are collected in `logs`. */
export async function launch(): Promise<{ browser: Browser; page: Page; logs: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  return { browser, page, logs };
}

/**
 * Bundles a browser entry (TypeScript or JavaScript) into one ES module script text. `redirect` maps relative
 * import paths (resolved, without extension) to files, e.g. the sources' `src/web` entry to the built
 * `dist/index.js`, so page code type-checks against the sources yet runs the built package. `stubs` replaces bare
 * package imports by the given module source (packages a page never calls but cannot bundle).
 */
export async function bundlePage(
  entry: string,
  redirect: Record<string, string> = {},
  stubs: Record<string, string> = {},
): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    // Node built-ins reached only through dynamic import() in Node-only paths (file I/O) stay unresolved.
    external: ['node:*'],
    plugins: [
      {
        name: 'redirect',
        setup(b) {
          b.onResolve({ filter: /^\./ }, (args) => {
            const abs = resolve(args.resolveDir, args.path).replace(/\.(ts|js)$/, '');
            const to = redirect[abs];
            return to === undefined ? undefined : { path: to };
          });
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path in stubs ? { path: args.path, namespace: 'stub' } : undefined,
          );
          b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({ contents: stubs[args.path], loader: 'js' }));
        },
      },
    ],
  });
  return out.outputFiles[0].text;
}

/** A minimal HTML page that loads `/page.js` as a module. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>ddsp-stream test</title></head>
<body><script type="module" src="/page.js"></script></body></html>`;

/** Float32Array → base64 (Node side). */
export function floatsToBase64(x: Float32Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

/** base64 → Float32Array (Node side; copies, so the result is aligned). */
export function base64ToFloats(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Largest absolute difference of two equal-length arrays (NaN counts as Infinity). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/**
 * The code of the `n`-th (0-based) ```ts block in the section of the markdown file `file` (repository-relative)
 * under the heading whose text is `heading` (up to the next heading of the same or a higher level), so a test runs
 * the documentation's own snippet.
 */
export function docSnippet(file: string, heading: string, n = 0): string {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`${file}: no heading '${heading}'`);
  const level = /^#+/.exec(lines[start])![0].length;
  let end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  if (end < 0) end = lines.length;
  const blocks: string[] = [];
  for (let i = start + 1; i < end; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const body: string[] = [];
    for (i++; i < end && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    blocks.push(body.join('\n'));
  }
  if (blocks[n] === undefined) throw new Error(`${file} '${heading}': no ts block #${n + 1}`);
  return blocks[n];
}

/**
 * Bundles page modules (name → source file) with code splitting, `ddsp-stream` resolving to the BUILT package
 * (dist/index.js): the library lands in a shared chunk, evaluated once per page however often a page module is
 * imported again (e.g. with another `?query`). Returns served path → script text, every file at the server root.
 */
export async function bundleModules(entries: Record<string, string>): Promise<Map<string, string>> {
  const out = await build({
    entryPoints: entries,
    bundle: true,
    splitting: true,
    write: false,
    outdir: '/',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    external: ['node:*'],
    alias: { 'ddsp-stream': join(REPO_ROOT, 'dist', 'index.js') },
  });
  return new Map(out.outputFiles.map((f) => [f.path, f.text]));
}
