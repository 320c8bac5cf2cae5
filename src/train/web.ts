/**
 * `ddsp-stream/train/web` — the trainer in a web page: the same config composition, data preparation and
 * training loop as `ddsp-stream train` (session.ts), on recordings held in memory, on a GPU through tfjs's
 * WebGL or WebGPU backend (or wasm / cpu). The result is a model `DDSPNode.create(ctx, { model })` plays at once,
 * and the model file `export` would write.
 *
 * ```ts
 * import '@tensorflow/tfjs-backend-webgl';
 * import { DDSPNode } from 'ddsp-stream';
 * import { trainInBrowser } from 'ddsp-stream/train/web';
 *
 * const ctx = new AudioContext();
 * const recording = await ctx.decodeAudioData(await (await fetch('/violin.wav')).arrayBuffer());
 * const run = await trainInBrowser({
 *   audio: [{ samples: recording.getChannelData(0), sampleRate: recording.sampleRate }],
 *   overrides: ['trainer.max_steps=2000', 'model.estimator.hidden_size=256'],
 *   onProgress: (p) => console.log(`step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} ETA ${p.etaSeconds.toFixed(0)} s`),
 * });
 * const node = await DDSPNode.create(ctx, { model: run.model });
 * ```
 *
 * Hear it while it trains: the run hands out the model trained so far every `modelEvery` steps (to `onModel`) and
 * whenever asked (`snapshot()` on the returned promise), without stopping.
 *
 * ```ts
 * import { DDSPNode, type DDSPModel } from 'ddsp-stream';
 * import { trainInBrowser, type TrainingAudio } from 'ddsp-stream/train/web';
 *
 * declare const ctx: AudioContext, audio: TrainingAudio[], startModel: DDSPModel, saveButton: HTMLButtonElement;
 * const node = await DDSPNode.create(ctx, { model: startModel });
 * const run = trainInBrowser({ audio, modelEvery: 200, onModel: (s) => void node.loadModel(s.model) });
 * saveButton.onclick = async () => console.log((await run.snapshot()).modelFile.length, 'bytes');
 * const result = await run;
 * ```
 *
 * @packageDocumentation
 */
import { writeModel, type DDSPModel } from '../model/model-file';
import { composeWith, memoryConfigSource, type ComposedConfig, type ConfigSource } from './compose';
import { ConfigError } from './overrides';
import { batchOfSlices, prepSettingsFromConfig, sliceRecording, PrepareError, type Batch, type Slice } from './slices';
import { TrainSession } from './session';
import { StepTimer } from './progress';
import shippedConfigs from './shipped-configs';
import { initWebBackend, WEB_BACKEND_PACKAGES, type WebBackendChoice, type WebBackendInfo } from './web-backend';

export { initWebBackend, WEB_BACKEND_PACKAGES, type WebBackendChoice, type WebBackendInfo };
export { ConfigError, PrepareError, TrainSession, batchOfSlices, sliceRecording, prepSettingsFromConfig };
export type { StepPlan, StepReport, SessionState, SessionRestore, LoopState } from './session';
export type { ComposedConfig } from './compose';
export type { TrainConfig } from './config-schema';
export type { Batch, Slice, PrepSettings, SlicedFile } from './slices';
export type { DDSPModel } from '../model/model-file';

/** One recording to train on: mono samples at any sample rate (resampled to the config's sample_rate). */
export interface TrainingAudio {
  /** Mono samples, e.g. `audioBuffer.getChannelData(0)`. */
  samples: Float32Array;
  /** Their rate in Hz. */
  sampleRate: number;
}

