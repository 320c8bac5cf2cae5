/**
 * The synth graph as data (the seed's `diffsynth.synthesizer.Synthesizer` DAG): validation, the parameter split,
 * the seed's `hpnir` / `hpn` graphs and the one reader of the seed's synth YAML. DSP-free (it reads the module
 * records of src/modules/schema only), so the model-file code and the seed-checkpoint converter use it without
 * pulling in synthesis code.
 *
 * A {@link SynthConfig} lists nodes in processing order. Each node's inputs (`connections`) name either an
 * earlier node (audio inputs: signal_a, signal_b, audio), an external parameter key (controls, e.g. 'AMP',
 * filled from the estimator's output vector), or a conditioned input (the f0 track, passed unscaled). External
 * keys take consecutive slices of the estimator output in graph order (the seed's `ext_param_sizes`), and each
 * module scales its slice with its own input spec (the seed's `Processor.scale_params`). The last node's output
 * is the synth's output.
 *
 * @packageDocumentation
 */
import {
  MODULES, SUPPORTED_MODULES, UNSUPPORTED_SEED_MODULES, isModuleType, optionProblem, optionProblems,
  type ModuleSchema,
  type ModuleType, type NoiseFilterDesign, type ParamSpec, type ScaleType, type SynthConfig, type SynthNode,
} from '../modules/schema';

/** One external parameter: a slice of the estimator's output vector. */
export interface ExternalParam {
  /** The key ('AMP', 'HARM', 'FREQRES', ...). */
  key: string;
  /** The first node reading it, and which of its inputs. */
  node: string;
  param: string;
  /** Values per frame. */
  size: number;
  /** Offset of the slice in the estimator output vector. */
  offset: number;
  /** Range and scale of the first consumer (each consumer scales with its own spec). */
  range: [number, number];
  scale: ScaleType;
}

/** What one module input reads. */
export type InputSource =
  | { kind: 'node'; index: number }
  | { kind: 'param'; key: string; offset: number; size: number }
  | { kind: 'conditioned'; key: string };

/** A validated graph: per node, per spec input, its source. */
export interface ResolvedGraph {
  config: SynthConfig;
  params: ExternalParam[];
  paramCount: number;
  /** inputs[i][j]: source of node i's j-th spec input (spec order). */
  inputs: InputSource[][];
  specs: (readonly ParamSpec[])[];
}

/** Input specs of a node's module (the seed's param_sizes / param_range / param_types). */
export function nodeParamSpec(n: SynthNode): readonly ParamSpec[] {
  return (MODULES[n.type].inputs as (n: SynthNode) => readonly ParamSpec[])(n);
}

function fail(msg: string): never {
  throw new RangeError(`SynthConfig: ${msg}`);
}

