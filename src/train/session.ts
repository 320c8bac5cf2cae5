/**
 * The core of the training loop (the seed's EstimatorSynth.training_step / validation_step and the parts of
 * Lightning's loop it relies on), shared by the Node trainer (trainer.ts: LMDB data, checkpoints, TensorBoard,
 * worker threads) and the browser one (web.ts: slices in memory). Nothing here touches files or Node APIs.
 *
 *   batch of slices → tfjs estimator → differentiable synth → weighted multi-scale spectral losses (loss.sched)
 *   → gradients → optional global-norm clipping → Adam (PyTorch's update, eps 1e-8) at model.lr_schedule's rate
 *
 * Determinism (so a killed-and-resumed run equals an uninterrupted one): the split is drawn from (seed), the
 * order of epoch e from (seed, e), the synth noise of step s from (seed, s); the state holds weights, Adam
 * moments and step count, the position (step, epoch, batch within the epoch) and the epoch's running sums.
 * Validation draws nothing from the training state.
 *
 * Epochs and batches follow the seed's DataLoader: shuffle each epoch, batch_size slices per batch, the last
 * batch of an epoch may be smaller. Validation is due every trainer.check_val_every_n_epoch epochs (or every
 * trainer.val_check_interval steps); the caller runs it, and once more at the end if the last step was not
 * validated.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { maxTimeSeconds, type TrainConfig } from './config-schema';
import { learningRate, lossWeights } from './schedules';
import type { Batch } from './slices';
import type { AdamState, TensorMap } from './checkpoint';
import { Adam } from './adam';
import { permutation } from './rng';
import { TrainModel, graphFromConfig, type ModelGraph } from './model';
import { lossAndGrads, type StepResult } from './step';
import { validationMetrics, multiScaleSpectralLoss } from '../dsp/spectral';

type TF = typeof tfc;

/** Salt of the train/validation split draw. */
const SPLIT_SALT = 0x5b17;
const NOISE_SALT = 0x4e01;
const VAL_NOISE_SEED = 0x7a11;

/** The train/validation split (the seed's random_split: int(0.9·n) training slices, the rest validation). */
export function splitIndices(n: number, seed: number): { train: number[]; val: number[] } {
  if (n < 1) throw new RangeError('splitIndices: the dataset is empty');
  const perm = permutation(n, seed, SPLIT_SALT);
  const nTrain = Math.floor(n * 0.9);
  if (nTrain === 0) return { train: perm.slice(), val: perm.slice() }; // one slice: train and validate on it
  return { train: perm.slice(0, nTrain), val: perm.slice(nTrain) };
}

/** Number of training batches per epoch (limit_train_batches / overfit_batches applied). */
export function batchesPerEpoch(c: TrainConfig, nTrain: number): number {
  const full = Math.ceil(nTrain / c.batch_size);
  const ob = c.trainer.overfit_batches;
  if (ob > 0) return Math.max(1, Math.min(full, ob >= 1 ? Math.floor(ob) : Math.floor(full * ob)));
  const lim = c.trainer.limit_train_batches;
  if (lim === null) return full;
  if (lim <= 1) return Math.max(1, Math.floor(full * lim));
  return Math.min(full, Math.floor(lim));
}

/** Slice indices of batch `b` in epoch `epoch`. */
export function batchIndices(c: TrainConfig, train: number[], epoch: number, b: number): number[] {
  const order = c.trainer.overfit_batches > 0 ? train : permutation(train.length, c.seed, epoch + 1).map((i) => train[i]);
  return order.slice(b * c.batch_size, (b + 1) * c.batch_size);
}

function noiseSeedFor(seed: number, step: number): number {
  // a 32-bit mix of (seed, step): every step draws fresh noise, reproducibly
  let h = Math.imul((seed ^ NOISE_SALT) >>> 0, 0x9e3779b1) ^ Math.imul(step >>> 0, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae3d);
  return (h ^ (h >>> 13)) >>> 0 & 0x3fffffff;
}

/** Clips gradients to a global L2 norm (torch.nn.utils.clip_grad_norm_, as Lightning's gradient_clip_val). */
function clipGradients(tf: TF, grads: Record<string, tfc.Tensor>, maxNorm: number): Record<string, tfc.Tensor> {
  const sq = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
  const total = Math.sqrt((sq.dataSync() as Float32Array)[0]);
  sq.dispose();
  const coef = maxNorm / (total + 1e-6);
  if (coef >= 1) return grads;
  const out: Record<string, tfc.Tensor> = {};
  for (const [k, g] of Object.entries(grads)) { out[k] = tf.mul(g, coef); g.dispose(); }
  return out;
}