/** Where a browser run is, as given to {@link WebTrainOptions.onProgress}. */
export interface WebTrainProgress {
  /** 'prepare' while recordings are sliced and analysed, then 'train' after every step. */
  phase: 'prepare' | 'train';
  /** Steps done. */
  step: number;
  /** Steps the config asks for (trainer.max_steps, or max_epochs × batches per epoch); 0 when unbounded. */
  totalSteps: number;
  /** Epoch of the last step. */
  epoch: number;
  /** The last step's weighted total loss (NaN before the first step). */
  loss: number;
  /** Recordings prepared so far, of `recordings` (phase 'prepare'). */
  prepared: number;
  recordings: number;
  /** Last value of every epoch mean and validation metric (`train/total`, `val_0/lsd`, …). */
  metrics: Record<string, number>;
  /** Wall-clock seconds per step over the last 100 steps, validation included (NaN before the first step). */
  secondsPerStep: number;
  /** Seconds until max_steps / max_epochs / max_time ends the run, whichever comes first (Infinity when unbounded, NaN before the first step). */
  etaSeconds: number;
}

/** A playable model taken while training goes on: the weights after `step` steps. */
export interface WebModelSnapshot {
  /** Give it to `DDSPNode.create(ctx, { model })`, `node.loadModel(model)` or `StreamingEngine`. */
  model: DDSPModel;
  /** The same model as a model file (what `ddsp-stream export` writes as model.onnx). */
  modelFile: Uint8Array<ArrayBuffer>;
  step: number;
  epoch: number;
  /** Validation metrics of this model (`val_0/spec`, `val_0/lsd`, …; validated at `step`), and the last epoch means. */
  metrics: Record<string, number>;
}

/** Options of {@link trainInBrowser}. */
export interface WebTrainOptions {
  /** The recordings; all of them are sliced and held in memory. */
  audio: TrainingAudio[];
  /** The `key=value` overrides `ddsp-stream train` takes, checked by the same schema (data.* paths, ckpt and worker threads do not apply). */
  overrides?: string[];
  /** A config folder of your own, searched before the shipped configs: YAML texts by path (`config.yaml`, `synth/mine.yaml`). */
  configFiles?: Readonly<Record<string, string>>;
  /** tfjs backend (default 'auto': the first registered of webgl, webgpu, wasm, cpu that works). */
  backend?: WebBackendChoice;
  /** Called after preparing each recording and after every step. */
  onProgress?: (p: WebTrainProgress) => void;
  /** Stops at the next step boundary; the model trained so far is returned. */
  signal?: AbortSignal;
  /** Store the model file's weights as float16 (half the size). Default false. */
  float16?: boolean;
  /** Hand a snapshot to `onModel` every this many steps (a positive integer; validation runs for each). */
  modelEvery?: number;
  /** Receives the snapshots `modelEvery` asks for, while training goes on. */
  onModel?: (s: WebModelSnapshot) => void;
}

/** A run of {@link trainInBrowser}: a promise of the result that also hands out the model trained so far. */
export interface WebTrainRun extends Promise<WebTrainResult> {
  /**
   * The model trained so far, taken at the next step boundary without stopping (validated there); after the run
   * ended, its final model. Rejects if the run fails first.
   */
  snapshot(): Promise<WebModelSnapshot>;
}

/** What {@link trainInBrowser} resolves to. */
export interface WebTrainResult {
  /** The trained model: give it to `DDSPNode.create(ctx, { model })` or `StreamingEngine`. */
  model: DDSPModel;
  /** The same model as a model file (ONNX bytes, what `ddsp-stream export` writes as model.onnx). */
  modelFile: Uint8Array<ArrayBuffer>;
  /** The composed config the run used. */
  composed: ComposedConfig;
  /** The tfjs backend it ran on. */
  backend: string;
  step: number;
  epoch: number;
  /** Weighted total loss of every step, in order. */
  losses: number[];
  /** Last value of every epoch mean and validation metric. */
  metrics: Record<string, number>;
  /** Why the run stopped (`trainer.max_steps=… reached`, `interrupted`). */
  stopReason: string;
  /** Slices prepared, and how many were skipped as silent or without pitch. */
  slices: { count: number; train: number; validation: number; skippedSilent: number; skippedUnpitched: number };
  /** Seconds per training step (mean). */
  secondsPerStep: number;
  /** Config notes (keys accepted without effect here, …). */
  notes: string[];
}

