/**
 * `ddsp-stream bench` — end-to-end figures at the defaults, on synthetic data (no files needed):
 *
 * - streaming: real-time factor (wall and CPU), worst and p99 block time against the block's budget (the steady
 *   state, and apart from it the worst block of a fresh engine's first second), and the latency of the
 *   StreamingEngine (48 kHz, block 128) on a synthetic glide and a synthetic default-size model (hidden 512, 256
 *   harmonics, noise filter 512, 1 s IR), or a model file;
 * - training: seconds per training step (batch 16 × 1 s, the default config) and peak memory (RSS high-water mark
 *   and the tfjs wasm heap) of the trainer's own session and step, on synthetic batches built in memory. It runs
 *   in a child process (this same CLI with the hidden flag `--train-child`), so its memory does not mix with the
 *   streaming measurement; with `--devices 2` the child shares each batch with a worker thread of the trainer's
 *   pool (the CLI again, `--train-worker`), as `trainer.devices=2` does. It needs the optional training packages;
 *   when they are missing the command says what to install and still prints the streaming figures.
 *
 * @packageDocumentation
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StreamingEngine, WARMUP_QUANTA, MAX_VOICES } from '../engine/streaming-engine';
import { EstimatorRuntime } from '../estimator/realtime';
import { glideSignal, syntheticModel } from './synthetic';
import { validateModel, type DDSPModel } from '../model/model-file';
import { LIMITS } from '../model/limits';
import type { AnalysisAlignment } from '../dsp/analysis-window';
import type { GradientWorkers } from '../train/parallel';
import { bool, CliError, expectPositionals, num, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';
import { loadModel, round } from './common';
import { installCommand, missingTrainingPackages } from './deps';
import { percentile } from './render';

const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', alias: 'm' },
  seconds: { type: 'number', min: 0.1, max: 3600 },
  block: { type: 'number', integer: true, min: 1, max: 1 << 16 },
  'sample-rate': { type: 'number', integer: true, min: 8000, max: 384000 },
  hidden: { type: 'number', integer: true, min: 1, max: 4096 },
  harmonics: { type: 'number', integer: true, min: 1, max: 4096 },
  'filter-size': { type: 'number', integer: true, min: 4, max: 1 << 16 },
  'ir-seconds': { type: 'number', min: 0.001, max: 10 },
  'frame-rate': { type: 'number', integer: true, min: 1, max: 1000 },
  'analysis-window': { type: 'number', integer: true, min: LIMITS.model.analysisWindow[0], max: LIMITS.model.analysisWindow[1] },
  'analysis-alignment': { type: 'string', choices: ['centred', 'causal'] },
  'spread-quanta': { type: 'number', integer: true, min: 0, max: 64 },
  voices: { type: 'number', integer: true, min: 1, max: MAX_VOICES },
  expression: { type: 'boolean' },
  repeat: { type: 'number', integer: true, min: 1, max: 100 },
  steps: { type: 'number', integer: true, min: 1, max: 10000 },
  devices: { type: 'number', integer: true, min: 1, max: 2 },
  'no-train': { type: 'boolean' },
  json: { type: 'boolean' },
  // hidden: training sizes (tests) and the child process / worker thread roles
  'train-batch': { type: 'number', integer: true, min: 1, max: 1024 },
  'train-seconds': { type: 'number', min: 0.01, max: 60 },
  warmup: { type: 'number', integer: true, min: 0, max: 100 },
  backend: { type: 'string', choices: ['auto', 'wasm', 'cpu', 'tensorflow'] },
  'train-child': { type: 'boolean' },
  'train-worker': { type: 'boolean' },
  'cli-url': { type: 'string' },
};

const USAGE = 'ddsp-stream bench [--model M.onnx] [--voices N [--expression]] [--seconds 10] [--block 128] [--sample-rate 48000] [--steps 3] [--devices 1|2] [--no-train] [--json]';

const HELP = `usage: ${USAGE}

Streams a synthetic glide through the engine block by block and reports the real-time factor, the worst and
99th-percentile block times (against the block's real-time budget) and the engine latency. The worst block of the
fresh engine's first second is reported on its own (worst_block_first_s_ms): that second runs first, then the
engine is reset and the steady-state figures are measured from the start of the glide. Then times training
steps at the default config (batch 16 × 1 s, 48 kHz) on synthetic batches in a separate process and reports the
seconds per step and the peak memory (needs the optional training packages; --no-train skips it).

options:
  --model, -m PATH     model file for streaming (default: a synthetic model of the default size: hidden 512,
                       256 harmonics, noise filter 512, 1 s reverb IR, 48 kHz, 50 frames/s)
  --seconds S          streaming: audio length (default 10)
  --block N            streaming: block size (default 128, the Web Audio render quantum)
  --sample-rate N      streaming: context sample rate, Hz (default 48000)
  --spread-quanta N    streaming: quanta one frame's estimator work is spread over (default 0)
  --voices N           streaming: notes mode with N notes sounding (keys a fifth apart from C2, struck 64 samples
                       apart, held), instead of the glide in audio mode; also times the estimator alone, N
                       frames in one batched pass against N one-frame passes (estimator_batch_ratio)
  --expression         with --voices: every note bends (an MPE vibrato, 5.5 Hz, ±0.3 semitones, a bend per
                       note per quantum), so every voice's features change at every tick: the worst case
  --repeat N           streaming: run N times, report the minimum of each figure (default 1)
  --hidden N           synthetic model and training: estimator width (default 512)
  --harmonics N        synthetic model and training: harmonics (default 256)
  --filter-size N      synthetic model and training: noise filter size (default 512)
  --ir-seconds S       synthetic model and training: reverb IR length (default 1)
  --frame-rate N       synthetic model: frames per second (default 50; configs/exp/live.yaml: 250)
  --analysis-window N  synthetic model: analysis window, samples (default 2048; live: 480)
  --analysis-alignment centred|causal
                       synthetic model: where a frame's window sits on its instant (default centred; live: causal)
  --steps N            training: measured steps after one warm-up step (default 3)
  --devices 1|2        training: threads sharing each batch, as trainer.devices (default 1)
  --no-train           streaming figures only
  --json               print one JSON object instead of text
  --help, -h           this help

Timings are noisy on a loaded machine: the CPU-time figures (cpu_rtf, *_block_cpu_ms, step_cpu_seconds) are less
so (they leave out the time the process spent preempted).
`;

/** Figures of one streaming run. */
export interface BenchResult {
  model: string;
  sample_rate: number;
  block: number;
  audio_seconds: number;
  engine_cpu_seconds: number;
  rtf: number;
  mean_block_ms: number;
  p99_block_ms: number;
  worst_block_ms: number;
  block_budget_ms: number;
  latency_samples: number;
  latency_ms: number;
  frame_macs: number;
  /** CPU time of the process (process.cpuUsage) per second of audio over the measured blocks. */
  cpu_rtf: number;
  /** 99th-percentile and worst CPU time of one block (process.cpuUsage around each call: unlike the wall-clock
   *  block times, time the thread spent preempted by other processes does not count; GC helper threads do). */
  p99_block_cpu_ms: number;
  worst_block_cpu_ms: number;
  /** Worst wall-clock and CPU time of one block in the first second of a fresh engine (the figures above are the
   *  steady state: measured after that second and a reset). */
  worst_block_first_s_ms: number;
  worst_block_first_s_cpu_ms: number;
  /** With --voices: voices sounding, whether they bend (--expression), and the estimator alone: time of N frames
   *  in one batched pass / N one-frame passes (min over repetitions). */
  voices?: number;
  /** Notes sounding at the end of the run (= voices). */
  notes_sounding?: number;
  expression?: boolean;
  estimator_batch_ratio?: number;
}

