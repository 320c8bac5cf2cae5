/**
 * The training loop in Node (the seed's train.py without Lightning): prepare data into LMDB → a TrainSession
 * (session.ts: the split, model, Adam, per-step losses and gradients, loop position, validation) → logs,
 * progress bar, checkpoints, TensorBoard files and data-parallel worker threads around it.
 *
 * A checkpoint holds the session's state (weights, Adam moments and step, the position and the epoch's running
 * sums), so a killed-and-resumed run equals an uninterrupted one. Validation runs when the session says it is due
 * and once at the end if the last step was not validated.
 *
 * Progress (the bar on stderr, `train.log` in the run folder, TensorBoard's `time/*` scalars): time per step,
 * steps/s, the time left and the latest validation loss; `loss.png` beside the event file plots the training and
 * validation losses, rewritten at each validation.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { initBackend, type BackendChoice } from './backend';
import { ConfigError, toYaml, type ComposedConfig } from './config';
import { prepareDataset, prepSettingsFromConfig } from './prepare';
import { readBatch, type Batch } from './dataset';
import { EventWriter, encodePngRgb } from './tensorboard';
import { decodeCheckpoint, isOwnCheckpoint, isZip, writeCheckpoint, writeFileAtomic, writing, type AdamState, type TensorMap, type TrainState } from './checkpoint';
import { graphDiff, weightProblems, type ModelGraph } from './model';
import { GradientWorkers, trainStep } from './parallel';
import { TrainSession, type LoopState } from './session';
import { LossCurves } from './loss-plot';
import { StepTimer, formatDuration } from './progress';
import { powerSpectrogram, hannWindow } from '../dsp/spectral';

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

/** File names in the run folder. */
export const RUN_FILES = { lossPlot: 'loss.png', log: 'train.log' } as const;

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
  writing('run folder', d, () => mkdirSync(d, { recursive: true }));
  return d;
}

