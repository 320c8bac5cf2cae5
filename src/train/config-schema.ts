/**
 * The training configuration's schema: every key (the seed's, plus ours) with its type, default and range (zod),
 * the checks that span keys, and the limits of what this trainer implements (the loss settings it supports, the
 * synth graphs it can train, trainer.max_time's forms), each stated once. {@link validateConfig} applies them all
 * to a composed tree (compose.ts) and throws ConfigError naming the key.
 */
import { z } from 'zod';
import { ANALYSIS_ALIGNMENTS } from '../dsp/analysis-window';
import { SEMITONE } from '../dsp/pitch';
import { LIMITS } from '../model/limits';
import { synthFromSeedDag } from '../synth/dag';
import type { SynthConfig } from '../modules/schema';
import { ConfigError } from './overrides';
import { suggest } from './suggest';

/** Metric names as the seed logs them (usable as `monitor`). */
export const METRIC_NAMES = [
  'val_0/spec', 'val_0/lsd', 'val_0/sc', 'val_0/loud', 'val_0/mfcc_l1', 'train/spec', 'train/total',
] as const;

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().min(0);
const finite = z.number().refine((v) => Number.isFinite(v), { message: 'must be a finite number' });

const LinearSchedule = z.strictObject({
  type: z.literal('linear'),
  start: nonNegInt,
  warm: nonNegInt,
  start_v: finite,
  end_v: finite,
});
/** One loss weight schedule: a constant, or the seed's linear anneal (schedules.py). */
export type LossSchedule = number | z.infer<typeof LinearSchedule>;

/** The learning rate over the steps (schedules.ts): warm-up, then a decay from model.lr (the peak) to a floor. */
const LrScheduleSchema = z.strictObject({
  kind: z.enum(['constant', 'cosine', 'exponential']).default('constant'),
  warmup_steps: nonNegInt.default(0),
  decay_steps: posInt.nullable().default(null),
  floor: finite.positive().default(1e-5),
});
export type LrSchedule = z.infer<typeof LrScheduleSchema>;

const SpectralLossSchema = z.strictObject({
  _target_: z.string().default('diffsynth.loss.SpectralLoss'),
  fft_sizes: z.array(posInt.min(2)).min(1).default([64, 128, 256, 512, 1024, 2048]),
  hop_lengths: z.array(posInt).nullable().default(null),
  win_lengths: z.array(posInt).nullable().default(null),
  mag_w: finite.min(0).default(1),
  log_mag_w: finite.min(0).default(1),
  fro_w: finite.min(0).default(0),
});

const DagNodeSchema = z.strictObject({
  config: z.record(z.string(), z.unknown()),
  connections: z.record(z.string(), z.string()),
});

const TrainerSchema = z.strictObject({
  _target_: z.string().default('pytorch_lightning.Trainer'),
  max_epochs: z.number().int().min(-1).nullable().default(-1),
  max_steps: z.number().int().min(-1).default(100000),
  gradient_clip_val: finite.min(0).nullable().default(0),
  gpus: z.union([z.number().int().min(-1), z.string(), z.array(z.number().int())]).nullable().default(1),
  num_nodes: posInt.default(1),
  benchmark: z.boolean().nullable().default(false),
  overfit_batches: finite.min(0).default(0),
  limit_train_batches: finite.positive().nullable().default(1),
  auto_lr_find: z.union([z.boolean(), z.string()]).default(false),
  check_val_every_n_epoch: posInt.nullable().default(10),
  min_epochs: nonNegInt.nullable().default(1),
  log_every_n_steps: posInt.default(50),
  max_time: z.union([z.string(), z.record(z.string(), z.number())]).nullable().default(null),
  // ours (Lightning names)
  val_check_interval: posInt.nullable().default(null),
  limit_val_batches: finite.positive().nullable().default(1),
  devices: z.union([posInt, z.literal('auto')]).default(1),
});

