// The package in a fresh Vite app, as a user meets it: the files the package ships (package.json's `files`, from
// the BUILT package: run `npm run build` first) installed as node_modules/ddsp-stream of a temporary app, its
// dependencies linked from this repository's node_modules, then `vite build` (served by `vite preview`) and the
// Vite dev server, each driven in headless Chromium:
// - the bundled models by name (`{ model: 'violin' }`): the bundler follows the package's
//   `new URL('…', import.meta.url)` and serves the files; each renders in an OfflineAudioContext;
// - getting-started's "Serving a model" snippets as written (Vite's `?url` import; a file in public/);
// - a wrong path, which Vite answers with its index.html and status 200: the FETCH error says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { BUNDLED_MODELS } from '../../src/web/bundled-models';
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, browserUnavailable, docSnippet } from './harness';

const skip = browserUnavailable() ?? (existsSync(join(REPO_ROOT, 'dist', 'index.js')) ? null : 'dist/index.js missing — run `npm run build` first');
if (skip !== null) console.warn(`\n*** SKIPPING Vite app tests: ${skip} ***\n`);

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> };

/** The app's own page script: renders each bundled model by name, and tries a wrong path. */
const MAIN = `import { DDSPNode, BUNDLED_MODELS } from 'ddsp-stream';
const rms = (x) => { let s = 0; for (const v of x) s += v * v; return Math.sqrt(s / x.length); };
window.byName = async () => {
  const out = {};
  for (const name of BUNDLED_MODELS) {
    const ctx = new OfflineAudioContext(1, 48000, 48000);
    const node = await DDSPNode.create(ctx, { model: name, mode: 'control' });
    node.f0.value = 330;
    node.loudness.value = node.levelToLoudness(0.8);
    node.connect(ctx.destination);
    const audio = (await ctx.startRendering()).getChannelData(0);
    out[name] = { name: node.modelInfo.name, range: node.modelInfo.loudnessRangeDb, rms: rms(audio.subarray(node.latencySamples)) };
  }
  return out;
};
window.recipe = async (which) => {
  const m = which === 'url' ? await import('./recipe-url.ts') : await import('./recipe-public.ts');
  return { name: m.node.modelInfo.name, latency: m.node.latency };
};
window.wrongPath = async () => {
  try {
    await DDSPNode.create(new OfflineAudioContext(1, 128, 48000), { model: '/models/violin.onnx' });
    return null;
  } catch (e) {
    return { name: e.name, code: e.code, message: e.message };
  }
};
window.ready = true;
`;

describe.skipIf(skip !== null)('ddsp-stream in a fresh Vite app (build and dev server, Chromium)', () => {
  let app: string;
  let browser: Browser;

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'ddsp-vite-app-'));
    const installed = join(app, 'node_modules', 'ddsp-stream');
    mkdirSync(installed, { recursive: true });
    for (const f of ['package.json', 'README.md', 'LICENSE', ...pkg.files]) cpSync(join(REPO_ROOT, f), join(installed, f), { recursive: true });
    for (const dep of Object.keys(pkg.dependencies)) {
      mkdirSync(join(app, 'node_modules', dep, '..'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(app, 'node_modules', dep));
    }
    writeFileSync(join(app, 'package.json'), '{ "name": "user-app", "private": true, "type": "module" }\n');
    writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>\n');
    writeFileSync(join(app, 'main.js'), MAIN);
    // The user's own model file, beside the code and in public/ (the violin's bytes under another name).
    const violin = join(REPO_ROOT, 'models', 'violin.onnx');
    cpSync(violin, join(app, 'my-model.onnx'));
    mkdirSync(join(app, 'public', 'models'), { recursive: true });
    cpSync(violin, join(app, 'public', 'models', 'my-model.onnx'));
    const serving = 'Serving a model';
    writeFileSync(join(app, 'recipe-url.ts'), `${docSnippet('docs/getting-started.md', serving, 0)}\nexport { node };\n`);
    writeFileSync(join(app, 'recipe-public.ts'), `${docSnippet('docs/getting-started.md', serving, 1)}\nexport { node };\n`);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  /** Opens `url` and checks everything the page offers. */
  async function checkApp(url: string, label: string): Promise<void> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction('window.ready === true', undefined, { timeout: 60_000 });
    type W = { byName(): Promise<Record<string, { name: string; range: number[]; rms: number }>>; recipe(w: string): Promise<{ name: string; latency: number }>; wrongPath(): Promise<{ name: string; code: string; message: string } | null> };
    const byName = await page.evaluate(() => (window as unknown as W).byName());
    console.log(`[vite ${label}] by name: ${JSON.stringify(byName)}`);
    expect(Object.keys(byName)).toEqual([...BUNDLED_MODELS]);
    for (const name of BUNDLED_MODELS) {
      expect(byName[name].name).toBe(name);
      expect(byName[name].range[0]).toBeLessThan(byName[name].range[1]);
      expect(byName[name].rms).toBeGreaterThan(0.005);
    }
    for (const which of ['url', 'public']) {
      const r = await page.evaluate((w) => (window as unknown as W).recipe(w), which);
      expect(r.name, which).toBe('violin');
      expect(r.latency).toBeGreaterThan(0);
    }
    const wrong = await page.evaluate(() => (window as unknown as W).wrongPath());
    console.log(`[vite ${label}] wrong path: ${wrong?.message}`);
    expect(wrong).toMatchObject({ name: 'DDSPError', code: 'FETCH' });
    expect(wrong!.message).toMatch(/^ddsp-stream: \/models\/violin\.onnx is not a model file: it answered text\/html.*, \d+ bytes starting "<!doctype html>/);
    expect(wrong!.message).toContain('The URL is probably wrong');
    expect(errors).toEqual([]);
    await page.close();
  }

  it('vite build: the bundled models are copied as assets, and the app plays them by name', async () => {
    await build({ root: app, configFile: false, logLevel: 'silent' });
    const assets = readdirSync(join(app, 'dist', 'assets'));
    for (const name of BUNDLED_MODELS) expect(assets.some((f) => f.startsWith(`${name}-`) && f.endsWith('.onnx'))).toBe(true);
    expect(existsSync(join(app, 'dist', 'models', 'my-model.onnx'))).toBe(true); // public/ copied as is
    const server: PreviewServer = await preview({ root: app, configFile: false, logLevel: 'silent', preview: { host: '127.0.0.1', port: 0 } });
    try {
      await checkApp(server.resolvedUrls!.local[0], 'build');
    } finally {
      await new Promise<void>((ok) => server.httpServer.close(() => ok()));
    }
  }, 180_000);

  it('vite dev server (dependency pre-bundling): the same app plays the same models', async () => {
    const server: ViteDevServer = await createServer({ root: app, configFile: false, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 } });
    await server.listen();
    try {
      await checkApp(server.resolvedUrls!.local[0], 'dev');
    } finally {
      await server.close();
    }
  }, 180_000);
});
