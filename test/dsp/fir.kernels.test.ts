import { describe, expect, it } from 'vitest';
import { FIRDesigner, groupDelay, seedFrameFilter } from '../../src/dsp/fir';
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

describe('seedFrameFilter', () => {
  /** direct float64 reference: per-frame full convolution, overlap-add, out[n] = full[n + advance]. */
  function ref(audio: Float32Array, taps: Float32Array, F: number, N: number, advance: number): Float64Array {
    const L = audio.length;
    const fs = Math.ceil(L / F);
    const full = new Float64Array(F * fs + N);
    for (let k = 0; k < F; k++) {
      for (let i = 0; i < fs && k * fs + i < L; i++) {
        for (let m = 0; m < N; m++) full[k * fs + i + m] += audio[k * fs + i] * taps[k * N + m];
      }
    }
    const out = new Float64Array(L);
    for (let n = 0; n < L; n++) {
      const j = n + advance;
      out[n] = j >= 0 && j < full.length ? full[j] : 0;
    }
    return out;
  }

  for (const [L, F, N, adv] of [[960, 4, 64, 30], [1000, 7, 33, 15], [500, 1, 16, 0], [300, 3, 8, -5]]) {
    it(`equals the direct time-varying convolution (${L} samples, ${F} frames, ${N} taps, advance ${adv})`, () => {
      const r = lcg(L + N);
      const audio = new Float32Array(L).map(() => 2 * r() - 1);
      const taps = new Float32Array(F * N).map(() => r() - 0.5);
      const got = seedFrameFilter(audio, taps, F, N, adv);
      expect(got.length).toBe(L);
      expect(maxAbs(got, ref(audio, taps, F, N, adv))).toBeLessThan(2e-5);
    });
  }

  it('refuses a frame count the audio cannot be cut into', () => {
    // 10 samples into 4 frames: frame size 3 → only 4 frames? ceil(10/3)=4 ok; 10 into 6: size 2 → 5 frames
    expect(() => seedFrameFilter(new Float32Array(10), new Float32Array(6 * 4), 6, 4, 0)).toThrow(/nFrames/);
    expect(() => seedFrameFilter(new Float32Array(10), new Float32Array(3), 1, 4, 0)).toThrow(/taps/);
  });
});