/** The notes of `bench --voices`: note i is key 36 + 7i (wrapped into 36..95), struck at sample 64·i. */
function benchNotes(engine: StreamingEngine, voices: number, expression: boolean): void {
  // MPE lower zone over all 15 member channels: each note's bend is its own.
  if (expression) engine.midi([0xb0, 101, 0, 0xb0, 100, 6, 0xb0, 6, 15], 0);
  for (let i = 0; i < voices; i++) {
    engine.noteOn(36 + ((7 * i) % 60), 100, 64 * i, expression ? 1 + (i % 15) : 0);
  }
}

/** An MPE vibrato for the notes of benchNotes at engine time t: 5.5 Hz, ±0.3 semitones (48-semitone range). */
function benchBends(engine: StreamingEngine, voices: number, t: number, sampleRate: number, msg: number[]): void {
  for (let c = 1; c <= Math.min(15, voices); c++) {
    const v = Math.round(8192 + (0.3 / 48) * 8191 * Math.sin((2 * Math.PI * 5.5 * t) / sampleRate + c));
    msg[0] = 0xe0 | c;
    msg[1] = v & 0x7f;
    msg[2] = (v >> 7) & 0x7f;
    engine.midi(msg, t);
  }
}

/** The estimator alone: `rows` frames in one runBatch() against `rows` one-frame passes, best of `reps`. */
export function estimatorBatchRatio(model: DDSPModel, rows: number, reps = 30): number {
  const one = new EstimatorRuntime(model.estimator, model.estimator.weights);
  const batch = new EstimatorRuntime(model.estimator, model.estimator.weights, { batchRows: rows });
  for (let r = 0; r < rows; r++) { batch.batchF0[r] = 110 * (1 + r / 8); batch.batchLoudness[r] = -20; }
  let bestOne = Infinity;
  let bestBatch = Infinity;
  for (let k = 0; k < reps + 5; k++) {
    let t0 = performance.now();
    for (let r = 0; r < rows; r++) one.runFrame(110 * (1 + r / 8), -20, one.output);
    const a = performance.now() - t0;
    t0 = performance.now();
    batch.runBatch(rows);
    const b = performance.now() - t0;
    if (k >= 5) { bestOne = Math.min(bestOne, a); bestBatch = Math.min(bestBatch, b); }
  }
  return bestBatch / bestOne;
}

