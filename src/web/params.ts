// The AudioParams of the 'ddsp-stream' processor, one per user control of src/modules/controls.ts, for both sides:
// the processor's `parameterDescriptors` (worklet/ddsp-processor.ts, bundled into dist/worklet.js) and DDSPNode's
// option checks and param members (src/web/ddsp-node.ts). The controls table has no imports, so the worklet bundle
// stays self-contained.
import { CONTROLS, CONTROL_NAMES, type ControlName } from '../modules/controls';

/** Names of the node's AudioParams, in declaration order: every user control. */
export const PARAM_NAMES = CONTROL_NAMES;

/** One of the node's AudioParams. */
export type DDSPParamName = ControlName;

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
 * quantum; the engine smooths the controls as CONTROLS says). f0 and loudness drive the model in control mode only.
 */
export const PARAMETER_DESCRIPTORS: readonly DDSPParamDescriptor[] = PARAM_NAMES.map((name) => ({
  name,
  defaultValue: CONTROLS[name].defaultValue,
  minValue: CONTROLS[name].min,
  maxValue: CONTROLS[name].max,
  automationRate: 'k-rate',
}));
