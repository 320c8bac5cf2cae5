// Offline pitch tracker: probabilistic YIN (Mauch & Dixon 2014) with Viterbi smoothing over the whole file.
// The training data's tracker and `ddsp-stream f0 --mode offline`. See docs/pitch.md for its accuracy.
//
// Per frame, two windows (zeros beyond the file): the frame's own — centred at k·sampleRate/frameRate, or ending there
// with `alignment: 'causal'` — and, with `lookAhead` (default), one half a window later (centred: starting at the
// frame). At a note change the centred window holds the end of
// the previous note (ringing under reverb) and the first milliseconds of the new one, whose period is often not yet
// in it; the later window sees the new note. Offline we may look ahead, so the frame's observation is the union of
// both windows' candidates (their probabilities normalised together) and the mean of their voiced probabilities;
// in a steady note both windows agree and nothing changes. For each window:
//  - d'(τ) as the streaming tracker computes it (./pitch.ts: energy-normalised YIN difference, cumulative mean
//    normalisation), lags one semitone beyond [fMinHz, fMaxHz];
//  - pYIN's threshold distribution: thresholds s = 0.01, 0.02, …, 1.00 with a Beta(2, 18) prior; for each s the
//    candidate is the first local minimum of d' below s (YIN's absolute threshold), or, when no minimum is below
//    s, the global minimum with the prior probability scaled by NO_DIP_WEIGHT. Summing the prior mass each
//    minimum receives gives a probability per candidate lag; its parabolically refined lag gives its frequency,
//    mapped to pitch bins of 1/BINS_PER_SEMITONE semitone.
// Voicing: the probability that the frame is voiced is a logistic function of the deepest dip,
// pv = 1 / (1 + exp((d'min − VOICING_THRESHOLD)/VOICING_SLOPE)) — the streaming tracker's threshold test, softened
// (and a little looser, as the Viterbi path smooths the voicing).
// HMM (as pYIN): 2·nBins states (voiced/unvoiced × pitch bin); voiced emission = pv × the candidate mass in the
// bin (masses normalised to sum 1), unvoiced emission = 1 − pv; pitch moves by at most MAX_RATE octaves/s with
// triangular weights (or leaps anywhere with probability PITCH_JUMP), voicing switches with probability
// VOICING_SWITCH per frame; emissions have a floor EMISSION_FLOOR. The Viterbi path gives the voicing and the bin;
// f0 is the refined candidate frequency in that bin's ±2-bin neighbourhood, the centred window's if it has one
// there (the bin centre if there is none).

import { windowStart, type AnalysisAlignment } from './analysis-window';
import { YinDifference, WINDOW_OK, lagRange, checkTrackerOptions, parabolicMinimum, type ParabolaResult } from './pitch';

/** Options of {@link trackPitchOffline}. */
export interface OfflinePitchOptions {
  /** Frames per second; frame k is centred at k·sampleRate/frameRate. */
  frameRate: number;
  /** Lowest f0 in Hz (default 32, clamped up to what the window allows). */
  fMinHz?: number;
  /** Highest f0 in Hz (default 2000; the search extends one semitone beyond, as the streaming tracker's). */
  fMaxHz?: number;
  /** Viterbi smoothing over the whole file (default true); false: each frame's most probable state alone. */
  viterbi?: boolean;
  /** Window length in samples (default 2048, as the streaming tracker's). */
  windowSize?: number;
  /** Where frame k's window sits on k·hop (./analysis-window.ts): 'centred' (default) or 'causal' (ending there). */
  alignment?: AnalysisAlignment;
  /**
   * true (default): each frame also analyses the window half a window later and pools its candidates with the
   * first window's (see the file comment): better note onsets under reverb (pitch set RPA 0.969 → 0.973), one more
   * difference function per frame. false: one window per frame.
   */
  lookAhead?: boolean;
}

/** Result of {@link trackPitchOffline}, one value per frame (floor(seconds·frameRate) frames). */
export interface OfflinePitchTrack {
  /** f0 in Hz, 0 where unvoiced (see holdUnvoiced in ./pitch for the seed's hold rule). */
  f0Hz: Float32Array;
  /** Voiced probability of the frame alone in [0, 1] (before smoothing), from its deepest dip of d'. */
  confidence: Float32Array;
  /** 1 where voiced. */
  voiced: Uint8Array;
}

