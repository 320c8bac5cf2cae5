/**
 * What a synth module is, as data: per module type its inputs (the seed's `param_sizes` / `param_range` /
 * `param_types`), its options with their one set of bounds, its stream state, the user control that scales its
 * output, and the seed class it reads from the seed's synth YAML (with the Python class defaults).
 *
 * Data only, no DSP: the model-file reader, the graph validator and the seed-DAG reader import it without pulling in
 * any synthesis code. The forms that run a module (batch, stream: `./<module>.ts`; differentiable:
 * `./<module>.grad.ts`) are looked up by the same type names in src/synth/graph.ts and graph.grad.ts.
 *
 * @packageDocumentation
 */
import type { NoiseFilterDesign } from '../dsp/fir';
import { CONTROLS } from './controls';

export type { NoiseFilterDesign };

/** How a control is scaled from the network's (0, 1) output (the seed's `param_types`; see ./scaling). */
export type ScaleType = 'raw' | 'sigmoid' | 'exp_sigmoid' | 'freq_sigmoid';

/** Every {@link ScaleType}, for validation. */
export const SCALE_TYPES: readonly ScaleType[] = ['raw', 'sigmoid', 'exp_sigmoid', 'freq_sigmoid'];

/** One input of a module: the seed's `param_sizes` / `param_range` / `param_types` as one record. */
export interface ParamSpec {
  /** Input name as the seed spells it (`amplitudes`, `harmonic_distribution`, `f0_hz`, ...). */
  readonly name: string;
  /** Values per frame (e.g. nHarmonics for `harmonic_distribution`). */
  readonly size: number;
  /** [min, max] of the scaled control, in the control's unit. */
  readonly range: readonly [number, number];
  /** How the (0, 1) network output is mapped into `range`. */
  readonly scale: ScaleType;
  /** `'audio'` inputs carry another node's output signal; `'control'` inputs carry frame-rate controls. */
  readonly kind: 'audio' | 'control';
}

/**
 * The user controls of the synth, in the order `SynthStream.setControlsFrom` reads them: harmonicMix and noiseMix
 * are output gains, reverbMix m the reverb's 2(1−m)·dry + 2m·wet law. Their ranges and defaults are ./controls'.
 */
export const USER_CONTROLS = (['harmonicMix', 'noiseMix', 'reverbMix'] as const).map((name) => ({
  name, range: [CONTROLS[name].min, CONTROLS[name].max] as const, default: CONTROLS[name].defaultValue,
}));

/** A user control's name. */
export type UserControl = (typeof USER_CONTROLS)[number]['name'];

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

/** A module type name. */
export type ModuleType = SynthNode['type'];

/** The node of one module type. */
export type NodeOf<T extends ModuleType> = Extract<SynthNode, { type: T }>;

/** A node's options: everything but name, type and connections. */
export type OptionsOf<T extends ModuleType> = Omit<NodeOf<T>, 'name' | 'type' | 'connections'>;

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

/** One option of a node, with its bounds and, when the seed's YAML holds it as such, the seed's key. */
export type OptionSpec = { key: string; seedKey?: string } & (
  | { kind: 'integer'; min: number; max: number; even?: boolean }
  | { kind: 'finite' }
  | { kind: 'boolean' }
  | { kind: 'one of'; values: readonly string[] });

/** Reads one value of a seed module's YAML config, the Python class default applying when the key is absent. */
export type SeedValue = (key: string) => number | boolean;

/** Module record: everything about a module type that is not DSP. */
export interface ModuleSchema<T extends ModuleType> {
  /** Inputs in the seed's order, from the node's options. */
  inputs(node: NodeOf<T>): readonly ParamSpec[];
  /** Options with their one set of bounds (checked for model files, graphs, the seed's YAML and the modules). */
  options: readonly OptionSpec[];
  /**
   * Stream state. frames: a ring of pushed frames (the module takes part in canPush / readyUntil / framesNeeded);
   * noise: a counter-based noise source (the i-th such node of a graph draws with noiseSeed + i); learned: a
   * tensor learned with the estimator and carried by the model file (IRReverb's impulse response).
   */
  state: { frames: boolean; noise: boolean; learned?: { name: 'ir'; size(node: NodeOf<T>): number } };
  /**
   * The user control applied to this module's output: 'gain' — the graph multiplies the output by it, smoothed per
   * sample; 'dry-wet' — the module's own law.
   */
  userControl?: { name: UserControl; law: 'gain' | 'dry-wet' };
  /**
   * The seed's class (the last component of `_target_`) and its Python class defaults. Options with a `seedKey`
   * are read from the YAML config as they are; `derive` gives the others (`design` is the noise filter design the
   * caller asks for).
   */
  seed: {
    className: string;
    defaults: Readonly<Record<string, number | boolean>>;
    derive?(value: SeedValue, design: NoiseFilterDesign): Partial<OptionsOf<T>>;
    /** The seed key of the module's own sample rate, which must be the model's (ddsp-stream runs one rate). */
    sampleRateKey?: string;
  };
}

/** The seed's FMIN / FMAX (diffsynth/f0.py): the f0 range of freq_sigmoid scaling, in Hz. */
export const F0_RANGE_HZ: readonly [number, number] = [32, 2000];

const AUDIO = (name: string): ParamSpec => ({ name, size: 1, range: [-1, 1], scale: 'raw', kind: 'audio' });

