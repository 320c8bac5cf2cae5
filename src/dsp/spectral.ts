/**
 * Spectral analysis for training and validation: an STFT helper, the seed's multi-scale spectral loss (with its
 * hand-written gradient, for the differentiable op in src/train/loss) and the seed's validation metrics.
 *
 * Multi-scale spectral loss (seed loss.py `SpectralLoss` + spectral.py `multiscale_fft`, mag_w = log_mag_w = 1):
 * for n in fftSizes (default 64..2048): hop n/4, periodic Hann window of length n, no centring, S = |STFT|²
 * (power — the seed calls it magnitude), frames 1 + ⌊(N − n)/hop⌋, bins n/2+1;
 *   loss_n = mean|S_out − S_tgt| + mean|ln(S_out + 1e-4) − ln(S_tgt + 1e-4)|   (means over batch, bins, frames)
 *   total  = Σ_n loss_n / (nScales · 2).
 *
 * Validation metrics (seed model.py `monitor_losses`, spectral.py), each averaged over the batch:
 *  - lsd: sqrt(Σ_(f,t) (10·log10(P̂ + 1e-5) − 10·log10(P + 1e-5))²) / T, P = power STFT (Hann 1024 periodic,
 *    hop 256, centred with reflect padding), T its number of frames;
 *  - sc (spectral convergence): ‖P̂ − P‖_F / ‖P‖_F on the same power STFTs;
 *  - loud: mean |10^(L̂/10) − 10^(L/10)| of the seed's A-weighted loudness (50 frames/s, n_fft 2048);
 *  - mfcc_l1: mean |MFCĈ − MFCC| over coefficients 1..19 (coefficient 0 dropped) of 20 MFCCs: power STFT with a
 *    RECTANGULAR window (the seed's MelSpec passes no window), n_fft 1024, hop 256, end padded to a whole hop then
 *    centred (reflect), 40 HTK mel bands 40–7600 Hz (torchaudio MelScale, no norm), log(mel + 1e-6), DCT-II ortho.
 *
 * @packageDocumentation
 */
import { RealFFT } from './fft';
import { loudnessFrames } from './loudness';

/** The seed's FFT sizes of the multi-scale spectral loss. */
export const DEFAULT_FFT_SIZES: readonly number[] = [64, 128, 256, 512, 1024, 2048];
/** The seed's log epsilon (`util.log_eps`). */
export const LOG_EPS = 1e-4;

/** Hann window of length n; periodic (torch.hann_window default, the seed's) or symmetric. */
export function hannWindow(n: number, periodic = true): Float32Array {
  const w = new Float32Array(n);
  const d = periodic ? n : n - 1;
  for (let i = 0; i < n; i++) w[i] = d === 0 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / d);
  return w;
}

/** STFT framing options (torch.stft semantics). */
export interface StftOptions {
  /** FFT size n (even, ≥ 2). */
  fftSize: number;
  /** Hop in samples (≥ 1). */
  hop: number;
  /** Window of length fftSize; default rectangular (torch.stft with window=None). */
  window?: Float32Array;
  /** Centre frames: reflect-pad fftSize/2 samples on both sides (torch center=True, pad_mode 'reflect'). */
  center?: boolean;
  /** Zero-pad the end so that (length − fftSize) is a whole number of hops (the seed's `pad_end`). */
  padEnd?: boolean;
}

/** A power spectrogram: `power[t·nBins + f]` = |X_t[f]|², nFrames × nBins (frame-major). */
export interface PowerSpectrogram { power: Float64Array; nFrames: number; nBins: number }

