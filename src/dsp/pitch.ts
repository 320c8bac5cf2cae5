// Shared maths of the two pitch trackers (yin.ts: streaming, pyin.ts: offline).
//
// The difference function is YIN's (de Cheveigné & Kawahara 2002, eq. 6) over the WHOLE window, as the seed's
// torchyin port computes it: for a window x[0..N) and lag τ,
//     d(τ) = Σ_{j=0}^{N−1−τ} (x_j − x_{j+τ})² = E_head(τ) + E_tail(τ) − 2·r(τ),
// with r the linear autocorrelation (via one real FFT of size ≥ N + τmax and one inverse) and E_head/E_tail the
// energies of x[0..N−τ) and x[τ..N) (prefix sums). Two changes from the seed make it usable at low pitch:
//  1. d(τ) is divided by E_head(τ) + E_tail(τ) (the energy of the compared samples, as McLeod's NSDF does), so the
//     shrinking overlap at long lags no longer drags d towards 0 and favours sub-octaves;
//  2. the window mean is removed first (a DC offset is not a pitch).
// The cumulative mean normalisation (eq. 8) is then applied to that normalised difference:
//     d'(0) = 1,   d'(τ) = dn(τ) · τ / Σ_{j=1..τ} dn(j).
// A perfectly periodic window has d'(T) = 0; white noise stays near 1.

import { RealFFT, sharedRealFFT } from './fft';

/** Window status returned by {@link YinDifference.compute}: d' computed. Plain constants, not an object's
 *  properties: a property load the stream reaches only on silence deoptimised the tracker's optimised code each
 *  time (docs/performance.md, "The first second of a fresh engine"). */
export const WINDOW_OK = 0;
/** Energy after mean removal below the silence floor. */
export const WINDOW_SILENT = 1;
/** The window holds NaN or ±Infinity. */
export const WINDOW_NON_FINITE = 2;
/** One of WINDOW_OK, WINDOW_SILENT, WINDOW_NON_FINITE. */
export type WindowStatus = typeof WINDOW_OK | typeof WINDOW_SILENT | typeof WINDOW_NON_FINITE;

/** Mean-square floor (after mean removal) below which a window is silent: −100 dBFS RMS. */
export const SILENCE_MEAN_SQUARE = 1e-10;

/** One semitone as a frequency ratio. */
export const SEMITONE = Math.pow(2, 1 / 12);

/**
 * Allocation-free YIN difference function over a fixed window size (see the file comment for the maths).
 * Constructed once; {@link compute} fills {@link cmnd} for lags 0..tauMax+1.
 */
export class YinDifference {
  /** Window length in samples. */
  readonly windowSize: number;
  /** Largest lag of interest in samples; d' is filled up to tauMax + 1 (for parabolic refinement). */
  readonly tauMax: number;
  /** Cumulative mean normalised difference d'(τ), τ = 0..tauMax+1 (valid after compute() returned Ok). */
  readonly cmnd: Float64Array;
  /** Mean square of the last window after mean removal. */
  meanSquare = 0;
  private readonly fft: RealFFT;
  private readonly frame: Float32Array;
  private readonly spectrum: Float32Array;
  private readonly corr: Float32Array;
  private readonly prefix: Float64Array;

  /**
   * @param windowSize window length N in samples (≥ 8)
   * @param tauMax largest lag in samples, 2 ≤ tauMax ≤ N − 3
   */
  constructor(windowSize: number, tauMax: number) {
    if (!Number.isInteger(windowSize) || windowSize < 8) {
      throw new RangeError(`YinDifference: windowSize must be an integer >= 8 (got ${windowSize})`);
    }
    if (!Number.isInteger(tauMax) || tauMax < 2 || tauMax > windowSize - 3) {
      throw new RangeError(`YinDifference: tauMax must be an integer in [2, ${windowSize - 3}] (got ${tauMax})`);
    }
    this.windowSize = windowSize;
    this.tauMax = tauMax;
    let m = 2;
    while (m < windowSize + tauMax + 2) m *= 2;
    this.fft = sharedRealFFT(m);
    this.frame = new Float32Array(m);
    this.spectrum = new Float32Array(m + 2);
    this.corr = new Float32Array(m);
    this.prefix = new Float64Array(windowSize + 1);
    this.cmnd = new Float64Array(tauMax + 2);
  }

  /**
   * Computes d' of window[offset .. offset + windowSize). Never throws; a window running past the array's end
   * reads zeros there.
   * @returns WINDOW_OK, WINDOW_SILENT or WINDOW_NON_FINITE
   */
  compute(window: Float32Array, offset: number): WindowStatus {
    const n = this.windowSize;
    const frame = this.frame;
    let sum = 0;
    let finite = true;
    for (let i = 0; i < n; i++) {
      const k = offset + i;
      const v = k >= 0 && k < window.length ? window[k] : 0;
      if (!Number.isFinite(v)) { finite = false; frame[i] = 0; } else { frame[i] = v; sum += v; }
    }
    if (!finite) { this.meanSquare = 0; return WINDOW_NON_FINITE; }
    const mean = sum / n;
    const prefix = this.prefix;
    prefix[0] = 0;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const v = frame[i] - mean;
      frame[i] = v;
      acc += v * v;
      prefix[i + 1] = acc;
    }
    frame.fill(0, n);
    this.meanSquare = acc / n;
    if (!(this.meanSquare >= SILENCE_MEAN_SQUARE)) return WINDOW_SILENT;