/** Pitch bins per semitone of the HMM. */
const BINS_PER_SEMITONE = 5;
/** Beta prior over the YIN thresholds (pYIN's default, mean 0.1). */
const BETA_A = 2;
const BETA_B = 18;
/** Weight of the prior mass of thresholds under which no dip exists (given to the global minimum). */
const NO_DIP_WEIGHT = 0.01;
/** d'min at which a frame is as likely voiced as not (the streaming tracker's default threshold is 0.5). */
const VOICING_THRESHOLD = 0.6;
/** Softness of the voicing decision in units of d'. */
const VOICING_SLOPE = 0.05;
/** Largest pitch change, octaves per second (pYIN's 35.92). */
const MAX_RATE_OCTAVES_PER_S = 35.92;
/** Probability of a voicing change between two frames. */
const VOICING_SWITCH = 0.01;
/** Probability of a pitch jump to any bin (beyond the MAX_RATE band: leaps between notes). */
const PITCH_JUMP = 1e-5;
/** Emission floor: a state with no candidate is unlikely, not impossible. */
const EMISSION_FLOOR = 0.03;

/** Regularised incomplete beta I_x(a, b) for positive integers a, b (binomial sum). */
function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const n = a + b - 1;
  let sum = 0;
  let binom = 1; // C(n, 0)
  for (let j = 0; j <= n; j++) {
    if (j >= a) sum += binom * Math.pow(x, j) * Math.pow(1 - x, n - j);
    binom = (binom * (n - j)) / (j + 1);
  }
  return sum;
}

/** Prior probability of each threshold 0.01·(i+1), i = 0..99. */
function thresholdPrior(): Float64Array {
  const p = new Float64Array(100);
  let prev = 0;
  for (let i = 0; i < 100; i++) {
    const c = betaCdf((i + 1) / 100, BETA_A, BETA_B);
    p[i] = c - prev;
    prev = c;
  }
  return p;
}

/** Cumulative prior: cum[i] = Σ_{j < i} prior[j] (length 101). */
function cumulative(p: Float64Array): Float64Array {
  const c = new Float64Array(p.length + 1);
  for (let i = 0; i < p.length; i++) c[i + 1] = c[i] + p[i];
  return c;
}

/** Number of thresholds s_i = (i+1)/100 with s_i ≤ v, i.e. the index bound for "v < s". */
function thresholdsAtOrBelow(v: number): number {
  if (!(v >= 0.01)) return 0;
  return Math.min(100, Math.floor(v * 100 + 1e-9));
}

/**
 * Tracks f0 over a whole file with probabilistic YIN and Viterbi smoothing (see the file comment).
 * Memory: the Viterbi back-pointers take 2 bytes × frames × 2·nBins (about 1.5 kB per frame at 32–2000 Hz, i.e.
 * ~0.5 GB for an hour at 100 frames/s): track very long recordings in pieces.
 * @param audio mono samples (NaN/±Infinity: the frames that see them are unvoiced)
 * @param sampleRate Hz
 * @returns per-frame f0Hz (0 unvoiced), confidence and voiced flags; frame k centred at k·sampleRate/frameRate
 */