function reflectIndex(i: number, n: number): number {
  // numpy/torch 'reflect' (edge not repeated); n ≥ 2
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/** Length of the signal after `padEnd` (and before centring). */
function paddedLength(nSamples: number, o: StftOptions): number {
  if (!o.padEnd) return nSamples;
  const r = (((nSamples - o.fftSize) % o.hop) + o.hop) % o.hop;
  return r === 0 ? nSamples : nSamples + o.hop - r;
}

/** Number of STFT frames of a signal of nSamples under the options (0 if too short). */
export function stftFrameCount(nSamples: number, o: StftOptions): number {
  const L = paddedLength(nSamples, o) + (o.center ? 2 * Math.floor(o.fftSize / 2) : 0);
  return L < o.fftSize ? 0 : 1 + Math.floor((L - o.fftSize) / o.hop);
}

function checkStft(o: StftOptions, nSamples: number): void {
  if (!Number.isInteger(o.fftSize) || o.fftSize < 2 || o.fftSize % 2 !== 0) throw new RangeError(`fftSize must be an even integer >= 2, got ${o.fftSize}`);
  if (!Number.isInteger(o.hop) || o.hop < 1) throw new RangeError(`hop must be an integer >= 1, got ${o.hop}`);
  if (o.window && o.window.length !== o.fftSize) throw new RangeError(`window must have fftSize = ${o.fftSize} values, got ${o.window.length}`);
  if (o.center && nSamples <= o.fftSize / 2) {
    throw new RangeError(`a centred STFT (reflect padding) needs more than fftSize/2 = ${o.fftSize / 2} samples, got ${nSamples}`);
  }
  if (stftFrameCount(nSamples, o) < 1) throw new RangeError(`signal of ${nSamples} samples is shorter than fftSize = ${o.fftSize}`);
}

/**
 * Power spectrogram |STFT|² of x[offset .. offset+nSamples) (torch.stft semantics, onesided).
 * @returns nFrames × (fftSize/2+1) powers, float64
 */
export function powerSpectrogram(x: Float32Array, o: StftOptions, offset = 0, nSamples = x.length - offset): PowerSpectrogram {
  checkStft(o, nSamples);
  const n = o.fftSize;
  const nBins = n / 2 + 1;
  const nFrames = stftFrameCount(nSamples, o);
  const Lp = paddedLength(nSamples, o);
  const pad = o.center ? n / 2 : 0;
  const fft = work(n).fft;
  const buf = new Float32Array(n);
  const spec = new Float32Array(n + 2);
  const power = new Float64Array(nFrames * nBins);
  const w = o.window;
  for (let t = 0; t < nFrames; t++) {
    const s = t * o.hop - pad;
    for (let j = 0; j < n; j++) {
      let i = s + j;
      if (o.center && (i < 0 || i >= Lp)) i = reflectIndex(i, Lp);
      const v = i < nSamples ? x[offset + i] : 0;
      buf[j] = w ? v * w[j] : v;
    }
    fft.forward(buf, spec);
    const base = t * nBins;
    for (let f = 0; f < nBins; f++) {
      const re = spec[2 * f];
      const im = spec[2 * f + 1];
      power[base + f] = re * re + im * im;
    }
  }
  return { power, nFrames, nBins };
}

function checkBatch(output: Float32Array, target: Float32Array, nBatch: number, nSamples: number): void {
  if (!(output instanceof Float32Array) || !(target instanceof Float32Array)) throw new TypeError('output and target must be Float32Arrays');
  if (!Number.isInteger(nBatch) || nBatch < 1) throw new RangeError(`nBatch must be an integer >= 1, got ${nBatch}`);
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new RangeError(`nSamples must be an integer >= 1, got ${nSamples}`);
  if (output.length !== nBatch * nSamples) throw new RangeError(`output must have nBatch × nSamples = ${nBatch * nSamples} values, got ${output.length}`);
  if (target.length !== nBatch * nSamples) throw new RangeError(`target must have nBatch × nSamples = ${nBatch * nSamples} values, got ${target.length}`);
}

function checkFftSizes(fftSizes: readonly number[], nSamples: number): void {
  if (!Array.isArray(fftSizes) || fftSizes.length === 0) throw new RangeError('fftSizes must be a non-empty array');
  for (const n of fftSizes) {
    if (!Number.isInteger(n) || n < 4 || n % 4 !== 0) throw new RangeError(`each FFT size must be a multiple of 4 (hop n/4), got ${n}`);
    if (n > nSamples) throw new RangeError(`FFT size ${n} is longer than the clips (${nSamples} samples)`);
  }
}

/** Per-scale state reused across calls (FFT plan, window, buffers). */
class ScaleWork {
  readonly fft: RealFFT;
  readonly window: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly sa: Float32Array;
  readonly sb: Float32Array;
  constructor(readonly n: number) {
    this.fft = new RealFFT(n);
    this.window = hannWindow(n, true);
    this.a = new Float32Array(n);
    this.b = new Float32Array(n);
    this.sa = new Float32Array(n + 2);
    this.sb = new Float32Array(n + 2);
  }
}

// One ScaleWork (and so one RealFFT) per FFT size for the module's lifetime, shared by the loss and the STFTs: a
// RealFFT's wasm buffers are freed only by the garbage collector, so a new one per call fills PFFFT's heap.
const workCache = new Map<number, ScaleWork>();
function work(n: number): ScaleWork {
  let w = workCache.get(n);
  if (!w) {
    if (workCache.size >= 16) workCache.delete(workCache.keys().next().value as number);
    w = new ScaleWork(n);
    workCache.set(n, w);
  }
  return w;
}

/**
 * The seed's multi-scale spectral loss, and optionally its gradient with respect to `output`.
 * @param output  [nBatch × nSamples] synthesized audio (row-major)
 * @param target  [nBatch × nSamples] target audio
 * @param gradOut if given (nBatch × nSamples), receives ∂loss/∂output (overwritten)
 * @returns the loss (a mean, so independent of batch size)
 */
export function multiScaleSpectralLossGrad(output: Float32Array, target: Float32Array, nBatch: number, nSamples: number,
  fftSizes: readonly number[] = DEFAULT_FFT_SIZES, gradOut?: Float32Array): number {
  checkBatch(output, target, nBatch, nSamples);
  checkFftSizes(fftSizes, nSamples);
  if (gradOut !== undefined) {
    if (!(gradOut instanceof Float32Array) || gradOut.length !== nBatch * nSamples) {
      throw new RangeError(`gradOut must be a Float32Array of nBatch × nSamples = ${nBatch * nSamples} values`);
    }
    gradOut.fill(0);
  }
  const norm = 1 / (fftSizes.length * 2);
  let total = 0;
  for (const n of fftSizes) {
    const wk = work(n);
    const hop = n / 4;
    const nBins = n / 2 + 1;
    const nFrames = 1 + Math.floor((nSamples - n) / hop);
    const count = nBatch * nFrames * nBins;
    const gScale = norm / count;
    let sumLin = 0;
    let sumLog = 0;
    const { fft, window: win, a, b, sa, sb } = wk;
    for (let bi = 0; bi < nBatch; bi++) {
      const base = bi * nSamples;
      for (let t = 0; t < nFrames; t++) {
        const s = base + t * hop;
        for (let j = 0; j < n; j++) {
          a[j] = output[s + j] * win[j];
          b[j] = target[s + j] * win[j];
        }
        fft.forward(a, sa);
        fft.forward(b, sb);
        for (let f = 0; f < nBins; f++) {
          const re = sa[2 * f];
          const im = sa[2 * f + 1];
          const S = re * re + im * im;
          const T = sb[2 * f] * sb[2 * f] + sb[2 * f + 1] * sb[2 * f + 1];
          const d = S - T;
          const l = Math.log(S + LOG_EPS) - Math.log(T + LOG_EPS);
          sumLin += Math.abs(d);
          sumLog += Math.abs(l);
          if (gradOut) {
            const gS = gScale * (Math.sign(d) + Math.sign(l) / (S + LOG_EPS));
            // dS/dRe = 2Re, dS/dIm = 2Im; pack for the adjoint DFT (see below)
            const half = f === 0 || f === n / 2 ? 1 : 0.5;
            sa[2 * f] = 2 * re * gS * half;
            sa[2 * f + 1] = 2 * im * gS * half;
          }
        }
        if (gradOut) {
          // adjoint of X_f = Σ_j x_j e^{−2πi fj/n} (real part of the onesided sum) = n · irfft(packed)
          fft.inverse(sa, a);
          for (let j = 0; j < n; j++) gradOut[s + j] += n * a[j] * win[j];
        }
      }
    }
    total += (sumLin + sumLog) / count;
  }
  return total * norm;
}

/**
 * The seed's multi-scale spectral loss (SpectralLoss with mag_w = log_mag_w = 1), a plain number.
 * @param output [nBatch × nSamples], target [nBatch × nSamples]
 */
export function multiScaleSpectralLoss(output: Float32Array, target: Float32Array, nBatch: number, nSamples: number,
  fftSizes: readonly number[] = DEFAULT_FFT_SIZES): number {
  return multiScaleSpectralLossGrad(output, target, nBatch, nSamples, fftSizes);
}

// ------------------------------------------------------------------------------------------------------------------
// Validation metrics

const METRIC_STFT: StftOptions = { fftSize: 1024, hop: 256, center: true };

/** Log-spectral distance (the seed's `compute_lsd`), batch mean. Inputs [nBatch × nSamples]. */
export function logSpectralDistance(resyn: Float32Array, orig: Float32Array, nBatch: number, nSamples: number): number {
  checkBatch(resyn, orig, nBatch, nSamples);
  const o = { ...METRIC_STFT, window: hannWindow(1024, true) };
  let acc = 0;
  for (let b = 0; b < nBatch; b++) {
    const P = powerSpectrogram(orig, o, b * nSamples, nSamples);
    const Q = powerSpectrogram(resyn, o, b * nSamples, nSamples);
    let s = 0;
    for (let i = 0; i < P.power.length; i++) {
      const d = 10 * (Math.log10(Q.power[i] + 1e-5) - Math.log10(P.power[i] + 1e-5));
      s += d * d;
    }
    acc += Math.sqrt(s) / P.nFrames;
  }
  return acc / nBatch;
}

/** Spectral convergence ‖P̂ − P‖_F / ‖P‖_F (the seed's `spectral_convergence`), batch mean (0/0 counts as 0). */
export function spectralConvergence(resyn: Float32Array, target: Float32Array, nBatch: number, nSamples: number): number {
  checkBatch(resyn, target, nBatch, nSamples);
  const o = { ...METRIC_STFT, window: hannWindow(1024, true) };
  let acc = 0;
  for (let b = 0; b < nBatch; b++) {
    const P = powerSpectrogram(target, o, b * nSamples, nSamples);
    const Q = powerSpectrogram(resyn, o, b * nSamples, nSamples);
    let num = 0;
    let den = 0;
    for (let i = 0; i < P.power.length; i++) {
      const d = Q.power[i] - P.power[i];
      num += d * d;
      den += P.power[i] * P.power[i];
    }
    acc += den > 0 ? Math.sqrt(num / den) : num > 0 ? Infinity : 0;
  }
  return acc / nBatch;
}

/**
 * Loudness error (the seed's `loudness_loss`): mean over batch and frames of |10^(L̂/10) − 10^(L/10)|, L the
 * seed's A-weighted loudness in dB (src/dsp/loudness `loudnessFrames`) at `sampleRate` (the model's).
 */
export function loudnessError(resyn: Float32Array, target: Float32Array, nBatch: number, nSamples: number,
  sampleRate: number, frameRate = 50, nFft = 2048): number {
  checkBatch(resyn, target, nBatch, nSamples);
  let acc = 0;
  let count = 0;
  for (let b = 0; b < nBatch; b++) {
    const a = loudnessFrames(resyn.subarray(b * nSamples, (b + 1) * nSamples), sampleRate, frameRate, nFft);
    const t = loudnessFrames(target.subarray(b * nSamples, (b + 1) * nSamples), sampleRate, frameRate, nFft);
    const m = Math.min(a.length, t.length);
    for (let i = 0; i < m; i++) acc += Math.abs(Math.pow(10, a[i] / 10) - Math.pow(10, t[i] / 10));
    count += m;
  }
  return count > 0 ? acc / count : 0;
}

/** HTK mel scale: 2595·log10(1 + f/700). */
export function hzToMelHtk(f: number): number { return 2595 * Math.log10(1 + f / 700); }
/** Inverse HTK mel scale, Hz. */
export function melToHzHtk(m: number): number { return 700 * (Math.pow(10, m / 2595) - 1); }

/**
 * torchaudio `melscale_fbanks` (HTK, norm None): [nFreqs × nMels] triangular filters over
 * linspace(0, ⌊sampleRate/2⌋, nFreqs).
 */
export function melFilterbank(nFreqs: number, fMin: number, fMax: number, nMels: number, sampleRate: number): Float64Array {
  const fb = new Float64Array(nFreqs * nMels);
  const top = Math.floor(sampleRate / 2);
  const mMin = hzToMelHtk(fMin);
  const mMax = hzToMelHtk(fMax);
  const fPts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHzHtk(mMin + ((mMax - mMin) * i) / (nMels + 1));
  for (let k = 0; k < nFreqs; k++) {
    const f = nFreqs === 1 ? 0 : (top * k) / (nFreqs - 1);
    for (let m = 0; m < nMels; m++) {
      const down = (f - fPts[m]) / (fPts[m + 1] - fPts[m]);
      const up = (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]);
      fb[k * nMels + m] = Math.max(0, Math.min(down, up));
    }
  }
  return fb;
}