/** Streams `seconds` of a synthetic glide through a fresh engine and measures every process() call. */
export function benchEngine(model: DDSPModel, o: { sampleRate: number; block: number; seconds: number;
  spreadQuanta?: number; voices?: number; expression?: boolean }): BenchResult {
  const { sampleRate, block } = o;
  const voices = o.voices;
  const expression = o.expression === true;
  const engine = new StreamingEngine(model, { sampleRate, spreadQuanta: o.spreadQuanta, warmUpQuanta: WARMUP_QUANTA,
    voices, mode: voices === undefined ? 'audio' : 'notes' });
  const msg = [0, 0, 0];
  if (voices !== undefined) benchNotes(engine, voices, expression);
  const n = Math.max(block, Math.round(o.seconds * sampleRate));
  const input = glideSignal(n, sampleRate, 110, 880);
  const out = new Float32Array(block);
  const nBlocks = Math.floor(n / block);
  const times = new Float64Array(nBlocks);
  const cpuTimes = new Float64Array(nBlocks);
  /** Runs blocks 0..count−1 of the glide, each one's wall and CPU time (ms) into wall[b], cpu[b]. */
  const runBlocks = (count: number, wall: Float64Array, cpu: Float64Array): void => {
    for (let b = 0; b < count; b++) {
      if (voices !== undefined && expression) benchBends(engine, voices, b * block, sampleRate, msg);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      engine.process(input, out, block, b * block, 0);
      wall[b] = performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu[b] = (c.user + c.system) / 1000;
    }
  };
  // The fresh engine's first second, measured on its own; then reset, and the steady state from the start.
  const first = Math.min(nBlocks, Math.ceil(sampleRate / block));
  const firstTimes = new Float64Array(first);
  const firstCpuTimes = new Float64Array(first);
  runBlocks(first, firstTimes, firstCpuTimes);
  const firstWorst = percentile(firstTimes, 100);
  const firstWorstCpu = percentile(firstCpuTimes, 100);
  engine.reset();
  if (voices !== undefined) benchNotes(engine, voices, expression);
  runBlocks(nBlocks, times, cpuTimes);
  let total = 0;
  let cpuSeconds = 0;
  for (let b = 0; b < nBlocks; b++) {
    total += times[b];
    cpuSeconds += cpuTimes[b] / 1000;
  }
  const audioSeconds = (nBlocks * block) / sampleRate;
  const H = model.estimator.hiddenSize;
  const P = model.estimator.outputSize;
  return {
    model: model.name ?? 'model',
    sample_rate: sampleRate,
    block,
    audio_seconds: round(audioSeconds, 3),
    engine_cpu_seconds: round(total / 1000, 4),
    rtf: round(total / 1000 / audioSeconds, 4),
    mean_block_ms: round(total / Math.max(1, nBlocks), 4),
    p99_block_ms: round(percentile(times, 99), 4),
    worst_block_ms: round(percentile(times, 100), 4),
    block_budget_ms: round((block / sampleRate) * 1000, 4),
    latency_samples: engine.latencySamples,
    latency_ms: round((engine.latencySamples / sampleRate) * 1000, 3),
    frame_macs: 2 * H + 11 * H * H + H * P,
    cpu_rtf: round(cpuSeconds / audioSeconds, 4),
    p99_block_cpu_ms: round(percentile(cpuTimes, 99), 4),
    worst_block_cpu_ms: round(percentile(cpuTimes, 100), 4),
    worst_block_first_s_ms: round(firstWorst, 4),
    worst_block_first_s_cpu_ms: round(firstWorstCpu, 4),
    ...(voices === undefined ? {} : {
      voices, notes_sounding: engine.notesSounding, expression,
      estimator_batch_ratio: round(estimatorBatchRatio(model, voices), 3),
    }),
  };
}

