/**
 * The synthesizer graph's runners: batch and stream renderers that walk the graph's nodes and run each through
 * its module's forms (src/modules/<module>.ts, behind src/modules/form's interface), with the module records of
 * src/modules/schema saying what each node needs: its inputs (scaled here from their specs), its state (frames,
 * noise, a learned IR) and the user control applied to its output. The graph as data (validation, parameter
 * split, the seed graphs and the seed-YAML reader) is ./dag.
 *
 * @packageDocumentation
 */
import type { DeferTo } from '../dsp/deferred';
import { ADD } from '../modules/add';
import { FILTERED_NOISE } from '../modules/filtered-noise';
import type { ModuleContext, ModuleForms, StreamForm } from '../modules/form';
import { HARMONIC } from '../modules/harmonic';
import { IR_REVERB, type ReverbParts } from '../modules/ir-reverb';
import { MIX } from '../modules/mix';
import { MODULES, USER_CONTROLS, type ModuleType, type ParamSpec, type SynthConfig, type SynthNode, type UserControl } from '../modules/schema';
import { scaleInto, assertInt } from '../modules/scaling';
import { LinearSmoother, CONTROL_RAMP_SECONDS } from '../modules/smoother';
import { assertHop } from '../modules/timing';
import { resolveGraph, type InputSource } from './dag';

export {
  externalParams, hpn, hpnir, nodeParamSpec, paramCount, resolveGraph, synthFromSeedDag,
  type ExternalParam, type InputSource, type ResolvedGraph, type SeedDagOptions, type SeedGraphOptions,
} from './dag';
export {
  SUPPORTED_MODULES, UNSUPPORTED_SEED_MODULES,
  type NoiseFilterDesign, type ScaleType, type SynthConfig, type SynthNode,
} from '../modules/schema';

/** The batch and stream forms of every module type. */
const FORMS: { readonly [T in ModuleType]: ModuleForms<T> } = {
  Harmonic: HARMONIC, FilteredNoise: FILTERED_NOISE, Add: ADD, Mix: MIX, IRReverb: IR_REVERB,
};

/** The forms of a node's module. */
function formsOf(n: SynthNode): ModuleForms<ModuleType> {
  return FORMS[n.type] as unknown as ModuleForms<ModuleType>;
}

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
  harmonicMix?: number;
  /** Gain of FilteredNoise outputs, 0–2 (default 1). */
  noiseMix?: number;
  /** Reverb mix m, 0–1 (default 0.5 = dry + wet, as trained). */
  reverbMix?: number;
  /** Extension: the model's sample rate, Hz (default config.sampleRate, else sampleRate). */
  modelSampleRate?: number;
  /**
   * Noise filters in minimum phase (same magnitude response, no group-delay advance) instead of the model's design,
   * default false. Control mode's tick-rate synth uses it: at a hop of 128 samples a linear-phase filter's N/2
   * advance would dominate the latency.
   */
  minimumPhaseNoise?: boolean;
  /** Stream form: IRReverb nodes' parts computed elsewhere, by node name ({@link reverbParts} with these options). */
  parts?: Record<string, ReverbParts>;
  /** Stream form: where the nodes may leave copying their parts into place (see DeferTo); default: at once. */
  defer?: DeferTo;
}

/** Per node of a graph, the context its forms are built with. */
function contexts(c: SynthConfig, o: SynthRenderOptions, maxFramesAhead: number): { hop: number; x: ModuleContext[] } {
  if (o === null || typeof o !== 'object') throw new TypeError('SynthRenderOptions must be an object');
  const hop = assertHop(o.sampleRate, o.frameRate);
  const modelRate = o.modelSampleRate ?? c.sampleRate ?? o.sampleRate;
  if (!(Number.isFinite(modelRate) && modelRate > 0)) throw new RangeError(`modelSampleRate must be a positive number of Hz, got ${modelRate}`);
  const controls = {} as Record<UserControl, number>;
  for (const u of USER_CONTROLS) {
    const v = o[u.name];
    const x = v ?? u.default;
    if (!(Number.isFinite(x) && x >= u.range[0] && x <= u.range[1])) throw new RangeError(`${u.name} must be in [${u.range[0]}, ${u.range[1]}], got ${v}`);
    controls[u.name] = x;
  }
  const noiseSeed = o.noiseSeed ?? 0;
  if (!Number.isFinite(noiseSeed)) throw new RangeError(`noiseSeed must be a finite number, got ${o.noiseSeed}`);
  let noiseIndex = 0;
  const x = c.nodes.map((n): ModuleContext => {
    const state = MODULES[n.type].state;
    return {
      sampleRate: o.sampleRate, frameRate: o.frameRate, modelSampleRate: modelRate, controls, maxFramesAhead,
      minimumPhaseNoise: o.minimumPhaseNoise === true,
      parts: o.parts?.[n.name] ?? null,
      defer: o.defer,
      noiseSeed: state.noise ? noiseSeed + noiseIndex++ : noiseSeed,
      learned: state.learned ? learnedIR(n, (state.learned.size as (n: SynthNode) => number)(n), o) : null,
    };
  });
  return { hop, x };
}

