// A-weighted loudness, exactly as the seed computes it (diffsynth/spectral.py compute_loudness / spec_loudness):
// rectangular window of nFft samples (no window function, no normalisation), power |X_k|² of bins k = 0..nFft/2,
// weighted by 10^(A(f_k)/10) with the librosa A-weighting curve floored at −80 dB (f_k = k·sampleRate/nFft + 1e-8),
// mean over the nFft/2 + 1 bins, clamped below at 1e-8, 10·log10, clamped below at −80 dB. Never clamped above
// (a loud full-scale signal reads well above 0 dB).

import { windowStart, type AnalysisAlignment } from './analysis-window';
import { RealFFT, sharedRealFFT } from './fft';

/** Dynamic range of the seed's loudness in dB (its floor is −RANGE_DB). */
export const LOUDNESS_RANGE_DB = 80;

/** A-weighting in dB at frequency fHz (librosa's formula), floored at minDb (−80). */
export function aWeightingDb(fHz: number, minDb = -LOUDNESS_RANGE_DB): number {
  const fSq = fHz * fHz;
  const c0 = 12194.217 * 12194.217;
  const c1 = 20.598997 * 20.598997;
  const c2 = 107.65265 * 107.65265;
  const c3 = 737.86223 * 737.86223;
  const w = 2.0 + 20.0 * (Math.log10(c0) + 2 * Math.log10(fSq) - Math.log10(fSq + c0) - Math.log10(fSq + c1)
    - 0.5 * Math.log10(fSq + c2) - 0.5 * Math.log10(fSq + c3));
  return Math.max(minDb, w);
}

/** Linear power weights 10^(A(f_k)/10) for bins k = 0..nFft/2, rounded through float32 as the seed's tensors are. */
function powerWeights(sampleRate: number, nFft: number): Float64Array {
  const nBins = nFft / 2 + 1;
  const w = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) {
    const aDb = Math.fround(aWeightingDb((k * sampleRate) / nFft + 1e-8));
    w[k] = Math.fround(Math.pow(10, aDb / 10));
  }
  return w;
}

function checkArgs(where: string, sampleRate: number, nFft: number): void {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`${where}: sampleRate must be a positive number of Hz (got ${sampleRate})`);
  }
  if (!Number.isInteger(nFft) || nFft < 2 || nFft % 2 !== 0 || nFft > 1 << 20) {
    throw new RangeError(`${where}: nFft must be an even integer in [2, 2^20] samples (got ${nFft})`);
  }
}

/**
 * Streaming loudness meter: the seed's loudness of one nFft-sample window (the live path measures the window
 * ending at the current sample). Allocation-free per call; NaN/±Infinity samples count as 0.
 */
export class LoudnessMeter {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Window (FFT) length in samples. */
  readonly nFft: number;
  private readonly fft: RealFFT;
  private readonly frame: Float32Array;
  private readonly spectrum: Float32Array;
  private readonly weights: Float64Array;
  /** The last measurement in dB (a typed-array slot, so no call returns or passes a boxed fractional number). */
  private readonly result = new Float64Array(1);

  /**
   * @param sampleRate Hz (the MODEL's rate: the value depends on it)
   * @param nFft window length in samples, even (default 2048)
   */
  constructor(sampleRate: number, nFft = 2048) {
    checkArgs('LoudnessMeter', sampleRate, nFft);
    this.sampleRate = sampleRate;
    this.nFft = nFft;
    this.fft = sharedRealFFT(nFft);
    this.frame = new Float32Array(nFft);
    this.spectrum = new Float32Array(nFft + 2);
    this.weights = powerWeights(sampleRate, nFft);
  }

  /**
   * Loudness in dB of window[offset .. offset + nFft) (samples outside the array read as 0). Never throws.
   * @returns dB, ≥ −80
   */
  measure(window: Float32Array, offset = 0): number {
    this.load(window, offset);
    this.measureFrame(this.result, 0);
    return this.result[0];
  }

  /**
   * {@link measure} writing the dB value to `out[index]` instead of returning it: the audio-thread form. (In V8 a
   * fractional number returned from a function that is not inlined is boxed, i.e. allocated, on every call.)
   */
  measureInto(window: Float32Array, offset: number, out: Float32Array | Float64Array, index: number): void {
    this.load(window, offset);
    this.measureFrame(out, index);
  }

