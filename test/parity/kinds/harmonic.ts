// Parity runner for 'harmonic_*' cases: the seed's Harmonic module (normalize_below_nyquist=True) rendered by
// the Harmonic module's batch form (src/modules/harmonic.ts; hop = nSamples / nFrames). Shapes come from the case: f0_hz [1, F, 1], amplitudes [1, F, 1],
// harmonic_distribution [1, F, H], audio [1, N]. The reference accumulates phase in float32, so it is compared
// with RMS ≤ 5e-4 and max ≤ 5e-3 (fixtures README).
import { expect } from 'vitest';
import { harmonicBatch } from '../../../src/modules/harmonic';
import { diffStats, f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'harmonic_',
  run(c: ParityCase) {
    const dist = c.inputs.harmonic_distribution;
    const [, nFrames, nHarmonics] = dist.shape;
    const want = c.outputs.audio;
    const nSamples = want.shape[want.shape.length - 1];
    const sampleRate = Number(c.config.sample_rate);
    expect(c.inputs.f0_hz.shape[1]).toBe(nFrames);
    if (c.config.n_samples !== undefined) expect(Number(c.config.n_samples)).toBe(nSamples);
    const audio = harmonicBatch(f32(c.inputs.amplitudes), f32(dist), f32(c.inputs.f0_hz), nFrames, nSamples, {
      sampleRate, frameRate: (sampleRate * nFrames) / nSamples, nHarmonics,
      normalizeBelowNyquist: c.config.normalize_below_nyquist === undefined ? true : Boolean(c.config.normalize_below_nyquist),
    });
    const { max, rms } = diffStats(audio, want.data);
    expect(rms).toBeLessThanOrEqual(5e-4);
    expect(max).toBeLessThanOrEqual(5e-3);
  },
};
export default kind;