/** torchaudio `create_dct(nMfcc, nMels, 'ortho')`: [nMels × nMfcc]. */
export function dctMatrixOrtho(nMfcc: number, nMels: number): Float64Array {
  const d = new Float64Array(nMels * nMfcc);
  for (let n = 0; n < nMels; n++) {
    for (let k = 0; k < nMfcc; k++) {
      let v = Math.cos((Math.PI / nMels) * (n + 0.5) * k) * Math.sqrt(2 / nMels);
      if (k === 0) v *= 1 / Math.SQRT2;
      d[n * nMfcc + k] = v;
    }
  }
  return d;
}

/** MFCC settings of the seed's validation (model.py: n_fft 1024, hop 256, 40 mels, 20 MFCCs, 40–7600 Hz). */
export interface MfccOptions { sampleRate: number; fftSize?: number; hop?: number; nMels?: number; nMfcc?: number; fMin?: number; fMax?: number }

/**
 * The seed's `Mfcc` of one clip: [nFrames × nMfcc] (frame-major).
 */
export function mfcc(x: Float32Array, o: MfccOptions, offset = 0, nSamples = x.length - offset): { data: Float64Array; nFrames: number; nMfcc: number } {
  const nFft = o.fftSize ?? 1024;
  const nMels = o.nMels ?? 40;
  const nMfcc = o.nMfcc ?? 20;
  const P = powerSpectrogram(x, { fftSize: nFft, hop: o.hop ?? 256, center: true, padEnd: true }, offset, nSamples);
  const fb = melFilterbank(P.nBins, o.fMin ?? 40, o.fMax ?? 7600, nMels, o.sampleRate);
  const dct = dctMatrixOrtho(nMfcc, nMels);
  const out = new Float64Array(P.nFrames * nMfcc);
  const mel = new Float64Array(nMels);
  for (let t = 0; t < P.nFrames; t++) {
    mel.fill(0);
    for (let f = 0; f < P.nBins; f++) {
      const p = P.power[t * P.nBins + f];
      if (p === 0) continue;
      for (let m = 0; m < nMels; m++) mel[m] += p * fb[f * nMels + m];
    }
    for (let m = 0; m < nMels; m++) mel[m] = Math.log(mel[m] + 1e-6);
    for (let k = 0; k < nMfcc; k++) {
      let s = 0;
      for (let m = 0; m < nMels; m++) s += mel[m] * dct[m * nMfcc + k];
      out[t * nMfcc + k] = s;
    }
  }
  return { data: out, nFrames: P.nFrames, nMfcc };
}

