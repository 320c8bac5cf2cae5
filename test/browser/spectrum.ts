// Spectral peaks of a rendered signal, for the polyphony tests: a Hann-windowed, zero-padded FFT written here
// (radix 2, iterative), independent of the package's kernels and of its pitch tracker.

/** In-place radix-2 FFT of (re, im); length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ar = re[i + k + len / 2];
        const ai = im[i + k + len / 2];
        const xr = ar * wr - ai * wi;
        const xi = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k] - xr;
        im[i + k + len / 2] = im[i + k] - xi;
        re[i + k] += xr;
        im[i + k] += xi;
      }
    }
  }
}

/** A spectral peak: frequency (parabolic interpolation of the dB spectrum) and level in dB below the strongest. */
export interface Peak {
  hz: number;
  db: number;
}

/**
 * Peaks (local maxima over ±`halfWidthHz`) of the magnitude spectrum of `x` (Hann window, zero-padded to
 * `size`) between `loHz` and `hiHz`, strongest first, levels relative to the strongest peak (0 dB).
 */
export function spectralPeaks(
  x: Float32Array, sampleRate: number, { size = 65536, loHz = 50, hiHz = 5000, halfWidthHz = 15 } = {},
): Peak[] {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const n = Math.min(x.length, size);
  for (let i = 0; i < n; i++) re[i] = x[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im);
  const binHz = sampleRate / size;
  const db = new Float64Array(size / 2);
  for (let k = 0; k < size / 2; k++) db[k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-30);
  const half = Math.max(1, Math.round(halfWidthHz / binHz));
  const peaks: Peak[] = [];
  for (let k = Math.max(1, Math.ceil(loHz / binHz)); k < Math.min(size / 2 - 1, hiHz / binHz); k++) {
    let isMax = true;
    for (let j = Math.max(0, k - half); j <= Math.min(size / 2 - 1, k + half) && isMax; j++) {
      if (db[j] > db[k] || (db[j] === db[k] && j < k)) isMax = false;
    }
    if (!isMax) continue;
    const den = db[k - 1] - 2 * db[k] + db[k + 1];
    const shift = den < 0 ? (0.5 * (db[k - 1] - db[k + 1])) / den : 0;
    peaks.push({ hz: (k + shift) * binHz, db: db[k] - 0.25 * (db[k - 1] - db[k + 1]) * shift });
  }
  peaks.sort((a, b) => b.db - a.db);
  const top = peaks[0]?.db ?? 0;
  return peaks.map((p) => ({ hz: p.hz, db: p.db - top }));
}

/** Cents from `refHz` to `hz`. */
export function cents(hz: number, refHz: number): number {
  return 1200 * Math.log2(hz / refHz);
}

/** The harmonic (k, note index) of `fundamentals` nearest to `hz` in cents, with that distance. */
export function nearestHarmonic(hz: number, fundamentals: number[]): { k: number; note: number; cents: number } {
  let best = { k: 0, note: -1, cents: Infinity };
  fundamentals.forEach((f, note) => {
    const k = Math.max(1, Math.round(hz / f));
    const c = cents(hz, k * f);
    if (Math.abs(c) < Math.abs(best.cents)) best = { k, note, cents: c };
  });
  return best;
}
