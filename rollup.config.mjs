// Four builds, in order (`npm run build` = `rollup -c`):
// 1. dist/worklet.js — the AudioWorkletProcessor, one self-contained minified script (no imports: a worklet
//    module that imports or throws at top level fails silently in browsers); dist/worklet.d.ts says it exports
//    nothing.
// 2. dist/chunks/prepare-load.js — the page's part of a model load (src/web/prepare-load.ts: the model-file reader
//    and the engine code modelParts runs), which DDSPNode imports when it loads a model. Self-contained but for
//    DDSPError (dist/chunks/errors.js, an entry of build 3, so that its class is the one the library exports): a
//    page bundler splits code by file, so if it shared files with dist/index.js, which re-exports the reader, a
//    page that imports only DDSPNode would load them up front.
// 3. dist/index.js + dist/node.js + dist/train.js + dist/train-web.js (+ dist/chunks/) — the library, ESM, every npm
//    dependency and peer left external (the application's bundler minifies it); the packages only training and the
//    CLI use (yaml, zod, cli-progress) are devDependencies, bundled into the chunks that use them, so a playback
//    install does not download them. src/web/worklet-source.ts is replaced by the
//    text of bundle 1 (a chunk of its own, imported on first use) so DDSPNode can register the worklet from a Blob
//    URL without knowing where the file lives, and
//    src/train/shipped-configs.ts by the YAML files of configs/ so the browser trainer composes configs without
//    files. After writing, the TypeScript compiler emits the declarations of the entries (tsconfig.build.json) with
//    `.js` on every relative import, so they resolve under Node16/NodeNext as well as under bundler resolution.
// 4. dist/cli.js (+ dist/cli/) — the `ddsp-stream` command, code-split so each subcommand loads only its own code.
//    Its training code is not bundled again: imports of src/train/* become imports of `ddsp-stream/train` (the
//    package's self-reference to dist/train.js, the library's training entry) (one copy of the trainer; data-parallel workers find their entry; tfjs and lmdb load only when a
//    training command runs).
// dist/ is emptied first. dist/THIRD-PARTY-LICENSES.md lists the third-party code bundled into any output, with its
// licence text.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve as resolvePath, sep } from 'node:path';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import esbuild from 'rollup-plugin-esbuild';
import ts from 'typescript';

const ROOT = dirname(new URL(import.meta.url).pathname);
const DIST = join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const external = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  ...Object.keys(pkg.optionalDependencies ?? {}),
];
const isExternal = (id) => external.some((e) => id === e || id.startsWith(`${e}/`));

const typescript = (opts = {}) => esbuild({ target: 'es2022', tsconfig: 'tsconfig.json', ...opts });

/** Empties dist/ before the first build. */
const clean = () => ({
  name: 'clean-dist',
  buildStart() {
    rmSync(DIST, { recursive: true, force: true });
  },
});

/** Replaces src/web/worklet-source.ts with the built worklet's text. */
const workletSource = () => ({
  name: 'worklet-source',
  load(id) {
    if (id.replace(/\\/g, '/').endsWith('src/web/worklet-source.ts')) {
      return `export default ${JSON.stringify(readFileSync(join(DIST, 'worklet.js'), 'utf8'))};`;
    }
    return null;
  },
});

/** Where a rendered chunk is written (absolute path). */
const outputPath = (chunk, options) => resolvePath(ROOT, options.dir ?? dirname(options.file), chunk.fileName);

/**
 * Keeps the bundled models' URLs (src/web/bundled-models.ts: `new URL('../../models/NAME.onnx', import.meta.url)`)
 * pointing at the package's models/ folder from wherever the built chunk lands, so bundlers find the files.
 */
const modelUrls = () => ({
  name: 'model-urls',
  transform(code, id) {
    if (!id.replace(/\\/g, '/').endsWith('src/web/bundled-models.ts')) return null;
    return { code: code.replaceAll("'../../models/", "'__DDSP_STREAM_MODELS__/"), map: null };
  },
  renderChunk(code, chunk, options) {
    if (!code.includes('__DDSP_STREAM_MODELS__/')) return null;
    const rel = relative(dirname(outputPath(chunk, options)), join(ROOT, 'models')).split(sep).join('/');
    return { code: code.replaceAll('__DDSP_STREAM_MODELS__/', `${rel}/`), map: null };
  },
});

/** The page's model loader (build 2) and the error class it shares with the library (build 3), in dist/. */
const PAGE_LOADER = 'chunks/prepare-load.js';
const ERRORS = 'chunks/errors.js';

/**
 * Imports of the module `name` of src/web (`./name`) become imports of `target`, a file of dist/, wherever the
 * importing chunk lands.
 */
