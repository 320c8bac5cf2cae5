/**
 * The synthesizer graph: a DAG of synth modules (the seed's `diffsynth.synthesizer.Synthesizer`), its parameter
 * split, and its batch and stream renderers.
 *
 * A {@link SynthConfig} lists nodes in processing order. Each node's inputs (`connections`) name either an
 * earlier node (audio inputs: signal_a, signal_b, audio), an external parameter key (controls, e.g. 'AMP',
 * filled from the estimator's output vector), or a conditioned input (the f0 track, passed unscaled). External
 * keys take consecutive slices of the estimator output in graph order (the seed's `ext_param_sizes`), and each
 * module scales its slice with its own param spec (the seed's `Processor.scale_params`). The last node's output
 * is the synth's output.
 *
 * @packageDocumentation
 */
import type { NoiseFilterDesign } from '../dsp/fir';
import { harmonicParamSpec, harmonicBatch, HarmonicStream } from '../modules/harmonic';
import { filteredNoiseParamSpec, filteredNoiseBatch, FilteredNoiseStream } from '../modules/filtered-noise';
import { IR_REVERB_PARAM_SPEC, irReverbBatch, IRReverbStream } from '../modules/ir-reverb';
import { ADD_PARAM_SPEC, addBatch, addInto } from '../modules/add';
import { MIX_PARAM_SPEC, mixBatch, MixStream } from '../modules/mix';
import { scaleInto, assertInt, type ParamSpec, type ScaleType } from '../modules/scaling';
import { assertHop } from '../modules/timing';

export type { NoiseFilterDesign, ScaleType };

/** One node of the synth graph. `connections` maps each module input to a node name, a param key or 'f0'. */
export type SynthNode =
  | { name: string; type: 'Harmonic'; nHarmonics: number; normalizeBelowNyquist: boolean;
      connections: { amplitudes: string; harmonic_distribution: string; f0_hz: string } }
  | { name: string; type: 'FilteredNoise'; filterSize: number; amplitude: number; design: NoiseFilterDesign;
      connections: { freq_response: string } }
  | { name: string; type: 'Add'; connections: { signal_a: string; signal_b: string } }
  | { name: string; type: 'Mix'; connections: { signal_a: string; signal_b: string; mix_a: string; mix_b: string } }
  | { name: string; type: 'IRReverb'; irLength: number /* samples incl. the leading zero */;
      connections: { audio: string } };

/** A synth graph. */
export interface SynthConfig {
  /** Graph name ('hpnir', 'hpn', ...). */
  name: string;
  /** Nodes in processing order; the last one's output is the synth output. */
  nodes: SynthNode[];
  /** Conditioned (not estimated, unscaled) inputs: ['f0'] — the f0 track in Hz. At most one. */
  conditioned: string[];
  /** Extension: the model's sample rate, Hz (Harmonic's Nyquist, noise bins and IR are defined at it). */
  sampleRate?: number;
}

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

/** Module types this library runs. */
export const SUPPORTED_MODULES = ['Harmonic', 'FilteredNoise', 'Add', 'Mix', 'IRReverb'] as const;
/** Seed modules refused by name. */
export const UNSUPPORTED_SEED_MODULES = ['WaveShaper', 'DecayReverb', 'VCA', 'SawOscillator', 'SineOscillator', 'IRReverbMix'] as const;

