// Dependency placement (package.json) and the training commands' check for the optional training packages
// (src/cli/deps.ts). Runs on the sources; no build needed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/args';
import {
  TRAINING_COMMANDS, TRAINING_PACKAGES, explainMissingPackage, installCommand, isInstalled, missingTrainingPackages,
  trainingCommand,
} from '../../src/cli/deps';
import { ROOT, packageName, readPackageJson } from './helpers';

const pkg = readPackageJson();
/** The tfjs backend the browser trainer's tests register (src/train/web-backend.ts). */
const WEBGL = '@tensorflow/tfjs-backend-webgl';

/**
 * Bare packages imported statically by the source graph from `entry`. Dynamic imports are not followed: each loads
 * only when its command runs (every non-training command is an entry of its own below, and the training commands
 * go through src/cli/deps.ts, which checks the optional packages first).
 */
function sourcePackages(entry: string): Set<string> {
  return sourceGraph(entry).packages;
}

/** Source files (repository-relative) and bare packages imported statically by the source graph from `entry`. */
function sourceGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [resolve(ROOT, entry)];
  while (stack.length) {
    const f = stack.pop() as string;
    if (files.has(f)) continue;
    files.add(f);
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
    const specs: string[] = [];
    const visit = (n: ts.Node): void => {
      if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
        const typeOnly = ts.isImportDeclaration(n) ? n.importClause?.isTypeOnly === true : n.isTypeOnly;
        if (!typeOnly) specs.push(n.moduleSpecifier.text);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    for (const s of specs) {
      if (s.startsWith('.')) {
        const base = join(dirname(f), s);
        const c = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
        if (c) stack.push(c);
      } else if (!s.startsWith('node:')) {
        packages.add(packageName(s));
      }
    }
  }
  return { files: new Set([...files].map((f) => f.slice(ROOT.length + 1).split('\\').join('/'))), packages };
}

describe('package.json dependencies', () => {
  const deps = Object.keys(pkg.dependencies);
  const peers = Object.keys(pkg.peerDependencies ?? {});

  it('training packages are optional peers, declared the same in src/cli/deps.ts, and installed for development', () => {
    // the browser trainer's WebGL backend is a peer too, at tfjs-core's version; the CLI never needs it
    const { [WEBGL]: webgl, ...cliPeers } = pkg.peerDependencies;
    expect(cliPeers).toEqual(TRAINING_PACKAGES);
    expect(webgl).toBe(TRAINING_PACKAGES['@tensorflow/tfjs-core']);
    for (const p of peers) {
      expect(pkg.peerDependenciesMeta?.[p]?.optional, p).toBe(true);
      expect(pkg.devDependencies[p], p).toBe(pkg.peerDependencies[p]);
      expect(deps, p).not.toContain(p);
    }
  });

  it('the playback entry and the non-training CLI commands need dependencies only', () => {
    for (const entry of ['src/index.ts', 'src/cli/render.ts', 'src/cli/f0.ts', 'src/cli/convert.ts', 'src/cli/bench.ts', 'src/cli/main.ts']) {
      if (!existsSync(join(ROOT, entry))) continue;
      const missing = [...sourcePackages(entry)].filter((p) => !deps.includes(p));
      expect(missing, entry).toEqual([]);
    }
  });

  it('the training entry needs dependencies, the optional peers and the packages rollup bundles into it (esbuild is a dev-only, computed import)', () => {
    // yaml and cli-progress are devDependencies bundled into dist/ (pack.test.ts checks the built files import neither)
    const missing = [...sourcePackages('src/train/index.ts')].filter((p) => !deps.includes(p) && !peers.includes(p));
    expect(missing.sort()).toEqual(['cli-progress', 'yaml']);
    for (const p of missing) expect(pkg.devDependencies[p], p).toBeDefined();
  });

  it('the browser training entry needs dependencies, tfjs-core and zod only, and yaml, bundled (a page registers its backend; no lmdb, no cli-progress)', () => {
    const used = [...sourcePackages('src/train/web.ts')];
    expect(used.filter((p) => !deps.includes(p)).sort()).toEqual(['@tensorflow/tfjs-core', 'yaml', 'zod']);
  });

  it('onnxruntime-web and pffft-wasm are development-only (the package never imports them; pffft is embedded)', () => {
    for (const p of ['onnxruntime-web', '@echogarden/pffft-wasm']) {
      expect(pkg.devDependencies[p], p).toBeDefined();
      expect(deps, p).not.toContain(p);
      expect(peers, p).not.toContain(p);
    }
    for (const entry of ['src/index.ts', 'src/train/index.ts', 'src/cli/main.ts', 'worklet/processor.ts']) {
      const used = sourcePackages(entry);
      expect(used.has('onnxruntime-web'), entry).toBe(false);
      expect(used.has('@echogarden/pffft-wasm'), entry).toBe(false);
    }
  });
});

