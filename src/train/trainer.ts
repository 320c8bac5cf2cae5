/**
 * The training loop (the seed's train.py + EstimatorSynth.training_step / validation_step, without Lightning):
 *
 *   prepare data → seeded 90/10 split → for each step: batch of slices → tfjs estimator → differentiable synth
 *   → weighted multi-scale spectral losses (loss.sched) → gradients → optional global-norm clipping → Adam
 *   (PyTorch's update, eps 1e-8) → logs, validation, checkpoints.
 *
 * Determinism (so a killed-and-resumed run equals an uninterrupted one): the split is drawn from (seed), the
 * order of epoch e from (seed, e), the synth noise of step s from (seed, s); a checkpoint holds weights, Adam
 * moments and step count, the position (step, epoch, batch within the epoch) and the epoch's running sums.
 * Validation draws nothing from the training state.
 *
 * Epochs and batches follow the seed's DataLoader: shuffle each epoch, batch_size slices per batch, the last
 * batch of an epoch may be smaller. Validation runs every trainer.check_val_every_n_epoch epochs (or every
 * trainer.val_check_interval steps) and once at the end if the last step was not validated.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { stringify as toYaml } from 'yaml';
import type * as tfc from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from './backend';
import { lossWeights, maxTimeSeconds, ConfigError, type ComposedConfig, type TrainConfig } from './config';
import { prepareDataset, prepSettingsFromConfig } from './prepare';
import { readBatch, type Batch } from './dataset';
import { permutation } from './rng';
import { EventWriter } from './tensorboard';
import { decodeCheckpoint, isOwnCheckpoint, isZip, writeCheckpoint, type AdamState, type TensorMap, type TrainState } from './checkpoint';
import { TrainModel, graphDiff, graphFromConfig, weightProblems, type ModelGraph } from './model';
import { lossAndGrads, shareIndices } from './step';
import { GradientWorkers, layoutOf } from './parallel';
import { validationMetrics, multiScaleSpectralLoss, powerSpectrogram, hannWindow } from '../dsp/spectral';

type TF = typeof tfc;

/** Adam hyper-parameters (PyTorch defaults; note eps 1e-8, not tfjs's 1e-7). */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** Salt of the train/validation split draw. */
const SPLIT_SALT = 0x5b17;
const NOISE_SALT = 0x4e01;
const VAL_NOISE_SEED = 0x7a11;

/** Options of {@link train}. */
export interface TrainOptions {
  /** The composed config (composeConfig). */
  composed: ComposedConfig;
  /** Directory relative hydra paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Run folder (default: hydra.run.dir resolved against cwd). */
  runDir?: string;
  /** Progress bar (default: true). */
  progress?: boolean;
  /** Lines for the user (default console.error). */
  log?: (line: string) => void;
  /** Stops the loop at the next step boundary; a checkpoint is written (like Ctrl-C). */
  signal?: AbortSignal;
  /** Test hook: stop after this many steps WITHOUT the final checkpoint or validation (simulates a kill). */
  killAfterSteps?: number;
}

/** What a run produced. */
export interface TrainResult {
  runDir: string;
  step: number;
  epoch: number;
  /** Last logged value of every metric. */
  metrics: Record<string, number>;
  /** Checkpoint files written, in order. */
  checkpoints: string[];
  /** The monitored metric's last value (config.monitor), NaN if never logged. */
  monitor: number;
  /** Backend used. */
  backend: string;
  /** Seconds per training step (mean over the run). */
  secondsPerStep: number;
}

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

/** PyTorch's Adam on tfjs variables. */
export class Adam {
  step = 0;
  readonly m: Record<string, tfc.Variable> = {};
  readonly v: Record<string, tfc.Variable> = {};
  constructor(private tf: TF, private vars: Record<string, tfc.Variable>, public lr: number,
    readonly beta1 = ADAM.beta1, readonly beta2 = ADAM.beta2, readonly eps = ADAM.eps) {
    for (const [k, x] of Object.entries(vars)) {
      this.m[k] = tf.variable(tf.zerosLike(x), false);
      this.v[k] = tf.variable(tf.zerosLike(x), false);
    }
  }

