import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harmonicBatch, HarmonicStream } from '../../src/modules/harmonic';
import { allFinite, BLOCK_SIZES, peak, relMaxErr, rng, runFramed, uniform } from './helpers';

/** Pushes one frame of scalar controls (amplitude, f0) with `dist` from `distOffset`. */
const push = (s: HarmonicStream, amplitude: number, dist: Float32Array, f0Hz: number, distOffset = 0): boolean =>
  s.pushFrameFrom(Float32Array.of(amplitude), 0, dist, distOffset, Float32Array.of(f0Hz), 0);

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/seed', name), 'utf8'));

function rms(a: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] * a[i];
  return Math.sqrt(s / (to - from));
}

describe('Harmonic module', () => {
  for (const name of ['harmonic_64_13.json', 'harmonic_256_26.json']) {
    it(`batch reproduces the seed fixture ${name} (non-integer hop)`, () => {
      const c = fixture(name);
      const [, F, H] = c.inputs.harmonic_distribution.shape;
      const N = c.outputs.audio.shape[1];
      const sr = c.config.sample_rate;
      const out = harmonicBatch(Float32Array.from(c.inputs.amplitudes.data), Float32Array.from(c.inputs.harmonic_distribution.data),
        Float32Array.from(c.inputs.f0_hz.data), F, N, { sampleRate: sr, frameRate: (sr * F) / N, nHarmonics: H });
      const want = c.outputs.audio.data as number[];
      let max = 0;
      let sq = 0;
      for (let i = 0; i < N; i++) { const d = Math.abs(out[i] - want[i]); max = Math.max(max, d); sq += d * d; }
      expect(Math.sqrt(sq / N)).toBeLessThanOrEqual(5e-4);
      expect(max).toBeLessThanOrEqual(5e-3);
    });
  }

  const r = rng(7);
  const F = 24;
  const H = 48;
  const amp = uniform(r, F, 0.05, 0.6);
  const dist = uniform(r, F * H, 0, 1);
  const f0 = uniform(r, F, 80, 900);
  const N = 22000;
  for (const [sr, fr] of [[48000, 50], [44100, 60], [22050, 31]] as const) {
    it(`stream == batch at ${sr} Hz / ${fr} frames/s (hop ${(sr / fr).toFixed(2)}) for block sizes ${BLOCK_SIZES.join(', ')}`, () => {
      const o = { sampleRate: sr, frameRate: fr, nHarmonics: H, modelSampleRate: 48000 };
      const Fc = Math.min(F, Math.ceil(N / (sr / fr)) + 1);
      const want = harmonicBatch(amp.subarray(0, Fc), dist.subarray(0, Fc * H), f0.subarray(0, Fc), Fc, N, o);
      expect(peak(want)).toBeGreaterThan(0.05);
      for (const bs of BLOCK_SIZES) {
        const s = new HarmonicStream(o);
        const got = runFramed(s, Fc, N, bs, (k) => s.pushFrameFrom(amp, k, dist, k * H, f0, k));
        expect(relMaxErr(got, want), `block ${bs}`).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  it('frame k controls sit at sample k·hop + hop/2 − 0.5 (readyEnd / framesNeeded agree)', () => {
    const s = new HarmonicStream({ sampleRate: 48000, frameRate: 50, nHarmonics: 4 });
    expect(s.framesNeeded(0)).toBe(0);
    expect(s.framesNeeded(1)).toBe(1); // samples 0..479 hold frame 0 (sample 479.5 is its centre)
    expect(s.framesNeeded(480)).toBe(1);
    expect(s.framesNeeded(481)).toBe(2);
    expect(s.framesNeeded(1440)).toBe(2);
    expect(s.framesNeeded(1441)).toBe(3);
    push(s, 1, Float32Array.of(1, 0, 0, 0), 100);
    expect(s.readyEnd()).toBe(480);
    push(s, 1, Float32Array.of(1, 0, 0, 0), 100);
    expect(s.readyEnd()).toBe(1440);
  });

  it('every harmonic above Nyquist → silence, not NaN (0/0 guard), in batch and stream', () => {
    const o = { sampleRate: 48000, frameRate: 50, nHarmonics: 8 };
    const f = Float32Array.of(30000, 30000, 30000);
    const out = harmonicBatch(Float32Array.of(1, 1, 1), new Float32Array(24).fill(1), f, 3, 2880, o);
    expect(allFinite(out)).toBe(true);
    expect(peak(out)).toBe(0);
    const s = new HarmonicStream(o);
    for (let k = 0; k < 3; k++) push(s, 1, new Float32Array(8).fill(1), 30000);
    const y = new Float32Array(2880);
    s.render(y, 0, 2880);
    expect(allFinite(y)).toBe(true);
    expect(peak(y)).toBe(0);
  });

  it('normalisation uses the model Nyquist; the synthesis rate only skips what it cannot represent', () => {
    // f0 2300 Hz, 10 equal harmonics: all below 24 kHz (model), the 10th (23 kHz) above 22.05 kHz (synthesis).
    const n = 44100;
    const f = new Float32Array(50).fill(2300);
    const a = new Float32Array(50).fill(1);
    const d = new Float32Array(500).fill(1);
    const at = (sr: number) => harmonicBatch(a, d, f, 50, Math.round(sr), { sampleRate: sr, frameRate: 50, nHarmonics: 10, modelSampleRate: 48000 });
    expect(rms(at(48000), 1000, 40000)).toBeCloseTo(Math.sqrt(10 * 0.01 / 2), 3);
    expect(rms(at(44100), 1000, 40000)).toBeCloseTo(Math.sqrt(9 * 0.01 / 2), 3); // 9 partials of 1/10
    void n;
  });

  it('bad input: clear errors from the batch and constructor, safe output from per-block calls', () => {
    const o = { sampleRate: 48000, frameRate: 50, nHarmonics: 2 };
    const one = Float32Array.of(1, 1);
    expect(() => harmonicBatch(one, Float32Array.of(1, 1, 1, 1), Float32Array.of(100, 0), 2, 100, o)).toThrow(/f0Hz\[1\].*> 0/);
    expect(() => harmonicBatch(one, Float32Array.of(1, 1, 1, 1), Float32Array.of(100, -5), 2, 100, o)).toThrow(RangeError);
    expect(() => harmonicBatch(one, Float32Array.of(1, NaN, 1, 1), Float32Array.of(100, 100), 2, 100, o)).toThrow(/harmonic_distribution\[1\]/);
    expect(() => harmonicBatch(one, Float32Array.of(1, 1, 1), Float32Array.of(100, 100), 2, 100, o)).toThrow(/harmonic_distribution must have 4/);
    expect(() => harmonicBatch(Float32Array.of(1, Infinity), Float32Array.of(1, 1, 1, 1), Float32Array.of(100, 100), 2, 100, o)).toThrow(/amplitudes/);
    expect(() => new HarmonicStream({ ...o, nHarmonics: 0 })).toThrow(/nHarmonics/);
    expect(() => new HarmonicStream({ ...o, sampleRate: -1 })).toThrow(/sampleRate/);
    expect(() => new HarmonicStream({ ...o, frameRate: 0 })).toThrow(/frameRate/);
    const s = new HarmonicStream(o);
    const y = new Float32Array(2000);
    expect(() => s.render(y, 0, 0)).not.toThrow();
    s.render(y, 0, 100); // before any frame: silence
    expect(peak(y)).toBe(0);
    push(s, NaN, Float32Array.of(NaN, Infinity), 200);
    push(s, 1, Float32Array.of(1, 1), -3); // bad f0: silent frame
    push(s, 1, Float32Array.of(1, 1), NaN);
    push(s, 0.5, Float32Array.of(1, 1), 200);
    push(s, 0.5, Float32Array.of(1), 200); // too short: silent frame
    s.render(y, 0, 2000);
    expect(allFinite(y)).toBe(true);
  });
});
