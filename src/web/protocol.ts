// Messages between DDSPNode (main thread) and the 'ddsp-stream' AudioWorkletProcessor (render thread).
// Requests carry an `id`; the processor answers every request with `{id, result}` or `{id, error}` (a 'load' once
// the model is built and installed: the processor builds it in bounded steps, one per render quantum and one per
// 'step' request, so that no message or quantum holds the render thread long). Errors that belong to no request (a
// model given in processorOptions that fails to load) come as `{type:'error'}`.
// The mode is not a message but an AudioParam (MODE_PARAM): a port message may reach the processor after its first
// quanta (an OfflineAudioContext renders without waiting for it), a parameter value set before rendering cannot.
import type { ModelParts } from '../engine/model-pipeline';
import type { DDSPModel } from '../model/ddsp-model';

/** Name under which the processor registers itself in the AudioWorkletGlobalScope. */
export const PROCESSOR_NAME = 'ddsp-stream';

/**
 * 'audio': f0 and loudness analysed from the input; 'control': taken from the f0/loudness AudioParams; 'notes': the
 * notes (noteOn, midi…) play the node's voices.
 */
export type DDSPMode = 'audio' | 'control' | 'notes';

/**
 * A model as the processor accepts it: an already-read and validated DDSPModel (structured clone; DDSPNode transfers
 * its arrays). The page reads the model file, never the render thread (the worklet bundle has no reader).
 */
export type ModelPayload = DDSPModel;

/**
 * The processor's AudioParam that selects the mode, read every quantum: 0 = 'audio', 1 = 'control', 2 = 'notes'.
 * Beside the node's controls (params.ts) but not one of them: DDSPNode sets it through setMode() and the `mode`
 * option.
 */
export const MODE_PARAM = { name: 'mode', defaultValue: 0, minValue: 0, maxValue: 2, automationRate: 'k-rate' } as const;

/** The MODE_PARAM value of a mode. */
export function modeValue(mode: DDSPMode): number {
  return mode === 'notes' ? 2 : mode === 'control' ? 1 : 0;
}

/** The mode of a MODE_PARAM value (rounded). */
export function modeOf(value: number): DDSPMode {
  return value >= 1.5 ? 'notes' : value >= 0.5 ? 'control' : 'audio';
}

/** Options passed to the processor's constructor (`processorOptions`). All optional. */
export interface DDSPProcessorOptions {
  /**
   * A model to load once rendering starts (loaded over the first quanta like a 'load' request; the outcome comes as
   * a `{type:'loaded'}` or `{type:'error'}` message).
   */
  model?: ModelPayload;
  /** Seed of the noise source (the engine's default when absent). */
  noiseSeed?: number;
  /** Voices the engine plays at once (notes, or input channels in audio mode); the engine's default when absent. */
  voices?: number;
  /** Input channels tracked as voices of their own in audio mode; absent or 1: the input's mono downmix. */
  inputChannels?: number;
}

/** Requests from the node to the processor. */
export type DDSPRequest =
  /** `parts`: the model's costly parts at the context rate, computed by the page (modelParts); optional. */
  | { type: 'load'; id: number; model: ModelPayload; parts?: ModelParts }
  /** One step of the load being built, if any; the result is whether a load is still being built after it. */
  | { type: 'step'; id: number }
  | { type: 'reset'; id: number }
  /** Answered once the processor has every event sent before it (event-messages.ts messages carry no id). */
  | { type: 'sync'; id: number };

/** What a successful 'load' returns. */
export interface LoadResult {
  /** Engine latency in samples at the context rate: output = offline render delayed by this. */
  latencySamples: number;
  /** The context's sample rate in Hz, as the processor sees it. */
  sampleRate: number;
  /** The model's own sample rate in Hz. */
  modelSampleRate: number;
  /** The model's name, if the file has one. */
  name?: string;
  /**
   * The model's working loudness range [low, high], dB on the seed's scale (the `loudness` param's): the file's
   * (5th–95th percentile of its training frames) or, for a file without one, DEFAULT_LOUDNESS_RANGE_DB.
   */
  loudnessRangeDb: [number, number];
}

/** Error codes a reply or error message can carry. */
export type DDSPErrorCode =
  | 'MODEL_FORMAT' // the bytes are not a valid ddsp-stream model file
  | 'MODEL_LOAD' // the model was read but the engine could not be built from it
  | 'BAD_REQUEST' // unknown message or invalid argument
  | 'FETCH' // the model URL could not be fetched (main thread only)
  | 'NOT_REGISTERED' // the worklet module did not register its processor (main thread only)
  | 'PROCESSOR_ERROR' // the processor threw in process() (main thread only; should never happen)
  | 'INTERNAL';

/** An error as it crosses the port. */
export interface WireError { code: DDSPErrorCode; message: string }

/** Messages from the processor to the node. */
export type DDSPReply =
  | { id: number; result: unknown; error?: undefined; type?: undefined }
  | { id: number; error: WireError; result?: undefined; type?: undefined }
  | { type: 'error'; error: WireError; id?: undefined }
  | { type: 'loaded'; result: LoadResult; id?: undefined; error?: undefined };
