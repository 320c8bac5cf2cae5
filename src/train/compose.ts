/**
 * Training configuration: hydra-like composition of the YAML groups shipped in `configs/` (the seed's
 * `configs/config.yaml` and its groups trainer, model, data, synth, loss; optional exp), command-line
 * overrides (`key=value`, `+key=value`, `~key`, `synth=hpn`) and `${...}` interpolation, validated by the schema
 * (config-schema.ts).
 *
 * Every key of the seed's configs is accepted: applied where it means something here, acknowledged in one
 * note line where it does not (`trainer.gpus`, `num_workers`, ...). Keys that exist in neither are refused
 * with the nearest valid key. The optuna sweeper is refused (use `-m` with comma lists, see sweep.ts).
 *
 * This module touches no file system: the config folders are {@link ConfigSource}s and paths go through a
 * {@link ConfigHost}, so the same composition runs in Node (config.ts gives it folders on disk) and in a web
 * page (web.ts gives it the shipped configs embedded in the build).
 */
import { parse as parseYaml, stringify } from 'yaml';
import { acknowledge, describeValue, isSchemaKey, knownKeys, validateConfig, type TrainConfig } from './config-schema';
import { LIMITS } from '../model/limits';
import { resolveInterpolations } from './interpolate';
import { ConfigError, parseOverride, parseValue, type Override } from './overrides';
import { suggest } from './suggest';

/** A config (or any plain value) as YAML text, as `--cfg` prints it and a run folder's config.yaml holds it. */
export function toYaml(value: unknown): string {
  return stringify(value);
}

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

  if ((opts.overrides ?? []).length > LIMITS.config.maxOverrides) {
    throw new ConfigError(`${opts.overrides!.length} overrides; a run takes at most ${LIMITS.config.maxOverrides} (put the values in a config file)`);
  }
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
    if (!isDict(d)) throw new ConfigError(`${primaryFile}: cannot read defaults entry ${describeValue(d)}`);
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
  for (const o of cliValues) {
    const path = o.key.split('.');
    if (o.kind === 'delete') {
      if (!deletePath(tree, path)) {
        const hint = suggest(o.key, knownKeys(tree));
        throw new ConfigError(`cannot delete '${o.key}': no such key${hint ? ` — did you mean '${hint}'?` : ''}`, o.key);
      }
      continue;
    }
    const exists = hasPath(tree, path);
    if (o.kind === 'set' && !exists && !isSchemaKey(o.key)) {
      const hint = suggest(o.key, knownKeys(tree));
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
  const config = validateConfig(resolved);

  // 6. paths as the host wants them (Node: against the start directory; no chdir, unlike hydra)
  const abs = (p: string | null) => (p === null ? null : host.absolute(p));
  config.data.raw_dir = abs(config.data.raw_dir);
  config.data.db_path = abs(config.data.db_path);
  config.ckpt = abs(config.ckpt);
  acknowledge(config, notes, new Set(cliValues.map((o) => o.key)));
  return { config, resolved: resolved as Record<string, unknown>, groups: { ...selection }, notes };
}