/** Param spec of a node's module. */
export function nodeParamSpec(n: SynthNode): readonly ParamSpec[] {
  switch (n.type) {
    case 'Harmonic': return harmonicParamSpec(n.nHarmonics);
    case 'FilteredNoise': return filteredNoiseParamSpec(n.filterSize);
    case 'Add': return ADD_PARAM_SPEC;
    case 'Mix': return MIX_PARAM_SPEC;
    case 'IRReverb': return IR_REVERB_PARAM_SPEC;
  }
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
    const where = `node '${n.name}' (${String((n as { type?: unknown }).type)})`;
    switch (n.type) {
      case 'Harmonic':
        if (!Number.isInteger(n.nHarmonics) || n.nHarmonics < 1) fail(`${where}: nHarmonics must be an integer >= 1, got ${n.nHarmonics}`);
        if (typeof n.normalizeBelowNyquist !== 'boolean') fail(`${where}: normalizeBelowNyquist must be a boolean`);
        break;
      case 'FilteredNoise':
        if (!Number.isInteger(n.filterSize) || n.filterSize < 2 || n.filterSize % 2 !== 0) {
          fail(`${where}: filterSize must be an even integer >= 2, got ${n.filterSize}`);
        }
        if (!Number.isFinite(n.amplitude)) fail(`${where}: amplitude must be a finite number, got ${n.amplitude}`);
        if (n.design !== 'seed' && n.design !== 'linear-phase') fail(`${where}: design must be 'seed' or 'linear-phase', got ${String(n.design)}`);
        break;
      case 'IRReverb':
        if (!Number.isInteger(n.irLength) || n.irLength < 1) fail(`${where}: irLength must be an integer >= 1 (samples incl. the leading zero), got ${n.irLength}`);
        break;
      case 'Add':
      case 'Mix':
        break;
      default: {
        const t = String((n as { type?: unknown }).type);
        const hint = (UNSUPPORTED_SEED_MODULES as readonly string[]).includes(t) ? ' (a seed module this library cannot run)' : '';
        fail(`node '${(n as { name: string }).name}': unknown module type '${t}'${hint}; supported: ${SUPPORTED_MODULES.join(', ')}`);
      }
    }
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

const SEED_DEFAULTS = {
  Harmonic: { sample_rate: 16000, normalize_below_nyquist: true, n_harmonics: 256 },
  FilteredNoise: { filter_size: 257, amplitude: 1.0 },
  IRReverb: { ir_s: 1.0, sr: 48000 },
} as const;

/**
 * Builds a SynthConfig from the seed's synth YAML (parsed): either the `dag:` mapping itself or the whole synth
 * config `{ name, dag, conditioned }`. Module classes are recognised by the last component of `_target_`;
 * Python class defaults apply to missing keys; `${sample_rate}` resolves to `opts.sampleRate`. Refuses modules it
 * cannot run by name (WaveShaper, DecayReverb, VCA, SawOscillator, SineOscillator, IRReverbMix), a Harmonic whose
 * sample_rate is not the model's, and odd filter sizes.
 * @param opts.sampleRate the model's sample rate, Hz
 * @param opts.design     noise filter design of the resulting graph (converted seed models: 'seed')
 */
export function synthFromSeedDag(dag: object, opts: { sampleRate: number; design: NoiseFilterDesign; name?: string;
  conditioned?: string[] }): SynthConfig {
  if (dag === null || typeof dag !== 'object') throw new TypeError('synthFromSeedDag: dag must be an object (the parsed YAML)');
  if (!(Number.isFinite(opts?.sampleRate) && opts.sampleRate > 0)) {
    throw new RangeError(`synthFromSeedDag: opts.sampleRate must be a positive number of Hz, got ${opts?.sampleRate}`);
  }
  let d = dag as Record<string, unknown>;
  let name = opts.name ?? 'synth';
  let conditioned = opts.conditioned ?? ['f0'];
  if ('dag' in d && d.dag !== null && typeof d.dag === 'object') {
    if (typeof d.name === 'string') name = opts.name ?? d.name;
    if (Array.isArray(d.conditioned)) conditioned = (d.conditioned as unknown[]).map(String);
    d = d.dag as Record<string, unknown>;
  }
  const num = (v: unknown, what: string): number => {
    if (typeof v === 'string') {
      const m = /^\$\{\s*([A-Za-z_.]+)\s*\}$/.exec(v.trim());
      if (m && (m[1] === 'sample_rate' || m[1].endsWith('.sample_rate'))) return opts.sampleRate;
      const x = Number(v);
      if (v.trim() !== '' && Number.isFinite(x)) return x;
      throw new RangeError(`synthFromSeedDag: ${what} = '${v}' is not a number (unresolved interpolation?)`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`synthFromSeedDag: ${what} must be a number, got ${String(v)}`);
    return v;
  };
  const nodes: SynthNode[] = [];
  for (const [modName, entry] of Object.entries(d)) {
    if (entry === null || typeof entry !== 'object') throw new TypeError(`synthFromSeedDag: module '${modName}' must be a mapping with config and connections`);
    const e = entry as { config?: Record<string, unknown>; connections?: Record<string, unknown> };
    const cfg = e.config ?? {};
    const target = typeof cfg._target_ === 'string' ? cfg._target_ : '';
    const cls = target.split('.').pop() ?? '';
    const conn: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.connections ?? {})) conn[k] = String(v);
    const get = (k: string, def: unknown): unknown => (cfg[k] === undefined || cfg[k] === null ? def : cfg[k]);
    switch (cls) {
      case 'Harmonic': {
        const sr = num(get('sample_rate', SEED_DEFAULTS.Harmonic.sample_rate), `${modName}.sample_rate`);
        if (sr !== opts.sampleRate) {
          throw new RangeError(`synthFromSeedDag: Harmonic '${modName}' has sample_rate ${sr} but the model runs at ${opts.sampleRate} Hz`
            + (cfg.sample_rate === undefined ? ' (the seed class default 16000 applies when the key is missing)' : ''));
        }
        nodes.push({ name: modName, type: 'Harmonic', nHarmonics: num(get('n_harmonics', SEED_DEFAULTS.Harmonic.n_harmonics), `${modName}.n_harmonics`),
          normalizeBelowNyquist: Boolean(get('normalize_below_nyquist', true)),
          connections: conn as { amplitudes: string; harmonic_distribution: string; f0_hz: string } });
        break;
      }
      case 'FilteredNoise': {
        const fs = num(get('filter_size', SEED_DEFAULTS.FilteredNoise.filter_size), `${modName}.filter_size`);
        if (!Number.isInteger(fs) || fs < 2 || fs % 2 !== 0) {
          throw new RangeError(`synthFromSeedDag: FilteredNoise '${modName}' filter_size must be an even integer >= 2, got ${fs}`
            + (cfg.filter_size === undefined ? ' (the seed class default 257 applies when the key is missing)' : ''));
        }
        nodes.push({ name: modName, type: 'FilteredNoise', filterSize: fs,
          amplitude: num(get('amplitude', SEED_DEFAULTS.FilteredNoise.amplitude), `${modName}.amplitude`), design: opts.design,
          connections: conn as { freq_response: string } });
        break;
      }
      case 'Add':
        nodes.push({ name: modName, type: 'Add', connections: conn as { signal_a: string; signal_b: string } });
        break;
      case 'Mix':
        nodes.push({ name: modName, type: 'Mix', connections: conn as { signal_a: string; signal_b: string; mix_a: string; mix_b: string } });
        break;
      case 'IRReverb': {
        const irS = num(get('ir_s', SEED_DEFAULTS.IRReverb.ir_s), `${modName}.ir_s`);
        const sr = num(get('sr', SEED_DEFAULTS.IRReverb.sr), `${modName}.sr`);
        nodes.push({ name: modName, type: 'IRReverb', irLength: Math.trunc(irS * sr), connections: conn as { audio: string } });
        break;
      }
      default: {
        if ((UNSUPPORTED_SEED_MODULES as readonly string[]).includes(cls)) {
          throw new RangeError(`synthFromSeedDag: module '${modName}' is a ${cls}, which this library cannot run `
            + `(supported: ${SUPPORTED_MODULES.join(', ')})`);
        }
        throw new RangeError(`synthFromSeedDag: module '${modName}' has unknown _target_ '${target || '(missing)'}' `
          + `(supported: ${SUPPORTED_MODULES.join(', ')})`);
      }
    }
  }
  const c: SynthConfig = { name, nodes, conditioned, sampleRate: opts.sampleRate };
  resolveGraph(c);
  return c;
}