  /** One update: m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps). */
  apply(grads: Record<string, tfc.Tensor>): void {
    const tf = this.tf;
    this.step++;
    const bc1 = 1 - Math.pow(this.beta1, this.step);
    const bc2 = 1 - Math.pow(this.beta2, this.step);
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      for (const [k, p] of Object.entries(this.vars)) {
        const g = grads[k];
        if (!g) continue;
        const m = tf.add(tf.mul(this.m[k], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[k], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Moments and step as plain data. */
  getState(): AdamState {
    const dump = (o: Record<string, tfc.Variable>): TensorMap => {
      const out: TensorMap = {};
      for (const [k, t] of Object.entries(o)) out[k] = { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) };
      return out;
    };
    return { step: this.step, m: dump(this.m), v: dump(this.v), lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps };
  }

  /**
   * Restores moments (those whose names and shapes match) and the step. Returns the names not restored.
   */
  setState(s: Pick<AdamState, 'step' | 'm' | 'v'>): string[] {
    const tf = this.tf;
    const skipped: string[] = [];
    for (const k of Object.keys(this.vars)) {
      const m = s.m[k];
      const v = s.v[k];
      const shape = this.vars[k].shape.join(',');
      if (!m || !v || m.shape.join(',') !== shape || v.shape.join(',') !== shape) { skipped.push(k); continue; }
      this.m[k].assign(tf.tensor(m.data, m.shape));
      this.v[k].assign(tf.tensor(v.data, v.shape));
    }
    this.step = s.step;
    return skipped;
  }

  dispose(): void {
    for (const k of Object.keys(this.m)) { this.m[k].dispose(); this.v[k].dispose(); }
  }
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

/** Position and running sums saved with a checkpoint. */
interface LoopState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  epochSums: Record<string, number>;
  epochCount: number;
  lastValStep: number;
  metrics: Record<string, number>;
}

function graphFromMeta(meta: Record<string, unknown>): ModelGraph | null {
  const g = meta.graph as ModelGraph | undefined;
  return g && typeof g === 'object' && 'synth' in g ? g : null;
}

/** What resuming from `ckpt=` gives. */
interface Resume { weights: TensorMap; adam: Pick<AdamState, 'step' | 'm' | 'v'> | null; loop: Partial<LoopState>; exact: boolean; source: string; rng?: Record<string, unknown> }

/** Reads `ckpt=`: one of our checkpoints (exact resume) or a seed Lightning checkpoint (weights, Adam, step). */
async function loadResume(path: string, graph: ModelGraph, shapes: Record<string, number[]>, log: (l: string) => void): Promise<Resume> {
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(path)); } catch (e) {
    throw new ConfigError(`config key 'ckpt': cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'ckpt');
  }
  if (isOwnCheckpoint(bytes)) {
    const s = decodeCheckpoint(bytes, path);
    const stored = graphFromMeta(s.meta);
    if (stored) {
      const diff = graphDiff(stored, graph);
      if (diff.length) throw new ConfigError(`checkpoint ${path} does not match the config: ${diff.join('; ')}`, 'ckpt');
    }
    const problems = weightProblems(shapes, s.weights);
    if (problems.length) throw new ConfigError(`checkpoint ${path} does not match the config: ${problems.join('; ')}`, 'ckpt');
    const loop = (s.meta.loop ?? {}) as Partial<LoopState>;
    return { weights: s.weights, adam: s.adam, loop: { ...loop, step: s.step, epoch: s.epoch, batchInEpoch: s.batchInEpoch }, exact: true, source: path, rng: s.rng };
  }
  if (isZip(bytes)) {
    const { readLightningCheckpoint } = await import('../model/ckpt');
    const ck = readLightningCheckpoint(bytes, path);
    const problems = weightProblems(shapes, ck.stateDict);
    if (problems.length) {
      throw new ConfigError(`seed checkpoint ${path} does not match the config: ${problems.join('; ')}` +
        ' (set model.estimator.hidden_size, synth and sample_rate as the checkpoint was trained)', 'ckpt');
    }
    let adam: Resume['adam'] = null;
    const os = ck.optimizerState;
    if (os && Object.keys(os.state).length) {
      const m: TensorMap = {};
      const v: TensorMap = {};
      let step = 0;
      for (const [k, st] of Object.entries(os.state)) {
        m[k] = st.expAvg;
        v[k] = st.expAvgSq;
        step = Math.max(step, st.step);
      }
      adam = { step, m, v };
    }
    log(`ckpt: seed Lightning checkpoint ${path}: weights${adam ? ', Adam state' : ''}, step ${ck.globalStep} (data order restarts)`);
    return { weights: ck.stateDict, adam, loop: { step: ck.globalStep, epoch: ck.epoch ?? 0, batchInEpoch: 0 }, exact: false, source: path };
  }
  throw new ConfigError(`config key 'ckpt': ${path} is neither a ddsp-stream checkpoint nor a seed Lightning .ckpt (zip)`, 'ckpt');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/** A unique run folder (appends -1, -2 ... when the timestamped one exists). */
function makeRunDir(dir: string): string {
  let d = dir;
  for (let i = 1; existsSync(d); i++) d = `${dir}-${i}`;
  mkdirSync(d, { recursive: true });
  return d;
}

/**
 * Trains a model as the config says. Returns when max_steps / max_epochs / max_time is reached, or the signal
 * aborts (a checkpoint is written in every case).
 * @throws ConfigError / PrepareError for problems the user can fix.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const c = o.composed.config;
  const cwd = o.cwd ?? process.cwd();
  for (const n of o.composed.notes) log(`note: ${n}`);

  // loss settings the tfjs loss supports
  for (const [name, l] of Object.entries(c.loss.losses)) {
    const key = `loss.losses.${name}`;
    if (l.hop_lengths !== null) throw new ConfigError(`config key '${key}.hop_lengths': only null (hop = fft size / 4) is supported`, `${key}.hop_lengths`);
    if (l.win_lengths !== null) throw new ConfigError(`config key '${key}.win_lengths': only null (window = fft size) is supported`, `${key}.win_lengths`);
    if (l.fro_w !== 0) throw new ConfigError(`config key '${key}.fro_w': only 0 is supported`, `${key}.fro_w`);
    if (l.mag_w !== l.log_mag_w) {
      throw new ConfigError(`config key '${key}.mag_w' (${l.mag_w}) must equal log_mag_w (${l.log_mag_w}): the loss weighs both terms equally`, `${key}.mag_w`);
    }
  }

  // data first: a bad data path fails before any tfjs start-up
  if (!c.data.db_path) {
    throw new ConfigError("config key 'data.db_path' is not set: give a folder for the prepared database, e.g. data.db_path=db/violin", 'data.db_path');
  }
  const prep = await prepareDataset({ rawDir: c.data.raw_dir, dbPath: c.data.db_path, settings: prepSettingsFromConfig(c),
    progress: o.progress !== false, log });
  const store = prep.store;
  if (prep.reused) log(`data: reusing ${c.data.db_path} (${prep.meta.count} slices)`);
  const nSlices = prep.meta.count;
  const { train: trainIdx, val: valIdx } = splitIndices(nSlices, c.seed);
  if (nSlices === 1) log('data: one slice only: training and validating on it');
  const nBatches = batchesPerEpoch(c, trainIdx.length);

  const backend = await initBackend(c.backend as BackendChoice);
  for (const n of backend.notes) log(`note: ${n}`);
  const tf = backend.tf;
  const graph = graphFromConfig(c);
  const model = await TrainModel.create(tf, graph, { seed: c.seed });
  const vars = model.variables();
  const adam = new Adam(tf, vars, c.model.lr);

  const loop: LoopState = { step: 0, epoch: 0, batchInEpoch: 0, epochSums: {}, epochCount: 0, lastValStep: -1, metrics: {} };
  if (c.ckpt) {
    const r = await loadResume(c.ckpt, graph, model.shapes(), log);
    model.setWeights(r.weights);
    if (r.adam) {
      const skipped = adam.setState(r.adam);
      if (skipped.length) log(`ckpt: Adam state not restored for ${skipped.length} parameters whose shapes differ (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''})`);
    }
    Object.assign(loop, { epochSums: {}, epochCount: 0, metrics: {} }, r.loop);
    if (loop.batchInEpoch >= nBatches) { loop.batchInEpoch = 0; loop.epoch++; }
    if (r.exact) {
      log(`ckpt: resuming ${r.source} at step ${loop.step} (epoch ${loop.epoch}, batch ${loop.batchInEpoch})`);
      const was = r.rng as { nSlices?: number; batchSize?: number; devices?: number };
      if (was.nSlices !== undefined && was.nSlices !== nSlices) log(`note: the database now holds ${nSlices} slices (${was.nSlices} when the checkpoint was written): the data order differs from the original run`);
      if (was.batchSize !== undefined && was.batchSize !== c.batch_size) log(`note: batch_size ${c.batch_size} differs from the checkpoint's ${was.batchSize}: the data order differs from the original run`);
    }
  }

