// What the AudioWorkletGlobalScope provides, typed for this bundle only (the DOM lib has no worklet types, and
// declaring these as globals would leak `sampleRate` & co. into every file of the project).
// Not available in this scope (Chromium): atob, TextDecoder/TextEncoder, fetch, setTimeout, performance, crypto.

/** Per-parameter value arrays: length 1 (k-rate, or constant over the quantum) or the quantum length. */
export type ParameterValues = Record<string, Float32Array>;

/** The AudioParam descriptor a processor class declares in `static parameterDescriptors`. */
export interface ParameterDescriptor {
  name: string;
  defaultValue?: number;
  minValue?: number;
  maxValue?: number;
  automationRate?: 'a-rate' | 'k-rate';
}

/** The base class the scope provides. */
export interface AudioWorkletProcessorInstance {
  readonly port: MessagePort;
}

/** Options the scope hands to a processor's constructor (as given to `new AudioWorkletNode`). */
export interface ProcessorConstructionOptions<P = unknown> {
  numberOfInputs?: number;
  numberOfOutputs?: number;
  outputChannelCount?: number[];
  parameterData?: Record<string, number>;
  processorOptions?: P;
}

/** The globals of an AudioWorkletGlobalScope this bundle uses. */
export interface AudioWorkletGlobalScopeLike {
  AudioWorkletProcessor: new (options?: ProcessorConstructionOptions) => AudioWorkletProcessorInstance;
  registerProcessor(
    name: string,
    ctor: new (options: ProcessorConstructionOptions<never>) => AudioWorkletProcessorInstance,
  ): void;
  /** The context's sample rate in Hz. */
  readonly sampleRate: number;
  /** Frame index of the current render quantum's first sample. */
  readonly currentFrame: number;
}

/** The global scope, typed. Read lazily: tests install stubs before importing the processor. */
export const scope = globalThis as unknown as AudioWorkletGlobalScopeLike;