// ------------------------------------------------------------------------------------------------------------------
// Rendering

/** Options of the batch and stream renderers. */
export interface SynthRenderOptions {
  /** Synthesis sample rate, Hz (the AudioContext's). */
  sampleRate: number;
  /** Control frames per second (hop = sampleRate / frameRate samples). */
  frameRate: number;
  /** Learned IR WITHOUT the leading zero (irLength − 1 samples at the model rate), for the IRReverb node. */
  ir?: Float32Array;
  /** Extension: IRs by node name, for graphs with several IRReverb nodes. */
  irs?: Record<string, Float32Array>;
  /** Seed of the noise source (default 0); the i-th FilteredNoise node uses noiseSeed + i. */
  noiseSeed?: number;
  /** Gain of Harmonic outputs, 0–2 (default 1). */
  harmonicGain?: number;
  /** Gain of FilteredNoise outputs, 0–2 (default 1). */
  noiseGain?: number;
  /** Reverb mix m, 0–1 (default 0.5 = dry + wet, as trained). */
  reverbMix?: number;
  /** Extension: the model's sample rate, Hz (default config.sampleRate, else sampleRate). */
  modelSampleRate?: number;
}

interface RenderSetup { hop: number; modelRate: number; harmonicGain: number; noiseGain: number; reverbMix: number; noiseSeed: number }