/** The minimum of each timing figure over several runs (the other fields from the first run). */
export function minOfRuns(runs: BenchResult[]): BenchResult {
  const r = { ...runs[0] };
  for (const k of ['engine_cpu_seconds', 'rtf', 'mean_block_ms', 'p99_block_ms', 'worst_block_ms', 'cpu_rtf',
    'p99_block_cpu_ms', 'worst_block_cpu_ms', 'worst_block_first_s_ms', 'worst_block_first_s_cpu_ms'] as const) {
    r[k] = Math.min(...runs.map((x) => x[k]));
  }
  return r;
}

// ---- training ----------------------------------------------------------------------------------------------

/** Sizes and settings of the training measurement (defaults: the shipped config). */
export interface TrainBenchOptions {
  /** Measured steps (after the warm-up). */
  steps: number;
  /** Unmeasured steps first (JIT, wasm heap growth). */
  warmup: number;
  /** Threads sharing each batch (trainer.devices). */
  devices: number;
  hidden?: number;
  harmonics?: number;
  filterSize?: number;
  irSeconds?: number;
  /** batch_size (default 16). */
  batch?: number;
  /** data.length, seconds per batch item (default 1). */
  clipSeconds?: number;
  backend?: string;
}

/** Figures of the training measurement. */
export interface TrainBenchResult {
  backend: string;
  devices: number;
  batch_size: number;
  clip_seconds: number;
  sample_rate: number;
  frames: number;
  hidden: number;
  harmonics: number;
  warmup_steps: number;
  steps: number;
  /** Wall time of each measured step, s. */
  step_seconds_all: number[];
  /** Fastest measured step, wall time, s. */
  step_seconds: number;
  step_seconds_mean: number;
  /** CPU time of the whole process (all threads) in the fastest-CPU step, s. */
  step_cpu_seconds: number;
  /** Last step's total loss (a sanity check: finite). */
  loss: number;
  /** RSS high-water mark of the training process (process.resourceUsage().maxRSS), MB. */
  peak_rss_mb: number;
  /** Size of the tfjs wasm heap(s) at the end, summed over threads (wasm memory never shrinks, so this is the
   *  heap's high-water mark), MB; null on other backends. */
  tf_wasm_heap_mb: number | null;
}

/** Config overrides for the training measurement. */
export function trainOverrides(o: TrainBenchOptions): string[] {
  const ov = ['name=bench', 'trainer.devices=1'];
  if (o.hidden !== undefined) ov.push(`model.estimator.hidden_size=${o.hidden}`);
  if (o.harmonics !== undefined) ov.push(`synth.dag.harmonic.config.n_harmonics=${o.harmonics}`);
  if (o.filterSize !== undefined) ov.push(`synth.dag.filtnoise.config.filter_size=${o.filterSize}`);
  if (o.irSeconds !== undefined) ov.push(`+synth.dag.irreverb.config.ir_s=${o.irSeconds}`);
  if (o.batch !== undefined) ov.push(`batch_size=${o.batch}`);
  if (o.clipSeconds !== undefined) ov.push(`data.length=${o.clipSeconds}`);
  if (o.backend !== undefined) ov.push(`backend=${o.backend}`);
  return ov;
}