/** Config keys that name files or threads, which a page does not have. */
const NO_EFFECT_IN_A_PAGE = ['data.raw_dir', 'data.db_path', 'trainer.devices', 'ckpt_nsteps', 'ckpt_nepochs'];

/** Lets the page run between steps (rendering, input, abort) without the background-tab throttling of timers. */
function yieldToPage(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); r(); };
    ch.port2.postMessage(0);
  });
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Composes a training config from the shipped configs (embedded in the build) and `overrides`, as
 * `ddsp-stream train` does.
 * @param configFiles a config folder of your own, searched first
 * @throws ConfigError naming the key
 */
export function composeWebConfig(overrides: string[] = [], configFiles?: Readonly<Record<string, string>>): ComposedConfig {
  const sources: ConfigSource[] = [];
  if (configFiles) sources.push(memoryConfigSource('configFiles', configFiles));
  if (Object.keys(shippedConfigs).length) sources.push(memoryConfigSource('configs', shippedConfigs));
  if (sources.length === 0) {
    throw new ConfigError('the shipped configs are embedded only in the built package (dist/train-web.js): import ddsp-stream/train/web, or pass configFiles');
  }
  return composeWith({
    sources, cwd: '/', env: {},
    absolute: (p) => p,
    baseName: (p) => p.split('/').filter(Boolean).pop() ?? '',
  }, { overrides });
}

/**
 * Trains a model in the page on recordings held in memory, with the same config keys, data preparation
 * (resampling, slicing, silence and pitch checks, the offline pitch tracker, loudness) and training loop as
 * `ddsp-stream train`. Validation runs as the config says, for every snapshot, and once at the end.
 * @returns the run: await it for the result; its `snapshot()` gives the model trained so far
 * @throws (rejects with) ConfigError for a bad override, PrepareError when no usable slice remains, TypeError for
 *   bad options, Error when the backend is missing (naming the package to install) or the loss diverges
 */
export function trainInBrowser(o: WebTrainOptions): WebTrainRun {
  const requests: SnapshotRequest[] = [];
  const run = { final: null as WebModelSnapshot | null, error: null as unknown };
  const done = runTraining(o, requests, run).then(
    (r) => { for (const q of requests.splice(0)) q.resolve(run.final!); return r; },
    (e: unknown) => { run.error = e; for (const q of requests.splice(0)) q.reject(e); throw e; },
  );
  return Object.assign(done, {
    snapshot: (): Promise<WebModelSnapshot> => {
      if (run.final) return Promise.resolve(run.final);
      if (run.error) return Promise.reject(run.error);
      return new Promise<WebModelSnapshot>((resolve, reject) => { requests.push({ resolve, reject }); });
    },
  });
}

interface SnapshotRequest { resolve: (s: WebModelSnapshot) => void; reject: (e: unknown) => void }

