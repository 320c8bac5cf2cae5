// What a model is, as data: the DDSPModel that readModel returns, writeModel writes and the engine runs, and the
// default a model without a loudness range gets. Apart from the file's reader and writer (model-file.ts), so that
// what runs a read model (the worklet) does not bundle the reader.
import type { EstimatorSpec, Weights } from '../estimator/network';
import type { SynthConfig } from './synth-config';
import { analysisWindowSize, type AnalysisAlignment } from '../dsp/analysis-window';

/** Everything a model file holds. */
export interface DDSPModel {
  /** Model file format version (1). */
  formatVersion: number;
  /** Rate the model was trained at, Hz (analysis runs at this rate). */
  sampleRate: number;
  /** Estimator frames per second (hop = sampleRate/frameRate samples). */
  frameRate: number;
  /** The training data's f0 range [min, max] Hz (pitch tracker range); distinct from estimator.f0Norm. */
  f0RangeHz: [number, number];
  /**
   * Analysis window (pitch and loudness) in samples at sampleRate, as the training features were computed.
   * Optional: absent, {@link analysisWindowSize}(sampleRate) (2048 at 48 kHz, the seed's). Read it through
   * {@link modelAnalysis}.
   */
  analysisWindow?: number;
  /** Where frame k's window sits on the frame instant (src/dsp/analysis-window.ts). Optional: absent, 'centred'. */
  analysisAlignment?: AnalysisAlignment;
  /**
   * The working loudness range [low, high] in dB on the seed's A-weighted scale (not dBFS: notes sit around
   * −15…+14): the 5th and 95th percentiles of the training data's voiced frames. Optional (older files, converted
   * seed models); {@link DEFAULT_LOUDNESS_RANGE_DB} stands in when absent.
   */
  loudnessRangeDb?: [number, number];
  /** The estimator network: shapes, input normalisation and canonical weights. */
  estimator: EstimatorSpec & { weights: Weights };
  /** The synth graph the estimator's outputs drive (graph order = parameter order). */
  synth: SynthConfig;
  /** Learned reverb IR WITHOUT its leading zero (irLength − 1 samples), when the synth has an IRReverb. */
  ir?: Float32Array;
  /** Human-readable model name. */
  name?: string;
  /** Free-form string metadata (keys not starting with 'ddsp.'). */
  meta?: Record<string, string>;
}

/**
 * The working loudness range assumed for a model whose file gives none: about the bundled violin's (−38.3…+9.7 dB,
 * the 5th–95th percentile of the loudness of its training frames; each bundled model's file gives its own).
 */
export const DEFAULT_LOUDNESS_RANGE_DB: readonly [number, number] = [-38, 10];

/** A model's analysis window (samples at its rate) and alignment, the defaults filled in. */
export function modelAnalysis(m: Pick<DDSPModel, 'sampleRate' | 'analysisWindow' | 'analysisAlignment'>): { window: number; alignment: AnalysisAlignment } {
  return { window: m.analysisWindow ?? analysisWindowSize(m.sampleRate), alignment: m.analysisAlignment ?? 'centred' };
}
