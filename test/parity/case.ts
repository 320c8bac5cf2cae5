// Reference cases computed by the PyTorch realtimeDDSP (see test/fixtures/seed/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A tensor as the fixtures store it: row-major float32 values with their shape. */
export interface Tensor { shape: number[]; data: number[] }

/** One reference case: `{case, config, inputs, outputs}` (plus kind-specific fields such as `state_dict`). */
export interface ParityCase {
  case: string;
  config: Record<string, unknown>;
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
  [extra: string]: unknown;
}

/** A runner for one kind of case: `matches` picks the case files (by case name) it handles. */
export interface ParityKind {
  /** Case-name prefix, e.g. 'harmonic_' or 'reverb'. */
  prefix: string;
  /** Runs one case; asserts with vitest's expect. */
  run(c: ParityCase): void | Promise<void>;
}

/** The folder of reference cases: $DDSP_SEED_FIXTURES, else test/fixtures/seed. */
export function fixtureDir(): string {
  return resolve(process.env.DDSP_SEED_FIXTURES ?? join(__dirname, '..', 'fixtures', 'seed'));
}

export function listCases(dir = fixtureDir()): { name: string; path: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.json'.length), path: join(dir, f) }));
}

export function loadCase(path: string): ParityCase {
  return JSON.parse(readFileSync(path, 'utf8')) as ParityCase;
}

export const f32 = (t: Tensor): Float32Array => Float32Array.from(t.data);

/** Largest absolute difference and RMS difference of two equal-length arrays. */
export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; rms: number } {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} != ${b.length}`);
  let max = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    sq += d * d;
  }
  return { max, rms: Math.sqrt(sq / Math.max(1, a.length)) };
}
