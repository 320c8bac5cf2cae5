/**
 * Training configuration: hydra-like composition of the YAML groups shipped in `configs/` (the seed's
 * `configs/config.yaml` and its groups trainer, model, data, synth, loss; optional exp), command-line
 * overrides (`key=value`, `+key=value`, `~key`, `synth=hpn`), `${...}` interpolation, and validation with zod.
 *
 * Every key of the seed's configs is accepted: applied where it means something here, acknowledged in one
 * note line where it does not (`trainer.gpus`, `num_workers`, ...). Keys that exist in neither are refused
 * with the nearest valid key. The optuna sweeper is refused (use `-m` with comma lists, see sweep.ts).
 *
 * This module touches no file system: the config folders are {@link ConfigSource}s and paths go through a
 * {@link ConfigHost}, so the same composition runs in Node (config.ts gives it folders on disk) and in a web
 * page (web.ts gives it the shipped configs embedded in the build).
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { resolveInterpolations } from './interpolate';
import { ConfigError, parseOverride, parseValue, type Override } from './overrides';
import { suggest } from './suggest';

export { ConfigError } from './overrides';

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

/** Groups of the primary config's defaults list. */
const OPTUNA_MESSAGE =
  'the optuna sweeper is not supported: run a grid sweep with -m and comma lists instead, ' +
  'e.g. `ddsp-stream train -m model.lr=1e-4,3e-4,1e-3 model.estimator.hidden_size=256,512`';

/**
 * One folder of YAML configs (an entry of hydra's config search path), wherever it is stored. Paths inside it use
 * `/`: `config.yaml`, `synth/hpnir.yaml`.
 */
export interface ConfigSource {
  /** How messages name the folder (its path on disk, or a description). */
  readonly name: string;
  /** Text of the file at `path`, or undefined when the folder has no such file. */
  read(path: string): string | undefined;
  /** File names (not paths) in the sub-folder `group`; empty when there is none. */
  list(group: string): string[];
  /** How messages name the file at `path`. */
  describe(path: string): string;
}

/** A {@link ConfigSource} over files held in memory, keyed by their path inside the folder. */
export function memoryConfigSource(name: string, files: Readonly<Record<string, string>>): ConfigSource {
  return {
    name,
    read: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
    list: (group) => Object.keys(files).filter((p) => p.startsWith(`${group}/`) && !p.slice(group.length + 1).includes('/'))
      .map((p) => p.slice(group.length + 1)),
    describe: (path) => `${name}/${path}`,
  };
}

/** What composition needs from its surroundings (Node: folders on disk and the process; a page: memory). */
export interface ConfigHost {
  /** Config folders, searched in order (a user's folder first, the shipped configs last). */
  sources: ConfigSource[];
  /** Value of `${hydra:runtime.cwd}`. */
  cwd: string;
  /** Environment for `${oc.env:...}`. */
  env: Record<string, string | undefined>;
  /** data.raw_dir, data.db_path and ckpt as the config should hold them (Node: absolute paths). */
  absolute(path: string): string;
  /** The name a run gets from its data.raw_dir when `name` is not set. */
  baseName(path: string): string;
}

/** Options of {@link composeWith} (those of composeConfig that do not concern files or the process). */
export interface ComposeSettings {
  /** Command-line overrides (`key=value` ...), no sweep lists. */
  overrides?: string[];
  /** Primary config name (default `config`). */
  configName?: string;
  /** Time for `${now:...}` (default: now). */
  now?: Date;
  /** hydra.job.num (sweeps). */
  jobNum?: number;
}

/** Result of composing a config. */
export interface ComposedConfig {
  /** Validated config; data.raw_dir, data.db_path and ckpt as the host's absolute() gives them (absolute paths in Node). */
  config: TrainConfig;
  /** The resolved tree as plain data (what is saved beside the run as config.yaml). */
  resolved: Record<string, unknown>;
  /** Group selections, e.g. `{ synth: 'hpnir', ... }`. */
  groups: Record<string, string | null>;
  /** One-line notes (name defaulted, keys accepted without effect). */
  notes: string[];
}

