// Streaming pitch tracker: YIN with an energy-normalised difference function, octave guard and parabolic lag
// refinement. One call analyses one window; nothing is allocated per call. See ./pitch.ts for the difference
// function and docs/pitch.md for the accuracy on the pitch evaluation set.

import { YinDifference, WINDOW_OK, lagRange, checkTrackerOptions } from './pitch';

/** One frame's pitch. */
export interface PitchEstimate {
  /** Fundamental frequency in Hz; 0 when the frame is unvoiced. */
  f0Hz: number;
  /** Periodicity 1 − d'(τ) at the chosen lag, in [0, 1] (also set for unvoiced frames; 0 for silence/NaN). */
  confidence: number;
}

/**
 * A reusable {@link PitchEstimate} slot for {@link YinTracker.detect} on the audio thread. Prefer it to an object
 * literal: a class gets its own V8 hidden class, so its fields stay plain doubles written in place, whereas a
 * `{ f0Hz, confidence }` literal shares its hidden class with every other object of those keys (e.g. the offline
 * tracker's `{ f0Hz: Float32Array, ... }` result), and once those fields hold other types every store of a
 * fractional number allocates.
 */
export class PitchResult implements PitchEstimate {
  f0Hz = 0;
  confidence = 0;
}

/** Options of {@link YinTracker}. */
export interface YinTrackerOptions {
  /** Sample rate of the analysed signal in Hz. */
  sampleRate: number;
  /** Window length in samples (default 2048). The lowest trackable f0 is about sampleRate/(windowSize − 3). */
  windowSize?: number;
  /** Lowest f0 in Hz (default 32, clamped up to what the window allows). */
  fMinHz?: number;
  /** Highest f0 in Hz (default 2000). */
  fMaxHz?: number;
  /**
   * Voicing threshold on the cumulative mean normalised difference d' (default 0.5): a frame is voiced when
   * some dip of d' in the lag range goes below it. (The seed's 0.1 is far stricter: breathy or chorused
   * voices then read as unvoiced.)
   */
  threshold?: number;
  /**
   * Octave guard (default 0.05): the chosen lag is the SHORTEST local minimum of d' (plus a small long-lag
   * penalty) within this margin of the best one, so a sub-octave that is marginally deeper loses to the period.
   */
  octaveMargin?: number;
}

/** Defaults of {@link YinTracker}. */
export const YIN_DEFAULTS = { windowSize: 2048, fMinHz: 32, fMaxHz: 2000, threshold: 0.5, octaveMargin: 0.05 } as const;

/** Added to d' per octave of lag above the shortest searched lag: a mild preference for the higher candidate. */
const LAG_PENALTY_PER_OCTAVE = 0.02;

/**
 * Streaming YIN pitch tracker (the engine's). Per window:
 * 1. mean removal, energy-normalised YIN difference over the whole window (FFT autocorrelation), cumulative
 *    mean normalisation → d'(τ) (see ./pitch.ts);
 * 2. local minima of d' over lags sampleRate/(fMaxHz·2^(1/12)) … sampleRate·2^(1/12)/fMinHz (one semitone of
 *    slack at each end so edge notes are not octave-folded; reported f0 can thus exceed the range by < 1 semitone);
 * 3. voiced when the deepest dip is below `threshold`; the chosen dip is the shortest lag whose d' (+ 0.02 per
 *    octave of lag) is within `octaveMargin` of the deepest;
 * 4. parabolic interpolation of the lag; f0 = sampleRate / τ, confidence = 1 − d'(τ).
 * Silence (below −100 dBFS RMS), DC, and windows holding NaN/Infinity are unvoiced with confidence 0.
 * The estimate describes the window's centre: a window ending at sample t + windowSize/2 is the frame at t.
 */
export class YinTracker {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Window length in samples. */
  readonly windowSize: number;
  /** Lowest f0 in Hz. */
  readonly fMinHz: number;
  /** Highest f0 in Hz. */
  readonly fMaxHz: number;
  /** Voicing threshold on d'. */
  readonly threshold: number;
  /** Octave-guard margin on d'. */
  readonly octaveMargin: number;
  /** Shortest and longest searched lag in samples. */
  readonly tauMin: number;
  readonly tauMax: number;
  private readonly diff: YinDifference;
  private readonly penalty: Float64Array;