const ConfigSchema = z.strictObject({
  name: z.string().min(1).nullable().default(null),
  sample_rate: posInt.default(48000),
  ckpt_nepochs: posInt.nullable().default(null),
  ckpt_nsteps: posInt.nullable().default(10000),
  batch_size: posInt.default(16),
  seed: z.number().int().default(0),
  num_workers: nonNegInt.default(8),
  ckpt: z.string().min(1).nullable().default(null),
  monitor: z.enum(METRIC_NAMES).default('val_0/lsd'),
  backend: z.enum(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'),
  trainer: TrainerSchema,
  model: z.strictObject({
    lr: finite.positive().default(1e-4),
    lr_schedule: LrScheduleSchema.default({ kind: 'constant', warmup_steps: 0, decay_steps: null, floor: 1e-5 }),
    estimator: z.strictObject({
      _target_: z.string().default('diffsynth.estimator.EstimatorFL'),
      hidden_size: posInt.default(512),
    }),
    sample_rate: posInt,
  }),
  data: z.strictObject({
    _target_: z.string().default('diffsynth.data.SliceDataset'),
    raw_dir: z.string().min(1).nullable().default(null),
    db_path: z.string().min(1).nullable().default(null),
    sample_rate: posInt,
    length: finite.positive().default(1),
    frame_rate: posInt.default(50),
    f0_range: z.tuple([finite.positive(), finite.positive()]).default([32, 2000]),
    f0_viterbi: z.boolean().default(true),
    f0_tracker: z.enum(['offline', 'stream']).default('offline'),
    analysis_window: posInt.default(2048),
    analysis_alignment: z.enum(ANALYSIS_ALIGNMENTS as ['centred', 'causal']).default('centred'),
  }),
  synth: z.strictObject({
    name: z.string().default('synth'),
    dag: z.record(z.string(), DagNodeSchema),
    conditioned: z.array(z.string()).default(['f0']),
    noise_design: z.enum(['linear-phase', 'seed']).default('linear-phase'),
  }),
  loss: z.strictObject({
    losses: z.record(z.string(), SpectralLossSchema),
    sched: z.record(z.string(), z.union([finite, LinearSchedule, z.string()])),
  }),
  hydra: z
    .strictObject({
      job: z.strictObject({ chdir: z.boolean().nullable().default(true), name: z.string().optional(), num: z.number().int().optional() }).default({ chdir: true }),
      run: z.strictObject({ dir: z.string() }).optional(),
      sweep: z.strictObject({ dir: z.string(), subdir: z.union([z.string(), z.number()]) }).optional(),
      output_subdir: z.string().nullable().optional(),
      verbose: z.union([z.boolean(), z.string(), z.array(z.string())]).optional(),
    }),
});

/** The validated training configuration (seed key names; paths made absolute against the start directory). */
export type TrainConfig = z.infer<typeof ConfigSchema> & { name: string };

/** Every dotted key path present in a tree. */
export function treeKeys(tree: unknown, prefix = ''): string[] {
  const out: string[] = [];
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return out;
  for (const [k, v] of Object.entries(tree)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.push(p);
    out.push(...treeKeys(v, p));
  }
  return out;
}

/** Keys the schema knows beyond what the YAML holds (defaults of our own, optional Lightning ones). */
const SCHEMA_ONLY_KEYS = [
  'backend', 'trainer.val_check_interval', 'trainer.limit_val_batches', 'trainer.devices', 'data.f0_tracker',
  'synth.noise_design', 'hydra.job.name', 'hydra.job.num', 'hydra.output_subdir', 'hydra.verbose',
];

/** True for a key the schema knows that a config tree need not hold (an override may set it). */
export function isSchemaKey(path: string): boolean {
  if (SCHEMA_ONLY_KEYS.includes(path)) return true;
  if (/^loss\.losses\.[^.]+\.fro_w$/.test(path)) return true;
  return false;
}

/** Every key a config tree holds or may hold: what a hint for a mistyped key is drawn from. */
export function knownKeys(tree: unknown): string[] {
  return [...treeKeys(tree), ...SCHEMA_ONLY_KEYS];
}

/** A value as messages quote it. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'nothing';
  try { return JSON.stringify(v); } catch { return String(v); }
}

function valueAt(tree: unknown, path: PropertyKey[]): unknown {
  let node: unknown = tree;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[p as string];
  }
  return node;
}

/** Turns zod issues into one clear message per problem, naming the key. */
function formatIssues(issues: z.core.$ZodIssue[], tree: unknown): string {
  const lines: string[] = [];
  const known = knownKeys(tree);
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const full = key ? `${key}.${k}` : k;
        const hint = suggest(full, known.filter((c) => c !== full));
        lines.push(`unknown config key '${full}'${hint ? ` — did you mean '${hint}'?` : ''}`);
      }
      continue;
    }
    const got = valueAt(tree, issue.path);
    let what: string;
    switch (issue.code) {
      case 'invalid_type':
        what = got === undefined ? `is missing (expected ${issue.expected})` : `must be ${article(issue.expected)}, got ${describeValue(got)}`;
        break;
      case 'too_small':
        what = Array.isArray(got) ? `needs at least ${issue.minimum} entries` :
          `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, got ${describeValue(got)}`;
        break;
      case 'too_big':
        what = `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${describeValue(got)}`;
        break;
      case 'invalid_value':
        what = `must be one of ${issue.values.map((v) => describeValue(v)).join(', ')}, got ${describeValue(got)}`;
        break;
      case 'invalid_union':
        what = `has an invalid value ${describeValue(got)}`;
        break;
      default:
        what = `${issue.message}${got !== undefined ? `, got ${describeValue(got)}` : ''}`;
    }
    lines.push(`config key '${key}' ${what}`);
  }
  return lines.join('\n');
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'number') return 'a number';
  if (expected === 'boolean') return 'true or false';
  if (expected === 'string') return 'a string';
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a mapping';
  if (expected === 'tuple') return 'a list';
  return expected;
}

