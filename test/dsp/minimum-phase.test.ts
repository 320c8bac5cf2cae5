// The minimum-phase conversion control mode's noise filter uses: the same magnitude response as the designed
// filter, the energy at the front (no group delay to compensate), nothing allocated per call.
import { describe, expect, it } from 'vitest';
import { FIRDesigner } from '../../src/dsp/fir';
import { MinimumPhase } from '../../src/dsp/minimum-phase';
import { RealFFT } from '../../src/dsp/fft';

/** |H| on L points of taps. */
function magnitude(taps: Float32Array, L: number): Float64Array {
  const fft = new RealFFT(L);
  const x = new Float32Array(L);
  x.set(taps);
  const s = new Float32Array(L + 2);
  fft.forward(x, s);
  const m = new Float64Array(L / 2 + 1);
  for (let k = 0; k <= L / 2; k++) m[k] = Math.hypot(s[2 * k], s[2 * k + 1]);
  return m;
}

describe('MinimumPhase', () => {
  // (FilteredNoise converts the linear-phase design whatever the model's: the seed's circular taps, read as a
  // causal filter, have zeros near the unit circle between the bins.)
  for (const design of ['linear-phase'] as const) {
    it(`${design} taps: same magnitude response within 0.5 dB where it is above −60 dB, energy in the first taps`, () => {
      const N = 512;
      const mags = new Float32Array(N / 2 + 1);
      // A response with a peak, a notch and a slope, as a noise filter's are.
      for (let k = 0; k <= N / 2; k++) mags[k] = 0.02 + Math.exp(-(((k - 40) / 8) ** 2)) + 0.3 * Math.exp(-k / 60) * (k > 150 && k < 160 ? 0 : 1);
      const taps = new Float32Array(N);
      new FIRDesigner(N, design).design(mags, taps);
      const before = magnitude(taps, 4 * N);
      const mp = new MinimumPhase(N);
      mp.convert(taps);
      const after = magnitude(taps, 4 * N);
      const peak = Math.max(...before);
      let worst = 0;
      for (let k = 0; k < before.length; k++) {
        if (before[k] > peak * 1e-3) worst = Math.max(worst, Math.abs(20 * Math.log10(after[k] / before[k])));
      }
      expect(worst).toBeLessThan(0.5);
      let total = 0;
      let front = 0;
      for (let n = 0; n < N; n++) { total += taps[n] ** 2; if (n < N / 8) front += taps[n] ** 2; }
      expect(front / total).toBeGreaterThan(0.99);
    });
  }

  it('zeros stay zeros; non-finite-free output for a response with exact zeros', () => {
    const mp = new MinimumPhase(64);
    const z = new Float32Array(64);
    mp.convert(z);
    expect(z.every((v) => v === 0)).toBe(true);
    const mags = new Float32Array(33);
    mags[5] = 1; // zeros elsewhere: floored before the logarithm
    const taps = new Float32Array(64);
    new FIRDesigner(64, 'linear-phase').design(mags, taps);
    mp.convert(taps);
    expect(taps.every((v) => Number.isFinite(v))).toBe(true);
    expect(() => new MinimumPhase(1)).toThrow(RangeError);
  });
});
