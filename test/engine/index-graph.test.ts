// The public playback entry (src/index.ts) and the engine must not pull tfjs, onnxruntime or training code.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length) {
    const f = stack.pop() as string;
    if (files.has(f)) continue;
    files.add(f);
    const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const re = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
    for (const m of src.matchAll(re)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        const base = join(dirname(f), spec);
        const cand = [`${base}.ts`, join(base, 'index.ts'), base].find((p) => existsSync(p) && !p.endsWith('/'));
        if (cand && cand.endsWith('.ts')) stack.push(cand);
      } else {
        packages.add(spec);
      }
    }
  }
  return { files, packages };
}

describe('import graph', () => {
  for (const entry of ['src/index.ts', 'src/engine/streaming-engine.ts', 'worklet/processor.ts']) {
    it(`${entry} has no tfjs / onnxruntime / training code`, () => {
      if (!existsSync(entry)) return;
      const { files, packages } = importGraph(entry);
      const bad = [...packages].filter((p) => /^@tensorflow\/|^onnxruntime/.test(p));
      expect(bad).toEqual([]);
      const train = [...files].filter((f) => /\/src\/train\/|\.grad\.ts$|\/src\/model\/ort\.ts$|\/src\/estimator\/tf\.ts$/.test(f));
      expect(train).toEqual([]);
      expect(files.size).toBeGreaterThan(10);
      expect([...files].some((f) => f.endsWith("src/engine/model-pipeline.ts"))).toBe(true);
    });
  }
});