/**
 * Validates a composed, interpolated config tree: the schema, then the checks across keys.
 * @throws ConfigError naming the key (and the nearest valid key for unknown ones)
 */
export function validateConfig(tree: unknown): TrainConfig {
  const parsed = ConfigSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, tree));
  const config = parsed.data as TrainConfig;
  crossCheck(config);
  return config;
}

/** The checks that span keys, and the limits of what the trainer implements. */
function crossCheck(c: TrainConfig): void {
  const err = (key: string, msg: string): never => { throw new ConfigError(`config key '${key}'${msg.startsWith(':') ? '' : ' '}${msg}`, key); };
  if (c.data.sample_rate !== c.sample_rate) {
    err('data.sample_rate', `(${c.data.sample_rate}) differs from sample_rate (${c.sample_rate}): set sample_rate=${c.data.sample_rate} instead (data, model and synth follow it)`);
  }
  if (c.model.sample_rate !== c.sample_rate) {
    err('model.sample_rate', `(${c.model.sample_rate}) differs from sample_rate (${c.sample_rate}): set sample_rate=${c.model.sample_rate} instead`);
  }
  if (c.data.sample_rate % c.data.frame_rate !== 0) {
    err('data.frame_rate', `(${c.data.frame_rate}) must divide data.sample_rate (${c.data.sample_rate}) into a whole hop`);
  }
  const nFrames = c.data.length * c.data.frame_rate;
  if (Math.abs(nFrames - Math.round(nFrames)) > 1e-9 || Math.round(nFrames) < 1) {
    err('data.length', `(${c.data.length} s) must hold a whole number of frames at data.frame_rate=${c.data.frame_rate}`);
  }
  const [lo, hi] = c.data.f0_range;
  if (!(lo < hi)) err('data.f0_range', `must be [low, high] with low < high, got [${lo}, ${hi}]`);
  if (hi >= c.sample_rate / 2) err('data.f0_range', `high end (${hi} Hz) must be below half the sample rate`);
  const W = c.data.analysis_window;
  const [wLo, wHi] = LIMITS.model.analysisWindow;
  if (W % 2 !== 0 || W < wLo || W > wHi) err('data.analysis_window', `must be an even number of samples in [${wLo}, ${wHi}], got ${W}`);
  // The pitch trackers search lags up to a semitone past the period of the range's low end and need W − 3 ≥ that
  // lag (src/dsp/pitch.ts lagRange); a range the window cannot hold would be clipped silently.
  const lowest = Math.ceil((c.sample_rate * SEMITONE) / (W - 3));
  if (lo < lowest) {
    err('data.f0_range', `low end (${lo} Hz) is below what a ${W}-sample analysis window tracks at ${c.sample_rate} Hz ` +
      `(${lowest} Hz, a period and a semitone within the window): raise data.f0_range to [${lowest}, ${hi}] or data.analysis_window to ` +
      `${2 * Math.ceil((Math.ceil((c.sample_rate * SEMITONE) / lo) + 3) / 2)}`);
  }
  if (!/(^|\.)EstimatorFL$/.test(c.model.estimator._target_)) {
    err('model.estimator._target_', `must be diffsynth.estimator.EstimatorFL (the only estimator here), got '${c.model.estimator._target_}'`);
  }
  if (!/(^|\.)SliceDataset$/.test(c.data._target_)) {
    err('data._target_', `must be diffsynth.data.SliceDataset (the only dataset here), got '${c.data._target_}'`);
  }
  const losses = Object.keys(c.loss.losses);
  if (losses.length === 0) err('loss.losses', 'needs at least one loss');
  for (const [name, l] of Object.entries(c.loss.losses)) {
    if (!/(^|\.)SpectralLoss$/.test(l._target_)) {
      err(`loss.losses.${name}._target_`, `must be diffsynth.loss.SpectralLoss (the only loss here), got '${l._target_}'`);
    }
    // what the loss implements (loss.ts): hop = fft size / 4, window = fft size, mag and log-mag terms weighed alike
    const key = `loss.losses.${name}`;
    if (l.hop_lengths !== null) err(`${key}.hop_lengths`, ': only null (hop = fft size / 4) is supported');
    if (l.win_lengths !== null) err(`${key}.win_lengths`, ': only null (window = fft size) is supported');
    if (l.fro_w !== 0) err(`${key}.fro_w`, ': only 0 is supported');
    if (l.mag_w !== l.log_mag_w) err(`${key}.mag_w`, `(${l.mag_w}) must equal log_mag_w (${l.log_mag_w}): the loss weighs both terms equally`);
    if (l.mag_w + l.log_mag_w + l.fro_w <= 0) err(key, 'has all weights (mag_w, log_mag_w, fro_w) at 0');
  }
  for (const name of losses) {
    if (!(name in c.loss.sched)) err(`loss.sched.${name}`, `is missing: every loss needs a weight (e.g. loss.sched.${name}=1.0)`);
  }
  for (const [name, s] of Object.entries(c.loss.sched)) {
    if (name === 'name') continue;
    if (typeof s === 'string') err(`loss.sched.${name}`, `must be a number or {type: linear, start, warm, start_v, end_v}, got '${s}'`);
    if (!losses.includes(name)) {
      const hint = suggest(name, losses);
      err(`loss.sched.${name}`, `names no loss${hint ? ` — did you mean '${hint}'?` : ''} (losses: ${losses.join(', ')})`);
    }
  }
  const ls = c.model.lr_schedule;
  if (ls.kind !== 'constant') {
    const byEpochs = c.trainer.max_epochs !== null && c.trainer.max_epochs > 0;
    if (ls.decay_steps === null && c.trainer.max_steps <= 0 && !byEpochs) {
      err('model.lr_schedule.decay_steps', `must be set when neither trainer.max_steps nor trainer.max_epochs bounds the run: the ${ls.kind} decay needs an end`);
    }
    if (ls.floor > c.model.lr) err('model.lr_schedule.floor', `(${ls.floor}) must not exceed model.lr (${c.model.lr}), the peak it decays from`);
    const end = ls.decay_steps ?? (c.trainer.max_steps > 0 ? c.trainer.max_steps : null);
    if (end !== null && ls.warmup_steps > end) err('model.lr_schedule.warmup_steps', `(${ls.warmup_steps}) must not exceed the decay's end (${end} steps)`);
  }
  if (Object.keys(c.synth.dag).length === 0) err('synth.dag', 'needs at least one module');
  synthOfConfig(c);
  maxTimeSeconds(c.trainer.max_time);
}