export function trackPitchOffline(audio: Float32Array, sampleRate: number, opts: OfflinePitchOptions): OfflinePitchTrack {
  if (!(audio instanceof Float32Array)) throw new TypeError('trackPitchOffline: audio must be a Float32Array');
  if (opts === null || typeof opts !== 'object') throw new TypeError('trackPitchOffline: options object required');
  const frameRate = opts.frameRate;
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`trackPitchOffline: sampleRate must be a positive number of Hz (got ${sampleRate})`);
  }
  if (!(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= sampleRate)) {
    throw new RangeError(`trackPitchOffline: frameRate must be in (0, sampleRate] Hz (got ${frameRate})`);
  }
  const windowSize = opts.windowSize ?? 2048;
  const fMaxHz = opts.fMaxHz ?? 2000;
  const lowestHz = (sampleRate * Math.pow(2, 1 / 12)) / (windowSize - 3);
  const fMinHz = opts.fMinHz ?? Math.max(32, Math.ceil(lowestHz));
  checkTrackerOptions('trackPitchOffline', sampleRate, windowSize, fMinHz, fMaxHz);
  const useViterbi = opts.viterbi ?? true;
  const alignment = opts.alignment ?? 'centred';
  const lookAhead = opts.lookAhead ?? true;
  const nWindows = lookAhead ? 2 : 1;

  const nFrames = Math.floor((audio.length / sampleRate) * frameRate);
  const f0Hz = new Float32Array(nFrames);
  const confidence = new Float32Array(nFrames);
  const voiced = new Uint8Array(nFrames);
  if (nFrames === 0) return { f0Hz, confidence, voiced };

  const { tauMin, tauMax } = lagRange(sampleRate, fMinHz, fMaxHz, windowSize);
  const diff = new YinDifference(windowSize, tauMax);
  const fLowHz = sampleRate / tauMax;
  const binsPerOctave = 12 * BINS_PER_SEMITONE;
  const nBins = Math.ceil(binsPerOctave * Math.log2(sampleRate / tauMin / fLowHz)) + 1;
  const prior = thresholdPrior();
  const cum = cumulative(prior);
  const vertex: ParabolaResult = { x: 0, y: 0 };

  // ---- observations: sparse candidates per frame (bin, probability, frequency)
  const candStart = new Int32Array(nFrames + 1);
  const candBin: number[] = [];
  const candProb: number[] = [];
  const candHz: number[] = [];
  const candLate: number[] = []; // 1: from the look-ahead window
  const voicedProb = new Float64Array(nFrames);
  const minLag: number[] = [];
  const minVal: number[] = [];
  const hop = sampleRate / frameRate;
  for (let k = 0; k < nFrames; k++) {
    candStart[k] = candBin.length;
    const first = candBin.length;
    let mass = 0;
    let pv = 0;
    for (let w = 0; w < nWindows; w++) {
      const start = windowStart(k, hop, windowSize, alignment) + w * Math.floor(windowSize / 2);
      if (diff.compute(audio, start) !== WINDOW_OK) continue;
      const y = diff.cmnd;
      minLag.length = 0;
      minVal.length = 0;
      let g = -1;
      for (let t = Math.max(tauMin, 2); t <= tauMax; t++) {
        const v = y[t];
        if (v < y[t - 1] && v <= y[t + 1]) {
          minLag.push(t);
          minVal.push(v);
          if (g < 0 || v < minVal[g]) g = minVal.length - 1;
        }
      }
      if (g < 0) continue;
      // Minimum j is the first below s for thresholds s in (v_j, prefixMin_{j−1}].
      let prefixMin = Infinity;
      for (let j = 0; j < minLag.length; j++) {
        const v = minVal[j];
        let p = 0;
        if (v < prefixMin) {
          const lo = thresholdsAtOrBelow(v);
          const hi = prefixMin === Infinity ? 100 : thresholdsAtOrBelow(prefixMin);
          if (hi > lo) p = cum[hi] - cum[lo];
          prefixMin = v;
        }
        if (j === g) p += NO_DIP_WEIGHT * cum[thresholdsAtOrBelow(v)];
        if (p <= 0) continue;
        parabolicMinimum(y, minLag[j], vertex);
        const hz = sampleRate / vertex.x;
        const bin = Math.round(binsPerOctave * Math.log2(hz / fLowHz));
        if (!(bin >= 0 && bin < nBins)) continue;
        candBin.push(bin);
        candProb.push(p);
        candHz.push(hz);
        candLate.push(w);
        mass += p;
      }
      pv += 1 / (1 + Math.exp((minVal[g] - VOICING_THRESHOLD) / VOICING_SLOPE)) / nWindows;
    }
    if (mass > 0) for (let i = first; i < candBin.length; i++) candProb[i] /= mass;
    voicedProb[k] = pv;
    confidence[k] = pv;
  }
  candStart[nFrames] = candBin.length;

  // ---- decoding
  const states = new Int32Array(nFrames); // state per frame: bin (voiced) or nBins + bin (unvoiced)
  const emitV = new Float64Array(nBins);
  const fillEmission = (k: number): number => {
    emitV.fill(0);
    const pv = voicedProb[k];
    for (let i = candStart[k]; i < candStart[k + 1]; i++) emitV[candBin[i]] += pv * candProb[i];
    return 1 - pv; // unvoiced emission
  };
  if (!useViterbi) {
    for (let k = 0; k < nFrames; k++) {
      const u = fillEmission(k);
      let best = 0;
      for (let b = 1; b < nBins; b++) if (emitV[b] > emitV[best]) best = b;
      states[k] = emitV[best] > u ? best : nBins + best;
    }
  } else {
    viterbiDecode(nFrames, nBins, frameRate, fillEmission, emitV, states);
  }

  for (let k = 0; k < nFrames; k++) {
    const s = states[k];
    if (s >= nBins) continue;
    // The frequency comes from the centred window's candidate when it has one near the bin (the look-ahead window
    // helps choose the bin but describes a later time: in a glide its frequency is ahead of the frame's).
    let bestP = 0;
    let hz = 0;
    for (let late = 0; late < nWindows && hz <= 0; late++) {
      for (let i = candStart[k]; i < candStart[k + 1]; i++) {
        if (candLate[i] === late && Math.abs(candBin[i] - s) <= 2 && candProb[i] > bestP) { bestP = candProb[i]; hz = candHz[i]; }
      }
    }
    if (hz <= 0) hz = fLowHz * Math.pow(2, s / binsPerOctave);
    f0Hz[k] = hz;
    voiced[k] = 1;
  }
  return { f0Hz, confidence, voiced };
}