type Tree = Record<string, unknown>;
const isDict = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

function deepMerge(into: Tree, from: Tree): Tree {
  for (const [k, v] of Object.entries(from)) {
    if (isDict(v) && isDict(into[k])) deepMerge(into[k] as Tree, v);
    else into[k] = clone(v);
  }
  return into;
}

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isDict(v)) {
    const o: Tree = {};
    for (const [k, x] of Object.entries(v)) o[k] = clone(x);
    return o as T;
  }
  return v;
}

interface LoadedYaml { body: Tree; pkg: string | null; defaults: unknown[] | null; file: string }

/** Parses a config file's text; `file` names it in messages. */
function loadYaml(text: string, file: string): LoadedYaml {
  const header = /^\s*#\s*@package\s+(\S+)/m.exec(text.split('\n').filter((l) => l.trim().startsWith('#')).join('\n'));
  let body: unknown;
  try {
    body = parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isDict(body)) throw new ConfigError(`${file}: the top level must be a mapping of keys`);
  let defaults: unknown[] | null = null;
  if ('defaults' in body) {
    if (!Array.isArray(body.defaults)) throw new ConfigError(`${file}: 'defaults' must be a list`);
    defaults = body.defaults;
    delete body.defaults;
  }
  return { body, pkg: header ? header[1] : null, defaults, file };
}

/** The first source's config file `group/option(.yaml)`, parsed; undefined when no source has it. */
function findGroupFile(sources: ConfigSource[], group: string, option: string): LoadedYaml | undefined {
  const name = option.endsWith('.yaml') || option.endsWith('.yml') ? option : `${option}.yaml`;
  const path = `${group}/${name}`;
  for (const s of sources) {
    const text = s.read(path);
    if (text !== undefined) return loadYaml(text, s.describe(path));
  }
  return undefined;
}

function groupOptions(sources: ConfigSource[], group: string): string[] {
  const out = new Set<string>();
  for (const s of sources) for (const f of s.list(group)) if (/\.ya?ml$/.test(f)) out.add(f.replace(/\.ya?ml$/, ''));
  return [...out].sort();
}

const stripYaml = (s: string) => s.replace(/\.ya?ml$/, '');

/** Applies `override /group: option` entries of a group config's own defaults list. */
function nestedGroupOverrides(defaults: unknown[] | null): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const d of defaults ?? []) {
    if (!isDict(d)) continue;
    for (const [k, v] of Object.entries(d)) {
      const m = /^(?:override\s+)?\/?(.+)$/.exec(k.trim());
      if (m && m[1] !== '_self_') out.push([m[1].trim(), v === null ? null : String(v)]);
    }
  }
  return out;
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const p of path.slice(0, -1)) {
    if (!isDict(node[p])) node[p] = {};
    node = node[p] as Tree;
  }
  node[path[path.length - 1]] = value;
}

function hasPath(tree: Tree, path: string[]): boolean {
  let node: unknown = tree;
  for (const p of path) {
    if (!isDict(node) || !(p in node)) return false;
    node = node[p];
  }
  return true;
}

function deletePath(tree: Tree, path: string[]): boolean {
  let node: unknown = tree;
  for (const p of path.slice(0, -1)) {
    if (!isDict(node) || !(p in node)) return false;
    node = node[p];
  }
  if (!isDict(node) || !(path[path.length - 1] in node)) return false;
  delete node[path[path.length - 1]];
  return true;
}