function learnedIR(node: SynthNode, size: number, o: SynthRenderOptions): Float32Array {
  const ir = o.irs?.[node.name] ?? o.ir;
  if (ir === undefined) throw new TypeError(`SynthRenderOptions.ir is required: node '${node.name}' is an ${node.type}`);
  if (!(ir instanceof Float32Array)) throw new TypeError(`the IR of node '${node.name}' must be a Float32Array`);
  if (ir.length !== size) {
    throw new RangeError(`the IR of node '${node.name}' must have irLength − 1 = ${size} samples (no leading zero), got ${ir.length}`);
  }
  return ir;
}

/** The gain a node's output is multiplied by (its schema's user control with the 'gain' law), or null. */
function gainControl(n: SynthNode): number | null {
  const u = MODULES[n.type].userControl;
  return u?.law === 'gain' ? USER_CONTROLS.findIndex((c) => c.name === u.name) : null;
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
  const { x } = contexts(c, o, 1);
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
  c.nodes.forEach((n, i) => {
    const src = g.inputs[i];
    const inputs = g.specs[i].map((spec, j) => {
      const sj = src[j];
      return sj.kind === 'node' ? outputs[sj.index] : scaleInputFrames(params, P, nFrames, sj, spec, f0Hz);
    });
    const out = formsOf(n).batch(n, inputs, nFrames, nSamples, x[i]);
    const j = gainControl(n);
    if (j !== null) new LinearSmoother(x[i].controls[USER_CONTROLS[j].name], 1).applyGain(out, 0, nSamples);
    outputs.push(out);
  });
  return outputs[outputs.length - 1];
}

/** One node of a SynthStream: its stream form and the buffers the graph hands it. */
interface StreamNode {
  form: StreamForm;
  /** Scaled control inputs of the frame being pushed, per spec input (audio inputs: empty). */
  controls: Float32Array[];
  /** Audio inputs, per spec input: the source node's block buffer (control inputs: empty). */
  signals: Float32Array[];
  src: InputSource[];
  spec: readonly ParamSpec[];
  /** The user-control gain applied to the output, or null. */
  gain: LinearSmoother | null;
}

/**
 * The synth graph, streaming: frames pushed as they become available, any render size, no allocation. Output
 * equals {@link renderSynthBatch} sample for sample (up to float rounding of the reverb's partitioned convolution)
 * provided frame k was pushed before sample k·hop − hop/2 is rendered: {@link readyUntil} tells the end of what
 * is final, {@link framesNeeded} how many frames a render needs. User controls are smoothed per sample (5 ms).
 *
 * Per-block calls (pushFrameFrom, render, setControlsFrom) never throw: a params vector of the wrong length is
 * treated as all zeros, non-finite values as 0, a frame with f0 ≤ 0 (or non-finite) is harmonically silent.
 */
export class SynthStream {
  /** The graph. */
  readonly config: SynthConfig;
  /** Estimator outputs per frame. */
  readonly paramCount: number;
  /** Samples per frame at the synthesis rate. */
  readonly hop: number;
  private readonly nodes: StreamNode[];
  /** The nodes with frames (schema state), those drawing noise, those with their own user-control law. */
  private readonly framed: StreamNode[];
  private readonly noisy: StreamForm[];
  private readonly dryWet: StreamForm[];
  /** Per gain in `gains` / form in `dryWet`: the index of its user control in setControlsFrom's values. */
  private readonly gains: LinearSmoother[];
  private readonly gainIndex: Int32Array;
  private readonly dryWetIndex: Int32Array;
  private readonly bufs: Float32Array[];
  private readonly zeros: Float32Array;
  private readonly chunk: number;
  private position = 0;
  private pushed = 0;
  /** The conditioned f0 (Hz) of the frame being pushed. */
  private readonly frameF0 = new Float64Array(1);