describe('the worklet bundle', () => {
  it('has no model-file reader: the page reads and validates the file (DDSPNode), the worklet wires up a DDSPModel', () => {
    const { files } = sourceGraph('worklet/processor.ts');
    expect(files.has('worklet/ddsp-processor.ts')).toBe(true);
    expect(files.has('src/engine/streaming-engine.ts')).toBe(true);
    for (const reader of ['src/model/onnx-proto.ts', 'src/model/protobuf.ts', 'src/model/onnx-graph.ts', 'src/model/float16.ts']) {
      expect(files.has(reader), reader).toBe(false);
    }
  });
});

describe('training commands: optional packages check (src/cli/deps.ts)', () => {
  const none = (): boolean => false;

  it('all training packages are installed in this checkout', () => {
    expect(missingTrainingPackages()).toEqual([]);
    expect(isInstalled('surely-not-a-package-ddsp-xyz')).toBe(false);
  });

  it('names the exact npm install command for what is missing', () => {
    expect(installCommand(['@tensorflow/tfjs-core', 'lmdb'])).toBe('npm install @tensorflow/tfjs-core@4.22.0 lmdb@^3.5.6');
    expect(missingTrainingPackages((n) => n !== 'lmdb')).toEqual(['lmdb']);
  });

  for (const name of TRAINING_COMMANDS) {
    it(`\`ddsp-stream ${name}\` without the packages stops with the install line`, async () => {
      const cmd = trainingCommand(name, none);
      const err = await cmd.run(['x=1'], { stdout: () => {}, stderr: () => {} } as never).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      const msg = (err as Error).message;
      expect(msg).toContain(installCommand(Object.keys(TRAINING_PACKAGES)));
      expect(msg).not.toContain('\n');
    });
  }

  it('`--help` works without the packages', async () => {
    let out = '';
    const code = await trainingCommand('train', none).run(['--help'], { stdout: (s: string) => { out += s; }, stderr: () => {} } as never);
    expect(code).toBe(0);
    expect(out).toMatch(/usage: ddsp-stream train/);
  });

  it('explains Node\'s "Cannot find package" errors for a training package, and only those', () => {
    const e = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-core' imported from /x/dist/train.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(explainMissingPackage(e)?.message).toContain('npm install @tensorflow/tfjs-core@4.22.0');
    const other = Object.assign(new Error("Cannot find package 'left-pad' imported from /x"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(explainMissingPackage(other)).toBeUndefined();
    expect(explainMissingPackage(new Error('boom'))).toBeUndefined();
  });
});

describe('CLI build: src/cli takes training code from ddsp-stream/train', () => {
  // rollup.config.mjs turns every import of src/train/* in src/cli into an import of `ddsp-stream/train`
  // (dist/train.js), so each name the CLI takes from src/train/* must be exported by src/train/index.ts.
  it('every binding src/cli/*.ts imports from src/train/* is exported by src/train/index.ts', () => {
    const program = ts.createProgram([join(ROOT, 'src/train/index.ts')], { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    const indexSf = program.getSourceFile(join(ROOT, 'src/train/index.ts')) as ts.SourceFile;
    const exported = new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(indexSf) as ts.Symbol).map((s) => s.name));
    const cliDir = join(ROOT, 'src/cli');
    const wanted: string[] = [];
    for (const file of ts.sys.readDirectory(cliDir, ['.ts'])) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const fromTrain = (spec: string): boolean => spec.startsWith('.') && resolve(dirname(file), spec).startsWith(join(ROOT, 'src/train'));
      const visit = (n: ts.Node): void => {
        if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier) && fromTrain(n.moduleSpecifier.text) && !n.importClause?.isTypeOnly) {
          const nb = n.importClause?.namedBindings;
          if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) if (!el.isTypeOnly) wanted.push((el.propertyName ?? el.name).text);
          if (n.importClause?.name) wanted.push('default');
        }
        // const { a, b: c } = await import('../train/x')
        if (ts.isVariableDeclaration(n) && n.initializer && ts.isObjectBindingPattern(n.name)) {
          let init: ts.Expression = n.initializer;
          if (ts.isAwaitExpression(init)) init = init.expression;
          if (ts.isCallExpression(init) && init.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteralLike(init.arguments[0]) && fromTrain(init.arguments[0].text)) {
            for (const el of n.name.elements) wanted.push(((el.propertyName ?? el.name) as ts.Identifier).text);
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(wanted.length).toBeGreaterThan(3);
    expect([...new Set(wanted)].filter((w) => !exported.has(w))).toEqual([]);
  });
});