/**
 * Seed keys accepted without an effect here: one note line listing those the command line (`given`) set to something
 * that would matter (the shipped defaults set some of them, e.g. gpus: 1, num_workers: 8, as the seed's do).
 */
export function acknowledge(c: TrainConfig, notes: string[], given: ReadonlySet<string>): void {
  const items: string[] = [];
  const t = c.trainer;
  const set = (key: string) => given.has(key);
  if (set('trainer.gpus') && t.gpus !== 0 && t.gpus !== null) items.push(`trainer.gpus=${describeValue(t.gpus)} (training runs on the CPU with tfjs)`);
  if (set('num_workers') && c.num_workers !== 0) items.push(`num_workers=${c.num_workers} (data loads in-process; trainer.devices=2 uses a second core)`);
  if (set('trainer.num_nodes') && t.num_nodes !== 1) items.push(`trainer.num_nodes=${t.num_nodes} (one machine)`);
  if (set('trainer.benchmark') && t.benchmark) items.push('trainer.benchmark=true (cuDNN only)');
  if (set('trainer.auto_lr_find') && t.auto_lr_find !== false) items.push(`trainer.auto_lr_find=${describeValue(t.auto_lr_find)} (not supported; model.lr is used)`);
  if (set('trainer.min_epochs') && t.min_epochs !== null && t.min_epochs > 1) items.push(`trainer.min_epochs=${t.min_epochs} (matters only with early stopping)`);
  if (set('hydra.job.chdir') && c.hydra.job.chdir) items.push('hydra.job.chdir=true (no chdir: relative paths resolve against the start directory)');
  if (items.length) notes.push(`accepted, no effect here: ${items.join('; ')}`);
}