const HARMONIC: ModuleSchema<'Harmonic'> = {
  inputs: (n) => [
    { name: 'amplitudes', size: 1, range: [0, 1], scale: 'exp_sigmoid', kind: 'control' },
    { name: 'harmonic_distribution', size: n.nHarmonics, range: [0, 1], scale: 'exp_sigmoid', kind: 'control' },
    { name: 'f0_hz', size: 1, range: [F0_RANGE_HZ[0], F0_RANGE_HZ[1]], scale: 'freq_sigmoid', kind: 'control' },
  ],
  options: [
    { key: 'nHarmonics', seedKey: 'n_harmonics', kind: 'integer', min: 1, max: 4096 },
    { key: 'normalizeBelowNyquist', seedKey: 'normalize_below_nyquist', kind: 'boolean' },
  ],
  state: { frames: true, noise: false },
  userControl: { name: 'harmonicMix', law: 'gain' },
  seed: {
    className: 'Harmonic',
    defaults: { sample_rate: 16000, normalize_below_nyquist: true, n_harmonics: 256 },
    sampleRateKey: 'sample_rate',
  },
};

const FILTERED_NOISE: ModuleSchema<'FilteredNoise'> = {
  inputs: (n) => [{ name: 'freq_response', size: Math.floor(n.filterSize / 2) + 1, range: [0, 2], scale: 'exp_sigmoid', kind: 'control' }],
  options: [
    { key: 'filterSize', seedKey: 'filter_size', kind: 'integer', min: 2, max: 65536, even: true },
    { key: 'amplitude', seedKey: 'amplitude', kind: 'finite' },
    { key: 'design', kind: 'one of', values: ['seed', 'linear-phase'] },
  ],
  state: { frames: true, noise: true },
  userControl: { name: 'noiseMix', law: 'gain' },
  seed: {
    className: 'FilteredNoise',
    defaults: { filter_size: 257, amplitude: 1.0 },
    derive: (_, design) => ({ design }),
  },
};

const ADD: ModuleSchema<'Add'> = {
  inputs: () => [AUDIO('signal_a'), AUDIO('signal_b')],
  options: [],
  state: { frames: false, noise: false },
  seed: { className: 'Add', defaults: {} },
};

const MIX: ModuleSchema<'Mix'> = {
  inputs: () => [AUDIO('signal_a'), AUDIO('signal_b'),
    { name: 'mix_a', size: 1, range: [0, 1], scale: 'sigmoid', kind: 'control' },
    { name: 'mix_b', size: 1, range: [0, 1], scale: 'sigmoid', kind: 'control' }],
  options: [],
  state: { frames: true, noise: false },
  seed: { className: 'Mix', defaults: {} },
};

const IR_REVERB: ModuleSchema<'IRReverb'> = {
  inputs: () => [AUDIO('audio')],
  options: [{ key: 'irLength', kind: 'integer', min: 2, max: 10_000_000 }],
  state: { frames: false, noise: false, learned: { name: 'ir', size: (n) => n.irLength - 1 } },
  userControl: { name: 'reverbMix', law: 'dry-wet' },
  seed: {
    className: 'IRReverb',
    defaults: { ir_s: 1.0, sr: 48000 },
    derive: (v) => ({ irLength: Math.trunc((v('ir_s') as number) * (v('sr') as number)) }),
  },
};

/** Every module type this library runs, by type name. */
export const MODULES: { readonly [T in ModuleType]: ModuleSchema<T> } = {
  Harmonic: HARMONIC, FilteredNoise: FILTERED_NOISE, Add: ADD, Mix: MIX, IRReverb: IR_REVERB,
};

/** Module types this library runs. */
export const SUPPORTED_MODULES = Object.keys(MODULES) as ModuleType[];

/** Seed modules this library cannot run (refused by name). */
export const UNSUPPORTED_SEED_MODULES = ['WaveShaper', 'DecayReverb', 'VCA', 'SawOscillator', 'SineOscillator', 'IRReverbMix'] as const;

/** True if `t` names a module type this library runs. */
export function isModuleType(t: unknown): t is ModuleType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(MODULES, t);
}

/** The record of a node's module type. */
export function moduleOf<T extends ModuleType>(node: NodeOf<T>): ModuleSchema<T> {
  return MODULES[node.type as T] as ModuleSchema<T>;
}

/** What is wrong with one option value (without the option's name), or null if it is within bounds. */
export function optionProblem(spec: OptionSpec, v: unknown): string | null {
  switch (spec.kind) {
    case 'integer': {
      const ok = Number.isInteger(v) && (v as number) >= spec.min && (v as number) <= spec.max && (!spec.even || (v as number) % 2 === 0);
      return ok ? null : `must be ${spec.even ? 'an even integer' : 'an integer'} in [${spec.min}, ${spec.max}], got ${String(v)}`;
    }
    case 'finite':
      return typeof v === 'number' && Number.isFinite(v) ? null : `must be a finite number, got ${String(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? null : `must be a boolean, got ${String(v)}`;
    case 'one of':
      return spec.values.includes(v as string) ? null : `must be ${spec.values.map((s) => `'${s}'`).join(' or ')}, got ${String(v)}`;
  }
}

/** Problems of a node's options, each `<option> <problem>`; the node's type must be a {@link ModuleType}. */
export function optionProblems(node: { type: ModuleType } & Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const spec of MODULES[node.type].options) {
    const p = optionProblem(spec, node[spec.key]);
    if (p !== null) out.push(`${spec.key} ${p}`);
  }
  return out;
}

/** Throws a RangeError naming `what` unless `v` is within the bounds of option `key` of module `type`. */
export function assertOption(type: ModuleType, key: string, v: unknown, what = key): void {
  const spec = MODULES[type].options.find((s) => s.key === key);
  if (spec === undefined) throw new Error(`internal: ${type} has no option '${key}'`);
  const p = optionProblem(spec, v);
  if (p !== null) throw new RangeError(`${what} ${p}`);
}
