/**
 * ddsp-stream — realtime DDSP for the Web Audio API. Public playback entry: the AudioWorklet node, the streaming
 * engine every host drives, its user controls, offline rendering and the model file reader. Audio files in Node
 * (decodeAudio, encodeWav, MIDI files) are in `ddsp-stream/node`, training in `ddsp-stream/train`
 * (`ddsp-stream/train/web` in a page); nothing imported from here pulls in tfjs or onnxruntime.
 *
 * @packageDocumentation
 */

// Web Audio node (AudioWorklet), written by the web part.
export * from './web';

// Engine.
export { CONTROLS, CONTROL_NAMES, ENGINE_CONTROL_NAMES } from './modules/controls';
export type { ControlName, ControlSpec, ControlSmoothing, EngineControlName } from './modules/controls';
export {
  StreamingEngine, prepareModel, DEFAULT_CONTROLS, SWAP_FADE_SECONDS, WARMUP_QUANTA, MAX_VOICES, DEFAULT_VOICES,
  VOICE_FADE_SECONDS, EVENT_CAPACITY,
} from './engine/streaming-engine';
export type { EngineOptions, EngineControls, EngineDiagnostics, EngineMode, PreparedModel } from './engine/streaming-engine';
export { NOTE_ENVELOPE, velocityToDb, keyToHz } from './engine/note-events';
export { buildPipeline, modelParts } from './engine/model-pipeline';
export type { ModelPipeline, ModelPipelineOptions, ModelParts } from './engine/model-pipeline';
export type { ReverbParts } from './modules/ir-reverb';
export type { VoiceBank } from './engine/voices';
export type { ChannelVoices } from './engine/channel-voices';
export type { NoteEventQueue, MidiChannels } from './engine/note-events';
export { renderOffline, renderStream, analyseFeatures, featuresAtFrameRate } from './engine/render';
export type {
  RenderOfflineOptions, RenderOfflineResult, RenderStreamOptions, RenderStreamResult, AnalyseOptions,
  AnalysedFeatures, FrameFeatures, NoteMessages,
} from './engine/render';
export { analysisWindowSize, ANALYSIS_ALIGNMENTS } from './dsp/analysis-window';
export type { AnalysisAlignment } from './dsp/analysis-window';
export type { FramePlan } from './engine/framer';

// Model file.
export { readModel, writeModel, validateModel, modelAnalysis, ModelFormatError, DEFAULT_LOUDNESS_RANGE_DB } from './model/model-file';
export { LIMITS } from './model/limits';
export type { DDSPModel, EstimatorSpec, Weights, SynthConfig, SynthNode, NoiseFilterDesign } from './model/model-file';