  /**
   * @param o.maxFramesAhead how many frames may be pushed ahead of the render position (default 8)
   * @throws RangeError/TypeError on a bad config or options (e.g. a missing IR).
   */
  constructor(c: SynthConfig, o: SynthRenderOptions & { maxFramesAhead?: number }) {
    const g = resolveGraph(c);
    const { hop, x } = contexts(c, o, o.maxFramesAhead ?? 8);
    this.config = c;
    this.paramCount = g.paramCount;
    this.hop = hop;
    this.chunk = 128;
    this.zeros = new Float32Array(Math.max(1, g.paramCount));
    this.bufs = c.nodes.map(() => new Float32Array(this.chunk));
    const none = new Float32Array(0);
    this.nodes = c.nodes.map((n, i): StreamNode => {
      const src = g.inputs[i];
      const spec = g.specs[i];
      const j = gainControl(n);
      return {
        form: formsOf(n).stream(n, x[i]), src, spec,
        controls: spec.map((s, k) => (src[k].kind === 'node' ? none : new Float32Array(s.size))),
        signals: src.map((s) => (s.kind === 'node' ? this.bufs[s.index] : none)),
        gain: j === null ? null : new LinearSmoother(x[i].controls[USER_CONTROLS[j].name], CONTROL_RAMP_SECONDS * o.sampleRate),
      };
    });
    const schema = c.nodes.map((n) => MODULES[n.type]);
    this.framed = this.nodes.filter((_, i) => schema[i].state.frames);
    this.noisy = this.nodes.filter((_, i) => schema[i].state.noise).map((n) => n.form);
    const control = (i: number): number => USER_CONTROLS.findIndex((u) => u.name === schema[i].userControl?.name);
    const dryWet = c.nodes.map((_, i) => i).filter((i) => schema[i].userControl?.law === 'dry-wet');
    this.dryWet = dryWet.map((i) => this.nodes[i].form);
    this.dryWetIndex = Int32Array.from(dryWet, control);
    const gained = c.nodes.map((_, i) => i).filter((i) => this.nodes[i].gain !== null);
    this.gains = gained.map((i) => this.nodes[i].gain as LinearSmoother);
    this.gainIndex = Int32Array.from(gained, control);
  }

  /** Frames pushed since construction / reset. */
  get framesPushed(): number { return this.pushed; }
  /** Samples rendered since construction / reset. */
  get samplesRendered(): number { return this.position; }

  /** True if every module can take another frame now (see maxFramesAhead). */
  canPush(): boolean {
    for (let i = 0; i < this.framed.length; i++) if (!this.framed[i].form.canPush()) return false;
    return true;
  }