/** The gradient hook URL when the training code exposes it (a source bundle needs it before loading; see below). */
async function gradientHook(): Promise<string | null> {
  const backend = (await import('../train/backend')) as { gradientHookUrl?: () => string };
  return typeof backend.gradientHookUrl === 'function' ? backend.gradientHookUrl() : null;
}

/** Slices the benchmark's session draws its batches from (synthetic: syntheticBatch makes any index). */
const BENCH_SLICES = 1000;

/**
 * Times `o.warmup + o.steps` training steps on synthetic batches in this process: the trainer's own session and
 * step (trainStep: estimator → synth → spectral loss → gradients → Adam; with devices 2 a worker thread of the
 * trainer's GradientWorkers computes a share of each batch).
 * @param cliUrl URL of this CLI's entry (for the worker thread of devices 2)
 */
export async function trainBench(o: TrainBenchOptions, cliUrl?: string): Promise<TrainBenchResult> {
  const { composeConfig } = await import('../train/config');
  const { initBackend } = await import('../train/backend');
  const { TrainSession } = await import('../train/session');
  const { GradientWorkers: Workers, trainStep, wasmHeapBytes } = await import('../train/parallel');
  const { syntheticBatch } = await import('../train/synthetic-batch');
  const c = composeConfig({ overrides: trainOverrides(o) }).config;
  const backend = await initBackend(c.backend as 'auto');
  const tf = backend.tf;
  const session = await TrainSession.create(tf, c, BENCH_SLICES);
  const batchOf = (indices: number[]) => syntheticBatch(c, indices);
  const B = c.batch_size;
  const devices = B > 1 ? o.devices : 1;
  let pool: GradientWorkers | null = null;
  const wall: number[] = [];
  const cpu: number[] = [];
  let loss = NaN;
  try {
    if (devices > 1) {
      if (!cliUrl) throw new Error('devices 2 needs the CLI entry URL');
      // the worker runs this CLI (`bench --train-worker`), which runs the trainer's workerMain on synthetic batches
      pool = await Workers.start(devices - 1, session, null, { url: cliUrl, call: "m.main(['bench', '--train-worker'])" });
    }
    for (let step = 0; step < o.warmup + o.steps; step++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      loss = (await trainStep(session, batchOf, pool)).total;
      const dt = (performance.now() - t0) / 1000;
      const du = process.cpuUsage(c0);
      if (step >= o.warmup) { wall.push(dt); cpu.push((du.user + du.system) / 1e6); }
      // as the trainer does: let the event loop turn between steps (finalizers, timers)
      await new Promise<void>((r) => setImmediate(r));
    }
    let heap = wasmHeapBytes(tf);
    if (pool && heap !== null) {
      const theirs = await pool.heapBytes();
      heap = theirs === null ? null : heap + theirs;
    }
    const mb = (bytes: number): number => round(bytes / (1 << 20), 1);
    const { graph } = session;
    return {
      backend: backend.name,
      devices,
      batch_size: B,
      clip_seconds: c.data.length,
      sample_rate: c.sample_rate,
      frames: Math.round(c.data.length * c.data.frame_rate),
      hidden: graph.estimator.hiddenSize,
      harmonics: (graph.synth.nodes.find((n) => n.type === 'Harmonic') as { nHarmonics?: number } | undefined)?.nHarmonics ?? 0,
      warmup_steps: o.warmup,
      steps: o.steps,
      step_seconds_all: wall.map((x) => round(x, 3)),
      step_seconds: round(Math.min(...wall), 3),
      step_seconds_mean: round(wall.reduce((a, b) => a + b, 0) / wall.length, 3),
      step_cpu_seconds: round(Math.min(...cpu), 3),
      loss: round(loss, 6),
      peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
      tf_wasm_heap_mb: heap === null ? null : mb(heap),
    };
  } finally {
    await pool?.close();
    session.dispose();
  }
}