/** Validates a config and resolves every connection. Throws RangeError/TypeError with the offending node named. */
export function resolveGraph(c: SynthConfig): ResolvedGraph {
  if (c === null || typeof c !== 'object') throw new TypeError('SynthConfig must be an object');
  if (!Array.isArray(c.nodes) || c.nodes.length === 0) fail('nodes must be a non-empty array');
  if (!Array.isArray(c.conditioned)) fail("conditioned must be an array of names (e.g. ['f0'])");
  if (c.conditioned.length > 1) fail(`at most one conditioned input (the f0 track) is supported, got [${c.conditioned.join(', ')}]`);
  for (const k of c.conditioned) if (typeof k !== 'string' || k === '') fail('conditioned names must be non-empty strings');
  if (c.sampleRate !== undefined && !(Number.isFinite(c.sampleRate) && c.sampleRate > 0)) {
    fail(`sampleRate must be a positive number of Hz, got ${c.sampleRate}`);
  }
  const names = new Map<string, number>();
  c.nodes.forEach((n, i) => {
    if (n === null || typeof n !== 'object') fail(`node ${i} must be an object`);
    if (typeof n.name !== 'string' || n.name === '') fail(`node ${i} needs a non-empty name`);
    if (names.has(n.name)) fail(`duplicate node name '${n.name}'`);
    if (c.conditioned.includes(n.name)) fail(`node name '${n.name}' is also a conditioned input`);
    names.set(n.name, i);
  });
  const params: ExternalParam[] = [];
  const byKey = new Map<string, ExternalParam>();
  let offset = 0;
  const inputs: InputSource[][] = [];
  const specs: (readonly ParamSpec[])[] = [];
  c.nodes.forEach((n, i) => {
    const type: unknown = (n as { type?: unknown }).type;
    if (!isModuleType(type)) {
      const hint = (UNSUPPORTED_SEED_MODULES as readonly string[]).includes(String(type)) ? ' (a seed module this library cannot run)' : '';
      fail(`node '${n.name}': unknown module type '${String(type)}'${hint}; supported: ${SUPPORTED_MODULES.join(', ')}`);
    }
    const where = `node '${n.name}' (${type})`;
    const problems = optionProblems(n as unknown as { type: ModuleType } & Record<string, unknown>);
    if (problems.length > 0) fail(`${where}: ${problems.join('; ')}`);
    if (n.connections === null || typeof n.connections !== 'object') fail(`${where}: connections must be an object`);
    const spec = nodeParamSpec(n);
    const conn = n.connections as Record<string, unknown>;
    for (const k of Object.keys(conn)) {
      if (!spec.some((s) => s.name === k)) fail(`${where}: unknown input '${k}' (inputs: ${spec.map((s) => s.name).join(', ')})`);
    }
    const src: InputSource[] = [];
    for (const s of spec) {
      const v = conn[s.name];
      if (typeof v !== 'string' || v === '') fail(`${where}: input '${s.name}' must be connected (a node name or a parameter key)`);
      if (s.kind === 'audio') {
        const j = names.get(v);
        if (j === undefined) fail(`${where}: audio input '${s.name}' must name an earlier node, got '${v}'`);
        if (j >= i) fail(`${where}: audio input '${s.name}' reads node '${v}', which is not processed before it`);
        src.push({ kind: 'node', index: j });
      } else if (names.has(v)) {
        fail(`${where}: control input '${s.name}' is connected to node output '${v}'; only parameter keys or conditioning are supported`);
      } else if (c.conditioned.includes(v)) {
        if (s.size !== 1) fail(`${where}: input '${s.name}' (${s.size} values) cannot read the conditioned f0 track '${v}'`);
        src.push({ kind: 'conditioned', key: v });
      } else {
        let p = byKey.get(v);
        if (p === undefined) {
          p = { key: v, node: n.name, param: s.name, size: s.size, offset, range: [s.range[0], s.range[1]], scale: s.scale };
          byKey.set(v, p);
          params.push(p);
          offset += s.size;
        } else if (p.size !== s.size) {
          fail(`${where}: key '${v}' has ${p.size} values for '${p.node}.${p.param}' but input '${s.name}' needs ${s.size}`);
        }
        src.push({ kind: 'param', key: v, offset: p.offset, size: s.size });
      }
    }
    inputs.push(src);
    specs.push(spec);
  });
  return { config: c, params, paramCount: offset, inputs, specs };
}

/** External parameters in graph order (the seed's `Synthesizer.ext_param_sizes`), with offsets. */
export function externalParams(c: SynthConfig): ExternalParam[] {
  return resolveGraph(c).params;
}

/** P, the number of estimator outputs the graph consumes per frame. */
export function paramCount(c: SynthConfig): number {
  return resolveGraph(c).paramCount;
}

/** Options of the seed graphs' builders. */
export interface SeedGraphOptions {
  /** Harmonics (default 256). */
  nHarmonics?: number;
  /** Noise filter size (default 512). */
  filterSize?: number;
  /** IR length in seconds (default 1; hpnir only). */
  irSeconds?: number;
  /** Model sample rate, Hz (default 48000). */
  sampleRate?: number;
  /** Noise filter design (default 'linear-phase', ours; converted seed models use 'seed'). */
  design?: NoiseFilterDesign;
}

