/**
 * Resynthesis of per-frame features, the batch way: the estimator frame by frame from a fresh GRU state, then the
 * batch synthesizer over the whole clip. The engine's batch reference ({@link renderOffline}) and evaluation
 * (`ddsp-stream eval`, src/train/evaluate.ts) both run it. With `ticks`, control mode's way: features per
 * 128-sample tick, the peeking estimator and the tick-rate synth, as the engine's control path runs them.
 *
 * @packageDocumentation
 */

import { EstimatorRuntime } from '../estimator/realtime';
import { renderSynthBatch } from '../synth/graph';
import type { DDSPModel } from '../model/model-file';
import { controlSynthOptions, synthOptions } from './frame-path';
import { PeekingEstimator } from './peeking-estimator';

/** Options of {@link resynthesize}. */
export interface ResynthesisOptions {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Seed of the noise source (the synth's default when absent). */
  noiseSeed?: number;
  /** Mix controls, already in range (default: as trained). */
  controls?: { harmonicMix?: number; noiseMix?: number; reverbMix?: number };
  /** This model's estimator, reset and run here, for a caller that resynthesises many clips (default: a new one). */
  estimator?: EstimatorRuntime;
  /** Called as frames are estimated (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Control mode: the features are per tick (one per 128 samples at `sampleRate`), estimated by the
   * {@link PeekingEstimator} and synthesised at the tick rate ({@link controlSynthOptions}). Default false.
   */
  ticks?: boolean;
}

/**
 * Resynthesises `nSamples` samples at `o.sampleRate` from per-frame features at the model's frame rate (with
 * `o.ticks`: per tick).
 * @param f0Hz the conditioned f0 per frame, Hz (held over unvoiced frames and shifted: what the estimator and the
 *   oscillators get)
 * @param loudnessDb loudness per frame, dB (the same number of frames)
 * @throws RangeError / TypeError for mismatched features or synth options the model cannot run with
 */
export function resynthesize(model: DDSPModel, f0Hz: Float32Array, loudnessDb: Float32Array, nSamples: number,
  o: ResynthesisOptions): Float32Array {
  const nFrames = f0Hz.length;
  if (loudnessDb.length !== nFrames) {
    throw new RangeError(`f0Hz and loudnessDb must have the same number of frames, got ${nFrames} and ${loudnessDb.length}`);
  }
  const P = model.estimator.outputSize;
  const est = o.estimator ?? new EstimatorRuntime(model.estimator, model.estimator.weights);
  est.reset();
  const params = new Float32Array(nFrames * P);
  const out = new Float32Array(P);
  const peek = o.ticks ? new PeekingEstimator(est, o.sampleRate / model.frameRate) : null;
  for (let k = 0; k < nFrames; k++) {
    if (peek !== null) {
      peek.tickFrom(f0Hz, loudnessDb, k);
      params.set(peek.output, k * P);
    } else {
      est.runFrame(f0Hz[k], loudnessDb[k], out);
      params.set(out, k * P);
    }
    if (o.onProgress && (k % 64 === 63 || k === nFrames - 1)) o.onProgress(k + 1, nFrames);
  }
  return renderSynthBatch(model.synth, params, f0Hz, nFrames, nSamples,
    (peek !== null ? controlSynthOptions : synthOptions)(model, o.sampleRate, o.noiseSeed, o.controls));
}
