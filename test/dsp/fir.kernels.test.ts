import { describe, expect, it } from 'vitest';
import { FIRDesigner, groupDelay } from '../../src/dsp/fir';
import { lcg } from './helpers';

/** float64 reference of the seed's taps: irfft(mag, N) · hann_periodic(N).roll(N//2). */
function seedTapsRef(mag: Float32Array, N: number): Float64Array {
  const h = new Float64Array(N);
  const half = Math.floor(N / 2);
  for (let n = 0; n < N; n++) {
    let s = mag[0];
    for (let k = 1; k <= half; k++) {
      const c = Math.cos((2 * Math.PI * ((k * n) % N)) / N);
      s += (N % 2 === 0 && k === half ? 1 : 2) * mag[k] * c;
    }
    h[n] = s / N;
  }
  for (let n = 0; n < N; n++) {
    const m = (((n - half) % N) + N) % N;
    h[n] *= 0.5 - 0.5 * Math.cos((2 * Math.PI * m) / N);
  }
  return h;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** |H(f)| of taps at frequency f (cycles/sample). */
function magAt(taps: Float32Array, f: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < taps.length; n++) {
    re += taps[n] * Math.cos(2 * Math.PI * f * n);
    im -= taps[n] * Math.sin(2 * Math.PI * f * n);
  }
  return Math.hypot(re, im);
}

describe('FIRDesigner', () => {
  for (const N of [512, 257, 64]) {
    it(`'seed' taps equal irfft(mag)·rolled periodic Hann, N = ${N}`, () => {
      const r = lcg(N);
      const nb = Math.floor(N / 2) + 1;
      const mag = new Float32Array(nb).map(() => 2 * r());
      const d = new FIRDesigner(N, 'seed');
      expect(d.nBins).toBe(nb);
      const taps = new Float32Array(N);
      d.design(mag, taps);
      expect(maxAbs(taps, seedTapsRef(mag, N))).toBeLessThan(2e-6);
      // linear-phase: the same taps rotated by N//2, symmetric about N//2
      const lp = new Float32Array(N);
      new FIRDesigner(N, 'linear-phase').design(mag, lp);
      const s = Math.floor(N / 2);
      if (N % 2 === 0) for (let n = 0; n < N; n++) expect(lp[(n + s) % N]).toBe(taps[n]);
      for (let m = 1; m <= Math.floor((N - 1) / 2); m++) expect(Math.abs(lp[s + m] - lp[s - m])).toBeLessThan(1e-6);
    });
  }

  it('groupDelay: seed (N−1)//2 − 1, linear-phase N//2', () => {
    expect(groupDelay(512, 'seed')).toBe(254);
    expect(groupDelay(512, 'linear-phase')).toBe(256);
    expect(groupDelay(257, 'seed')).toBe(127);
    expect(groupDelay(257, 'linear-phase')).toBe(128);
  });

  it("'linear-phase' magnitude follows a smooth request within 1 dB between bins; 'seed' does not", () => {
    const N = 512;
    const nb = N / 2 + 1;
    // smooth response falling to −37 dB at Nyquist, with a gentle bump
    const reqDb = (f: number) => -37 * (f / 0.5) + 3 * Math.sin(2 * Math.PI * f * 4);
    const mag = new Float32Array(nb).map((_, k) => 10 ** (reqDb(k / N) / 20));
    const lp = new Float32Array(N);
    const sd = new Float32Array(N);
    new FIRDesigner(N, 'linear-phase').design(mag, lp);
    new FIRDesigner(N, 'seed').design(mag, sd);
    let worstLp = 0;
    let worstSeed = 0;
    for (let i = 2; i < 500; i++) {
      const f = (i / 1000) * 0.5; // dense grid, between bin centres too
      const want = reqDb(f);
      worstLp = Math.max(worstLp, Math.abs(20 * Math.log10(magAt(lp, f)) - want));
      worstSeed = Math.max(worstSeed, Math.abs(20 * Math.log10(magAt(sd, f)) - want));
    }
    expect(worstLp).toBeLessThan(1);
    expect(worstSeed).toBeGreaterThan(6); // the seed's circular-order taps: a floor between bins (SEED-NOTES §1)
  });

  it('non-finite magnitudes are treated as 0; bad arguments throw', () => {
    const d = new FIRDesigner(64, 'linear-phase');
    const mag = new Float32Array(33).fill(1);
    mag[3] = NaN;
    const taps = new Float32Array(64);
    d.design(mag, taps);
    for (const v of taps) expect(Number.isFinite(v)).toBe(true);
    expect(() => new FIRDesigner(1, 'seed')).toThrow(/filterSize/);
    expect(() => new FIRDesigner(64, 'bogus' as 'seed')).toThrow(/design/);
    expect(() => groupDelay(0, 'seed')).toThrow(RangeError);
  });
});

