// What a playback user gets: the packed package installed into an empty folder with npm (its dependencies from the
// registry, no optional peers), the size of that node_modules, and a one-line page that imports DDSPNode, bundled
// from the installed package by a bundler (esbuild, minified) and gzipped. Budgets from issue #18; the figures are
// printed and quoted in docs/installation.md. Needs dist/ and the npm registry (or npm's cache).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, isBuilt } from './helpers';

const built = isBuilt('test/package/install.test.ts');

/** Budgets: node_modules of a playback install, and a DDSPNode-only page's JavaScript (gzip -9). */
const INSTALL_BUDGET_BYTES = 20e6;
const PAGE_BUDGET_BYTES = 60_000;
const PAGE_WITH_WORKLET_BUDGET_BYTES = 150_000;

const MB = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;

/** Bytes of the files under `dir` (what npm calls unpacked size) and the disk blocks they take. */
function treeSize(dir: string): { bytes: number; disk: number; files: number } {
  let bytes = 0;
  let disk = 0;
  let files = 0;
  for (const e of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = lstatSync(join(dir, e));
    if (!s.isFile()) continue;
    bytes += s.size;
    disk += s.blocks * 512;
    files++;
  }
  return { bytes, disk, files };
}

describe.skipIf(!built)('npm install ddsp-stream (playback), in an empty folder', () => {
  let tmp = '';
  let app = '';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ddsp-install-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    })) as { filename: string }[];
    app = join(tmp, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, packed[0].filename)], {
      cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000,
    });
  }, 320_000);
  afterAll(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it(`node_modules holds at most ${MB(INSTALL_BUDGET_BYTES)}, and no training, CLI or protobuf package`, () => {
    const nm = join(app, 'node_modules');
    const all = treeSize(nm);
    const top = readdirSync(nm).filter((d) => !d.startsWith('.')).flatMap((d) => (d.startsWith('@') ? readdirSync(join(nm, d)).map((s) => `${d}/${s}`) : [d]));
    const rows = top.map((p) => ({ p, ...treeSize(join(nm, p)) })).sort((a, b) => b.bytes - a.bytes);
    console.log(`playback install: ${MB(all.bytes)} in ${all.files} files (${MB(all.disk)} on disk here)\n  ` +
      rows.map((r) => `${r.p} ${MB(r.bytes)} (${MB(r.disk)} on disk)`).join('\n  '));
    expect(all.bytes).toBeLessThanOrEqual(INSTALL_BUDGET_BYTES);
    for (const p of ['@tensorflow/tfjs-core', 'lmdb', 'zod', 'yaml', 'cli-progress', 'onnx-proto', 'protobufjs', 'onnxruntime-web']) {
      expect(existsSync(join(nm, p)), p).toBe(false);
    }
    expect(existsSync(join(nm, 'standardized-audio-context'))).toBe(true);
  });

  it(`a page importing DDSPNode: <= ${kB(PAGE_BUDGET_BYTES)} gzip before the worklet, <= ${kB(PAGE_WITH_WORKLET_BUDGET_BYTES)} with it`, async () => {
    const { build } = await import('esbuild');
    writeFileSync(join(app, 'main.js'), "import { DDSPNode } from 'ddsp-stream';\nwindow.DDSPNode = DDSPNode;\n");
    const r = await build({
      entryPoints: [join(app, 'main.js')], absWorkingDir: app, bundle: true, splitting: true, format: 'esm', platform: 'browser',
      minify: true, write: false, metafile: true, outdir: join(app, 'out'), logLevel: 'silent',
    });
    const sizeOf = (key: string): number => {
      const f = r.outputFiles.find((o) => o.path === join(app, key));
      if (!f) throw new Error(`no output ${key}`);
      return gzipSync(f.contents, { level: 9 }).length;
    };
    const outputs = r.metafile.outputs;
    const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint !== undefined) as string;
    // what the page loads before any node exists: the entry and its static imports
    const first = new Set<string>();
    const stack = [entry];
    while (stack.length) {
      const k = stack.pop() as string;
      if (first.has(k)) continue;
      first.add(k);
      for (const i of outputs[k].imports) if (i.kind === 'import-statement') stack.push(i.path);
    }
    const before = [...first].reduce((s, k) => s + sizeOf(k), 0);
    const total = Object.keys(outputs).filter((k) => k.endsWith('.js')).reduce((s, k) => s + sizeOf(k), 0);
    const lazy = Object.keys(outputs).filter((k) => k.endsWith('.js') && !first.has(k));
    console.log(`DDSPNode-only page (esbuild --minify, gzip -9): ${kB(before)} before the worklet, ${kB(total)} with it ` +
      `(lazy: ${lazy.map((k) => `${k} ${kB(sizeOf(k))}`).join(', ')})`);
    expect(before).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    expect(total).toBeLessThanOrEqual(PAGE_WITH_WORKLET_BUDGET_BYTES);
    // the worklet is the lazy part: the first load does not carry it
    expect(lazy.length).toBeGreaterThan(0);
    expect(total - before).toBeGreaterThan(30_000);
  });
});
