// Three bundles, built in order:
// 1. dist/worklet.js — the AudioWorkletProcessor, one self-contained file (no imports: a worklet module that
//    imports or throws at top level fails silently in browsers).
// 2. dist/index.js (+ dist/train.js) — the library; src/web/worklet-source.ts is replaced by the text of
//    bundle 1 so DDSPNode can register the worklet from a Blob URL without knowing where the file lives.
// 3. dist/cli.js — the `ddsp-stream` command.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import esbuild from 'rollup-plugin-esbuild';

const pkg = JSON.parse(readFileSync('./package.json', 'utf8'));
const external = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  ...Object.keys(pkg.optionalDependencies ?? {}),
];
const isExternal = (id) => external.some((e) => id === e || id.startsWith(`${e}/`));

const ts = () => esbuild({ target: 'es2022', tsconfig: 'tsconfig.json' });

/** Replaces src/web/worklet-source.ts with the built worklet's text. */
const workletSource = () => ({
  name: 'worklet-source',
  load(id) {
    if (id.replace(/\\/g, '/').endsWith('src/web/worklet-source.ts')) {
      return `export default ${JSON.stringify(readFileSync('dist/worklet.js', 'utf8'))};`;
    }
    return null;
  },
});

export default [
  {
    input: 'worklet/processor.ts',
    output: { file: 'dist/worklet.js', format: 'iife', sourcemap: false },
    plugins: [resolve({ browser: true }), commonjs(), ts()],
  },
  {
    input: { index: 'src/index.ts', train: 'src/train/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' },
    external: isExternal,
    plugins: [workletSource(), resolve(), commonjs(), ts()],
  },
  {
    input: 'src/cli/main.ts',
    output: { file: 'dist/cli.js', format: 'es', sourcemap: true, banner: '#!/usr/bin/env node', inlineDynamicImports: true },
    external: isExternal,
    plugins: [workletSource(), resolve(), commonjs(), ts()],
  },
];