/** Viterbi over 2·nBins states (voiced bins then unvoiced bins), banded triangular pitch transitions. */
function viterbiDecode(nFrames: number, nBins: number, frameRate: number, fillEmission: (k: number) => number,
  emitV: Float64Array, states: Int32Array): void {
  const width = Math.max(1, Math.round((MAX_RATE_OCTAVES_PER_S * 12 * BINS_PER_SEMITONE) / frameRate));
  const logTri = new Float64Array(2 * width + 1);
  let triSum = 0;
  for (let o = -width; o <= width; o++) triSum += width + 1 - Math.abs(o);
  for (let o = -width; o <= width; o++) logTri[o + width] = Math.log(((1 - PITCH_JUMP) * (width + 1 - Math.abs(o))) / triSum);
  const logJump = Math.log(PITCH_JUMP / nBins);
  const logStay = Math.log(1 - VOICING_SWITCH);
  const logSwitch = Math.log(VOICING_SWITCH);
  const nStates = 2 * nBins;
  const back = nStates <= 32767 ? new Int16Array(nFrames * nStates) : new Int32Array(nFrames * nStates);
  let V = new Float64Array(nStates);
  let W = new Float64Array(nStates);
  const toV = new Float64Array(nBins); // best score entering a voiced state from bin j (before the pitch move)
  const toVSrc = new Int32Array(nBins);
  const toU = new Float64Array(nBins);
  const toUSrc = new Int32Array(nBins);

  let u = fillEmission(0);
  const init = Math.log(1 / nStates);
  for (let b = 0; b < nBins; b++) {
    V[b] = init + Math.log(emitV[b] + EMISSION_FLOOR);
    V[nBins + b] = init + Math.log(u + EMISSION_FLOOR);
  }
  for (let k = 1; k < nFrames; k++) {
    let jumpV = 0;
    let jumpU = 0;
    for (let j = 0; j < nBins; j++) {
      const fromV = V[j];
      const fromU = V[nBins + j];
      if (fromV + logStay >= fromU + logSwitch) { toV[j] = fromV + logStay; toVSrc[j] = j; }
      else { toV[j] = fromU + logSwitch; toVSrc[j] = nBins + j; }
      if (fromU + logStay >= fromV + logSwitch) { toU[j] = fromU + logStay; toUSrc[j] = nBins + j; }
      else { toU[j] = fromV + logSwitch; toUSrc[j] = j; }
      if (toV[j] > toV[jumpV]) jumpV = j;
      if (toU[j] > toU[jumpU]) jumpU = j;
    }
    const jumpVScore = toV[jumpV] + logJump;
    const jumpUScore = toU[jumpU] + logJump;
    u = fillEmission(k);
    const logU = Math.log(u + EMISSION_FLOOR);
    const row = k * nStates;
    for (let i = 0; i < nBins; i++) {
      const lo = Math.max(0, i - width);
      const hi = Math.min(nBins - 1, i + width);
      let bv = jumpVScore;
      let sv = toVSrc[jumpV];
      let bu = jumpUScore;
      let su = toUSrc[jumpU];
      for (let j = lo; j <= hi; j++) {
        const t = logTri[j - i + width];
        const a = toV[j] + t;
        if (a > bv) { bv = a; sv = toVSrc[j]; }
        const b = toU[j] + t;
        if (b > bu) { bu = b; su = toUSrc[j]; }
      }
      W[i] = bv + Math.log(emitV[i] + EMISSION_FLOOR);
      W[nBins + i] = bu + logU;
      back[row + i] = sv;
      back[row + nBins + i] = su;
    }
    const tmp = V; V = W; W = tmp;
  }
  let s = 0;
  for (let i = 1; i < nStates; i++) if (V[i] > V[s]) s = i;
  for (let k = nFrames - 1; k >= 0; k--) {
    states[k] = s;
    if (k > 0) s = back[k * nStates + s];
  }
}