/** Every dotted key path present in a tree. */
export function treeKeys(tree: unknown, prefix = ''): string[] {
  const out: string[] = [];
  if (!isDict(tree)) return out;
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

function isSchemaKey(path: string): boolean {
  if (SCHEMA_ONLY_KEYS.includes(path)) return true;
  if (/^loss\.losses\.[^.]+\.fro_w$/.test(path)) return true;
  return false;
}

function describe(v: unknown): string {
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
function formatIssues(issues: z.core.$ZodIssue[], tree: Tree): string {
  const lines: string[] = [];
  const known = [...treeKeys(tree), ...SCHEMA_ONLY_KEYS];
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
        what = got === undefined ? `is missing (expected ${issue.expected})` : `must be ${article(issue.expected)}, got ${describe(got)}`;
        break;
      case 'too_small':
        what = Array.isArray(got) ? `needs at least ${issue.minimum} entries` :
          `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, got ${describe(got)}`;
        break;
      case 'too_big':
        what = `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${describe(got)}`;
        break;
      case 'invalid_value':
        what = `must be one of ${issue.values.map((v) => describe(v)).join(', ')}, got ${describe(got)}`;
        break;
      case 'invalid_union':
        what = `has an invalid value ${describe(got)}`;
        break;
      default:
        what = `${issue.message}${got !== undefined ? `, got ${describe(got)}` : ''}`;
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

/** The groups a user may select on the command line. */
function groupKeys(defaults: unknown[]): string[] {
  const out: string[] = [];
  for (const d of defaults) if (isDict(d)) out.push(...Object.keys(d).map((k) => k.replace(/^(override\s+)?\/?/, '')));
  return out;
}

/**
 * Composes, interpolates and validates the training config from the host's config folders.
 * Throws ConfigError with a message naming the key (and the nearest valid key for unknown ones).
 */
export function composeWith(host: ConfigHost, opts: ComposeSettings = {}): ComposedConfig {
  const { sources, cwd } = host;
  const configName = stripYaml(opts.configName ?? 'config');
  let primary: LoadedYaml | undefined;
  for (const s of sources) {
    const text = s.read(`${configName}.yaml`);
    if (text !== undefined) { primary = loadYaml(text, s.describe(`${configName}.yaml`)); break; }
  }
  if (!primary) throw new ConfigError(`no primary config '${configName}.yaml' in ${sources.map((s) => s.name).join(', ')}`);
  const primaryFile = primary.file;
  const defaults = primary.defaults ?? ['_self_'];

  const overrides: Override[] = (opts.overrides ?? []).map(parseOverride);
  for (const o of overrides) {
    if (o.alternatives.length > 1) {
      throw new ConfigError(
        `'${o.arg}' lists several values: that is a sweep, add -m (e.g. ddsp-stream train -m ${o.arg})`,
        o.key,
      );
    }
  }

  // 1. group selections: primary defaults, then group configs' own `override /g: x`, then the command line.
  const order: string[] = [];
  const selection: Record<string, string | null> = {};
  for (const d of defaults) {
    if (d === '_self_') { order.push('_self_'); continue; }
    if (typeof d === 'string') { order.push(stripYaml(d)); selection[stripYaml(d)] = null; continue; }
    if (!isDict(d)) throw new ConfigError(`${primaryFile}: cannot read defaults entry ${describe(d)}`);
    for (const [g, opt] of Object.entries(d)) {
      order.push(g);
      selection[g] = opt === null ? null : stripYaml(String(opt));
    }
  }
  const groups = new Set(groupKeys(defaults));
  const cliGroups: Override[] = [];
  const cliValues: Override[] = [];
  for (const o of overrides) {
    const isGroup = o.key.includes('/') || (groups.has(o.key) && (o.text === undefined || !/^[[{]/.test(o.text)));
    (isGroup ? cliGroups : cliValues).push(o);
  }
  const applyGroup = (g: string, opt: string | null, src: string) => {
    if (g === 'optuna' || g.startsWith('hydra/sweeper') || (g === 'hydra/sweeper')) {
      if (opt !== null) throw new ConfigError(OPTUNA_MESSAGE, g);
      return;
    }
    if (g.startsWith('hydra/')) {
      throw new ConfigError(`${src}: hydra plugin group '${g}' is not supported here (runs write their own logs)`, g);
    }
    if (!(g in selection)) {
      const hint = suggest(g, Object.keys(selection));
      throw new ConfigError(`${src}: unknown config group '${g}'${hint ? ` — did you mean '${hint}'?` : ''} (groups: ${Object.keys(selection).join(', ')})`, g);
    }
    selection[g] = opt === null ? null : stripYaml(opt);
  };
  for (const o of cliGroups) {
    if (o.kind === 'delete') applyGroup(o.key, null, `'${o.arg}'`);
    else applyGroup(o.key, o.text === 'null' ? null : o.text ?? null, `'${o.arg}'`);
  }
  // group configs may override other groups (exp configs); the command line still wins
  const cliGroupSet = new Set(cliGroups.map((o) => o.key));
  const loaded: Record<string, LoadedYaml> = {};
  const loadSelected = (g: string): LoadedYaml | null => {
    const opt = selection[g];
    if (opt === null || opt === undefined) return null;
    if (g === 'optuna') throw new ConfigError(OPTUNA_MESSAGE, 'optuna');
    const file = findGroupFile(sources, g, opt);
    if (!file) {
      const options = groupOptions(sources, g);
      const hint = suggest(opt, options);
      throw new ConfigError(
        `no config '${opt}' in group '${g}'${hint ? ` — did you mean '${hint}'?` : ''} (available: ${options.join(', ') || 'none'})`,
        g,
      );
    }
    return file;
  };
  for (let pass = 0; pass < 2; pass++) {
    for (const g of order) {
      if (g === '_self_') continue;
      const y = loadSelected(g);
      if (!y) continue;
      loaded[g] = y;
      for (const [og, oopt] of nestedGroupOverrides(y.defaults)) {
        if (og.startsWith('hydra/sweeper') && oopt !== null) throw new ConfigError(OPTUNA_MESSAGE, og);
        if (!cliGroupSet.has(og) && og in selection) selection[og] = oopt === null ? null : stripYaml(oopt);
      }
    }
  }

  // 2. merge in defaults-list order
  const tree: Tree = {};
  for (const g of order) {
    if (g === '_self_') { deepMerge(tree, primary.body); continue; }
    const y = loaded[g];
    if (!y || selection[g] === null) continue;
    const pkg = y.pkg === null || y.pkg === '_group_' ? g.split('/').join('.') : y.pkg;
    if (pkg === '_global_') deepMerge(tree, y.body);
    else {
      const path = pkg.split('.');
      const into: Tree = {};
      setPath(into, path, y.body);
      deepMerge(tree, into);
    }
  }

  // 3. value overrides
  const knownForHint = () => [...treeKeys(tree), ...SCHEMA_ONLY_KEYS];
  for (const o of cliValues) {
    const path = o.key.split('.');
    if (o.kind === 'delete') {
      if (!deletePath(tree, path)) {
        const hint = suggest(o.key, knownForHint());
        throw new ConfigError(`cannot delete '${o.key}': no such key${hint ? ` — did you mean '${hint}'?` : ''}`, o.key);
      }
      continue;
    }
    const exists = hasPath(tree, path);
    if (o.kind === 'set' && !exists && !isSchemaKey(o.key)) {
      const hint = suggest(o.key, knownForHint());
      throw new ConfigError(`unknown config key '${o.key}'${hint ? ` — did you mean '${hint}'?` : ''}`, o.key);
    }
    if (o.kind === 'add' && exists) {
      throw new ConfigError(`'+${o.key}' adds a key, but '${o.key}' already exists: write ${o.key}=${o.text}`, o.key);
    }
    setPath(tree, path, parseValue(o.text ?? '', o.arg));
  }

  // 4. interpolation (name defaulted first so paths never read logs/null)
  const env = host.env;
  const now = opts.now ?? new Date();
  const jobNum = opts.jobNum ?? 0;
  if (!isDict(tree.hydra)) tree.hydra = {};
  const hydraNode = tree.hydra as Tree;
  if (!isDict(hydraNode.job)) hydraNode.job = {};
  (hydraNode.job as Tree).num = jobNum;
  if (!isDict(hydraNode.run)) hydraNode.run = { dir: 'logs/${name}/${now:%Y-%m-%d_%H-%M-%S}' };
  if (!isDict(hydraNode.sweep)) hydraNode.sweep = { dir: 'logs/${name}/multirun_${now:%Y-%m-%d_%H-%M-%S}', subdir: '${hydra.job.num}' };
  (hydraNode.job as Tree).name = 'train';
  const ctx = { now, env, hydra: { 'runtime.cwd': cwd, 'job.num': jobNum, 'job.name': 'train' } };
  const notes: string[] = [];
  let resolved = resolveInterpolations(tree, ctx);
  if (resolved.name === null || resolved.name === undefined) {
    const raw = isDict(resolved.data) ? resolved.data.raw_dir : null;
    const derived = typeof raw === 'string' && raw ? host.baseName(raw) || 'ddsp' : 'ddsp';
    tree.name = derived;
    notes.push(`name is not set: using name=${derived} (logs/${derived}/...); set name=NAME to choose`);
    resolved = resolveInterpolations(tree, ctx);
  }

  // 5. validation
  const parsed = ConfigSchema.safeParse(resolved);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, resolved));
  const config = parsed.data as TrainConfig;
  crossCheck(config);

  // 6. paths as the host wants them (Node: against the start directory; no chdir, unlike hydra)
  const abs = (p: string | null) => (p === null ? null : host.absolute(p));
  config.data.raw_dir = abs(config.data.raw_dir);
  config.data.db_path = abs(config.data.db_path);
  config.ckpt = abs(config.ckpt);
  acknowledge(config, notes, new Set(cliValues.map((o) => o.key)));
  return { config, resolved: resolved as Record<string, unknown>, groups: { ...selection }, notes };
}

function crossCheck(c: TrainConfig): void {
  const err = (key: string, msg: string) => { throw new ConfigError(`config key '${key}' ${msg}`, key); };
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
    for (const k of ['hop_lengths', 'win_lengths'] as const) {
      const v = l[k];
      if (v !== null && v.length !== l.fft_sizes.length) {
        err(`loss.losses.${name}.${k}`, `needs one entry per fft size (${l.fft_sizes.length}), got ${v.length}`);
      }
    }
    if (l.win_lengths) l.win_lengths.forEach((w, i) => { if (w > l.fft_sizes[i]) err(`loss.losses.${name}.win_lengths`, `entry ${w} is longer than its fft size ${l.fft_sizes[i]}`); });
    if (l.mag_w + l.log_mag_w + l.fro_w <= 0) err(`loss.losses.${name}`, 'has all weights (mag_w, log_mag_w, fro_w) at 0');
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
  if (Object.keys(c.synth.dag).length === 0) err('synth.dag', 'needs at least one module');
}

/**
 * Seed keys accepted without an effect here: one note line listing those the command line `given` set to something
 * that would matter (the shipped defaults set some of them, e.g. gpus: 1, num_workers: 8, as the seed's do).
 */
function acknowledge(c: TrainConfig, notes: string[], given: ReadonlySet<string>): void {
  const items: string[] = [];
  const t = c.trainer;
  const set = (key: string) => given.has(key);
  if (set('trainer.gpus') && t.gpus !== 0 && t.gpus !== null) items.push(`trainer.gpus=${describe(t.gpus)} (training runs on the CPU with tfjs)`);
  if (set('num_workers') && c.num_workers !== 0) items.push(`num_workers=${c.num_workers} (data loads in-process; trainer.devices=2 uses a second core)`);
  if (set('trainer.num_nodes') && t.num_nodes !== 1) items.push(`trainer.num_nodes=${t.num_nodes} (one machine)`);
  if (set('trainer.benchmark') && t.benchmark) items.push('trainer.benchmark=true (cuDNN only)');
  if (set('trainer.auto_lr_find') && t.auto_lr_find !== false) items.push(`trainer.auto_lr_find=${describe(t.auto_lr_find)} (not supported; model.lr is used)`);
  if (set('trainer.min_epochs') && t.min_epochs !== null && t.min_epochs > 1) items.push(`trainer.min_epochs=${t.min_epochs} (matters only with early stopping)`);
  if (set('hydra.job.chdir') && c.hydra.job.chdir) items.push('hydra.job.chdir=true (no chdir: relative paths resolve against the start directory)');
  if (items.length) notes.push(`accepted, no effect here: ${items.join('; ')}`);
}

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