/**
 * The synth graph of `c.synth` (the seed's DAG read by the synth's reader), with at most one IRReverb.
 * @throws ConfigError for a synth the library cannot build or train
 */
export function synthOfConfig(c: TrainConfig): SynthConfig {
  let synth: SynthConfig;
  try {
    synth = synthFromSeedDag(c.synth.dag, { sampleRate: c.sample_rate, design: c.synth.noise_design, name: c.synth.name,
      conditioned: c.synth.conditioned });
  } catch (e) {
    throw new ConfigError(`config key 'synth.dag': ${(e as Error).message}`, 'synth.dag');
  }
  if (synth.nodes.filter((n) => n.type === 'IRReverb').length > 1) {
    throw new ConfigError("config key 'synth.dag': at most one IRReverb module can be trained", 'synth.dag');
  }
  return synth;
}

/** Parses trainer.max_time ("DD:HH:MM:SS", "HH:MM:SS" or {days, hours, minutes, seconds}) into seconds; null = none. */
export function maxTimeSeconds(v: TrainConfig['trainer']['max_time']): number | null {
  if (v === null) return null;
  if (typeof v === 'string') {
    const parts = v.split(':').map(Number);
    if (parts.length < 1 || parts.length > 4 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
      throw new ConfigError(`config key 'trainer.max_time' must be "DD:HH:MM:SS", got '${v}'`, 'trainer.max_time');
    }
    const mult = [1, 60, 3600, 86400];
    return parts.reverse().reduce((acc, p, i) => acc + p * mult[i], 0);
  }
  const known: Record<string, number> = { days: 86400, hours: 3600, minutes: 60, seconds: 1 };
  let s = 0;
  for (const [k, n] of Object.entries(v)) {
    if (!(k in known)) throw new ConfigError(`config key 'trainer.max_time.${k}' is unknown (days, hours, minutes, seconds)`, `trainer.max_time.${k}`);
    s += n * known[k];
  }
  return s;
}