/** The loop's position and running sums (saved with a checkpoint). */
export interface LoopState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  /** Sums over the epoch's steps of each loss (and `total`), and the current loss weights as `w:<name>`. */
  epochSums: Record<string, number>;
  epochCount: number;
  /** Step of the last validation (−1 before the first). */
  lastValStep: number;
  /** Last value of every epoch mean and validation metric. */
  metrics: Record<string, number>;
}

/** What one step trains on: its batch's slice indices, the loss weights and the synth's noise seed. */
export interface StepPlan { indices: number[]; weights: Record<string, number>; noiseSeed: number }

/** What a step did and what is due after it. */
export interface StepReport {
  /** Steps done, this one included. */
  step: number;
  /** The epoch this step belonged to. */
  epoch: number;
  /** Weighted total loss of the step's batch. */
  total: number;
  /** Each loss, weighted. */
  parts: Record<string, number>;
  /** Scalars to log for this step (every trainer.log_every_n_steps, else null): train/total_step, lr-Adam, epoch. */
  logged: Record<string, number> | null;
  /** When the step ended an epoch: the epoch means (`train/<loss>`, `train/total`, `loss_weight/<loss>`), else null. */
  epochMeans: Record<string, number> | null;
  /** Validation is due now, at the end of the epoch (trainer.check_val_every_n_epoch). */
  validateAtEpochEnd: boolean;
  /** Validation is due now by trainer.val_check_interval (never together with validateAtEpochEnd). */
  validateAtInterval: boolean;
}

/** The session's state as plain data: what a checkpoint stores of it. */
export interface SessionState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  weights: TensorMap;
  adam: AdamState;
  /** The loop's running sums, last validation and metrics. */
  loop: Pick<LoopState, 'epochSums' | 'epochCount' | 'lastValStep' | 'metrics'>;
  /** What the data order was drawn from. */
  rng: { seed: number; splitSalt: number; noiseSalt: number; nSlices: number; batchSize: number };
}

/** What {@link TrainSession.setState} restores; loop fields not given start afresh. */
export interface SessionRestore {
  weights: TensorMap;
  adam: Pick<AdamState, 'step' | 'm' | 'v'> | null;
  loop: Partial<LoopState>;
}

/**
 * Model, optimiser and loop state of one training run over `nSlices` slices. The caller supplies the batches
 * (from a database, or from memory) for the indices {@link plan} names.
 */
export class TrainSession {
  /** Position and running sums. */
  readonly loop: LoopState = { step: 0, epoch: 0, batchInEpoch: 0, epochSums: {}, epochCount: 0, lastValStep: -1, metrics: {} };
  /** Training and validation slice indices. */
  readonly split: { train: number[]; val: number[] };
  /** Training batches per epoch. */
  readonly nBatches: number;
  private readonly maxSteps: number;
  private readonly maxEpochs: number;
  private readonly maxSeconds: number;

  private constructor(
    readonly tf: TF,
    readonly config: TrainConfig,
    readonly graph: ModelGraph,
    readonly model: TrainModel,
    readonly adam: Adam,
    readonly nSlices: number,
  ) {
    this.split = splitIndices(nSlices, config.seed);
    this.nBatches = batchesPerEpoch(config, this.split.train.length);
    const t = config.trainer;
    this.maxSteps = t.max_steps > 0 ? t.max_steps : Infinity;
    this.maxEpochs = t.max_epochs !== null && t.max_epochs > 0 ? t.max_epochs : Infinity;
    this.maxSeconds = maxTimeSeconds(t.max_time) ?? Infinity;
  }

  /**
   * Builds the model (the seed's initialisation from config.seed) and Adam for a run over `nSlices` slices.
   * @param config a validated config (composeConfig, composeWith)
   */
  static async create(tf: TF, config: TrainConfig, nSlices: number): Promise<TrainSession> {
    if (nSlices < 1) throw new RangeError('TrainSession: no slices to train on');
    const graph = graphFromConfig(config);
    const model = await TrainModel.create(tf, graph, { seed: config.seed });
    const adam = new Adam(tf, model.variables(), config.model.lr);
    return new TrainSession(tf, config, graph, model, adam, nSlices);
  }

  /** Restores weights, Adam moments (those that fit) and the loop position. Returns the names whose moments did not fit. */
  setState(r: SessionRestore): string[] {
    this.model.setWeights(r.weights);
    const skipped = r.adam ? this.adam.setState(r.adam) : [];
    Object.assign(this.loop, { epochSums: {}, epochCount: 0, metrics: {} }, r.loop);
    if (this.loop.batchInEpoch >= this.nBatches) { this.loop.batchInEpoch = 0; this.loop.epoch++; }
    return skipped;
  }

