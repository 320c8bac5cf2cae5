/**
 * Schedules over training steps: the loss weights of loss.sched (a constant, or the seed's linear anneal,
 * schedules.py) and the learning rate of model.lr_schedule (model.lr is its peak; kind constant is the seed's).
 */
import type { LossSchedule, LrSchedule, TrainConfig } from './config-schema';

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

/**
 * Learning rate of the update that ends step `step` + 1 (`step` updates done before it): a linear warm-up from
 * peak / warmup_steps to `peak` over the first warmup_steps updates, then `kind` from `peak` down to `floor` at
 * `decaySteps` (cosine: half a cosine; exponential: geometric), and `floor` after it; constant holds `peak`.
 * @param decaySteps the update at which the decay reaches the floor
 */
export function learningRateAt(s: LrSchedule, peak: number, decaySteps: number, step: number): number {
  if (step < s.warmup_steps) return peak * (step + 1) / s.warmup_steps;
  if (s.kind === 'constant') return peak;
  const span = decaySteps - s.warmup_steps;
  const t = span <= 0 ? 1 : Math.min(1, (step - s.warmup_steps) / span);
  if (s.kind === 'cosine') return s.floor + (peak - s.floor) * 0.5 * (1 + Math.cos(Math.PI * t));
  return peak * Math.pow(s.floor / peak, t);
}

/**
 * The learning rate of the config's schedule for the update after `step` steps.
 * @param totalSteps the steps the run asks for (trainer.max_steps, else max_epochs × batches per epoch): where the
 *   decay ends unless model.lr_schedule.decay_steps says
 */
export function learningRate(c: TrainConfig, step: number, totalSteps: number): number {
  const s = c.model.lr_schedule;
  return learningRateAt(s, c.model.lr, s.decay_steps ?? totalSteps, step);
}