function seedNodes(o: SeedGraphOptions): SynthNode[] {
  return [
    { name: 'harmonic', type: 'Harmonic', nHarmonics: o.nHarmonics ?? 256, normalizeBelowNyquist: true,
      connections: { amplitudes: 'AMP', harmonic_distribution: 'HARM', f0_hz: 'f0' } },
    { name: 'filtnoise', type: 'FilteredNoise', filterSize: o.filterSize ?? 512, amplitude: 1, design: o.design ?? 'linear-phase',
      connections: { freq_response: 'FREQRES' } },
    { name: 'add', type: 'Add', connections: { signal_a: 'harmonic', signal_b: 'filtnoise' } },
  ];
}

/** The seed's `hpnir` graph: Harmonic + FilteredNoise → Add → IRReverb (seed defaults 256 / 512 / 1 s / 48 kHz). */
export function hpnir(opts: SeedGraphOptions = {}): SynthConfig {
  const sr = opts.sampleRate ?? 48000;
  const irLength = Math.trunc((opts.irSeconds ?? 1) * sr);
  const c: SynthConfig = {
    name: 'hpnir',
    nodes: [...seedNodes(opts), { name: 'irreverb', type: 'IRReverb', irLength, connections: { audio: 'add' } }],
    conditioned: ['f0'],
    sampleRate: sr,
  };
  resolveGraph(c);
  return c;
}

/** The seed's `hpn` graph: Harmonic + FilteredNoise → Add. */
export function hpn(opts: SeedGraphOptions = {}): SynthConfig {
  const c: SynthConfig = { name: 'hpn', nodes: seedNodes(opts), conditioned: ['f0'], sampleRate: opts.sampleRate ?? 48000 };
  resolveGraph(c);
  return c;
}

/** Options of {@link synthFromSeedDag}. */
export interface SeedDagOptions {
  /**
   * The model's sample rate, Hz: every Harmonic's sample_rate must equal it, and `${sample_rate}` resolves to it.
   * When absent (a checkpoint that does not record it): the first module's own sample rate (Harmonic's
   * sample_rate), else 48000.
   */
  sampleRate?: number;
  /** Noise filter design of the resulting FilteredNoise nodes (converted seed models: 'seed'). */
  design: NoiseFilterDesign;
  /** Graph name (default: the YAML's `name`, else 'synth'). */
  name?: string;
  /** Conditioned inputs (default: the YAML's `conditioned`, else ['f0']). */
  conditioned?: string[];
}

type SeedModule = ModuleSchema<ModuleType>['seed'];

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The one reader of the seed's synth YAML (parsed), for training configs and checkpoint conversion: either the
 * `dag:` mapping itself or the whole synth config `{ name, dag, conditioned }`. Module classes are recognised by
 * the last component of `_target_` (the records of src/modules/schema); Python class defaults apply to missing
 * keys; `${sample_rate}` resolves to the model's rate. Refuses, naming the DAG node: modules it cannot run, a
 * Harmonic whose sample_rate is not the model's, options out of bounds (e.g. the class default filter_size 257,
 * odd), and connections that do not fit the module.
 * @throws RangeError / TypeError (the caller adds the file or config key).
 */
