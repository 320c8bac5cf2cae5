/**
 * Training slices without storage (used by prepare.ts in Node and by web.ts in a page): mono audio at the model
 * rate is padded to whole slices and cut into data.length-second slices. Silent slices (peak < 0.01) and slices
 * with no pitched frame are skipped.
 *
 * Features, framed as the model will be (data.analysis_window samples, data.analysis_alignment: frame k's window
 * centred on k·hop or ending there; src/dsp/analysis-window.ts):
 * - f0: the offline tracker (probabilistic YIN, Viterbi when data.f0_viterbi) run over the WHOLE file within
 *   data.f0_range (so slice boundaries see real context, not padding), pooling a window half a window later when
 *   centred (a causal model is not given labels that heard ahead); or, with data.f0_tracker=stream, the engine's
 *   streaming YIN. Unvoiced frames hold the last voiced f0 (440 Hz before the first), as the live engine does, so
 *   training and live inputs agree.
 * - loudness: the seed's A-weighted loudness. Centred: computed per slice with reflect padding (exactly as the
 *   seed); causal: over the whole file with zeros before its start, as the engine measures it.
 */
import { resample } from '../dsp/resample';
import { trackPitchOffline } from '../dsp/pyin';
import { YinTracker, type PitchEstimate } from '../dsp/yin';
import { loudnessAt, loudnessFrames } from '../dsp/loudness';
import { windowStart, type AnalysisAlignment } from '../dsp/analysis-window';
import type { TrainConfig } from './config-schema';

/** Bumped when the stored features change meaning (forces a rebuild). */
export const PREP_VERSION = 1;

/** Settings that decide what preparation stores; a database is reused only when these match. */
export interface PrepSettings {
  version: number;
  sampleRate: number;
  /** Slice length in seconds. */
  lengthSeconds: number;
  frameRate: number;
  f0RangeHz: [number, number];
  f0Viterbi: boolean;
  f0Tracker: 'offline' | 'stream';
  /** Analysis window, samples at sampleRate (absent in databases prepared before it existed: 2048). */
  analysisWindow: number;
  /** Absent in databases prepared before it existed: 'centred'. */
  analysisAlignment: AnalysisAlignment;
}

/** What a stored PrepSettings without a key was prepared with. */
export const PREP_DEFAULTS: Pick<PrepSettings, 'analysisWindow' | 'analysisAlignment'> = { analysisWindow: 2048, analysisAlignment: 'centred' };

/** One slice. */
export interface Slice { audio: Float32Array; f0Hz: Float32Array; loudnessDb: Float32Array }

/** A batch: audio B×N, f0 B×F, loudness B×F (row-major Float32Arrays). */
export interface Batch { size: number; nSamples: number; nFrames: number; audio: Float32Array; f0Hz: Float32Array; loudnessDb: Float32Array; indices: number[] }

/** Slices whose peak is below this are silence (the seed's 1e-2). */
export const SILENCE_PEAK = 0.01;
/** f0 given to unvoiced frames before the first voiced one (the live engine's start value). */
export const INITIAL_F0_HZ = 440;

/** A failure the user can fix (no audio, db mismatch without raw_dir ...). */
export class PrepareError extends Error {
  constructor(message: string) { super(message); this.name = 'PrepareError'; }
}

/** The preparation settings a training config asks for. */
export function prepSettingsFromConfig(c: TrainConfig): PrepSettings {
  return {
    version: PREP_VERSION,
    sampleRate: c.data.sample_rate,
    lengthSeconds: c.data.length,
    frameRate: c.data.frame_rate,
    f0RangeHz: [c.data.f0_range[0], c.data.f0_range[1]],
    f0Viterbi: c.data.f0_viterbi,
    f0Tracker: c.data.f0_tracker,
    analysisWindow: c.data.analysis_window,
    analysisAlignment: c.data.analysis_alignment,
  };
}

/** Slices cut from one file (already mono at the target rate), with what was skipped. */
export interface SlicedFile { slices: Slice[]; skippedSilent: number; skippedUnpitched: number }

/**
 * Cuts mono audio at `settings.sampleRate` into slices with features.
 * @param audio mono samples at settings.sampleRate
 */