async function runTraining(o: WebTrainOptions, requests: SnapshotRequest[], run: { final: WebModelSnapshot | null }): Promise<WebTrainResult> {
  if (o.modelEvery !== undefined && !(Number.isInteger(o.modelEvery) && o.modelEvery > 0)) {
    throw new TypeError(`trainInBrowser: modelEvery must be a positive integer (steps), got ${String(o.modelEvery)}`);
  }
  const composed = composeWebConfig(o.overrides, o.configFiles);
  const c = composed.config;
  if (c.ckpt) throw new ConfigError("config key 'ckpt': resuming from a checkpoint file is not available in a page", 'ckpt');
  const notes = [...composed.notes];
  const set = new Set((o.overrides ?? []).map((a) => a.replace(/^[+~]+/, '').split('=')[0]));
  const ignored = NO_EFFECT_IN_A_PAGE.filter((k) => set.has(k));
  if (ignored.length) notes.push(`no effect in a page: ${ignored.join(', ')} (no files, one thread)`);
  if (!Array.isArray(o.audio) || o.audio.length === 0) throw new PrepareError('trainInBrowser: no audio given');
  // the backend before the data: a missing one fails at once, not after minutes of pitch tracking
  const backend = await initWebBackend(o.backend ?? 'auto');
  notes.push(...backend.notes.map((n) => `backend ${n}`));

  // data: each recording sliced as prepare.ts does, held in memory
  const settings = prepSettingsFromConfig(c);
  const slices: Slice[] = [];
  let skippedSilent = 0;
  let skippedUnpitched = 0;
  const progress = (p: Partial<WebTrainProgress> & Pick<WebTrainProgress, 'phase'>): void => o.onProgress?.({
    step: 0, totalSteps: 0, epoch: 0, loss: NaN, prepared: o.audio.length, recordings: o.audio.length, metrics: {},
    secondsPerStep: NaN, etaSeconds: NaN, ...p,
  });
  for (const [i, a] of o.audio.entries()) {
    if (!(a.samples instanceof Float32Array) || !(a.sampleRate > 0)) {
      throw new TypeError(`trainInBrowser: audio[${i}] must be { samples: Float32Array, sampleRate: number > 0 }`);
    }
    const r = sliceRecording(a.samples, a.sampleRate, settings);
    for (const s of r.slices) slices.push(s);
    skippedSilent += r.skippedSilent;
    skippedUnpitched += r.skippedUnpitched;
    progress({ phase: 'prepare', prepared: i + 1 });
    await yieldToPage();
  }
  if (slices.length === 0) {
    throw new PrepareError(`no usable slices in ${o.audio.length} recordings (${skippedSilent} silent, ${skippedUnpitched} without pitch)`);
  }
  const batchOf = (indices: number[]): Batch => batchOfSlices(slices, indices);

  const session = await TrainSession.create(backend.tf, c, slices.length);
  const { loop } = session;
  const losses: number[] = [];
  let stopReason = '';
  let stepSeconds = 0;
  // the model as trained so far, validated at this step (validation draws nothing from the training state)
  const snapshot = (): WebModelSnapshot => {
    if (loop.lastValStep !== loop.step) session.validate(batchOf);
    const model = session.model.toDDSPModel({ name: c.name, meta: { 'trained.steps': String(loop.step) } });
    return { model, modelFile: Uint8Array.from(writeModel(model, { float16: o.float16 })), step: loop.step, epoch: loop.epoch, metrics: { ...loop.metrics } };
  };
  try {
    const t0 = now();
    const elapsed = (): number => (now() - t0) / 1000;
    const timer = new StepTimer(0);
    while (true) {
      const reason = session.stopReason(elapsed());
      if (reason) { stopReason = reason; break; }
      if (o.signal?.aborted) { stopReason = 'interrupted'; break; }
      const ts = now();
      const report = session.step(batchOf(session.plan().indices));
      stepSeconds += (now() - ts) / 1000;
      losses.push(report.total);
      if (report.validateAtEpochEnd || report.validateAtInterval) session.validate(batchOf);
      timer.tick(elapsed());
      progress({ phase: 'train', step: loop.step, totalSteps: session.totalSteps(), epoch: report.epoch, loss: report.total, metrics: { ...loop.metrics },
        secondsPerStep: timer.secondsPerStep, etaSeconds: session.secondsLeft(elapsed(), timer.secondsPerStep) });
      const due = o.modelEvery !== undefined && loop.step % o.modelEvery === 0;
      if (due || requests.length) {
        const s = snapshot();
        if (due) o.onModel?.(s);
        for (const q of requests.splice(0)) q.resolve(s);
      }
      await yieldToPage();
    }
    const last = snapshot();
    run.final = last;
    return {
      model: last.model, modelFile: last.modelFile, composed, backend: backend.name,
      step: loop.step, epoch: loop.epoch, losses, metrics: { ...loop.metrics }, stopReason,
      slices: { count: slices.length, train: session.split.train.length, validation: session.split.val.length, skippedSilent, skippedUnpitched },
      secondsPerStep: losses.length ? stepSeconds / losses.length : NaN, notes,
    };
  } finally {
    session.dispose();
  }
}
