// Shared by the package tests: repository paths, whether dist/ is built, and an import-graph walker over built JS.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(__dirname, '..', '..');
/** The build output folder. */
export const DIST = join(ROOT, 'dist');

/** The files `npm run build` writes that these tests read. */
export const BUILT_FILES = ['dist/index.js', 'dist/index.d.ts', 'dist/train.js', 'dist/train-web.js', 'dist/worklet.js', 'dist/cli.js'];

/** True when every file of {@link BUILT_FILES} exists; otherwise prints a loud notice once and returns false. */
export function isBuilt(suite: string): boolean {
  const missing = BUILT_FILES.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length === 0) return true;
  console.warn(`\n*** ${suite}: SKIPPED — dist/ is not built (missing ${missing.join(', ')}). Run \`npm run build\` first. ***\n`);
  return false;
}

/** package.json of the repository. */
export interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** The package name a bare specifier refers to (`@scope/name/deep` → `@scope/name`), or the `node:` built-in. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** One import found in a built file. */
export interface FoundImport { from: string; spec: string; dynamic: boolean }

// Rollup writes one import/export statement per line; dynamic imports may appear anywhere.
const STATIC_RE = /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1|^\s*import\s*(['"])([^'"]+)\3/gm;
const DYNAMIC_RE = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;

/**
 * Walks the ES-module graph of built files from `entries` (paths relative to the root): every relative import is
 * followed (static and dynamic), every bare import is recorded.
 */
export function builtGraph(entries: string[]): { files: string[]; imports: FoundImport[] } {
  const files = new Set<string>();
  const imports: FoundImport[] = [];
  const stack = entries.map((e) => join(ROOT, e));
  while (stack.length) {
    const f = stack.pop() as string;
    if (files.has(f)) continue;
    files.add(f);
    // comments go first (doc comments show imports as examples)
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const found = [
      ...[...code.matchAll(STATIC_RE)].map((m) => ({ spec: (m[2] ?? m[4]) as string, dynamic: false })),
      ...[...code.matchAll(DYNAMIC_RE)].map((m) => ({ spec: m[2], dynamic: true })),
    ];
    for (const { spec, dynamic } of found) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(f), spec);
        if (!existsSync(target)) throw new Error(`${relative(ROOT, f)} imports missing ${spec}`);
        stack.push(target);
      } else {
        imports.push({ from: relative(ROOT, f), spec, dynamic });
      }
    }
  }
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), imports };
}