  /**
   * Pushes the next frame: `params` P sigmoid outputs (estimator order), the conditioned f0 read from
   * `f0Hz[f0Index]` (Hz). Returns false (frame dropped, nothing changed) when the frame lies more than
   * maxFramesAhead frames ahead of the render position.
   */
  pushFrameFrom(params: Float32Array, f0Hz: Float32Array, f0Index: number): boolean {
    this.frameF0[0] = f0Hz[f0Index];
    if (!this.canPush()) return false;
    const p = params instanceof Float32Array && params.length >= this.paramCount ? params : this.zeros;
    for (let i = 0; i < this.framed.length; i++) {
      const nd = this.framed[i];
      for (let j = 0; j < nd.src.length; j++) {
        const src = nd.src[j];
        if (src.kind === 'conditioned') nd.controls[j][0] = this.frameF0[0];
        else if (src.kind === 'param') scaleInto(p, src.offset, nd.controls[j], 0, src.size, nd.spec[j].scale, nd.spec[j].range);
      }
      nd.form.pushFrame(nd.controls);
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
        nd.form.process(nd.signals, buf, c);
        if (nd.gain !== null) nd.gain.applyGain(buf, 0, c);
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
   * Sets the user controls harmonicMix, noiseMix and reverbMix (src/modules/schema USER_CONTROLS) to
   * values[offset], values[offset + 1], values[offset + 2], smoothed per sample over 5 ms or, if `immediate`,
   * from the next sample on (e.g. right after {@link reset}). The caller keeps them in range; non-finite values
   * are ignored.
   */
  setControlsFrom(values: Float64Array, offset: number, immediate = false): void {
    for (let k = 0; k < this.gains.length; k++) this.gains[k].setFrom(values, offset + this.gainIndex[k], immediate);
    for (let k = 0; k < this.dryWet.length; k++) this.dryWet[k].setControlFrom(values, offset + this.dryWetIndex[k], immediate);
  }

  /**
   * Switches the noise seed (as SynthRenderOptions.noiseSeed: the i-th noise-drawing node uses noiseSeed + i) for
   * the frames pushed from now on; call it before the first frame, or after {@link reset}, for a render that equals
   * the batch one with that seed. Allocation-free; a seed that is not a safe integer is ignored.
   */
  setNoiseSeed(noiseSeed: number): void {
    if (!Number.isSafeInteger(noiseSeed)) return;
    for (let k = 0; k < this.noisy.length; k++) this.noisy[k].setNoiseSeed(noiseSeed + k);
  }

  /**
   * End (exclusive) of the samples that are final given the frames pushed so far: rendering [0, readyUntil())
   * gives exactly the batch output. Infinity for a graph without frame-controlled modules.
   */
  readyUntil(): number {
    let r = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.framed.length; i++) r = Math.min(r, this.framed[i].form.readyEnd());
    return r;
  }

  /** Frames that must have been pushed before samples [0, endSample) are rendered (for them to be final). */
  framesNeeded(endSample: number): number {
    if (!(endSample > 0)) return 0;
    let k = 0;
    for (let i = 0; i < this.framed.length; i++) k = Math.max(k, this.framed[i].form.framesNeeded(endSample));
    return k;
  }

  /**
   * Back to the start state (no frames, silence, oscillator phase 0, no reverb tail), keeping the current user
   * controls: a control ramp in progress ends at its target, and nothing ramps after the reset.
   */
  reset(): void {
    for (let i = 0; i < this.nodes.length; i++) {
      const nd = this.nodes[i];
      nd.form.reset();
      if (nd.gain !== null) nd.gain.settle();
      this.bufs[i].fill(0);
    }
    this.position = 0;
    this.pushed = 0;
  }
}

/**
 * A graph cut for voices: `voice` is what runs once per voice, `tail` the node that runs once on the voices' sum.
 * The tail is a last node that is linear and the same for every voice (an IRReverb — the learned reverb, and its
 * dry/wet law — whose input is the node before it); without one (e.g. the seed's `hpn`), `voice` is the whole
 * graph and `tail` null. Rendering the voice part of one voice through the tail equals the whole graph.
 */
export function voiceGraph(c: SynthConfig): { voice: SynthConfig; tail: SynthNode | null } {
  const g = resolveGraph(c);
  const n = c.nodes.length;
  const last = c.nodes[n - 1];
  const src = g.inputs[n - 1];
  if (n >= 2 && last.type === 'IRReverb' && src.length === 1 && src[0].kind === 'node' && src[0].index === n - 2) {
    return { voice: { ...c, nodes: c.nodes.slice(0, n - 1) }, tail: last };
  }
  return { voice: c, tail: null };
}

/**
 * The tail of {@link voiceGraph} as a stream: the one node run on an input signal (the voices' sum), with its user
 * control (reverbMix's dry/wet law) set as SynthStream sets it. Allocation-free per call.
 */
export class TailStream {
  private readonly form: StreamForm;
  private readonly signals: Float32Array[];
  /** Index of the node's user control among setControlsFrom's values (−1: none). */
  private readonly controlIndex: number;

  /** @param config the whole graph (for its IR and options); @param node its tail (voiceGraph(config).tail) */
  constructor(config: SynthConfig, node: SynthNode, o: SynthRenderOptions) {
    const i = config.nodes.indexOf(node);
    if (i < 0) throw new RangeError(`TailStream: node '${node.name}' is not in the graph`);
    const { x } = contexts(config, o, 1);
    this.form = formsOf(node).stream(node, x[i]);
    this.signals = [new Float32Array(0)];
    const u = MODULES[node.type].userControl;
    this.controlIndex = u?.law === 'dry-wet' ? USER_CONTROLS.findIndex((c) => c.name === u.name) : -1;
  }

  /** out[0, n) = the node's output for input[0, n) (n ≤ 128; input and out distinct). */
  process(input: Float32Array, out: Float32Array, n: number): void {
    this.signals[0] = input;
    this.form.process(this.signals, out, n);
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (!(v - v === 0)) out[i] = 0;
    }
  }

  /** As {@link SynthStream.setControlsFrom}. */
  setControlsFrom(values: Float64Array, offset: number, immediate = false): void {
    if (this.controlIndex >= 0) this.form.setControlFrom(values, offset + this.controlIndex, immediate);
  }

  reset(): void {
    this.form.reset();
  }
}