function renderSetup(c: SynthConfig, o: SynthRenderOptions): RenderSetup {
  if (o === null || typeof o !== 'object') throw new TypeError('SynthRenderOptions must be an object');
  const hop = assertHop(o.sampleRate, o.frameRate);
  const modelRate = o.modelSampleRate ?? c.sampleRate ?? o.sampleRate;
  if (!(Number.isFinite(modelRate) && modelRate > 0)) throw new RangeError(`modelSampleRate must be a positive number of Hz, got ${modelRate}`);
  const gain = (v: number | undefined, what: string, max: number, def: number): number => {
    const x = v ?? def;
    if (!(Number.isFinite(x) && x >= 0 && x <= max)) throw new RangeError(`${what} must be in [0, ${max}], got ${v}`);
    return x;
  };
  const noiseSeed = o.noiseSeed ?? 0;
  if (!Number.isFinite(noiseSeed)) throw new RangeError(`noiseSeed must be a finite number, got ${o.noiseSeed}`);
  return { hop, modelRate, harmonicGain: gain(o.harmonicGain, 'harmonicGain', 2, 1), noiseGain: gain(o.noiseGain, 'noiseGain', 2, 1),
    reverbMix: gain(o.reverbMix, 'reverbMix', 1, 0.5), noiseSeed };
}

function irFor(c: SynthConfig, node: Extract<SynthNode, { type: 'IRReverb' }>, o: SynthRenderOptions): Float32Array {
  const ir = o.irs?.[node.name] ?? o.ir;
  if (ir === undefined) throw new TypeError(`SynthRenderOptions.ir is required: node '${node.name}' is an IRReverb`);
  if (!(ir instanceof Float32Array)) throw new TypeError(`the IR of node '${node.name}' must be a Float32Array`);
  if (ir.length !== node.irLength - 1) {
    throw new RangeError(`the IR of node '${node.name}' must have irLength − 1 = ${node.irLength - 1} samples (no leading zero), got ${ir.length}`);
  }
  void c;
  return ir;
}

/** Scales frame values of one input for all frames: out[F × size]. */
function scaleInputFrames(params: Float32Array, P: number, nFrames: number, src: InputSource, spec: ParamSpec,
  f0Hz: Float32Array): Float32Array {
  if (src.kind === 'conditioned') return Float32Array.from(f0Hz.subarray(0, nFrames));
  if (src.kind !== 'param') throw new Error('internal: audio input scaled as control');
  const out = new Float32Array(nFrames * spec.size);
  for (let k = 0; k < nFrames; k++) scaleInto(params, k * P + src.offset, out, k * spec.size, spec.size, spec.scale, spec.range);
  return out;
}

/**
 * Whole clip: params F×P (sigmoid outputs, row-major), f0Hz F → audio nSamples. Frame k's controls sit at sample
 * k·hop + hop/2 − 0.5 (align_corners=False) — the seed's alignment, used by training and live.
 * @throws RangeError/TypeError on a bad config, wrong sizes, non-finite values, f0 ≤ 0 or a missing IR.
 */
