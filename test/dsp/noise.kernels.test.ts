import { describe, expect, it } from 'vitest';
import { NoiseSource, noiseAt } from '../../src/dsp/noise';

describe('NoiseSource', () => {
  it('uniform in [−1, 1): range, mean, variance, values on the 2^24 grid', () => {
    const x = noiseAt(7, 0, 200000);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let sq = 0;
    let offGrid = 0;
    for (const v of x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      sq += v * v;
      if (!Number.isInteger((v + 1) * 8388608)) offGrid++;
    }
    expect(offGrid).toBe(0);
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThan(1);
    expect(min).toBeLessThan(-0.999);
    expect(max).toBeGreaterThan(0.999);
    expect(Math.abs(sum / x.length)).toBeLessThan(0.005);
    expect(Math.abs(sq / x.length - 1 / 3)).toBeLessThan(0.005);
    // histogram of 20 bins within 5 % of flat
    const bins = new Array(20).fill(0);
    for (const v of x) bins[Math.floor((v + 1) * 10)]++;
    for (const b of bins) expect(Math.abs(b / (x.length / 20) - 1)).toBeLessThan(0.05);
  });

  it('white: autocorrelation at lags 1..16 is near 0', () => {
    const x = noiseAt(1, 0, 100000);
    for (let lag = 1; lag <= 16; lag++) {
      let s = 0;
      for (let i = lag; i < x.length; i++) s += x[i] * x[i - lag];
      expect(Math.abs(s / (x.length - lag) / (1 / 3))).toBeLessThan(0.015);
    }
  });

  for (const block of [1, 7, 128, 1000, 2048]) {
    it(`stream in blocks of ${block} equals noiseAt (depends only on seed and index)`, () => {
      const n = 5000;
      const src = new NoiseSource(123);
      const out = new Float32Array(n);
      for (let s = 0; s < n; s += block) src.fill(out, s, Math.min(block, n - s));
      expect(src.position).toBe(n);
      expect(Array.from(out)).toEqual(Array.from(noiseAt(123, 0, n)));
    });
  }

  it('seek, reset, the 2^32 boundary, and seeds give different streams', () => {
    const src = new NoiseSource(5);
    const far = 2 ** 32 - 3;
    src.position = far;
    const a = new Float32Array(6);
    src.fill(a, 0, 6);
    expect(Array.from(a)).toEqual(Array.from(noiseAt(5, far, 6)));
    expect(Array.from(noiseAt(5, far + 3, 3))).toEqual(Array.from(a.subarray(3)));
    expect(Array.from(noiseAt(5, 2 ** 32, 4))).not.toEqual(Array.from(noiseAt(5, 0, 4)));
    src.reset();
    const b = new Float32Array(4);
    src.fill(b, 0, 4);
    expect(Array.from(b)).toEqual(Array.from(noiseAt(5, 0, 4)));
    const c = noiseAt(6, 0, 1000);
    const d = noiseAt(5, 0, 1000);
    let same = 0;
    for (let i = 0; i < 1000; i++) if (c[i] === d[i]) same++;
    expect(same).toBeLessThan(3);
    expect(new NoiseSource().seed).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => new NoiseSource(1.5)).toThrow(/seed/);
    expect(() => noiseAt(0, -1, 3)).toThrow(/start/);
    expect(() => noiseAt(0, 0, -3)).toThrow(/n must/);
  });
});
