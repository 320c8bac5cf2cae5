// Parity runner for 'loudness*' cases: the seed's compute_loudness (A-weighted, rectangular nFft window, centred
// frames with reflect padding) against loudnessFrames from src/dsp/loudness.ts. Config from the case:
// sample_rate, frame_rate, n_fft (range_db must be the seed's 80, the only range our loudness implements).
// Tolerance: 0.05 dB per frame (the brief); the frame count must match exactly.
import { expect } from 'vitest';
import { loudnessFrames, LOUDNESS_RANGE_DB } from '../../../src/dsp/loudness';
import { diffStats, f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'loudness',
  run(c: ParityCase) {
    const sampleRate = Number(c.config.sample_rate);
    const frameRate = Number(c.config.frame_rate);
    const nFft = Number(c.config.n_fft ?? 2048);
    if (c.config.range_db !== undefined) expect(Number(c.config.range_db)).toBe(LOUDNESS_RANGE_DB);
    const audio = f32(c.inputs.audio);
    const ref = c.outputs.loudness_db.data;
    const ours = loudnessFrames(audio, sampleRate, frameRate, nFft);
    expect(ours.length).toBe(ref.length);
    const { max } = diffStats(ours, ref);
    expect(max).toBeLessThanOrEqual(0.05);
  },
};
export default kind;