const externalTo = (name, target) => ({
  name: `external-${name}`,
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const to = resolvePath(dirname(importer), source).replace(/\.ts$/, '') === join(ROOT, 'src', 'web', name);
    return to ? { id: `__DDSP_STREAM_DIST__/${target}`, external: true } : null;
  },
  renderChunk(code, chunk, options) {
    if (!code.includes('__DDSP_STREAM_DIST__/')) return null;
    const rel = relative(dirname(outputPath(chunk, options)), DIST).split(sep).join('/');
    return { code: code.replaceAll('__DDSP_STREAM_DIST__/', rel === '' ? './' : `${rel}/`), map: null };
  },
});

/** Replaces src/train/shipped-configs.ts with the YAML files of configs/, by their path inside it. */
const shippedConfigs = () => ({
  name: 'shipped-configs',
  load(id) {
    if (!id.replace(/\\/g, '/').endsWith('src/train/shipped-configs.ts')) return null;
    const dir = join(ROOT, 'configs');
    const files = {};
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
      if (/\.ya?ml$/.test(f)) files[f.split(sep).join('/')] = readFileSync(join(dir, f), 'utf8');
    }
    return `export default ${JSON.stringify(files)};`;
  },
});

/** Declarations of dist/worklet.js (an IIFE script: it registers the processor and exports nothing). */
const WORKLET_DTS = `/**
 * \`ddsp-stream/worklet\` is the AudioWorkletProcessor script (registers the processor named 'ddsp-stream').
 * It is a classic script with no exports: pass its URL to \`audioWorklet.addModule()\`. DDSPNode does this itself
 * from an inlined copy, so use this file only when a Content-Security-Policy forbids blob: worklet URLs.
 */
export {};
`;

// ---- third-party notices -------------------------------------------------------------------------------------

/** Source files that embed a third-party package's build without importing it. */
const EMBEDDED = { 'src/dsp/pffft-simd-wasm.ts': '@echogarden/pffft-wasm' };
/** package name -> { version, license, text }, collected over all builds. */
const thirdParty = new Map();

function packageOfModule(id) {
  const p = id.replace(/\\/g, '/').replace(/^\0/, '').split('?')[0];
  const i = p.lastIndexOf('/node_modules/');
  if (i < 0) return undefined;
  const parts = p.slice(i + '/node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function notePackage(name) {
  if (thirdParty.has(name)) return;
  const dir = join(ROOT, 'node_modules', name);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'LICENCE', 'COPYING', 'license'].find((f) => existsSync(join(dir, f)));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file; package.json says ${meta.license})`;
  thirdParty.set(name, { version: meta.version, license: meta.license ?? 'UNKNOWN', text });
}

/** Records which third-party packages ended up in the output (rendered, not tree-shaken away). */
const notices = () => ({
  name: 'third-party-notices',
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      for (const [id, info] of Object.entries(chunk.modules)) {
        if (info.renderedLength === 0) continue;
        const name = packageOfModule(id);
        if (name) notePackage(name);
        const rel = relative(ROOT, id).split(sep).join('/');
        if (EMBEDDED[rel]) notePackage(EMBEDDED[rel]);
      }
    }
  },
  writeBundle() {
    const names = [...thirdParty.keys()].sort();
    const body = names.map((n) => {
      const p = thirdParty.get(n);
      return `## ${n} ${p.version} (${p.license})\n\n\`\`\`text\n${p.text}\n\`\`\`\n`;
    });
    writeFileSync(join(DIST, 'THIRD-PARTY-LICENSES.md'),
      `# Third-party code bundled in dist/\n\nddsp-stream itself is MIT (see LICENSE). These packages are bundled into the files of dist/\n(the FFT is PFFFT's WebAssembly build).\n\n${body.join('\n')}`);
  },
});

// ---- declarations --------------------------------------------------------------------------------------------

