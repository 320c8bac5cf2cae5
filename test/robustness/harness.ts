// Runs readers in a child process under a heap cap (see reader-child.ts) and checks each outcome: ok, or the
// reader's own typed error — never another error, an abort, or more time or memory than the bounds below.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reader kinds of reader-child.ts and the one error class each may throw. */
export const TYPED: Record<string, string> = {
  model: 'ModelFormatError', 'model-load': 'ModelFormatError', checkpoint: 'CheckpointError',
  'train-checkpoint': 'CheckpointError', audio: 'AudioFileError', config: 'ConfigError',
};

/** Heap cap of the child (MB), and the bounds every input must stay within (under load on a shared 2-core CI). */
export const HEAP_MB = 256;
export const MAX_RSS_MB = 320;
export const MAX_MS = 5000;

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = join(ROOT, 'tmp', `robustness-${process.pid}`);

/** Bundles reader-child.ts (dependencies stay in node_modules); returns the scratch folder's path. */
export async function setup(): Promise<{ dir: string; child: string }> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const child = join(DIR, 'child.mjs');
  await build({ entryPoints: [join(ROOT, 'test/robustness/reader-child.ts')], bundle: true, platform: 'node', format: 'esm',
    outfile: child, packages: 'external', logLevel: 'error' });
  return { dir: DIR, child };
}

export function teardown(): void {
  rmSync(DIR, { recursive: true, force: true });
}

export interface Outcome { file: string; error: string | null; message: string; ms: number }
export interface Run { code: number | null; signal: string | null; results: Outcome[]; maxRssMB: number; stderr: string }

/** Writes `inputs` to files and runs reader `kind` over them in one child. */
export function runReader(child: string, kind: string, inputs: { name: string; bytes: Uint8Array }[]): Run {
  const files = inputs.map(({ name, bytes }) => {
    const f = join(DIR, `${kind}-${name}`);
    writeFileSync(f, bytes);
    return f;
  });
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, child, kind, ...files],
    { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 2 ** 20 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let parsed: { results: Outcome[]; maxRssMB: number } = { results: [], maxRssMB: NaN };
  try { parsed = JSON.parse(line); } catch { /* the child died: code/signal say how */ }
  for (const o of parsed.results) o.file = o.file.slice(DIR.length + kind.length + 2);
  return { code: r.status, signal: r.signal, ...parsed, stderr: (r.stderr ?? '').slice(0, 2000) };
}

/** One line per reader for the logs: inputs, refused with the typed error, accepted, worst time, peak RSS. */
export function summary(label: string, run: Run, kind: string): string {
  const refused = run.results.filter((o) => o.error === TYPED[kind]).length;
  const ok = run.results.filter((o) => o.error === null).length;
  const worst = Math.max(0, ...run.results.map((o) => o.ms));
  return `${label}: ${run.results.length} inputs, ${refused} refused with ${TYPED[kind]}, ${ok} accepted, ` +
    `worst ${worst.toFixed(0)} ms, peak RSS ${run.maxRssMB.toFixed(0)} MB`;
}
