/**
 * Minimum-phase version of an FIR filter with the same magnitude response (homomorphic method: the real cepstrum
 * of log|H| folded onto positive quefrencies). Control mode's noise filter uses it: a linear-phase filter of N taps
 * delays by N/2 samples, which at a 128-sample control hop would dominate the latency, while a minimum-phase
 * filter concentrates its energy at the first taps, and the phase of filtered noise is inaudible.
 *
 * The spectrum is taken on L = 4·N' points (N' = N rounded up to a power of two) so the cepstrum's aliasing stays
 * small; magnitudes are floored at 1e-5 of the peak (−100 dB) so that exact zeros have a finite logarithm.
 * `convert()` allocates nothing.
 *
 * @packageDocumentation
 */
import { RealFFT, sharedRealFFT } from './fft';

/** Floor of |H| relative to its peak before the logarithm (−100 dB). */
const FLOOR = 1e-5;

export class MinimumPhase {
  /** Taps per filter. */
  readonly size: number;
  private readonly L: number;
  private readonly fft: RealFFT;
  private readonly buf: Float32Array;
  private readonly spec: Float32Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size > 65536) {
      throw new RangeError(`MinimumPhase: size must be an integer in [2, 65536], got ${size}`);
    }
    this.size = size;
    let p = 1;
    while (p < size) p *= 2;
    this.L = 4 * p;
    this.fft = sharedRealFFT(this.L);
    this.buf = new Float32Array(this.L);
    this.spec = new Float32Array(this.fft.spectrumLength);
  }

  /** Replaces taps[0 .. size) by the minimum-phase filter of equal magnitude response (truncated to size taps). */
  convert(taps: Float32Array): void {
    const N = this.size;
    const L = this.L;
    const half = L / 2;
    const x = this.buf;
    const s = this.spec;
    for (let n = 0; n < N; n++) x[n] = taps[n];
    x.fill(0, N, L);
    this.fft.forward(x, s);
    let peak = 0;
    for (let k = 0; k <= half; k++) {
      const re = s[2 * k];
      const im = s[2 * k + 1];
      const m = Math.sqrt(re * re + im * im);
      s[2 * k] = m;
      if (m > peak) peak = m;
    }
    if (!(peak > 0 && peak < Infinity)) {
      taps.fill(0, 0, N);
      return;
    }
    const floor = peak * FLOOR;
    for (let k = 0; k <= half; k++) {
      const m = s[2 * k];
      s[2 * k] = Math.log(m > floor ? m : floor);
      s[2 * k + 1] = 0;
    }
    this.fft.inverse(s, x); // real cepstrum (even)
    // Fold onto positive quefrencies: c[0], 2·c[1 .. L/2), c[L/2], zeros after.
    for (let n = 1; n < half; n++) x[n] *= 2;
    x.fill(0, half + 1, L);
    this.fft.forward(x, s);
    for (let k = 0; k <= half; k++) {
      const a = Math.exp(s[2 * k]);
      const b = s[2 * k + 1];
      s[2 * k] = a * Math.cos(b);
      s[2 * k + 1] = a * Math.sin(b);
    }
    this.fft.inverse(s, x);
    for (let n = 0; n < N; n++) taps[n] = x[n];
  }
}