/**
 * Trains a model as the config says. Returns when max_steps / max_epochs / max_time is reached, or the signal
 * aborts (a checkpoint is written in every case).
 * @throws ConfigError / PrepareError for problems the user can fix.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  let log = o.log ?? ((l: string) => console.error(l));
  const c = o.composed.config;
  const cwd = o.cwd ?? process.cwd();
  for (const n of o.composed.notes) log(`note: ${n}`);

  // data first: a bad data path fails before any tfjs start-up
  if (!c.data.db_path) {
    throw new ConfigError("config key 'data.db_path' is not set: give a folder for the prepared database, e.g. data.db_path=db/violin", 'data.db_path');
  }
  const prep = await prepareDataset({ rawDir: c.data.raw_dir, dbPath: c.data.db_path, settings: prepSettingsFromConfig(c),
    progress: o.progress !== false, log });
  const store = prep.store;
  if (prep.reused) log(`data: reusing ${c.data.db_path} (${prep.meta.count} slices)`);
  const nSlices = prep.meta.count;
  if (nSlices === 1) log('data: one slice only: training and validating on it');
  const batchOf = (indices: number[]): Batch => readBatch(store, indices);

  const backend = await initBackend(c.backend as BackendChoice);
  for (const n of backend.notes) log(`note: ${n}`);
  const tf = backend.tf;
  const session = await TrainSession.create(tf, c, nSlices);
  const { model, graph, loop, nBatches, split } = session;

  if (c.ckpt) {
    const r = await loadResume(c.ckpt, graph, model.shapes(), log);
    const skipped = session.setState(r);
    if (skipped.length) log(`ckpt: Adam state not restored for ${skipped.length} parameters whose shapes differ (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''})`);
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
  writing('run config', join(runDir, 'config.yaml'), (path) => writeFileSync(path, toYaml({ ...o.composed.resolved, data: { ...(o.composed.resolved.data as object), raw_dir: c.data.raw_dir, db_path: c.data.db_path }, ckpt: c.ckpt })));
  const ckptDir = join(runDir, 'ckpts');
  writing('checkpoint folder', ckptDir, () => mkdirSync(ckptDir, { recursive: true }));
  const tb = new EventWriter(runDir);
  const toUser = log;
  const logFile = join(runDir, RUN_FILES.log);
  const appendLog = (l: string): void => writing('training log', logFile, (p) => appendFileSync(p, `${l}\n`));
  log = (l: string) => { toUser(l); appendLog(l); };
  log(`run: ${runDir} (backend ${backend.name}, ${nSlices} slices: ${split.train.length} train / ${split.val.length} validation, ${nBatches} batches per epoch)`);

  // data-parallel workers (trainer.devices)
  const nDevices = c.trainer.devices === 'auto' ? Math.max(1, Math.min(2, availableParallelism())) : c.trainer.devices;
  let pool: GradientWorkers | null = null;
  if (nDevices > 1 && c.batch_size > 1) {
    try {
      pool = await GradientWorkers.start(nDevices - 1, session, c.data.db_path);
      log(`devices: ${nDevices} threads, each computing a share of every batch`);
    } catch (e) {
      log(`note: ${(e as Error).message.split('\n')[0]}; training on one thread`);
    }
  } else if (nDevices > 1) log('note: batch_size=1 cannot be shared between devices; training on one thread');

  const checkpoints: string[] = [];
  const sr = graph.sampleRate;

  const saveCheckpoint = (): string => {
    const file = join(ckptDir, `epoch=${loop.epoch}-step=${loop.step}.ckpt`);
    const s = session.getState();
    const state: TrainState = {
      step: s.step, epoch: s.epoch, batchInEpoch: s.batchInEpoch, weights: s.weights, adam: s.adam,
      rng: { ...s.rng, devices: nDevices },
      config: o.composed.resolved,
      meta: { graph, loop: s.loop, backend: backend.name, createdAt: new Date().toISOString() },
    };
    writeCheckpoint(file, state);
    checkpoints.push(file);
    return file;
  };

  // ---- progress: the rate, the time left, the latest validation loss (of the first configured loss), the curves
  const t0 = Date.now();
  const elapsed = (): number => (Date.now() - t0) / 1000;
  const timer = new StepTimer(0);
  const valKey = `val_0/${Object.keys(c.loss.losses)[0]}`;
  const curves = new LossCurves(valKey);
  const totalSteps = session.totalSteps();
  const progressFields = () => {
    const sps = timer.secondsPerStep;
    return { secondsPerStep: sps, stepsPerSecond: 1 / sps, eta: session.secondsLeft(elapsed(), sps), val: loop.metrics[valKey] ?? NaN };
  };
  const progressLine = (): string => {
    const p = progressFields();
    return `step ${loop.step}${totalSteps ? `/${totalSteps}` : ''} (epoch ${loop.epoch}) | ${p.secondsPerStep.toFixed(3)} s/step, ` +
      `${p.stepsPerSecond.toFixed(2)} steps/s | ETA ${formatDuration(p.eta)} | ${valKey} ${fmt(p.val)}`;
  };

  // ---- validation, with audio and spectrograms of the first batch in the event file; the progress line and plot
  let loggedOriginals = false;
  const validate = (): void => {
    const out = session.validate(batchOf, (vb, batch, resyn) => {
      if (vb === 0) logAudio(tb, batch, resyn, sr, loop.step, !loggedOriginals);
    });
    loggedOriginals = true;
    tb.scalars(out, loop.step);
    curves.addValidation(loop.step, elapsed(), out[valKey]);
    const img = curves.plot();
    writeFileAtomic(join(runDir, RUN_FILES.lossPlot), encodePngRgb(img.rgb, img.width, img.height), 'loss plot');
    // the bar shows the same fields on stderr; a line printed under it would break it
    if (bar) appendLog(progressLine());
    else log(progressLine());
  };

  // ---- progress bar ({time_left}, not cli-progress's own {eta}, which knows only the step count, not max_time)
  const bar = o.progress === false ? null : new cliProgress.SingleBar({
    format: `train |{bar}| {value}/{total} steps | epoch {epoch} | loss {loss} | {step_time} s/step, {speed} steps/s | ETA {time_left} | ${valKey} {val}`,
    noTTYOutput: true, notTTYSchedule: 10000, stream: process.stderr, hideCursor: false,
  }, cliProgress.Presets.shades_classic);
  bar?.start(totalSteps || loop.step + 1, loop.step, { epoch: loop.epoch, loss: '-', step_time: '-', speed: '-', time_left: '?', val: '-' });

  const startStep = loop.step;
  let stepSecondsSum = 0;
  let stopReason = '';
  let killed = false;

  try {
    while (true) {
      const reason = session.stopReason(elapsed());
      if (reason) { stopReason = reason; break; }
      if (o.signal?.aborted) { stopReason = 'interrupted'; break; }
      if (o.killAfterSteps !== undefined && loop.step - startStep >= o.killAfterSteps) { killed = true; break; }

      const ts = Date.now();
      const report = await trainStep(session, batchOf, pool);
      stepSecondsSum += (Date.now() - ts) / 1000;
      timer.tick(elapsed());
      curves.addTrain(loop.step, elapsed(), report.total);
      const p = progressFields();
      if (report.logged) {
        tb.scalars({ ...report.logged, 'time/seconds_per_step': p.secondsPerStep, 'time/steps_per_second': p.stepsPerSecond,
          ...(Number.isFinite(p.eta) ? { 'time/eta_seconds': p.eta } : {}) }, loop.step);
      }
      bar?.update(loop.step, { epoch: report.epoch, loss: fmt(report.total), step_time: p.secondsPerStep.toFixed(3),
        speed: p.stepsPerSecond.toFixed(2), time_left: formatDuration(p.eta), val: Number.isNaN(p.val) ? '-' : fmt(p.val) });

      if (report.epochMeans) {
        tb.scalars(report.epochMeans, loop.step);
        if (report.validateAtEpochEnd) validate();
        if (c.ckpt_nepochs !== null && loop.epoch % c.ckpt_nepochs === 0) saveCheckpoint();
      }
      if (report.validateAtInterval) validate();
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
      log(`done: ${stopReason}; ${loop.step} steps in ${formatDuration(elapsed())}; checkpoint ${checkpoints[checkpoints.length - 1]}`);
      const shown = Object.entries(loop.metrics).filter(([k]) => k.startsWith('val_0/')).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
      if (shown) log(`metrics: ${shown}`);
    }
  } finally {
    bar?.stop();
    await pool?.close();
    tb.close();
    session.dispose();
    await store.close();
  }
  const steps = loop.step - startStep;
  return {
    runDir, step: loop.step, epoch: loop.epoch, metrics: { ...loop.metrics }, checkpoints,
    monitor: loop.metrics[c.monitor] ?? NaN, backend: backend.name, secondsPerStep: steps > 0 ? stepSecondsSum / steps : NaN,
  };
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