export function sliceAudio(audio: Float32Array, settings: PrepSettings): SlicedFile {
  const sr = settings.sampleRate;
  const nSamples = Math.round(settings.lengthSeconds * sr);
  const nFrames = Math.round(settings.lengthSeconds * settings.frameRate);
  const hop = sr / settings.frameRate;
  const nSlices = Math.ceil(audio.length / nSamples);
  const padded = new Float32Array(nSlices * nSamples);
  padded.set(audio);
  for (let i = 0; i < padded.length; i++) if (!Number.isFinite(padded[i])) padded[i] = 0;

  const { f0Hz, voiced } = trackFile(padded, settings, nSlices * nFrames, hop);
  const causal = settings.analysisAlignment === 'causal';
  const W = settings.analysisWindow;
  const fileLoudness = causal ? loudnessAt(padded, sr, hop, nSlices * nFrames, W, 'causal') : null;
  // hold unvoiced frames at the last voiced f0 (as the live engine does)
  const held = new Float32Array(f0Hz.length);
  let last = INITIAL_F0_HZ;
  for (let k = 0; k < f0Hz.length; k++) {
    if (voiced[k] && f0Hz[k] > 0 && Number.isFinite(f0Hz[k])) last = f0Hz[k];
    held[k] = last;
  }

  const out: SlicedFile = { slices: [], skippedSilent: 0, skippedUnpitched: 0 };
  for (let s = 0; s < nSlices; s++) {
    const x = padded.subarray(s * nSamples, (s + 1) * nSamples);
    let peak = 0;
    for (let i = 0; i < x.length; i++) { const a = Math.abs(x[i]); if (a > peak) peak = a; }
    if (peak < SILENCE_PEAK) { out.skippedSilent++; continue; }
    let anyVoiced = false;
    for (let k = s * nFrames; k < (s + 1) * nFrames; k++) if (voiced[k]) { anyVoiced = true; break; }
    if (!anyVoiced) { out.skippedUnpitched++; continue; }
    const audioCopy = x.slice();
    const loudnessDb = new Float32Array(nFrames);
    if (fileLoudness) {
      loudnessDb.set(fileLoudness.subarray(s * nFrames, (s + 1) * nFrames));
    } else {
      const loud = loudnessFrames(audioCopy, sr, settings.frameRate, W);
      loudnessDb.set(loud.subarray(0, nFrames));
      for (let k = loud.length; k < nFrames; k++) loudnessDb[k] = -80; // the seed pads with -range_db
    }
    out.slices.push({ audio: audioCopy, f0Hz: held.slice(s * nFrames, (s + 1) * nFrames), loudnessDb });
  }
  return out;
}

/** f0 and voicing for `nFramesTotal` frames (windows placed by windowStart). */
function trackFile(audio: Float32Array, settings: PrepSettings, nFramesTotal: number, hop: number): { f0Hz: Float32Array; voiced: Uint8Array } {
  const f0Hz = new Float32Array(nFramesTotal);
  const voiced = new Uint8Array(nFramesTotal);
  const [fMinHz, fMaxHz] = settings.f0RangeHz;
  if (settings.f0Tracker === 'offline') {
    const r = trackPitchOffline(audio, settings.sampleRate, {
      frameRate: settings.frameRate, fMinHz, fMaxHz, viterbi: settings.f0Viterbi, windowSize: settings.analysisWindow,
      alignment: settings.analysisAlignment, lookAhead: settings.analysisAlignment === 'centred',
    });
    const n = Math.min(nFramesTotal, r.f0Hz.length);
    for (let k = 0; k < n; k++) {
      f0Hz[k] = r.f0Hz[k];
      voiced[k] = r.voiced[k] && r.f0Hz[k] > 0 ? 1 : 0;
    }
    return { f0Hz, voiced };
  }
  const windowSize = settings.analysisWindow;
  const tracker = new YinTracker({ sampleRate: settings.sampleRate, windowSize, fMinHz, fMaxHz });
  const win = new Float32Array(windowSize);
  const est: PitchEstimate = { f0Hz: 0, confidence: 0 };
  for (let k = 0; k < nFramesTotal; k++) {
    const start = windowStart(k, hop, windowSize, settings.analysisAlignment);
    win.fill(0);
    const a = Math.max(0, start);
    const b = Math.min(audio.length, start + windowSize);
    if (b > a) win.set(audio.subarray(a, b), a - start);
    tracker.detect(win, 0, est);
    f0Hz[k] = est.f0Hz;
    voiced[k] = est.f0Hz > 0 && Number.isFinite(est.f0Hz) ? 1 : 0;
  }
  return { f0Hz, voiced };
}


/**
 * Slices of one recording: mono samples at any rate are resampled to settings.sampleRate (when it differs), then
 * cut by {@link sliceAudio}.
 * @param samples mono samples at `sampleRate` Hz
 */
export function sliceRecording(samples: Float32Array, sampleRate: number, settings: PrepSettings): SlicedFile {
  const atRate = sampleRate === settings.sampleRate ? samples : resample(samples, sampleRate, settings.sampleRate);
  return sliceAudio(atRate, settings);
}

/**
 * An empty batch of `indices.length` slices whose rows `fill` writes (views into the batch's arrays).
 * @param fill called once per row with the slice index and the row's views
 */
export function assembleBatch(indices: number[], nSamples: number, nFrames: number, fill: (index: number, row: Slice) => void): Batch {
  const B = indices.length;
  const batch: Batch = {
    size: B, nSamples, nFrames, indices: [...indices],
    audio: new Float32Array(B * nSamples), f0Hz: new Float32Array(B * nFrames), loudnessDb: new Float32Array(B * nFrames),
  };
  indices.forEach((idx, b) => {
    fill(idx, {
      audio: batch.audio.subarray(b * nSamples, (b + 1) * nSamples),
      f0Hz: batch.f0Hz.subarray(b * nFrames, (b + 1) * nFrames),
      loudnessDb: batch.loudnessDb.subarray(b * nFrames, (b + 1) * nFrames),
    });
  });
  return batch;
}

/** The slices `indices` of an in-memory list as one batch. */
export function batchOfSlices(slices: readonly Slice[], indices: number[]): Batch {
  if (slices.length === 0) throw new RangeError('batchOfSlices: no slices');
  const { audio, f0Hz } = slices[0];
  return assembleBatch(indices, audio.length, f0Hz.length, (i, row) => {
    const s = slices[i];
    if (!s) throw new RangeError(`slice index ${i} outside [0, ${slices.length})`);
    row.audio.set(s.audio);
    row.f0Hz.set(s.f0Hz);
    row.loudnessDb.set(s.loudnessDb);
  });
}