  constructor(opts: YinTrackerOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('YinTracker: options object required');
    const sampleRate = opts.sampleRate;
    const windowSize = opts.windowSize ?? YIN_DEFAULTS.windowSize;
    const fMaxHz = opts.fMaxHz ?? YIN_DEFAULTS.fMaxHz;
    const lowestHz = (sampleRate * Math.pow(2, 1 / 12)) / (windowSize - 3);
    const fMinHz = opts.fMinHz ?? Math.max(YIN_DEFAULTS.fMinHz, Math.ceil(lowestHz));
    const threshold = opts.threshold ?? YIN_DEFAULTS.threshold;
    const octaveMargin = opts.octaveMargin ?? YIN_DEFAULTS.octaveMargin;
    checkTrackerOptions('YinTracker', sampleRate, windowSize, fMinHz, fMaxHz);
    if (!(threshold > 0 && threshold <= 2)) throw new RangeError(`YinTracker: threshold must be in (0, 2] (got ${threshold})`);
    if (!(octaveMargin >= 0 && octaveMargin <= 1)) {
      throw new RangeError(`YinTracker: octaveMargin must be in [0, 1] (got ${octaveMargin})`);
    }
    this.sampleRate = sampleRate;
    this.windowSize = windowSize;
    this.fMinHz = fMinHz;
    this.fMaxHz = fMaxHz;
    this.threshold = threshold;
    this.octaveMargin = octaveMargin;
    const { tauMin, tauMax } = lagRange(sampleRate, fMinHz, fMaxHz, windowSize);
    this.tauMin = tauMin;
    this.tauMax = tauMax;
    this.diff = new YinDifference(windowSize, tauMax);
    this.penalty = new Float64Array(tauMax + 1);
    for (let t = tauMin; t <= tauMax; t++) this.penalty[t] = LAG_PENALTY_PER_OCTAVE * Math.log2(t / tauMin);
  }

  /**
   * Analyses window[offset .. offset + windowSize) and writes the estimate to `out`. Allocation-free; never
   * throws (samples outside the array read as 0).
   */
  detect(window: Float32Array, offset: number, out: PitchEstimate): void {
    out.f0Hz = 0;
    out.confidence = 0;
    if (this.diff.compute(window, offset | 0) !== WINDOW_OK) return;
    const y = this.diff.cmnd;
    const pen = this.penalty;
    const lo = Math.max(this.tauMin, 2);
    const hi = this.tauMax;
    let best = Infinity; // penalised
    let deepest = Infinity; // raw d'
    for (let t = lo; t <= hi; t++) {
      const v = y[t];
      if (v < y[t - 1] && v <= y[t + 1]) {
        if (v + pen[t] < best) best = v + pen[t];
        if (v < deepest) deepest = v;
      }
    }
    if (deepest === Infinity) return;
    let chosen = -1;
    const limit = best + this.octaveMargin;
    for (let t = lo; t <= hi; t++) {
      const v = y[t];
      if (v < y[t - 1] && v <= y[t + 1] && v + pen[t] <= limit) { chosen = t; break; }
    }
    if (chosen < 0) return;
    // parabolicMinimum(y, chosen), written out here: this runs once per frame, so a separate small function takes
    // V8 long to optimise (and until then each fractional number it touches is a heap allocation), while this
    // loop-carrying function is optimised within the first frames. Same arithmetic as parabolicMinimum.
    const a = y[chosen - 1];
    const b = y[chosen];
    const c = y[chosen + 1];
    const den = a - 2 * b + c;
    let px = chosen;
    let py = b;
    if (den > 0) {
      let off = (0.5 * (a - c)) / den;
      if (off > 1) off = 1; else if (off < -1) off = -1;
      px = chosen + off;
      py = b - 0.25 * (a - c) * off;
    }
    const d = Math.min(1, Math.max(0, py));
    out.confidence = 1 - d;
    if (deepest < this.threshold && px > 0) out.f0Hz = this.sampleRate / px;
  }
}
