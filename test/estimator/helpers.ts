// Shared helpers for estimator/model tests: fixture loading and comparisons.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Weights } from '../../src/estimator/network';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export interface Tensor { shape: number[]; data: number[] }

/** The seed's estimator.json case: state_dict (without the 'estimator.' prefix), inputs f0/loud, output params. */
export function loadEstimatorCase(): {
  config: { hidden_size: number; output_dim: number; f0_range: [number, number]; db_range: number };
  weights: Weights; f0Hz: Float32Array; loudnessDb: Float32Array; params: Float32Array; nFrames: number;
} {
  const c = JSON.parse(readFileSync(join(FIXTURES, 'seed', 'estimator.json'), 'utf8'));
  const weights: Weights = {};
  for (const [k, t] of Object.entries(c.state_dict as Record<string, Tensor>)) {
    weights[k] = { shape: t.shape, data: Float32Array.from(t.data) };
  }
  return {
    config: c.config, weights,
    f0Hz: Float32Array.from(c.inputs.f0.data), loudnessDb: Float32Array.from(c.inputs.loud.data),
    params: Float32Array.from(c.outputs.params.data), nFrames: c.inputs.f0.shape[1],
  };
}

/** An estimator_io.json of a checkpoint fixture. */
export function loadEstimatorIO(dir: string): { f0Hz: Float32Array; loudnessDb: Float32Array; params: Float32Array; shape: number[] } {
  const c = JSON.parse(readFileSync(join(FIXTURES, dir, 'estimator_io.json'), 'utf8'));
  return { f0Hz: Float32Array.from(c.f0_hz), loudnessDb: Float32Array.from(c.loudness_db), params: Float32Array.from(c.params), shape: c.shape };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
