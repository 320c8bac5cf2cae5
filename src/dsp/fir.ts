// FIR design by frequency sampling (the seed's util.fir_filter), two designs:
//  'seed':         taps = irfft(mag, N) · hann_periodic(N).roll(N//2)  — the zero-phase windowed impulse response
//                  left in CIRCULAR order, exactly as the seed builds it and then uses it as a causal filter
//                  (util.fft_convolve then advances the output by (N−1)//2 − 1 samples). The response equals the
//                  request only at the N/2+1 bin centres (SEED-NOTES §1).
//  'linear-phase': the same windowed zero-phase IR rotated by N//2 into causal order: a symmetric, linear-phase
//                  filter with group delay N//2 whose magnitude follows the request between bins too. (For odd N
//                  the window is the exactly symmetric 0.5 + 0.5·cos(2πn/N); for even N it is the seed's window.)
// The time-varying filter itself (per-frame convolution, overlap-add, the advance) is the FilteredNoise module's
// (src/modules/filtered-noise.ts).

import { RealFFT, sharedRealFFT } from './fft';

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
    this.fft = sharedRealFFT(filterSize);
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