export function synthFromSeedDag(dag: object, opts: SeedDagOptions): SynthConfig {
  if (!isMapping(dag)) throw new TypeError('the synth DAG must be a mapping (the parsed YAML)');
  if (opts.sampleRate !== undefined && !(Number.isFinite(opts.sampleRate) && opts.sampleRate > 0)) {
    throw new RangeError(`the model's sample rate must be a positive number of Hz, got ${opts.sampleRate}`);
  }
  let d: Record<string, unknown> = dag;
  let name = opts.name ?? 'synth';
  let conditioned = opts.conditioned ?? ['f0'];
  if (isMapping(d.dag)) {
    if (typeof d.name === 'string') name = opts.name ?? d.name;
    if (Array.isArray(d.conditioned) && opts.conditioned === undefined) conditioned = (d.conditioned as unknown[]).map(String);
    d = d.dag;
  }
  const entries = Object.entries(d);
  if (entries.length === 0) throw new RangeError('the synth DAG is empty');
  const classOf = (entry: unknown): string => {
    const t = isMapping(entry) && isMapping(entry.config) ? entry.config._target_ : undefined;
    return typeof t === 'string' ? t : '';
  };
  const rateKey = (cls: string): string | undefined => (isModuleType(cls) ? MODULES[cls].seed.sampleRateKey : undefined);
  let sampleRate = opts.sampleRate;
  if (sampleRate === undefined) {
    const e = entries.map(([, e]) => e).find((e) => rateKey(classOf(e).split('.').pop() ?? '') !== undefined);
    if (e === undefined) sampleRate = 48000;
    else {
      const cls = classOf(e).split('.').pop() as ModuleType;
      const key = rateKey(cls) as string;
      const v = isMapping(e) && isMapping(e.config) ? e.config[key] : undefined;
      sampleRate = typeof v === 'number' ? v : (MODULES[cls].seed.defaults[key] as number);
    }
  }
  const rate = sampleRate;
  const nodes: SynthNode[] = [];
  for (const [modName, entry] of entries) {
    if (!isMapping(entry)) throw new TypeError(`synth module '${modName}' must be a mapping with config and connections`);
    const target = classOf(entry);
    const cls = target.split('.').pop() ?? '';
    const supported = `supported: ${SUPPORTED_MODULES.join(', ')}`;
    if ((UNSUPPORTED_SEED_MODULES as readonly string[]).includes(cls)) {
      throw new RangeError(`synth module ${cls} (DAG node '${modName}') is not supported by ddsp-stream (${supported})`);
    }
    if (!isModuleType(cls)) {
      throw new RangeError(`synth module '${cls || '?'}' (DAG node '${modName}') is not supported by ddsp-stream: `
        + `unknown _target_ '${target || '(missing)'}' (${supported})`);
    }
    const schema = MODULES[cls];
    const cfg = isMapping(entry.config) ? entry.config : {};
    const value = (key: string): number | boolean => {
      const v = cfg[key] ?? schema.seed.defaults[key];
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') {
        const m = /^\$\{\s*([A-Za-z_.]+)\s*\}$/.exec(v.trim());
        if (m && (m[1] === 'sample_rate' || m[1].endsWith('.sample_rate'))) return rate;
        const x = Number(v);
        if (v.trim() !== '' && Number.isFinite(x)) return x;
        throw new RangeError(`${cls} '${modName}' ${key} = '${v}' is not a number (unresolved interpolation?)`);
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${cls} '${modName}' ${key} must be a number, got ${String(v)}`);
      return v;
    };
    const defaulted = (key: string): string => (cfg[key] === undefined || cfg[key] === null
      ? ` (the seed class default ${String(schema.seed.defaults[key])} applies when the key is missing)` : '');
    const rk = schema.seed.sampleRateKey;
    if (rk !== undefined && value(rk) !== rate) {
      throw new RangeError(`${cls} '${modName}' runs at ${rk} ${value(rk)} but the model at ${rate} Hz`
        + `${defaulted(rk)}; ddsp-stream runs a whole model at one rate`);
    }
    const node: { type: ModuleType } & Record<string, unknown> = { name: modName, type: cls };
    for (const o of schema.options) if (o.seedKey !== undefined) node[o.key] = value(o.seedKey);
    Object.assign(node, (schema.seed.derive as SeedModule['derive'])?.(value, opts.design));
    for (const o of schema.options) {
      const p = optionProblem(o, node[o.key]);
      if (p === null) continue;
      const key = o.seedKey ?? o.key;
      throw new RangeError(`${cls} '${modName}' ${key} ${p}${o.seedKey !== undefined ? defaulted(o.seedKey) : ''}`);
    }
    const conn: Record<string, string> = {};
    if (isMapping(entry.connections)) for (const [k, v] of Object.entries(entry.connections)) conn[k] = String(v);
    nodes.push({ ...node, connections: conn } as unknown as SynthNode);
  }
  const c: SynthConfig = { name, nodes, conditioned, sampleRate: rate };
  resolveGraph(c);
  return c;
}