  // run folder, config beside it, event file
  const runDirRel = o.runDir ?? String((o.composed.resolved.hydra as { run: { dir: string } }).run.dir);
  const runDir = makeRunDir(resolve(cwd, runDirRel));
  writeFileSync(join(runDir, 'config.yaml'), toYaml({ ...o.composed.resolved, data: { ...(o.composed.resolved.data as object), raw_dir: c.data.raw_dir, db_path: c.data.db_path }, ckpt: c.ckpt }));
  const ckptDir = join(runDir, 'ckpts');
  mkdirSync(ckptDir, { recursive: true });
  const tb = new EventWriter(runDir);
  log(`run: ${runDir} (backend ${backend.name}, ${nSlices} slices: ${trainIdx.length} train / ${valIdx.length} validation, ${nBatches} batches per epoch)`);

  // data-parallel workers (trainer.devices)
  const nDevices = c.trainer.devices === 'auto' ? Math.max(1, Math.min(2, availableParallelism())) : c.trainer.devices;
  let pool: GradientWorkers | null = null;
  const syncWeights = (): void => {
    if (!pool) return;
    for (const [k, v] of Object.entries(vars)) pool.weightViews[k].set(v.dataSync() as Float32Array);
  };
  if (nDevices > 1 && c.batch_size > 1) {
    const { layout, length } = layoutOf(model.shapes());
    try {
      pool = await GradientWorkers.start(nDevices - 1, { composed: o.composed, backend: c.backend as BackendChoice, dbPath: c.data.db_path, layout, weightsLength: length });
      syncWeights();
      log(`devices: ${nDevices} threads, each computing a share of every batch`);
    } catch (e) {
      log(`note: ${(e as Error).message.split('\n')[0]}; training on one thread`);
    }
  } else if (nDevices > 1) log('note: batch_size=1 cannot be shared between devices; training on one thread');

