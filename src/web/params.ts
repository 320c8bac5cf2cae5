// The AudioParams of the 'ddsp-stream' processor, declared once for both sides: the processor's
// `parameterDescriptors` (worklet/ddsp-processor.ts, bundled into dist/worklet.js) and DDSPNode's option checks and
// param members (src/web/ddsp-node.ts). Plain data with no imports, so the worklet bundle stays self-contained.

/** Names of the node's AudioParams, in declaration order. */
export const PARAM_NAMES = ['pitchShift', 'harmonicMix', 'noiseMix', 'reverbMix', 'f0', 'loudness'] as const;

/** One of the node's AudioParams. */
export type DDSPParamName = (typeof PARAM_NAMES)[number];

/** An AudioParam descriptor (the shape AudioWorkletProcessor.parameterDescriptors returns), with its range. */
export interface DDSPParamDescriptor {
  readonly name: DDSPParamName;
  readonly defaultValue: number;
  readonly minValue: number;
  readonly maxValue: number;
  readonly automationRate: 'k-rate';
}

/**
 * The AudioParams of the node, one record each, in {@link PARAM_NAMES} order. All k-rate (read once per render
 * quantum; the engine smooths the mix controls per sample). f0 and loudness drive the model in control mode only.
 */
export const PARAMETER_DESCRIPTORS: readonly DDSPParamDescriptor[] = [
  { name: 'pitchShift', defaultValue: 0, minValue: -24, maxValue: 24, automationRate: 'k-rate' }, // semitones
  { name: 'harmonicMix', defaultValue: 1, minValue: 0, maxValue: 2, automationRate: 'k-rate' }, // gain
  { name: 'noiseMix', defaultValue: 1, minValue: 0, maxValue: 2, automationRate: 'k-rate' }, // gain
  { name: 'reverbMix', defaultValue: 0.5, minValue: 0, maxValue: 1, automationRate: 'k-rate' }, // wet share
  { name: 'f0', defaultValue: 440, minValue: 0, maxValue: 20000, automationRate: 'k-rate' }, // Hz, control mode
  { name: 'loudness', defaultValue: -80, minValue: -120, maxValue: 20, automationRate: 'k-rate' }, // dB, control mode
];