export function renderSynthBatch(c: SynthConfig, params: Float32Array, f0Hz: Float32Array, nFrames: number,
  nSamples: number, o: SynthRenderOptions): Float32Array {
  const g = resolveGraph(c);
  const s = renderSetup(c, o);
  assertInt(nFrames, 'nFrames', 1);
  assertInt(nSamples, 'nSamples', 0);
  const P = g.paramCount;
  if (!(params instanceof Float32Array)) throw new TypeError('params must be a Float32Array (nFrames × P sigmoid outputs)');
  if (params.length !== nFrames * P) throw new RangeError(`params must have nFrames × P = ${nFrames} × ${P} = ${nFrames * P} values, got ${params.length}`);
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) throw new RangeError(`params[${i}] (frame ${Math.floor(i / P)}) must be finite, got ${params[i]}`);
  }
  if (c.conditioned.length > 0) {
    if (!(f0Hz instanceof Float32Array)) throw new TypeError('f0Hz must be a Float32Array (nFrames values, Hz)');
    if (f0Hz.length !== nFrames) throw new RangeError(`f0Hz must have nFrames = ${nFrames} values, got ${f0Hz.length}`);
    for (let k = 0; k < nFrames; k++) {
      if (!(Number.isFinite(f0Hz[k]) && f0Hz[k] > 0)) throw new RangeError(`f0Hz[${k}] must be a finite frequency > 0 Hz, got ${f0Hz[k]}`);
    }
  }
  const outputs: Float32Array[] = [];
  let noiseIndex = 0;
  c.nodes.forEach((n, i) => {
    const src = g.inputs[i];
    const spec = g.specs[i];
    const ctl = (j: number): Float32Array => scaleInputFrames(params, P, nFrames, src[j], spec[j], f0Hz);
    const sig = (j: number): Float32Array => outputs[(src[j] as { index: number }).index];
    switch (n.type) {
      case 'Harmonic':
        outputs.push(harmonicBatch(ctl(0), ctl(1), ctl(2), nFrames, nSamples, {
          sampleRate: o.sampleRate, frameRate: o.frameRate, nHarmonics: n.nHarmonics,
          normalizeBelowNyquist: n.normalizeBelowNyquist, modelSampleRate: s.modelRate, gain: s.harmonicGain }));
        break;
      case 'FilteredNoise':
        outputs.push(filteredNoiseBatch(ctl(0), nFrames, nSamples, {
          sampleRate: o.sampleRate, frameRate: o.frameRate, filterSize: n.filterSize, design: n.design,
          amplitude: n.amplitude, modelSampleRate: s.modelRate, noiseSeed: s.noiseSeed + noiseIndex++, gain: s.noiseGain }));
        break;
      case 'Add':
        outputs.push(addBatch(sig(0), sig(1)));
        break;
      case 'Mix':
        outputs.push(mixBatch(sig(0), sig(1), ctl(2), ctl(3), nFrames, { sampleRate: o.sampleRate, frameRate: o.frameRate }));
        break;
      case 'IRReverb':
        outputs.push(irReverbBatch(sig(0), { sampleRate: o.sampleRate, ir: irFor(c, n, o), modelSampleRate: s.modelRate, reverbMix: s.reverbMix }));
        break;
    }
  });
  return outputs[outputs.length - 1];
}

type StreamNode =
  | { type: 'Harmonic'; s: HarmonicStream; amp: Float32Array; dist: Float32Array; f0: Float32Array; src: InputSource[]; spec: readonly ParamSpec[] }
  | { type: 'FilteredNoise'; s: FilteredNoiseStream; mags: Float32Array; src: InputSource[]; spec: readonly ParamSpec[] }
  | { type: 'Add'; a: number; b: number }
  | { type: 'Mix'; s: MixStream; a: number; b: number; mix: Float32Array; src: InputSource[]; spec: readonly ParamSpec[] }
  | { type: 'IRReverb'; s: IRReverbStream; input: number };