/** Adds `.js` (or `/index.js`) to relative module specifiers of a declaration file emitted for `srcFile`. */
function withJsExtensions(text, srcFile) {
  const dir = dirname(srcFile);
  const fix = (spec) => {
    if (!spec.startsWith('.') || /\.(js|mjs|cjs|json)$/.test(spec)) return spec;
    const base = resolvePath(dir, spec);
    if (existsSync(`${base}.ts`)) return `${spec}.js`;
    if (existsSync(join(base, 'index.ts'))) return `${spec.replace(/\/$/, '')}/index.js`;
    throw new Error(`declarations: cannot resolve '${spec}' from ${relative(ROOT, srcFile)}`);
  };
  return text
    .replace(/(\bfrom\s*)(['"])([^'"]+)\2/g, (_m, a, q, s) => `${a}${q}${fix(s)}${q}`)
    .replace(/(\bimport\s*\(\s*)(['"])([^'"]+)\2/g, (_m, a, q, s) => `${a}${q}${fix(s)}${q}`)
    .replace(/(^\s*import\s*)(['"])([^'"]+)\2/gm, (_m, a, q, s) => `${a}${q}${fix(s)}${q}`);
}

/** Emits the declarations of the library entries after the library is written. */
const declarations = () => ({
  name: 'declarations',
  writeBundle() {
    const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
    const cfg = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, host);
    const program = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options });
    const diagnostics = [...cfg.errors, ...ts.getPreEmitDiagnostics(program)]
      .filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (diagnostics.length) {
      this.error(`declarations: type errors\n${ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' })}`);
    }
    const srcDir = join(ROOT, 'src');
    const result = program.emit(undefined, (fileName, text) => {
      if (!fileName.endsWith('.d.ts')) return;
      const srcFile = join(srcDir, relative(DIST, fileName)).replace(/\.d\.ts$/, '.ts');
      mkdirSync(dirname(fileName), { recursive: true });
      writeFileSync(fileName, withJsExtensions(text, srcFile));
    }, undefined, true);
    if (result.emitSkipped) this.error('declarations: emit skipped');
    writeFileSync(join(DIST, 'worklet.d.ts'), WORKLET_DTS);
  },
});

// ---- CLI -----------------------------------------------------------------------------------------------------

const TRAIN_SRC = join(ROOT, 'src', 'train') + sep;

/**
 * CLI build: imports of src/train/* (from src/cli) load the library's training entry, dist/train.js, through the
 * package's own export `ddsp-stream/train` (Node resolves a package's self-reference through its exports map).
 */
const trainFromLibrary = () => ({
  name: 'train-from-library',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const target = resolvePath(dirname(importer), source);
    if (importer.startsWith(join(ROOT, 'src', 'cli') + sep) && (target + sep).startsWith(TRAIN_SRC)) {
      return { id: `${pkg.name}/train`, external: true };
    }
    return null;
  },
});

/** Warnings about bundled third-party code (zod: `@__PURE__` comments rollup drops, an internal import cycle): not ours. */
function quietBundled(w, warn) {
  if (w.code === 'INVALID_ANNOTATION' && /node_modules/.test(w.id ?? '')) return;
  if (w.code === 'CIRCULAR_DEPENDENCY' && (w.ids ?? []).every((id) => /node_modules/.test(id))) return;
  warn(w);
}

export default [
  {
    input: 'worklet/processor.ts',
    output: {
      file: 'dist/worklet.js',
      format: 'iife',
      sourcemap: false,
      banner: '/*! ddsp-stream worklet (MIT). Bundled third-party code and its licences: THIRD-PARTY-LICENSES.md */',
    },
    plugins: [clean(), resolve({ browser: true }), commonjs(), typescript({ minify: true }), notices()],
  },
  {
    input: 'src/web/prepare-load.ts',
    output: { file: join('dist', PAGE_LOADER), format: 'es', sourcemap: false, inlineDynamicImports: true },
    external: isExternal,
    plugins: [externalTo('errors', ERRORS), modelUrls(), resolve(), commonjs(), typescript(), notices()],
    onwarn: quietBundled,
  },
  {
    input: {
      index: 'src/index.ts', node: 'src/node.ts', train: 'src/train/index.ts', 'train-web': 'src/train/web.ts',
      'chunks/errors': 'src/web/errors.ts',
    },
    output: {
      dir: 'dist', format: 'es', sourcemap: false, chunkFileNames: 'chunks/[name]-[hash].js',
      // the training entry's code lands in a chunk whose URL data-parallel workers import: its exports keep their names
      minifyInternalExports: false,
      // The controls' table is data every entry reads; in a chunk of its own, a DDSPNode-only page does not load
      // the engine chunk it would otherwise share (a page bundler cannot drop that chunk's top-level wasm set-up).
      manualChunks: (id) => (/src[\\/]modules[\\/]controls\.ts$/.test(id) ? 'controls' : undefined),
      // No bare `import './chunks/…'` lines for chunks an entry reaches only through other chunks: the package lists
      // no chunk in sideEffects, so bundlers (esbuild) warned that they drop those lines.
      hoistTransitiveImports: false,
    },
    external: isExternal,
    plugins: [externalTo('prepare-load', PAGE_LOADER), workletSource(), shippedConfigs(), modelUrls(), resolve(), commonjs(), typescript(), notices(), declarations()],
    onwarn: quietBundled,
  },
  {
    input: { cli: 'src/cli/main.ts' },
    // main.ts runs itself only when it is the file node started (its import.meta.url): the subcommand chunks' shared
    // imports (args.ts) may extend the entry chunk, so no facade chunk stands between node and main.ts
    preserveEntrySignatures: 'allow-extension',
    output: {
      dir: 'dist',
      format: 'es',
      sourcemap: false,
      entryFileNames: '[name].js',
      chunkFileNames: 'cli/[name]-[hash].js',
      banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''),
    },
    external: isExternal,
    plugins: [trainFromLibrary(), workletSource(), resolve(), commonjs(), typescript(), notices()],
    onwarn: quietBundled,
  },
];