  const maxSteps = c.trainer.max_steps > 0 ? c.trainer.max_steps : Infinity;
  const maxEpochs = c.trainer.max_epochs !== null && c.trainer.max_epochs > 0 ? c.trainer.max_epochs : Infinity;
  const maxSeconds = maxTimeSeconds(c.trainer.max_time) ?? Infinity;
  const clip = c.trainer.gradient_clip_val ?? 0;
  const checkpoints: string[] = [];
  const sr = graph.sampleRate;

  const saveCheckpoint = (): string => {
    const file = join(ckptDir, `epoch=${loop.epoch}-step=${loop.step}.ckpt`);
    const state: TrainState = {
      step: loop.step, epoch: loop.epoch, batchInEpoch: loop.batchInEpoch,
      weights: model.getWeights(), adam: adam.getState(),
      rng: { seed: c.seed, splitSalt: SPLIT_SALT, noiseSalt: NOISE_SALT, nSlices, batchSize: c.batch_size, devices: nDevices },
      config: o.composed.resolved,
      meta: { graph, loop: { epochSums: loop.epochSums, epochCount: loop.epochCount, lastValStep: loop.lastValStep, metrics: loop.metrics },
        backend: backend.name, createdAt: new Date().toISOString() },
    };
    writeCheckpoint(file, state);
    checkpoints.push(file);
    return file;
  };

