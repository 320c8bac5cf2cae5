// The published package, checked on the built dist/ (run `npm run build` first; without dist/ every test here is
// skipped with a loud notice): what `npm pack` ships, publint, arethetypeswrong, the import graph of each entry,
// and the gzipped size of what a web page downloads for playback.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, ROOT, builtGraph, isBuilt, packageName, readPackageJson, type PackageJson } from './helpers';

const built = isBuilt('test/package/pack.test.ts');
const pkg: PackageJson = readPackageJson();

/** Playback budget from the issue: playback bundle (the worklet inlined) gzipped, without models. */
const PLAYBACK_BUDGET_BYTES = 150_000;

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;
const gz = (data: Uint8Array | string): number => gzipSync(data, { level: 9 }).length;

interface PackResult { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }

describe.skipIf(!built)('npm pack', () => {
  let tmp = '';
  let packed: PackResult;
  let tarball = '';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ddsp-pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    packed = (JSON.parse(out) as PackResult[])[0];
    tarball = join(tmp, packed.filename);
    console.log(`npm pack: ${packed.files.length} files, ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked`);
  });
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('ships dist, types, configs, models, README and LICENSE', () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const required = [
      'package.json', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/train.js', 'dist/train/index.d.ts',
      'dist/worklet.js', 'dist/worklet.d.ts', 'dist/cli.js', 'dist/THIRD-PARTY-LICENSES.md', 'configs/config.yaml',
    ];
    if (existsSync(join(ROOT, 'README.md'))) required.push('README.md');
    else console.warn('*** README.md does not exist yet: the package ships without one ***');
    for (const f of required) expect(paths, f).toContain(f);
    // every shipped model file (models/*.onnx), and every YAML group of the training configs
    const inRepo = (dir: string, re: RegExp): string[] =>
      existsSync(join(ROOT, dir))
        ? readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => re.test(f)).map((f) => `${dir}/${f}`)
        : [];
    for (const f of [...inRepo('models', /\.onnx$/), ...inRepo('configs', /\.ya?ml$/)]) expect(paths, f).toContain(f);
    // every file the exports map and bin name (wildcards aside)
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const t of [...targets, ...Object.values(pkg.bin)].filter((t) => !t.includes('*'))) {
      expect(paths, t).toContain(t.replace(/^\.\//, ''));
    }
    // declarations ship (their relative imports are checked below)
    const dts = packed.files.filter((f) => f.path.endsWith('.d.ts'));
    expect(dts.length).toBeGreaterThan(10);
    // the licences of bundled third-party code
    const notices = readFileSync(join(DIST, 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const p of ['@echogarden/pffft-wasm']) expect(notices, p).toContain(`## ${p} `);
  });

  it('ships no tests, fixtures, sources, examples, audio or build leftovers', () => {
    const bad = packed.files.map((f) => f.path).filter((p) =>
      /^(test|src|worklet|examples|docs|scripts|\.ci|node_modules)\//.test(p) ||
      /(^|\/)fixtures?\//.test(p) ||
      /\.(flac|wav|mp3|ogg|opus|m4a|aiff?|ckpt|pt|f32|tgz|tsbuildinfo|map)$/i.test(p) ||
      /(^|\/)\.ci-report\.json$|(^|\/)vitest\.config|(^|\/)tsconfig|(^|\/)rollup\.config/.test(p));
    expect(bad).toEqual([]);
  });

  it('bin: dist/cli.js starts with a node shebang', () => {
    for (const bin of Object.values(pkg.bin)) {
      expect(readFileSync(join(ROOT, bin), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    }
  });

  it('publint: no errors, no warnings (except ./models/* before models ship)', async () => {
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const data = readFileSync(tarball);
    const tar = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const { messages, pkg: linted } = await publint({ level: 'suggestion', pack: { tarball: tar } });
    for (const m of messages) console.log(`publint ${m.type}: ${formatMessage(m, linted) ?? m.code}`);
    const hasModels = packed.files.some((f) => f.path.startsWith('models/'));
    const allowed = (m: (typeof messages)[number]): boolean =>
      m.type === 'suggestion' || (!hasModels && m.code === 'EXPORTS_GLOB_NO_MATCHED_FILES' && m.path.join('.') === 'exports../models/*');
    expect(messages.filter((m) => !allowed(m)).map((m) => `${m.type} ${m.code} ${m.path.join('.')}`)).toEqual([]);
  });

  it('arethetypeswrong (esm-only profile): no problems', () => {
    const cli = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    let out = '';
    let status = 0;
    try {
      out = execFileSync(process.execPath, [cli, tarball, '--profile', 'esm-only', '--format', 'json'], {
        cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      out = err.stdout;
    }
    const report = JSON.parse(out) as { analysis: { entrypoints: Record<string, unknown> }; problems?: Record<string, unknown[]> };
    const entrypoints = Object.keys(report.analysis.entrypoints);
    console.log(`attw --profile esm-only: entrypoints ${entrypoints.join(', ')}; exit ${status}`);
    expect(entrypoints).toEqual(expect.arrayContaining(['.', './train', './train/web', './worklet']));
    if (status !== 0) console.log(JSON.stringify(report.problems, null, 2));
    expect(status).toBe(0);
  });
});

describe.skipIf(!built)('import graph of the built entries', () => {
  const deps = new Set(Object.keys(pkg.dependencies));
  const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
  const isNode = (p: string): boolean => p.startsWith('node:') || builtinModules.includes(p); // bundled CommonJS code requires 'events'

  it('ddsp-stream (dist/index.js): only runtime dependencies; no tfjs, onnxruntime, lmdb or training code', () => {
    const { files, imports } = builtGraph(['dist/index.js']);
    const names = [...new Set(imports.map((i) => packageName(i.spec)))].sort();
    console.log(`dist/index.js graph: ${files.join(', ')}\n  packages: ${names.join(', ')}`);
    expect(names.filter((n) => /^@tensorflow\/|^onnxruntime|^lmdb$/.test(n))).toEqual([]);
    expect(names.filter((n) => !isNode(n) && !deps.has(n))).toEqual([]);
    // node built-ins only behind dynamic imports (Node-only paths), never loaded by a page
    expect(imports.filter((i) => isNode(i.spec) && !i.dynamic)).toEqual([]);
    expect(files.filter((f) => f === 'dist/train.js')).toEqual([]);
    // the training code is not in any chunk of this graph
    for (const f of files) expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(/registerGradient|customGrad\(|tfjs-backend/);
  });

  it('the declarations of ddsp-stream (dist/index.d.ts) reference only runtime dependencies', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const stack = [join(DIST, 'index.d.ts')];
    while (stack.length) {
      const f = stack.pop() as string;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(['"])([^'"]+)\1/gm)) {
        const spec = m[2];
        if (spec.startsWith('.')) {
          const target = join(f, '..', spec.replace(/\.js$/, '.d.ts'));
          expect(existsSync(target), `${f} -> ${spec}`).toBe(true);
          stack.push(target);
        } else packages.add(packageName(spec));
      }
    }
    expect(seen.size).toBeGreaterThan(5);
    expect([...packages].filter((p) => !deps.has(p))).toEqual([]);
  });

  it('ddsp-stream/train (dist/train.js): dependencies and the optional training peers only', () => {
    const { imports } = builtGraph(['dist/train.js']);
    const names = [...new Set(imports.map((i) => packageName(i.spec)))].filter((n) => !isNode(n));
    expect(names.filter((n) => !deps.has(n) && !peers.has(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['@tensorflow/tfjs-core']));
  });

  it('ddsp-stream/train/web (dist/train-web.js): loads in a page: no Node built-ins, lmdb or cli-progress; the configs embedded', () => {
    const { files, imports } = builtGraph(['dist/train-web.js']);
    const names = [...new Set(imports.map((i) => packageName(i.spec)))].sort();
    console.log(`dist/train-web.js graph: ${files.join(', ')}\n  packages: ${names.join(', ')}`);
    expect(names.filter(isNode)).toEqual([]);
    expect(names.filter((n) => !deps.has(n) && !peers.has(n))).toEqual([]);
    expect(names).toContain('@tensorflow/tfjs-core');
    expect(names).not.toContain('lmdb');
    expect(names).not.toContain('cli-progress');
    expect(files).not.toContain('dist/train.js');
    // every shipped YAML config, by its path inside configs/, with its text (the object literal rollup wrote)
    const literal = /^var shippedConfigs = (\{.*\});$/m.exec(readFileSync(join(DIST, 'train-web.js'), 'utf8'));
    expect(literal, 'var shippedConfigs = {...} in dist/train-web.js').not.toBeNull();
    const embedded = new Function(`return ${literal![1]};`)() as Record<string, string>;
    const yamls = readdirSync(join(ROOT, 'configs'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    expect(yamls.length).toBeGreaterThan(5);
    expect(embedded).toEqual(Object.fromEntries(yamls.map((f) => [f.split(sep).join('/'), readFileSync(join(ROOT, 'configs', f), 'utf8')])));
  });

  it('ddsp-stream CLI (dist/cli.js): a plain install suffices; training loads through ddsp-stream/train', () => {
    const { files, imports } = builtGraph(['dist/cli.js']);
    const names = [...new Set(imports.map((i) => i.spec === `${pkg.name}/train` ? i.spec : packageName(i.spec)))];
    expect(names.filter((n) => !isNode(n) && !deps.has(n) && n !== `${pkg.name}/train`)).toEqual([]);
    // ddsp-stream/train only behind dynamic imports (so render/f0/convert/bench never load tfjs)
    expect(imports.filter((i) => i.spec === `${pkg.name}/train` && !i.dynamic)).toEqual([]);
    expect(files).not.toContain('dist/train.js');
  });
});

interface PageSize { staticBytes: number; lazyBytes: number; unresolved: string[] }

/** Bundles `code` for a browser page the way an application's bundler would (minified) and gzips the output. */
async function pageSize(code: string, bundleDeps: boolean): Promise<PageSize> {
  const { build } = await import('esbuild');
  const require = createRequire(join(ROOT, 'package.json'));
  const unresolved: string[] = [];
  const r = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'js' },
    bundle: true, splitting: true, format: 'esm', platform: 'browser', minify: true, write: false, metafile: true,
    outdir: join(tmpdir(), 'ddsp-size'), logLevel: 'silent',
    external: ['node:*', ...(bundleDeps ? [] : Object.keys(pkg.dependencies))],
    plugins: [{
      name: 'unresolvable-to-external',
      setup(b) {
        // audio-decode's codec loaders are lazy imports; one of them names a package its authors never declared
        b.onResolve({ filter: /^@audio\/decode-/ }, (args) => {
          try { require.resolve(args.path, { paths: [args.resolveDir] }); return null; } catch {
            unresolved.push(args.path);
            return { path: args.path, external: true };
          }
        });
      },
    }],
  });
  const meta = r.metafile.outputs;
  const entry = Object.keys(meta).find((k) => meta[k].entryPoint === '<stdin>') as string;
  const stat = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const k = stack.pop() as string;
    if (stat.has(k)) continue;
    stat.add(k);
    for (const i of meta[k].imports) if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
  }
  let staticBytes = 0;
  let lazyBytes = 0;
  for (const o of r.outputFiles) {
    const key = Object.keys(meta).find((k) => o.path.endsWith(k.split('/').pop() as string)) as string;
    if (stat.has(key)) staticBytes += gz(o.contents);
    else lazyBytes += gz(o.contents);
  }
  return { staticBytes, lazyBytes, unresolved: [...new Set(unresolved)] };
}

describe.skipIf(!built)('sizes (gzip -9)', () => {
  const index = join(DIST, 'index.js');

  it(`playback bundle (dist/index.js with the worklet inlined, minified as a page bundler does) <= ${kB(PLAYBACK_BUDGET_BYTES)}`, async () => {
    const worklet = readFileSync(join(DIST, 'worklet.js'));
    const all = await pageSize(`export * from ${JSON.stringify(index)};`, false);
    const nodeOnly = await pageSize(`import { DDSPNode } from ${JSON.stringify(index)}; globalThis.DDSPNode = DDSPNode;`, false);
    const allDeps = await pageSize(`export * from ${JSON.stringify(index)};`, true);
    const nodeOnlyDeps = await pageSize(`import { DDSPNode } from ${JSON.stringify(index)}; globalThis.DDSPNode = DDSPNode;`, true);
    const lines = [
      `dist/worklet.js (shipped minified; DDSPNode registers an inlined copy): ${kB(gz(worklet))} (${kB(worklet.length)} raw)`,
      `playback bundle, whole API, npm dependencies external: ${kB(all.staticBytes)}` +
        (all.lazyBytes ? ` (+ ${kB(all.lazyBytes)} lazy)` : ''),
      `playback bundle, DDSPNode only, npm dependencies external: ${kB(nodeOnly.staticBytes)}`,
      `page with npm dependencies bundled, whole API: ${kB(allDeps.staticBytes)} (+ ${kB(allDeps.lazyBytes)} lazy codec chunks)`,
      `page with npm dependencies bundled, DDSPNode only: ${kB(nodeOnlyDeps.staticBytes)}`,
    ];
    console.log(`sizes, gzipped:\n  ${lines.join('\n  ')}`);
    const unresolved = [...new Set([...allDeps.unresolved, ...nodeOnlyDeps.unresolved])];
    if (unresolved.length) {
      console.warn(`*** audio-decode imports packages that are not installed (${unresolved.join(', ')}): page bundlers that fail on unresolved dynamic imports need them marked external ***`);
    }
    expect(all.staticBytes).toBeLessThanOrEqual(PLAYBACK_BUDGET_BYTES);
  });
});

describe.skipIf(!built)('built CLI', () => {
  const cli = (args: string[]): { status: number; out: string } => {
    try {
      return { status: 0, out: execFileSync(process.execPath, [join(DIST, 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { status: err.status, out: `${err.stdout}${err.stderr}` };
    }
  };

  it('runs through the bin file (no facade chunk): --help and render --help', () => {
    expect(cli(['--help']).out).toMatch(/usage: ddsp-stream <command>/);
    const r = cli(['render', '--help']);
    expect(r.status, r.out).toBe(0);
  });

  // src/cli/main.ts must load the training commands through src/cli/deps.ts (trainingCommand) for the built CLI to
  // reach them; until it does, the built CLI reports them as "not available in this build".
  const mainUsesDeps = /trainingCommand\(/.test(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8'));
  if (!mainUsesDeps) console.warn('*** src/cli/main.ts does not load the training commands through src/cli/deps.ts yet: built-CLI training tests skipped ***');
  it.skipIf(!mainUsesDeps)('train --help and train --cfg run from dist (training code from ddsp-stream/train)', () => {
    const help = cli(['train', '--help']);
    expect(help.status, help.out).toBe(0);
    const cfg = cli(['train', '--cfg', 'name=pack-test']);
    expect(cfg.status, cfg.out).toBe(0);
    expect(cfg.out).toMatch(/name: pack-test/);
  });
});
