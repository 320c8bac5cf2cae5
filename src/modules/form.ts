/**
 * The one small interface through which the graph runs a module (src/synth/graph.ts): each module file exports a
 * {@link ModuleForms} record, with the batch and stream forms of its module behind it. The graph scales the
 * control inputs from the module's input spec (./schema) and hands audio inputs by node, so a form only sees
 * arrays in its inputs' spec order. The differentiable forms have the same shape in `<module>.grad.ts`.
 *
 * @packageDocumentation
 */
import type { DeferTo } from '../dsp/deferred';
import type { ReverbParts } from './ir-reverb';
import type { ModuleType, NodeOf, UserControl } from './schema';

/** What the graph hands a module when it builds one. */
export interface ModuleContext {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Control frames per second. */
  frameRate: number;
  /** The model's sample rate, Hz. */
  modelSampleRate: number;
  /** This node's noise seed (modules whose schema state draws noise). */
  noiseSeed: number;
  /** This node's learned tensor (schema state `learned`: IRReverb's IR, without its leading zero), else null. */
  learned: Float32Array | null;
  /** Initial values of the user controls. */
  controls: Readonly<Record<UserControl, number>>;
  /** How many frames may be pushed ahead of the render position (stream form). */
  maxFramesAhead: number;
  /** Noise filters in minimum phase, with no group-delay advance (control mode's tick-rate synth). */
  minimumPhaseNoise: boolean;
  /** This node's stream-form parts computed elsewhere (an IRReverb's ReverbParts), else null. */
  parts: ReverbParts | null;
  /** Where the stream form may leave copying its parts into place (see DeferTo); undefined: at once. */
  defer: DeferTo | undefined;
}

/**
 * A module's stream form as the graph drives it. Allocation-free and never throwing per call. Only modules whose
 * schema state has `frames` are pushed frames and asked canPush / readyEnd / framesNeeded; only those with `noise`
 * get setNoiseSeed; only those with a 'dry-wet' user control get setControlFrom.
 */
export interface StreamForm {
  /** Takes the next frame: controls[j] holds control input j's scaled values from index 0 (spec order). */
  pushFrame(controls: readonly Float32Array[]): boolean;
  canPush(): boolean;
  readyEnd(): number;
  framesNeeded(endSample: number): number;
  /** Writes the next n samples to out[0, n); signals[j] holds audio input j's next n samples (spec order). */
  process(signals: readonly Float32Array[], out: Float32Array, n: number): void;
  setNoiseSeed(noiseSeed: number): void;
  /** Sets the module's user control to values[index] (non-finite: ignored), by a 5 ms ramp or at once. */
  setControlFrom(values: Float64Array, index: number, immediate: boolean): void;
  /** Back to the start state, keeping the user controls (a ramp in progress ends at its target). */
  reset(): void;
}

/** A module's batch and stream forms. */
export interface ModuleForms<T extends ModuleType> {
  /**
   * Whole clip: inputs[j] holds input j (spec order): a control input's scaled frames [nFrames × size], an audio
   * input's signal [nSamples]. Returns the output [nSamples].
   */
  batch(node: NodeOf<T>, inputs: readonly Float32Array[], nFrames: number, nSamples: number, x: ModuleContext): Float32Array;
  stream(node: NodeOf<T>, x: ModuleContext): StreamForm;
}

/** Base of stream forms: what a module without frames, noise or a dry-wet control does for those calls. */
export abstract class StreamFormBase implements StreamForm {
  pushFrame(_controls: readonly Float32Array[]): boolean { return true; }
  canPush(): boolean { return true; }
  readyEnd(): number { return Number.POSITIVE_INFINITY; }
  framesNeeded(_endSample: number): number { return 0; }
  abstract process(signals: readonly Float32Array[], out: Float32Array, n: number): void;
  setNoiseSeed(_noiseSeed: number): void {}
  setControlFrom(_values: Float64Array, _index: number, _immediate: boolean): void {}
  reset(): void {}
}
