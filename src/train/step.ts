/**
 * One training step's loss and gradients for a batch (or a share of one): estimator → synth → the configured
 * spectral losses weighted by their schedule. Shared by the main thread and the data-parallel workers.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { TrainConfig } from './config-schema';
import type { Batch } from './dataset';
import type { TrainModel } from './model';
import { spectralLossOp } from './loss';

type TF = typeof tfc;

/** Loss values and gradients (by state_dict name; the caller disposes them). */
export interface StepResult { total: number; parts: Record<string, number>; grads: Record<string, tfc.Tensor> }

/**
 * Loss and gradients of `batch`.
 * @param weights loss weights at this step (lossWeights)
 * @param noiseSeed seed of the synth's noise for this batch
 */
export function lossAndGrads(tf: TF, model: TrainModel, c: TrainConfig, batch: Batch, weights: Record<string, number>,
  noiseSeed: number): StepResult {
  const vars = model.variables();
  const parts: Record<string, number> = {};
  const partTensors: Record<string, tfc.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const f0 = tf.tensor2d(batch.f0Hz, [batch.size, batch.nFrames]);
    const loud = tf.tensor2d(batch.loudnessDb, [batch.size, batch.nFrames]);
    const target = tf.tensor2d(batch.audio, [batch.size, batch.nSamples]);
    const audio = model.forward(f0, loud, batch.nSamples, noiseSeed);
    let total: tfc.Scalar | null = null;
    for (const [name, l] of Object.entries(c.loss.losses)) {
      const w = weights[name];
      if (!(w > 0)) { parts[name] = 0; continue; }
      const li = tf.mul(spectralLossOp(tf, audio, target, l.fft_sizes), w) as tfc.Scalar;
      partTensors[name] = tf.keep(li);
      total = total ? (tf.add(total, li) as tfc.Scalar) : li;
    }
    if (!total) total = tf.mul(tf.sum(audio), 0) as tfc.Scalar; // every weight 0 this step: no update
    return total;
  }, Object.values(vars));
  const total = (value.dataSync() as Float32Array)[0];
  for (const [k, t] of Object.entries(partTensors)) { parts[k] = (t.dataSync() as Float32Array)[0]; t.dispose(); }
  value.dispose();
  const out: Record<string, tfc.Tensor> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = grads[v.name];
  return { total, parts, grads: out };
}

/** Splits batch indices into `n` consecutive shares (sizes differ by at most one; empty shares dropped). */
export function shareIndices(indices: number[], n: number): number[][] {
  const out: number[][] = [];
  const base = Math.floor(indices.length / n);
  const extra = indices.length % n;
  let p = 0;
  for (let s = 0; s < n; s++) {
    const size = base + (s < extra ? 1 : 0);
    if (size > 0) out.push(indices.slice(p, p + size));
    p += size;
  }
  return out;
}