  /** The state as plain data (weights and moments copied out). */
  getState(): SessionState {
    const l = this.loop;
    return {
      step: l.step, epoch: l.epoch, batchInEpoch: l.batchInEpoch,
      weights: this.model.getWeights(), adam: this.adam.getState(),
      loop: { epochSums: l.epochSums, epochCount: l.epochCount, lastValStep: l.lastValStep, metrics: l.metrics },
      rng: { seed: this.config.seed, splitSalt: SPLIT_SALT, noiseSalt: NOISE_SALT, nSlices: this.nSlices, batchSize: this.config.batch_size },
    };
  }

  /**
   * Why the run is over by the config (max_steps, max_epochs, max_time after `elapsedSeconds`), or null.
   */
  stopReason(elapsedSeconds: number): string | null {
    const t = this.config.trainer;
    if (this.loop.step >= this.maxSteps) return `trainer.max_steps=${t.max_steps} reached`;
    if (this.loop.epoch >= this.maxEpochs) return `trainer.max_epochs=${t.max_epochs} reached`;
    if (elapsedSeconds >= this.maxSeconds) return `trainer.max_time=${JSON.stringify(t.max_time)} reached`;
    return null;
  }

  /** Steps the config asks for in all (max_steps, else max_epochs × batches per epoch), 0 when unbounded. */
  totalSteps(): number {
    return Number.isFinite(this.maxSteps) ? this.maxSteps : Number.isFinite(this.maxEpochs) ? this.maxEpochs * this.nBatches : 0;
  }

  /**
   * Seconds until the run ends by max_steps or max_epochs (at `secondsPerStep`) or by max_time (after
   * `elapsedSeconds`), whichever comes first; Infinity when nothing bounds it.
   */
  secondsLeft(elapsedSeconds: number, secondsPerStep: number): number {
    const l = this.loop;
    const steps = Math.min(this.maxSteps - l.step, (this.maxEpochs - l.epoch) * this.nBatches - l.batchInEpoch);
    const bySteps = steps === Infinity ? Infinity : Math.max(0, steps) * secondsPerStep;
    return Math.max(0, Math.min(bySteps, this.maxSeconds - elapsedSeconds));
  }

  /** The next step's slices, loss weights and noise seed. */
  plan(): StepPlan {
    const c = this.config;
    const l = this.loop;
    return {
      indices: batchIndices(c, this.split.train, l.epoch, l.batchInEpoch),
      weights: lossWeights(c, l.step),
      noiseSeed: noiseSeedFor(c.seed, l.step),
    };
  }

  /** Loss and gradients of `batch` (the planned one, or a share of it) under `plan`; the caller disposes the gradients. */
  lossAndGrads(batch: Batch, plan: StepPlan, noiseSeed = plan.noiseSeed): StepResult {
    return lossAndGrads(this.tf, this.model, this.config, batch, plan.weights, noiseSeed);
  }

  /**
   * One training step on `batch`, which must hold the slices {@link plan} names, in that order.
   * @throws RangeError for another batch; Error when the loss is not finite
   */
  step(batch: Batch): StepReport {
    const plan = this.plan();
    if (batch.indices.length !== plan.indices.length || batch.indices.some((v, i) => v !== plan.indices[i])) {
      throw new RangeError(`step: the batch holds slices [${batch.indices}], the step trains on [${plan.indices}]`);
    }
    return this.applyStep(plan, this.lossAndGrads(batch, plan));
  }

