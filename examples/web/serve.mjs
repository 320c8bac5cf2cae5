#!/usr/bin/env node
// The web demo's server: bundles examples/web/main.ts with esbuild once at start ('ddsp-stream' and
// 'ddsp-stream/train/web' resolved to the built package, dist/ — run `npm run build` first; the Train panel's trainer
// and tfjs in chunks the page loads when training starts) and serves the page on 127.0.0.1 with the cross-origin
// isolation headers (COOP/COEP) an AudioWorklet with SharedArrayBuffer wants.
//
//   node examples/web/serve.mjs [--port 8080] [--host 127.0.0.1] [--models DIR]
//
// Routes: /            the page (index.html, style.css, main.js)
//         /chunk-*.js  the bundle's lazily loaded chunks
//         /models.json the .onnx files in the models folder (default: the package's models/; --models DIR or
//                      $DDSP_DEMO_MODELS to use another), each served at /models/<name>.onnx, with `live: true`
//                      for a model whose metadata says live = 'true' (made for live input; the page lists those
//                      first for the microphone)
//         /audio.json  example input phrases (examples/audio/*.flac|wav|mp3|ogg), served at /audio/<name>
//
// Prints `ddsp-stream demo: http://HOST:PORT/` once listening (`--port 0` picks a free port).
import { createServer } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const DIST_INDEX = join(ROOT, 'dist', 'index.js');
/** The package entries the demo imports, as the package's exports map them. */
const DIST_ENTRIES = { 'ddsp-stream': DIST_INDEX, 'ddsp-stream/train/web': join(ROOT, 'dist', 'train-web.js') };
const AUDIO_DIR = join(ROOT, 'examples', 'audio');

function parseArgs(argv) {
  const o = {
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    models: process.env.DDSP_DEMO_MODELS ?? join(ROOT, 'models'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [key, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${key} needs a value`);
      return v;
    };
    if (key === '--port') o.port = Number(value());
    else if (key === '--host') o.host = value();
    else if (key === '--models') o.models = resolve(value());
    else if (key === '--help' || key === '-h') {
      console.log('usage: node examples/web/serve.mjs [--port 8080] [--host 127.0.0.1] [--models DIR]');
      process.exit(0);
    } else fail(`unknown option ${a} (try --help)`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) fail(`--port must be an integer in [0, 65535], got ${o.port}`);
  return o;
}

function fail(msg) {
  console.error(`ddsp-stream demo: ${msg}`);
  process.exit(1);
}

/**
 * Bundles main.ts and the chunks it imports lazily; 'ddsp-stream' entries are the built package, exactly what a
 * user's bundler would pick up. Returns the files by URL path.
 */
async function bundle() {
  for (const f of Object.values(DIST_ENTRIES)) if (!existsSync(f)) fail(`${f} is missing: run \`npm run build\` first`);
  const out = await build({
    entryPoints: [join(HERE, 'main.ts')],
    bundle: true,
    splitting: true,
    outdir: '/out',
    chunkNames: 'chunk-[hash]',
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [{
      name: 'ddsp-stream-dist',
      setup(b) {
        b.onResolve({ filter: /^ddsp-stream(\/.*)?$/ }, (a) => {
          const path = DIST_ENTRIES[a.path];
          return path ? { path } : { errors: [{ text: `the demo maps no file for ${a.path}` }] };
        });
      },
    }],
  });
  return Object.fromEntries(out.outputFiles.map((f) => [f.path.slice('/out'.length), f.text]));
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.flac': 'audio/flac',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.png': 'image/png',
};

/** Files of `dir` whose extension is in `exts`, sorted by name ([] when the folder does not exist). */
function listFiles(dir, exts) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => exts.includes(extname(f).toLowerCase()) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => ({ name: basename(f, extname(f)), file: f, bytes: statSync(join(dir, f)).size }));
}

/** Whether a model file's metadata marks it as made for live input (`live` = 'true'), by path and mtime. */
const liveFlags = new Map();
async function isLive(path) {
  const key = `${path}:${statSync(path).mtimeMs}`;
  if (!liveFlags.has(key)) {
    const { readModel } = await import(pathToFileURL(DIST_INDEX).href);
    let live = false;
    try {
      live = readModel(readFileSync(path)).meta?.live === 'true';
    } catch {
      // not a model file: listed, and refused by the page when chosen
    }
    liveFlags.set(key, live);
  }
  return liveFlags.get(key);
}

/** Serves one file of `dir` named `name` (no path separators allowed). */
function fileIn(dir, name, exts) {
  if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) return null;
  if (!exts.includes(extname(name).toLowerCase())) return null;
  const p = join(dir, name);
  return existsSync(p) && statSync(p).isFile() ? p : null;
}

const MODEL_EXTS = ['.onnx'];
const AUDIO_EXTS = ['.flac', '.wav', '.mp3', '.ogg'];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const scripts = await bundle();
  const statics = {
    '/': ['index.html', MIME['.html']],
    '/index.html': ['index.html', MIME['.html']],
    '/style.css': ['style.css', MIME['.css']],
  };

  const server = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(body);
    };
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad request');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    if (path in statics) {
      const [file, type] = statics[path];
      return send(200, type, readFileSync(join(HERE, file)));
    }
    if (Object.hasOwn(scripts, path)) return send(200, MIME['.js'], scripts[path]);
    if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (path === '/models.json') {
      const list = await Promise.all(listFiles(opts.models, MODEL_EXTS).map(async (m) => ({
        ...m, url: `/models/${encodeURIComponent(m.file)}`, live: await isLive(join(opts.models, m.file)),
      })));
      return send(200, MIME['.json'], JSON.stringify(list));
    }
    if (path === '/audio.json') {
      const list = listFiles(AUDIO_DIR, AUDIO_EXTS).map((m) => ({ ...m, url: `/audio/${encodeURIComponent(m.file)}` }));
      return send(200, MIME['.json'], JSON.stringify(list));
    }
    const dirs = [
      ['/models/', opts.models, MODEL_EXTS],
      ['/audio/', AUDIO_DIR, AUDIO_EXTS],
    ];
    for (const [prefix, dir, exts] of dirs) {
      if (path.startsWith(prefix)) {
        const file = fileIn(dir, path.slice(prefix.length), exts);
        if (file === null) break;
        return send(200, MIME[extname(file).toLowerCase()] ?? 'application/octet-stream', readFileSync(file));
      }
    }
    send(404, 'text/plain', 'not found');
  });
  server.on('error', (e) => fail(e.message));
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    const models = listFiles(opts.models, MODEL_EXTS);
    console.log(`ddsp-stream demo: http://${opts.host}:${port}/`);
    console.log(
      models.length > 0
        ? `models (${opts.models}): ${models.map((m) => m.file).join(', ')}`
        : `no .onnx models in ${opts.models} yet: load a model file from the page`,
    );
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => fail(e?.stack ?? String(e)));
