/**
 * Schedules over training steps: the loss weights of loss.sched (a constant, or the seed's linear anneal,
 * schedules.py). The learning rate is constant (model.lr), as in the seed.
 */
import type { LossSchedule, TrainConfig } from './config-schema';

/** Loss weight of `name` at `step` (the seed's schedules.linear_anneal, guarded against warm = 0). */
export function lossWeight(s: LossSchedule, step: number): number {
  if (typeof s === 'number') return s;
  const l = Math.max(step - s.start, 0);
  const denom = Math.max(s.warm, l);
  const frac = denom === 0 ? 1 : l / denom;
  return (s.end_v - s.start_v) * frac + s.start_v;
}

/** All loss weights at `step`, keyed by loss name. */
export function lossWeights(c: TrainConfig, step: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(c.loss.losses)) out[name] = lossWeight(c.loss.sched[name] as LossSchedule, step);
  return out;
}