  /**
   * Finishes the planned step with its losses and gradients (disposed here): clipping, Adam, the loop's position
   * and sums, and what is due after it.
   * @throws Error when the loss is not finite
   */
  applyStep(plan: StepPlan, r: StepResult): StepReport {
    const { tf, config: c, loop } = this;
    let g = r.grads;
    if (!Number.isFinite(r.total)) {
      for (const t of Object.values(g)) t.dispose();
      throw new Error(`training diverged at step ${loop.step}: the loss is ${r.total} (try a lower model.lr or trainer.gradient_clip_val)`);
    }
    const clip = c.trainer.gradient_clip_val ?? 0;
    if (clip > 0) g = clipGradients(tf, g, clip);
    this.adam.lr = learningRate(c, loop.step, this.totalSteps());
    this.adam.apply(g);
    for (const t of Object.values(g)) t.dispose();

    const epoch = loop.epoch;
    loop.step++;
    loop.batchInEpoch++;
    for (const [k, v] of Object.entries(r.parts)) loop.epochSums[k] = (loop.epochSums[k] ?? 0) + v;
    loop.epochSums.total = (loop.epochSums.total ?? 0) + r.total;
    loop.epochCount++;
    const logged = loop.step % c.trainer.log_every_n_steps === 0
      ? { 'train/total_step': r.total, 'lr-Adam': this.adam.lr, epoch } : null;
    for (const [k, w] of Object.entries(plan.weights)) loop.epochSums[`w:${k}`] = w;

    let epochMeans: Record<string, number> | null = null;
    let validateAtEpochEnd = false;
    if (loop.batchInEpoch >= this.nBatches) {
      // epoch end: the seed logs epoch means of train/* and loss_weight/*
      const n = Math.max(1, loop.epochCount);
      epochMeans = {};
      for (const [k, v] of Object.entries(loop.epochSums)) {
        if (k.startsWith('w:')) epochMeans[`loss_weight/${k.slice(2)}`] = v;
        else epochMeans[`train/${k}`] = v / n;
      }
      Object.assign(loop.metrics, epochMeans);
      const cven = c.trainer.check_val_every_n_epoch;
      validateAtEpochEnd = c.trainer.val_check_interval === null && cven !== null && (epoch + 1) % cven === 0;
      loop.epoch++;
      loop.batchInEpoch = 0;
      loop.epochSums = {};
      loop.epochCount = 0;
    }
    const validateAtInterval = !validateAtEpochEnd && c.trainer.val_check_interval !== null && loop.step % c.trainer.val_check_interval === 0;
    return { step: loop.step, epoch, total: r.total, parts: r.parts, logged, epochMeans, validateAtEpochEnd, validateAtInterval };
  }

  /**
   * Validation (the seed's validation_step, averaged over the validation slices): resynthesis of each
   * validation batch with fixed noise, the seed's metrics and every configured loss, as `val_0/<name>`. Recorded
   * in the loop's metrics at the current step.
   * @param batchOf the batch of the given slice indices
   * @param onBatch sees each validation batch and its resynthesis [B × N] (e.g. to log audio)
   */
  validate(batchOf: (indices: number[]) => Batch, onBatch?: (index: number, batch: Batch, resyn: Float32Array) => void): Record<string, number> {
    const c = this.config;
    const val = this.split.val;
    const B = c.batch_size;
    const limit = c.trainer.limit_val_batches;
    let nValBatches = Math.ceil(val.length / B);
    if (limit !== null) nValBatches = limit <= 1 ? Math.max(1, Math.floor(nValBatches * limit)) : Math.min(nValBatches, Math.floor(limit));
    const sums: Record<string, number> = {};
    let count = 0;
    for (let vb = 0; vb < nValBatches; vb++) {
      const batch = batchOf(val.slice(vb * B, (vb + 1) * B));
      const resyn = renderBatch(this.tf, this.model, batch, VAL_NOISE_SEED + vb);
      const m = validationMetrics(resyn, batch.audio, batch.size, batch.nSamples, this.graph.sampleRate, this.graph.frameRate) as unknown as Record<string, number>;
      for (const [name, l] of Object.entries(c.loss.losses)) {
        const fft = l.fft_sizes;
        m[name] = fft.join(',') === '64,128,256,512,1024,2048' ? m.spec : multiScaleSpectralLoss(resyn, batch.audio, batch.size, batch.nSamples, fft);
      }
      if (!('spec' in c.loss.losses)) delete m.spec;
      for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v * batch.size;
      count += batch.size;
      onBatch?.(vb, batch, resyn);
    }
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) out[`val_0/${k}`] = v / count;
    Object.assign(this.loop.metrics, out);
    this.loop.lastValStep = this.loop.step;
    return out;
  }

  /** Frees the model's and Adam's tensors. */
  dispose(): void {
    this.adam.dispose();
    this.model.dispose();
  }
}

/** Renders a batch through the model without gradients → Float32Array [B × N]. */
export function renderBatch(tf: TF, model: TrainModel, batch: Batch, noiseSeed: number): Float32Array {
  return tf.tidy(() => {
    const f0 = tf.tensor2d(batch.f0Hz, [batch.size, batch.nFrames]);
    const loud = tf.tensor2d(batch.loudnessDb, [batch.size, batch.nFrames]);
    const a = model.forward(f0, loud, batch.nSamples, noiseSeed);
    return Float32Array.from(a.dataSync() as Float32Array);
  });
}
