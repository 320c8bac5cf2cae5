// Public entry of the Web Audio part: DDSPNode and its types.
export { DDSPNode } from './ddsp-node';
export type { DDSPModelSource, DDSPNodeOptions, DDSPNodeMembers, DDSPParamFor, DDSPBaseNodeFor } from './ddsp-node';
export { BUNDLED_MODELS } from './bundled-models';
export type { BundledModelName } from './bundled-models';
export { DDSPError } from './errors';
export { registerWorklet, isNativeContext } from './register-worklet';
export type { AnyAudioContext } from './register-worklet';
export { PROCESSOR_NAME } from './protocol';
export type { DDSPMode, DDSPErrorCode, LoadResult, DDSPProcessorOptions } from './protocol';