  // ---- validation
  let loggedOriginals = false;
  const validate = (): void => {
    const B = c.batch_size;
    const limit = c.trainer.limit_val_batches;
    let nValBatches = Math.ceil(valIdx.length / B);
    if (limit !== null) nValBatches = limit <= 1 ? Math.max(1, Math.floor(nValBatches * limit)) : Math.min(nValBatches, Math.floor(limit));
    const sums: Record<string, number> = {};
    let count = 0;
    for (let vb = 0; vb < nValBatches; vb++) {
      const idx = valIdx.slice(vb * B, (vb + 1) * B);
      const batch = readBatch(store, idx);
      const resyn = renderBatch(tf, model, batch, VAL_NOISE_SEED + vb);
      const m = validationMetrics(resyn, batch.audio, batch.size, batch.nSamples, sr, 50) as unknown as Record<string, number>;
      for (const [name, l] of Object.entries(c.loss.losses)) {
        const fft = l.fft_sizes;
        m[name] = fft.join(',') === '64,128,256,512,1024,2048' ? m.spec : multiScaleSpectralLoss(resyn, batch.audio, batch.size, batch.nSamples, fft);
      }
      if (!('spec' in c.loss.losses)) delete m.spec;
      for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v * batch.size;
      count += batch.size;
      if (vb === 0) logAudio(tb, batch, resyn, sr, loop.step, !loggedOriginals);
    }
    loggedOriginals = true;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) out[`val_0/${k}`] = v / count;
    tb.scalars(out, loop.step);
    Object.assign(loop.metrics, out);
    loop.lastValStep = loop.step;
  };

  // ---- progress
  const totalSteps = Number.isFinite(maxSteps) ? maxSteps : Number.isFinite(maxEpochs) ? maxEpochs * nBatches : 0;
  const bar = o.progress === false ? null : new cliProgress.SingleBar({
    format: 'train |{bar}| {value}/{total} steps | epoch {epoch} | loss {loss} | {speed} steps/s | ETA {eta_formatted}',
    noTTYOutput: true, notTTYSchedule: 10000, stream: process.stderr, hideCursor: false, etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  bar?.start(totalSteps || loop.step + 1, loop.step, { epoch: loop.epoch, loss: '-', speed: '-' });

  const t0 = Date.now();
  const startStep = loop.step;
  let stepSecondsSum = 0;
  let lastTick = Date.now();
  let emaSpeed = 0;
  let stopReason = '';
  let killed = false;
  const onStepLog = (total: number, parts: Record<string, number>) => {
    for (const [k, v] of Object.entries(parts)) loop.epochSums[k] = (loop.epochSums[k] ?? 0) + v;
    loop.epochSums.total = (loop.epochSums.total ?? 0) + total;
    loop.epochCount++;
    if (loop.step % c.trainer.log_every_n_steps === 0) {
      const s: Record<string, number> = { 'train/total_step': total, 'lr-Adam': adam.lr, epoch: loop.epoch };
      tb.scalars(s, loop.step);
    }
  };

  try {
    while (true) {
      if (loop.step >= maxSteps) { stopReason = `trainer.max_steps=${c.trainer.max_steps} reached`; break; }
      if (loop.epoch >= maxEpochs) { stopReason = `trainer.max_epochs=${c.trainer.max_epochs} reached`; break; }
      if ((Date.now() - t0) / 1000 >= maxSeconds) { stopReason = `trainer.max_time=${JSON.stringify(c.trainer.max_time)} reached`; break; }
      if (o.signal?.aborted) { stopReason = 'interrupted'; break; }
      if (o.killAfterSteps !== undefined && loop.step - startStep >= o.killAfterSteps) { killed = true; break; }

      const ts = Date.now();
      const idx = batchIndices(c, trainIdx, loop.epoch, loop.batchInEpoch);
      const weights = lossWeights(c, loop.step);
      const noiseSeed = noiseSeedFor(c.seed, loop.step);
      let total: number;
      let parts: Record<string, number>;
      let g: Record<string, tfc.Tensor>;
      if (!pool) {
        const r = lossAndGrads(tf, model, c, readBatch(store, idx), weights, noiseSeed);
        ({ total, parts, grads: g } = r);
      } else {
        // data parallel: shares 1.. in the workers, share 0 here, gradients averaged by share size
        const shares = shareIndices(idx, 1 + pool.size);
        // share j starts at batch item `offset`: with one noise node its items draw the noise they would in one thread
        const offsets = shares.map((_, j) => shares.slice(0, j).reduce((a, x) => a + x.length, 0));
        const pending = shares.slice(1).map((ix, j) => pool!.step(j, { indices: ix, noiseSeed: noiseSeed + offsets[j + 1], weights }));
        const own = lossAndGrads(tf, model, c, readBatch(store, shares[0]), weights, noiseSeed);
        const others = await Promise.all(pending);
        const B = idx.length;
        total = own.total * (shares[0].length / B);
        parts = {};
        for (const [k, v] of Object.entries(own.parts)) parts[k] = v * (shares[0].length / B);
        others.forEach((r, j) => {
          const f = shares[j + 1].length / B;
          total += r.total * f;
          for (const [k, v] of Object.entries(r.parts)) parts[k] = (parts[k] ?? 0) + v * f;
        });
        g = {};
        for (const [k, gk] of Object.entries(own.grads)) {
          g[k] = tf.tidy(() => {
            let acc = tf.mul(gk, shares[0].length / B);
            others.forEach((_, j) => {
              acc = tf.add(acc, tf.mul(tf.tensor(pool!.gradViews[j][k], gk.shape, 'float32'), shares[j + 1].length / B));
            });
            return acc;
          });
          gk.dispose();
        }
      }
      if (!Number.isFinite(total)) {
        for (const t of Object.values(g)) t.dispose();
        throw new Error(`training diverged at step ${loop.step}: the loss is ${total} (try a lower model.lr or trainer.gradient_clip_val)`);
      }
      if (clip > 0) g = clipGradients(tf, g, clip);
      adam.apply(g);
      for (const t of Object.values(g)) t.dispose();
      if (pool) syncWeights();

      loop.step++;
      loop.batchInEpoch++;
      onStepLog(total, parts);
      for (const [k, w] of Object.entries(weights)) loop.epochSums[`w:${k}`] = w;

      const dt = (Date.now() - ts) / 1000;
      stepSecondsSum += dt;
      const now = Date.now();
      const inst = 1000 / Math.max(1, now - lastTick);
      lastTick = now;
      emaSpeed = emaSpeed === 0 ? inst : 0.9 * emaSpeed + 0.1 * inst;
      bar?.update(loop.step, { epoch: loop.epoch, loss: fmt(total), speed: emaSpeed.toFixed(2) });

      let validated = false;
      if (loop.batchInEpoch >= nBatches) {
        // epoch end: the seed logs epoch means of train/* and loss_weight/*
        const n = Math.max(1, loop.epochCount);
        const s: Record<string, number> = {};
        for (const [k, v] of Object.entries(loop.epochSums)) {
          if (k.startsWith('w:')) s[`loss_weight/${k.slice(2)}`] = v;
          else s[`train/${k}`] = v / n;
        }
        tb.scalars(s, loop.step);
        Object.assign(loop.metrics, s);
        const cven = c.trainer.check_val_every_n_epoch;
        if (c.trainer.val_check_interval === null && cven !== null && (loop.epoch + 1) % cven === 0) { validate(); validated = true; }
        loop.epoch++;
        loop.batchInEpoch = 0;
        loop.epochSums = {};
        loop.epochCount = 0;
        if (c.ckpt_nepochs !== null && loop.epoch % c.ckpt_nepochs === 0) saveCheckpoint();
      }
      if (!validated && c.trainer.val_check_interval !== null && loop.step % c.trainer.val_check_interval === 0) validate();
      if (c.ckpt_nsteps !== null && loop.step % c.ckpt_nsteps === 0 && checkpoints[checkpoints.length - 1] !== join(ckptDir, `epoch=${loop.epoch}-step=${loop.step}.ckpt`)) saveCheckpoint();
      tb.flush();
      // let the event loop turn: Ctrl-C / abort, progress timers, and FinalizationRegistry clean-ups (the FFT
      // kernels free their wasm buffers that way) only run between tasks
      await new Promise<void>((r) => setImmediate(r));
    }
    bar?.stop();
    if (!killed) {
      if (loop.lastValStep !== loop.step) validate();
      const last = join(ckptDir, `epoch=${loop.epoch}-step=${loop.step}.ckpt`);
      if (checkpoints[checkpoints.length - 1] !== last) saveCheckpoint();
      log(`done: ${stopReason}; ${loop.step} steps; checkpoint ${checkpoints[checkpoints.length - 1]}`);
      const shown = Object.entries(loop.metrics).filter(([k]) => k.startsWith('val_0/')).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
      if (shown) log(`metrics: ${shown}`);
    }
  } finally {
    bar?.stop();
    await pool?.close();
    tb.close();
    adam.dispose();
    model.dispose();
    await store.close();
  }
  const steps = loop.step - startStep;
  return {
    runDir, step: loop.step, epoch: loop.epoch, metrics: { ...loop.metrics }, checkpoints,
    monitor: loop.metrics[c.monitor] ?? NaN, backend: backend.name, secondsPerStep: steps > 0 ? stepSecondsSum / steps : NaN,
  };
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

/** Logs originals (once) and reconstructions of up to 4 clips, and a spectrogram image (plot_recon_val_0). */
function logAudio(tb: EventWriter, batch: Batch, resyn: Float32Array, sr: number, step: number, originals: boolean): void {
  const n = Math.min(4, batch.size);
  const N = batch.nSamples;
  const clamp = (x: Float32Array) => x.map((v) => (v > 1 ? 1 : v < -1 ? -1 : v));
  for (let j = 0; j < n; j++) {
    if (originals) tb.audio(`val_0_orig/${j}`, clamp(batch.audio.subarray(j * N, (j + 1) * N)), sr, step);
    tb.audio(`val_0_resyn/${j}`, clamp(resyn.subarray(j * N, (j + 1) * N)), sr, step);
  }
  const img = spectrogramGrid(batch.audio, resyn, n, N);
  if (img) tb.image('plot_recon_val_0', img.rgb, img.width, img.height, step);
}

/** Rows = clips, columns = original | reconstruction; dB spectrograms (FFT 1024, hop 256), low frequencies at the bottom. */
export function spectrogramGrid(orig: Float32Array, resyn: Float32Array, nClips: number, nSamples: number): { rgb: Uint8Array; width: number; height: number } | null {
  if (nSamples < 1024 || nClips < 1) return null;
  const opts = { fftSize: 1024, hop: 256, center: true, window: hannWindow(1024, true) };
  const cellH = 128;
  const specs: { power: Float64Array; nFrames: number; nBins: number }[] = [];
  for (let j = 0; j < nClips; j++) {
    specs.push(powerSpectrogram(orig, opts, j * nSamples, nSamples));
    specs.push(powerSpectrogram(resyn, opts, j * nSamples, nSamples));
  }
  const cellW = specs[0].nFrames;
  const gap = 2;
  const width = cellW * 2 + gap;
  const height = nClips * cellH + (nClips - 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  specs.forEach((s, i) => {
    const row = Math.floor(i / 2);
    const col = i % 2;
    const binsPerPx = (s.nBins - 1) / cellH;
    for (let y = 0; y < cellH; y++) {
      const b0 = Math.floor(y * binsPerPx);
      const b1 = Math.max(b0 + 1, Math.floor((y + 1) * binsPerPx));
      for (let x = 0; x < cellW; x++) {
        let p = 0;
        for (let b = b0; b < b1; b++) p += s.power[x * s.nBins + b];
        const db = 10 * Math.log10(p / (b1 - b0) + 1e-10);
        const t = Math.min(1, Math.max(0, (db + 80) / 100));
        const py = row * (cellH + gap) + (cellH - 1 - y);
        const px = col * (cellW + gap) + x;
        const o = (py * width + px) * 3;
        // dark blue → purple → orange → light yellow
        rgb[o] = Math.round(255 * Math.min(1, 1.6 * t));
        rgb[o + 1] = Math.round(255 * Math.max(0, Math.min(1, 1.8 * t - 0.6)));
        rgb[o + 2] = Math.round(255 * Math.max(0, Math.min(1, 0.35 + 0.8 * t - 1.2 * t * t + (t > 0.8 ? 2.5 * (t - 0.8) : 0))));
      }
    }
  });
  return { rgb, width, height };
}