/**
 * The synth graph, streaming: frames pushed as they become available, any render size, no allocation. Output
 * equals {@link renderSynthBatch} sample for sample (up to float rounding of the reverb's partitioned convolution)
 * provided frame k was pushed before sample k·hop − hop/2 is rendered: {@link readyUntil} tells the end of what
 * is final, {@link framesNeeded} how many frames a render needs. User controls are smoothed per sample (5 ms).
 *
 * Per-block calls (pushFrame, render, setControls) never throw: a params vector of the wrong length is treated as
 * all zeros, non-finite values as 0, a frame with f0 ≤ 0 (or non-finite) is harmonically silent.
 */
export class SynthStream {
  /** The graph. */
  readonly config: SynthConfig;
  /** Estimator outputs per frame. */
  readonly paramCount: number;
  /** Samples per frame at the synthesis rate. */
  readonly hop: number;
  private readonly nodes: StreamNode[];
  private readonly bufs: Float32Array[];
  private readonly zeros: Float32Array;
  private readonly chunk: number;
  private position = 0;
  private pushed = 0;
  /** The conditioned f0 (Hz) of the frame being pushed. */
  private readonly frameF0 = new Float64Array(1);
  /** harmonicGain, noiseGain, reverbMix being applied. */
  private readonly controls = new Float64Array(3);

  /**
   * @param o.maxFramesAhead how many frames may be pushed ahead of the render position (default 8)
   * @throws RangeError/TypeError on a bad config or options (e.g. a missing IR).
   */
  constructor(c: SynthConfig, o: SynthRenderOptions & { maxFramesAhead?: number }) {
    const g = resolveGraph(c);
    const s = renderSetup(c, o);
    this.config = c;
    this.paramCount = g.paramCount;
    this.hop = s.hop;
    this.chunk = 128;
    this.zeros = new Float32Array(Math.max(1, g.paramCount));
    const ahead = o.maxFramesAhead ?? 8;
    let noiseIndex = 0;
    this.nodes = c.nodes.map((n, i): StreamNode => {
      const src = g.inputs[i];
      const spec = g.specs[i];
      const idx = (j: number): number => (src[j] as { index: number }).index;
      switch (n.type) {
        case 'Harmonic':
          return { type: 'Harmonic', src, spec, amp: new Float32Array(1), dist: new Float32Array(n.nHarmonics), f0: new Float32Array(1),
            s: new HarmonicStream({ sampleRate: o.sampleRate, frameRate: o.frameRate, nHarmonics: n.nHarmonics,
              normalizeBelowNyquist: n.normalizeBelowNyquist, modelSampleRate: s.modelRate, gain: s.harmonicGain, maxFramesAhead: ahead }) };
        case 'FilteredNoise':
          return { type: 'FilteredNoise', src, spec, mags: new Float32Array(spec[0].size),
            s: new FilteredNoiseStream({ sampleRate: o.sampleRate, frameRate: o.frameRate, filterSize: n.filterSize, design: n.design,
              amplitude: n.amplitude, modelSampleRate: s.modelRate, noiseSeed: s.noiseSeed + noiseIndex++, gain: s.noiseGain,
              maxFramesAhead: ahead }) };
        case 'Add':
          return { type: 'Add', a: idx(0), b: idx(1) };
        case 'Mix':
          return { type: 'Mix', src, spec, a: idx(0), b: idx(1), mix: new Float32Array(2),
            s: new MixStream({ sampleRate: o.sampleRate, frameRate: o.frameRate, maxFramesAhead: ahead }) };
        case 'IRReverb':
          return { type: 'IRReverb', input: idx(0),
            s: new IRReverbStream({ sampleRate: o.sampleRate, ir: irFor(c, n, o), modelSampleRate: s.modelRate, reverbMix: s.reverbMix }) };
      }
    });
    this.bufs = c.nodes.map(() => new Float32Array(this.chunk));
  }