    // r(τ) = IFFT(|X|²)
    const spec = this.spectrum;
    this.fft.forward(frame, spec);
    for (let k = 0; k < spec.length; k += 2) {
      spec[k] = spec[k] * spec[k] + spec[k + 1] * spec[k + 1];
      spec[k + 1] = 0;
    }
    this.fft.inverse(spec, this.corr);
    const corr = this.corr;

    const cmnd = this.cmnd;
    const total = prefix[n];
    const last = this.tauMax + 1;
    cmnd[0] = 1;
    let running = 0;
    for (let tau = 1; tau <= last; tau++) {
      const m = prefix[n - tau] + (total - prefix[tau]);
      let dn = 1;
      if (m > 1e-30) {
        const d = m - 2 * corr[tau];
        dn = d > 0 ? d / m : 0;
      }
      running += dn;
      cmnd[tau] = running > 1e-30 ? (dn * tau) / running : 1;
    }
    return WINDOW_OK;
  }
}

/** Result slot of {@link parabolicMinimum}. */
export interface ParabolaResult { x: number; y: number }

/**
 * Vertex of the parabola through (j−1, y[j−1]), (j, y[j]), (j+1, y[j+1]); the offset is clamped to ±1 and is 0
 * when the three points are not convex. Writes into `out` (no allocation).
 */
export function parabolicMinimum(y: ArrayLike<number>, j: number, out: ParabolaResult): ParabolaResult {
  const a = y[j - 1];
  const b = y[j];
  const c = y[j + 1];
  const den = a - 2 * b + c;
  if (!(den > 0)) { out.x = j; out.y = b; return out; }
  let off = (0.5 * (a - c)) / den;
  if (off > 1) off = 1; else if (off < -1) off = -1;
  out.x = j + off;
  out.y = b - 0.25 * (a - c) * off;
  return out;
}

/** Lag range searched for an f0 range: one semitone beyond each end, so notes at the edges are not octave-folded. */
export function lagRange(sampleRate: number, fMinHz: number, fMaxHz: number, windowSize: number): { tauMin: number; tauMax: number } {
  const tauMin = Math.max(2, Math.floor(sampleRate / (fMaxHz * SEMITONE)));
  const tauMax = Math.min(windowSize - 3, Math.ceil((sampleRate * SEMITONE) / fMinHz));
  return { tauMin, tauMax };
}

/** Validates the shared tracker options; throws RangeError naming the argument. */
export function checkTrackerOptions(where: string, sampleRate: number, windowSize: number, fMinHz: number, fMaxHz: number): void {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`${where}: sampleRate must be a positive number of Hz (got ${sampleRate})`);
  }
  if (!Number.isInteger(windowSize) || windowSize < 64 || windowSize > 1 << 20) {
    throw new RangeError(`${where}: windowSize must be an integer in [64, 2^20] samples (got ${windowSize})`);
  }
  if (!(Number.isFinite(fMaxHz) && fMaxHz > 0 && fMaxHz < sampleRate / 4)) {
    throw new RangeError(`${where}: fMaxHz must be in (0, sampleRate/4 = ${sampleRate / 4}) Hz (got ${fMaxHz})`);
  }
  if (!(Number.isFinite(fMinHz) && fMinHz > 0 && fMinHz < fMaxHz)) {
    throw new RangeError(`${where}: fMinHz must be in (0, fMaxHz = ${fMaxHz}) Hz (got ${fMinHz})`);
  }
  const { tauMin, tauMax } = lagRange(sampleRate, fMinHz, fMaxHz, windowSize);
  if (tauMax - tauMin < 2) {
    throw new RangeError(`${where}: windowSize ${windowSize} is too short for fMaxHz ${fMaxHz} Hz at ${sampleRate} Hz`);
  }
}

/**
 * The seed's rule for unvoiced frames (stream.py): f0 held from the last voiced frame, `initialHz` (440) before
 * the first one. A frame is unvoiced where `voiced[k]` is 0 (or, without `voiced`, where f0Hz[k] ≤ 0 or is not
 * finite). Returns a new array.
 */
export function holdUnvoiced(f0Hz: Float32Array, voiced?: Uint8Array, initialHz = 440): Float32Array {
  const out = new Float32Array(f0Hz.length);
  let held = initialHz;
  for (let k = 0; k < f0Hz.length; k++) {
    const v = f0Hz[k];
    const isVoiced = voiced ? voiced[k] !== 0 && v > 0 && Number.isFinite(v) : v > 0 && Number.isFinite(v);
    if (isVoiced) held = v;
    out[k] = held;
  }
  return out;
}
