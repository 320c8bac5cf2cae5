// FIR design by frequency sampling (the seed's util.fir_filter), two designs:
//  'seed':         taps = irfft(mag, N) · hann_periodic(N).roll(N//2)  — the zero-phase windowed impulse response
//                  left in CIRCULAR order, exactly as the seed builds it and then uses it as a causal filter
//                  (util.fft_convolve then advances the output by (N−1)//2 − 1 samples). The response equals the
//                  request only at the N/2+1 bin centres (SEED-NOTES §1).
//  'linear-phase': the same windowed zero-phase IR rotated by N//2 into causal order: a symmetric, linear-phase
//                  filter with group delay N//2 whose magnitude follows the request between bins too. (For odd N
//                  the window is the exactly symmetric 0.5 + 0.5·cos(2πn/N); for even N it is the seed's window.)
// seedFrameFilter() is the seed's complete time-varying filter (util.fft_convolve with 3-D impulse responses,
// padding 'same'): audio cut into nFrames equal frames, each convolved with its frame's taps, overlap-added, and
// the result advanced by `advance` samples.

import { RealFFT, multiplySpectraInPlace } from './fft';

/** The two noise-filter designs named in the model file. */
export type NoiseFilterDesign = 'seed' | 'linear-phase';

function checkFilterSize(fn: string, filterSize: number): void {
  if (!Number.isInteger(filterSize) || filterSize < 2 || filterSize > 65536) {
    throw new RangeError(`${fn}: filterSize must be an integer in [2, 65536] (got ${filterSize})`);
  }
}

function checkDesign(fn: string, design: string): void {
  if (design !== 'seed' && design !== 'linear-phase') {
    throw new TypeError(`${fn}: design must be 'seed' or 'linear-phase' (got '${design}')`);
  }
}

/**
 * Output advance (samples) that goes with a design: out[n] = (audio ∗ taps)[n + groupDelay].
 * 'seed': (N−1)//2 − 1 (the seed's fft_convolve default, 254 for N = 512); 'linear-phase': N//2 (its exact
 * group delay, 256 for N = 512).
 */
export function groupDelay(filterSize: number, design: NoiseFilterDesign): number {
  checkFilterSize('groupDelay', filterSize);
  checkDesign('groupDelay', design);
  return design === 'seed' ? Math.floor((filterSize - 1) / 2) - 1 : Math.floor(filterSize / 2);
}

/**
 * Frequency-sampling FIR designer for one filter size and design. `design()` allocates nothing.
 * magnitudes: filterSize//2 + 1 linear magnitudes for bins 0..N//2 (bin k at k·sampleRate/N Hz), zero phase.
 */
export class FIRDesigner {
  /** Taps per filter, N. */
  readonly filterSize: number;
  readonly designType: NoiseFilterDesign;
  /** Number of magnitudes design() reads: filterSize//2 + 1. */
  readonly nBins: number;
  private readonly fft: RealFFT;
  private readonly spectrum: Float32Array;
  private readonly zeroPhase: Float32Array;
  private readonly window: Float32Array;

  constructor(filterSize: number, design: NoiseFilterDesign) {
    checkFilterSize('FIRDesigner', filterSize);
    checkDesign('FIRDesigner', design);
    this.filterSize = filterSize;
    this.designType = design;
    this.nBins = Math.floor(filterSize / 2) + 1;
    this.fft = new RealFFT(filterSize);
    this.spectrum = new Float32Array(this.fft.spectrumLength);
    this.zeroPhase = new Float32Array(filterSize);
    // 'seed': torch.hann_window(N) (periodic) rolled by N//2: w'[n] = w[(n − N//2) mod N].
    // 'linear-phase': 0.5 + 0.5·cos(2πn/N), symmetric about n = 0 in circular order. For even N the two are the
    // same window; for odd N the seed's rolled window peaks half a sample off 0, which would break exact symmetry.
    this.window = new Float32Array(filterSize);
    const s = Math.floor(filterSize / 2);
    for (let n = 0; n < filterSize; n++) {
      this.window[n] = design === 'seed'
        ? 0.5 - 0.5 * Math.cos((2 * Math.PI * ((n - s + filterSize) % filterSize)) / filterSize)
        : 0.5 + 0.5 * Math.cos((2 * Math.PI * n) / filterSize);
    }
  }