  /** Frames pushed since construction / reset. */
  get framesPushed(): number { return this.pushed; }
  /** Samples rendered since construction / reset. */
  get samplesRendered(): number { return this.position; }

  private scaleInput(params: Float32Array, src: InputSource, spec: ParamSpec, out: Float32Array, o: number): void {
    if (src.kind === 'conditioned') { out[o] = this.frameF0[0]; return; }
    if (src.kind === 'param') scaleInto(params, src.offset, out, o, spec.size, spec.scale, spec.range);
  }

  /** True if every module can take another frame now (see maxFramesAhead). */
  canPush(): boolean {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if ((n.type === 'Harmonic' || n.type === 'FilteredNoise' || n.type === 'Mix') && !n.s.canPush()) return false;
    }
    return true;
  }

  /**
   * Pushes the next frame: `params` P sigmoid outputs (estimator order), `f0Hz` the conditioned f0. Returns false
   * (frame dropped, nothing changed) when the frame lies more than maxFramesAhead frames ahead of the render position.
   */
  pushFrame(params: Float32Array, f0Hz: number): boolean {
    this.frameF0[0] = f0Hz;
    return this.pushStored(params);
  }

  /**
   * {@link pushFrame} with the conditioned f0 read from `f0Hz[f0Index]` (Hz): the audio-thread form. In V8 a
   * fractional number passed to a function that is not inlined is boxed (allocated) on every call; one read from a
   * typed array is not.
   */
  pushFrameFrom(params: Float32Array, f0Hz: Float32Array, f0Index: number): boolean {
    this.frameF0[0] = f0Hz[f0Index];
    return this.pushStored(params);
  }

  /** pushFrame with the frame's f0 in this.frameF0[0]. */
  private pushStored(params: Float32Array): boolean {
    if (!this.canPush()) return false;
    const p = params instanceof Float32Array && params.length >= this.paramCount ? params : this.zeros;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      switch (n.type) {
        case 'Harmonic':
          this.scaleInput(p, n.src[0], n.spec[0], n.amp, 0);
          this.scaleInput(p, n.src[1], n.spec[1], n.dist, 0);
          this.scaleInput(p, n.src[2], n.spec[2], n.f0, 0);
          n.s.pushFrameFrom(n.amp, 0, n.dist, 0, n.f0, 0);
          break;
        case 'FilteredNoise':
          this.scaleInput(p, n.src[0], n.spec[0], n.mags, 0);
          n.s.pushFrame(n.mags, 0);
          break;
        case 'Mix':
          this.scaleInput(p, n.src[2], n.spec[2], n.mix, 0);
          this.scaleInput(p, n.src[3], n.spec[3], n.mix, 1);
          n.s.pushFrameFrom(n.mix, 0, 1);
          break;
        default:
          break;
      }
    }
    this.pushed++;
    return true;
  }

  /** Renders n samples (n ≥ 0) into out[offset .. offset+n). */
  render(out: Float32Array, offset: number, n: number): void {
    if (!(n > 0) || !(out instanceof Float32Array)) return;
    const last = this.bufs[this.bufs.length - 1];
    for (let done = 0; done < n; ) {
      const c = Math.min(this.chunk, n - done);
      for (let i = 0; i < this.nodes.length; i++) {
        const nd = this.nodes[i];
        const buf = this.bufs[i];
        switch (nd.type) {
          case 'Harmonic':
          case 'FilteredNoise':
            nd.s.render(buf, 0, c);
            break;
          case 'Add':
            addInto(this.bufs[nd.a], 0, this.bufs[nd.b], 0, buf, 0, c);
            break;
          case 'Mix':
            nd.s.process(this.bufs[nd.a], 0, this.bufs[nd.b], 0, buf, 0, c);
            break;
          case 'IRReverb':
            nd.s.process(this.bufs[nd.input], 0, buf, 0, c);
            break;
        }
      }
      for (let i = 0; i < c; i++) {
        const v = last[i];
        out[offset + done + i] = Number.isFinite(v) ? v : 0;
      }
      done += c;
    }
    this.position += n;
  }

  /**
   * Sets the user controls (smoothed per sample over 5 ms): harmonicGain and noiseGain in [0, 2] (clamped),
   * reverbMix in [0, 1] (clamped). Non-finite values are ignored.
   */
  setControls(harmonicGain: number, noiseGain: number, reverbMix: number): void {
    const c = this.controls;
    c[0] = harmonicGain;
    c[1] = noiseGain;
    c[2] = reverbMix;
    this.applyControls(false);
  }

  /**
   * As {@link setControls}, but the new values apply from the next sample on, without the 5 ms ramp (e.g. right
   * after {@link reset}, or when a stream starts in the middle of a session).
   */
  setControlsImmediate(harmonicGain: number, noiseGain: number, reverbMix: number): void {
    const c = this.controls;
    c[0] = harmonicGain;
    c[1] = noiseGain;
    c[2] = reverbMix;
    this.applyControls(true);
  }

  /**
   * {@link setControls} (or, if `immediate`, {@link setControlsImmediate}) with harmonicGain, noiseGain and
   * reverbMix read from values[offset], values[offset + 1], values[offset + 2]: the audio-thread form. In V8 a
   * fractional number passed to a function that is not inlined is boxed (allocated) on every call; one read from a
   * typed array is not.
   */
  setControlsFrom(values: Float64Array, offset: number, immediate = false): void {
    const c = this.controls;
    c[0] = values[offset];
    c[1] = values[offset + 1];
    c[2] = values[offset + 2];
    this.applyControls(immediate);
  }

  /** Clamps this.controls (harmonicGain, noiseGain, reverbMix) and hands them to the modules. */
  private applyControls(immediate: boolean): void {
    const c = this.controls;
    for (let j = 0; j < 2; j++) {
      const v = c[j];
      // Non-finite → NaN, which the modules ignore. (An if/else, not `cond ? clamped : NaN`: V8 keeps a value
      // merged with the NaN constant boxed, which allocates.)
      if (v - v === 0) c[j] = v < 0 ? 0 : v > 2 ? 2 : v;
      else c[j] = NaN;
    }
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.type === 'Harmonic') n.s.setGainFrom(c, 0, immediate);
      else if (n.type === 'FilteredNoise') n.s.setGainFrom(c, 1, immediate);
      else if (n.type === 'IRReverb') n.s.setMixFrom(c, 2, immediate);
    }
  }

  /**
   * Switches the noise seed (as SynthRenderOptions.noiseSeed: the i-th FilteredNoise node uses noiseSeed + i) for
   * the frames pushed from now on; call it before the first frame, or after {@link reset}, for a render that equals
   * the batch one with that seed. Allocation-free; a seed that is not a safe integer is ignored.
   */
  setNoiseSeed(noiseSeed: number): void {
    if (!Number.isSafeInteger(noiseSeed)) return;
    let k = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.type === 'FilteredNoise') n.s.setNoiseSeed(noiseSeed + k++);
    }
  }

  /**
   * End (exclusive) of the samples that are final given the frames pushed so far: rendering [0, readyUntil())
   * gives exactly the batch output. Infinity for a graph without frame-controlled modules.
   */
  readyUntil(): number {
    let r = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.type === 'Harmonic' || n.type === 'FilteredNoise' || n.type === 'Mix') r = Math.min(r, n.s.readyEnd());
    }
    return r;
  }

  /** Frames that must have been pushed before samples [0, endSample) are rendered (for them to be final). */
  framesNeeded(endSample: number): number {
    if (!(endSample > 0)) return 0;
    let k = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.type === 'Harmonic' || n.type === 'FilteredNoise' || n.type === 'Mix') k = Math.max(k, n.s.framesNeeded(endSample));
    }
    return k;
  }

  /**
   * Back to the start state (no frames, silence, oscillator phase 0, no reverb tail), keeping the current user
   * controls: a control ramp in progress ends at its target, and nothing ramps after the reset.
   */
  reset(): void {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      if (n.type !== 'Add') n.s.reset();
      this.bufs[i].fill(0);
    }
    this.position = 0;
    this.pushed = 0;
  }
}