/** MFCC L1 (the seed's `mfcc_l1`): mean |MFCĈ − MFCC| over batch, coefficients 1..nMfcc−1 and frames. */
export function mfccL1(resyn: Float32Array, target: Float32Array, nBatch: number, nSamples: number, sampleRate: number): number {
  checkBatch(resyn, target, nBatch, nSamples);
  let acc = 0;
  let count = 0;
  for (let b = 0; b < nBatch; b++) {
    const a = mfcc(resyn, { sampleRate }, b * nSamples, nSamples);
    const t = mfcc(target, { sampleRate }, b * nSamples, nSamples);
    for (let i = 0; i < a.nFrames; i++) {
      for (let k = 1; k < a.nMfcc; k++) {
        acc += Math.abs(a.data[i * a.nMfcc + k] - t.data[i * t.nMfcc + k]);
        count++;
      }
    }
  }
  return acc / count;
}

/** The seed's five validation numbers, named as it logs them (`val_0/<name>`). */
export interface ValidationMetrics { spec: number; lsd: number; sc: number; loud: number; mfcc_l1: number }

/**
 * All validation metrics of a batch (the seed's `validation_step`: the spectral loss plus `monitor_losses`).
 * @param resyn, target [nBatch × nSamples] at the model's sample rate
 */
export function validationMetrics(resyn: Float32Array, target: Float32Array, nBatch: number, nSamples: number,
  sampleRate: number, frameRate = 50): ValidationMetrics {
  return {
    spec: multiScaleSpectralLoss(resyn, target, nBatch, nSamples),
    lsd: logSpectralDistance(resyn, target, nBatch, nSamples),
    sc: spectralConvergence(resyn, target, nBatch, nSamples),
    loud: loudnessError(resyn, target, nBatch, nSamples, sampleRate, frameRate),
    mfcc_l1: mfccL1(resyn, target, nBatch, nSamples, sampleRate),
  };
}