  /**
   * Designs one filter: taps (filterSize values) from magnitudes (nBins values, linear; non-finite values are
   * treated as 0).
   */
  design(magnitudes: Float32Array, taps: Float32Array): void {
    const N = this.filterSize;
    const spec = this.spectrum;
    spec.fill(0);
    const nb = Math.min(this.nBins, magnitudes.length);
    for (let k = 0; k < nb; k++) {
      const m = magnitudes[k];
      spec[2 * k] = m === m && m - m === 0 ? m : 0;
    }
    const h = this.zeroPhase;
    this.fft.inverse(spec, h);
    const w = this.window;
    if (this.designType === 'seed') {
      for (let n = 0; n < N; n++) taps[n] = h[n] * w[n];
    } else {
      const s = Math.floor(N / 2);
      for (let n = 0; n < N; n++) {
        const m = n - s < 0 ? n - s + N : n - s;
        taps[n] = h[m] * w[m];
      }
    }
  }
}

function fftSizeFor(n: number): number {
  let m = 32;
  while (m < n) m <<= 1;
  return m;
}

/**
 * The seed's time-varying FIR filter (util.fft_convolve(audio, taps, padding='same', delay_compensation=advance)),
 * batch: frameSize = ceil(nSamples / nFrames); frame k = audio[k·frameSize, (k+1)·frameSize) (zero-padded at the
 * end) convolved with taps[k·filterSize, (k+1)·filterSize); the full convolutions are overlap-added at k·frameSize
 * and out[n] = full[n + advance] for n = 0..nSamples−1 (0 outside the full output).
 * With FIRDesigner('seed') taps and advance = groupDelay(N, 'seed') this is util.fir_filter; with 'linear-phase'
 * taps and groupDelay(N, 'linear-phase') it is the zero-phase-compensated linear-phase filter.
 * @param audio nSamples input samples.
 * @param taps nFrames × filterSize taps, row-major.
 * @param advance samples cropped from the start (may be 0 or negative: a delay).
 * @returns nSamples filtered samples (written into `out` when given).
 */
export function seedFrameFilter(audio: Float32Array, taps: Float32Array, nFrames: number, filterSize: number,
  advance: number, out?: Float32Array): Float32Array {
  const nSamples = audio.length;
  if (!Number.isInteger(nFrames) || nFrames < 1) {
    throw new RangeError(`seedFrameFilter: nFrames must be an integer >= 1 (got ${nFrames})`);
  }
  if (!Number.isInteger(filterSize) || filterSize < 1) {
    throw new RangeError(`seedFrameFilter: filterSize must be an integer >= 1 (got ${filterSize})`);
  }
  if (!Number.isInteger(advance)) throw new RangeError(`seedFrameFilter: advance must be an integer (got ${advance})`);
  if (taps.length < nFrames * filterSize) {
    throw new RangeError(`seedFrameFilter: taps needs nFrames·filterSize = ${nFrames * filterSize} values (got ${taps.length})`);
  }
  const dst = out ?? new Float32Array(nSamples);
  if (dst.length < nSamples) throw new RangeError(`seedFrameFilter: out needs ${nSamples} values`);
  dst.fill(0, 0, nSamples);
  if (nSamples === 0) return dst;
  const frameSize = Math.ceil(nSamples / nFrames);
  if (Math.ceil(nSamples / frameSize) !== nFrames) {
    throw new RangeError(`seedFrameFilter: ${nSamples} samples cannot be cut into nFrames = ${nFrames} equal frames ` +
      `of ceil(nSamples/nFrames) = ${frameSize} (the seed refuses this too)`);
  }
  const convLen = frameSize + filterSize - 1;
  const M = fftSizeFor(convLen);
  const fft = new RealFFT(M);
  const xb = new Float32Array(M);
  const hb = new Float32Array(M);
  const X = new Float32Array(fft.spectrumLength);
  const H = new Float32Array(fft.spectrumLength);
  const y = new Float32Array(M);
  for (let k = 0; k < nFrames; k++) {
    const start = k * frameSize;
    // output indices this frame touches: full[start .. start+convLen) → out[start − advance ..)
    const o0 = start - advance;
    if (o0 + convLen <= 0 || o0 >= nSamples) continue;
    xb.fill(0);
    let any = false;
    for (let i = 0; i < frameSize && start + i < nSamples; i++) {
      const v = audio[start + i];
      const s = v === v && v - v === 0 ? v : 0;
      xb[i] = s;
      if (s !== 0) any = true;
    }
    if (!any) continue;
    hb.fill(0);
    hb.set(taps.subarray(k * filterSize, (k + 1) * filterSize));
    fft.forward(xb, X);
    fft.forward(hb, H);
    multiplySpectraInPlace(X, H);
    fft.inverse(X, y);
    const i0 = Math.max(0, -o0);
    const i1 = Math.min(convLen, nSamples - o0);
    for (let i = i0; i < i1; i++) dst[o0 + i] += y[i];
  }
  return dst;
}