  /** Copies window[offset .. offset + nFft) into this.frame (outside the array and non-finite → 0). */
  private load(window: Float32Array, offset: number): void {
    const n = this.nFft;
    const frame = this.frame;
    const o = offset | 0;
    for (let i = 0; i < n; i++) {
      const k = o + i;
      const v = k >= 0 && k < window.length ? window[k] : 0;
      frame[i] = Number.isFinite(v) ? v : 0;
    }
  }

  /**
   * Loudness of the frame already in this.frame, into out[index]. (Computed and stored here, in the function with
   * the loop, which V8 optimises early: a small per-frame wrapper touching the fractional result would stay
   * interpreted for long, allocating a heap number per call meanwhile.)
   */
  private measureFrame(out: Float32Array | Float64Array, index: number): void {
    const spec = this.spectrum;
    this.fft.forward(this.frame, spec);
    const w = this.weights;
    const nBins = w.length;
    let acc = 0;
    for (let k = 0; k < nBins; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      acc += (re * re + im * im) * w[k];
    }
    const power = Math.max(acc / nBins, Math.pow(10, -LOUDNESS_RANGE_DB / 10));
    out[index] = Math.max(10 * Math.log10(power), -LOUDNESS_RANGE_DB);
  }

  /** @internal batch helper: measures frame k of a reflect-padded signal (no allocation). */
  measureReflect(audio: Float32Array, start: number): number {
    const n = this.nFft;
    const frame = this.frame;
    const len = audio.length;
    for (let i = 0; i < n; i++) {
      const v = audio[reflectIndex(start + i, len)];
      frame[i] = Number.isFinite(v) ? v : 0;
    }
    this.measureFrame(this.result, 0);
    return this.result[0];
  }
}

/** Index of sample i of a signal of length len extended by reflection (numpy/torch 'reflect': no edge repeat). */
export function reflectIndex(i: number, len: number): number {
  if (len <= 1) return 0;
  const period = 2 * (len - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < len ? j : period - j;
}

/**
 * The seed's batch loudness (compute_loudness with center=True): frame k covers audio[k·hop − nFft/2 ..
 * k·hop + nFft/2) with reflect padding at both ends, hop = floor(sampleRate/frameRate) (the seed's integer hop);
 * frames kept: floor(seconds·frameRate), any missing ones (only possible for odd rates) read −80 dB.
 * @param audio mono samples (NaN/±Infinity read as 0)
 * @returns loudness per frame in dB, length floor(audio.length/sampleRate·frameRate)
 */
export function loudnessFrames(audio: Float32Array, sampleRate: number, frameRate: number, nFft = 2048): Float32Array {
  if (!(audio instanceof Float32Array)) throw new TypeError('loudnessFrames: audio must be a Float32Array');
  checkArgs('loudnessFrames', sampleRate, nFft);
  if (!(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= sampleRate)) {
    throw new RangeError(`loudnessFrames: frameRate must be in (0, sampleRate] Hz (got ${frameRate})`);
  }
  const hop = Math.max(1, Math.floor(sampleRate / frameRate));
  const nFrames = Math.floor((audio.length / sampleRate) * frameRate);
  const out = new Float32Array(nFrames);
  if (nFrames === 0) return out;
  const meter = new LoudnessMeter(sampleRate, nFft);
  const nStft = audio.length === 0 ? 0 : 1 + Math.floor(audio.length / hop);
  for (let k = 0; k < nFrames; k++) {
    out[k] = k < nStft ? meter.measureReflect(audio, k * hop - nFft / 2) : -LOUDNESS_RANGE_DB;
  }
  return out;
}

/**
 * Loudness of frames 0..nFrames−1 framed as the engine frames a stream: frame k's nFft-sample window at
 * windowStart(k, hop, nFft, alignment), zeros outside the signal (no reflection).
 * @param audio mono samples (NaN/±Infinity read as 0)
 */
export function loudnessAt(audio: Float32Array, sampleRate: number, hop: number, nFrames: number, nFft: number,
  alignment: AnalysisAlignment): Float32Array {
  checkArgs('loudnessAt', sampleRate, nFft);
  const meter = new LoudnessMeter(sampleRate, nFft);
  const out = new Float32Array(nFrames);
  for (let k = 0; k < nFrames; k++) out[k] = meter.measure(audio, windowStart(k, hop, nFft, alignment));
  return out;
}