/**
 * How to start this CLI in another process or thread: the built entry (dist/cli.js) when running from the build,
 * else (TypeScript sources: tests, development) a bundle of src/cli/main.ts that esbuild (a dev dependency) writes
 * under node_modules/.cache. A bundle imports tfjs's gradient files at its top level, so the launcher registers
 * the gradient resolve hook first (see src/train/backend.ts).
 */
async function cliLauncher(): Promise<{ url: string; args: (argv: string[]) => string[] }> {
  const self = import.meta.url;
  if (self.endsWith('.js')) {
    // built: this module is dist/cli/bench-<hash>.js, the entry dist/cli.js
    let entry = fileURLToPath(new URL('../cli.js', self));
    if (!existsSync(entry) && process.argv[1]) entry = process.argv[1];
    return { url: pathToFileURL(entry).href, args: (argv) => [entry, ...argv] };
  }
  const esbuildName = 'esbuild';
  const esbuild = (await import(/* @vite-ignore */ esbuildName)) as typeof import('esbuild');
  const outDir = fileURLToPath(new URL('../../node_modules/.cache/ddsp-stream/', self));
  mkdirSync(outDir, { recursive: true });
  const built = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./main.ts', self))], bundle: true, platform: 'node', format: 'esm',
    write: false, target: 'es2022', packages: 'external', logLevel: 'silent', outfile: join(outDir, 'cli.mjs'),
  });
  const code = built.outputFiles[0].contents;
  const file = join(outDir, `cli-${createHash('sha1').update(code).digest('hex').slice(0, 12)}.mjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  const url = pathToFileURL(file).href;
  const hook = await gradientHook();
  return {
    url,
    args: (argv) => ['--input-type=module', '-e',
      `${hook ? `import { register } from 'node:module'; register(${JSON.stringify(hook)});\n` : ''}` +
      `const m = await import(${JSON.stringify(url)}); process.exitCode = await m.main(${JSON.stringify(argv)});`],
  };
}

/** Runs the training measurement in a child process; resolves with its figures or a one-line reason. */
async function trainInChild(o: TrainBenchOptions): Promise<{ result: TrainBenchResult } | { note: string }> {
  const tfjs = missingTrainingPackages().filter((n) => n.startsWith('@tensorflow/'));
  if (tfjs.length > 0) {
    return { note: `training figures need the optional package${tfjs.length > 1 ? 's' : ''} ${tfjs.join(', ')}: ${installCommand(tfjs)}` };
  }
  const launcher = await cliLauncher();
  const argv = ['bench', '--train-child', '--cli-url', launcher.url, '--steps', String(o.steps), '--warmup', String(o.warmup),
    '--devices', String(o.devices)];
  const opt = (flag: string, v: string | number | undefined) => { if (v !== undefined) argv.push(flag, String(v)); };
  opt('--hidden', o.hidden);
  opt('--harmonics', o.harmonics);
  opt('--filter-size', o.filterSize);
  opt('--ir-seconds', o.irSeconds);
  opt('--train-batch', o.batch);
  opt('--train-seconds', o.clipSeconds);
  opt('--backend', o.backend);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, launcher.args(argv), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => resolve({ note: `training measurement did not start: ${e.message}` }));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0) {
        try { resolve({ result: JSON.parse(last) as TrainBenchResult }); return; } catch { /* fall through */ }
      }
      const why = err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
      resolve({ note: `training measurement failed: ${why.replace(/^ddsp-stream bench: /, '')}` });
    });
  });
}

/** Runs `bench`. Returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  expectPositionals(p, [], USAGE);
  if (bool(p, 'train-worker')) {
    // a gradient worker thread of `bench --devices 2` (GradientWorkers.start above): answers until terminated
    const { workerMain } = await import('../train/parallel');
    await workerMain();
    return new Promise<number>(() => {});
  }
  const trainOpts: TrainBenchOptions = {
    steps: num(p, 'steps', 3),
    warmup: num(p, 'warmup', 1),
    devices: num(p, 'devices', 1),
    hidden: num(p, 'hidden'),
    harmonics: num(p, 'harmonics'),
    filterSize: num(p, 'filter-size'),
    irSeconds: num(p, 'ir-seconds'),
    batch: num(p, 'train-batch'),
    clipSeconds: num(p, 'train-seconds'),
    backend: str(p, 'backend'),
  };
  if (bool(p, 'train-child')) {
    const r = await trainBench(trainOpts, str(p, 'cli-url'));
    io.stdout(`${JSON.stringify(r)}\n`);
    return 0;
  }

  const path = str(p, 'model');
  const model = path !== undefined
    ? await loadModel(path)
    : {
      ...syntheticModel({ hiddenSize: num(p, 'hidden', 512), nHarmonics: num(p, 'harmonics', 256),
        filterSize: num(p, 'filter-size', 512), irSeconds: num(p, 'ir-seconds', 1), frameRate: num(p, 'frame-rate', 50) }),
      analysisWindow: num(p, 'analysis-window'),
      analysisAlignment: str(p, 'analysis-alignment') as AnalysisAlignment | undefined,
    };
  try { validateModel(model); } catch (e) { throw new CliError(`synthetic model: ${(e as Error).message}`); }
  const runs: BenchResult[] = [];
  for (let i = 0; i < num(p, 'repeat', 1); i++) {
    runs.push(benchEngine(model, {
      sampleRate: num(p, 'sample-rate', 48000),
      block: num(p, 'block', 128),
      seconds: num(p, 'seconds', 10),
      spreadQuanta: num(p, 'spread-quanta'),
      voices: num(p, 'voices'),
      expression: bool(p, 'expression'),
    }));
  }
  if (bool(p, 'expression') && num(p, 'voices') === undefined) throw new CliError('--expression bends the notes of --voices N: give it');
  const r = minOfRuns(runs);
  let training: TrainBenchResult | null = null;
  let trainingNote: string | undefined;
  if (bool(p, 'no-train')) {
    trainingNote = 'skipped (--no-train)';
  } else {
    const t = await trainInChild(trainOpts);
    if ('result' in t) training = t.result;
    else trainingNote = t.note;
  }
  if (bool(p, 'json')) {
    io.stdout(`${JSON.stringify({ ...r, repeat: runs.length, training, ...(trainingNote ? { training_note: trainingNote } : {}) })}\n`);
    return 0;
  }
  const lines = [
    `model            ${r.model} (${r.frame_macs.toLocaleString('en')} MACs per frame)`,
    `sample rate      ${r.sample_rate} Hz, block ${r.block} (budget ${r.block_budget_ms} ms)`,
    `audio            ${r.audio_seconds} s in ${r.engine_cpu_seconds} s  →  RTF ${r.rtf} (CPU time ${r.cpu_rtf})${runs.length > 1 ? `, best of ${runs.length}` : ''}`,
    `block time       mean ${r.mean_block_ms} ms, p99 ${r.p99_block_ms} ms, worst ${r.worst_block_ms} ms (CPU time: p99 ${r.p99_block_cpu_ms} ms, worst ${r.worst_block_cpu_ms} ms)`,
    `first second     worst ${r.worst_block_first_s_ms} ms (CPU time ${r.worst_block_first_s_cpu_ms} ms), fresh engine`,
    `latency          ${r.latency_samples} samples = ${r.latency_ms} ms`,
  ];
  if (r.voices !== undefined) {
    lines.splice(2, 0, `notes            ${r.notes_sounding} of ${r.voices} voice${r.voices > 1 ? 's' : ''} sounding${r.expression ? ', every note bending (MPE vibrato)' : ', held'}; estimator alone: ${r.voices} frames in one batched pass = ${r.estimator_batch_ratio} × ${r.voices} one-frame passes`);
  }
  if (training) {
    const t = training;
    lines.push(
      `training         ${t.backend}, ${t.devices} thread${t.devices > 1 ? 's' : ''}, batch ${t.batch_size} × ${t.clip_seconds} s at ${t.sample_rate} Hz (hidden ${t.hidden}, ${t.harmonics} harmonics)`,
      `step time        min ${t.step_seconds} s, mean ${t.step_seconds_mean} s (CPU ${t.step_cpu_seconds} s) over ${t.steps} steps after ${t.warmup_steps} warm-up`,
      `peak memory      RSS ${t.peak_rss_mb} MB${t.tf_wasm_heap_mb !== null ? `, tfjs wasm heap ${t.tf_wasm_heap_mb} MB` : ''}`,
    );
  } else {
    lines.push(`training         ${trainingNote}`);
  }
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}
