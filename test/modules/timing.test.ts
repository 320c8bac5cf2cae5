// Frame → sample interpolation (align_corners=False, the seed's util.resample_frames) as production runs it:
// src/modules/timing.ts, seen through the Mix module (out = mix_a(n)·1 + mix_b(n)·0 is the interpolated mix_a).
import { describe, expect, it } from 'vitest';
import { mixBatch } from '../../src/modules/mix';
import { framePosition } from '../../src/modules/timing';

/** Frames [F] interpolated to nSamples with hop = nSamples / F (sampleRate nSamples, frameRate F). */
function upsample(frames: number[], nSamples: number): Float32Array {
  const F = frames.length;
  return mixBatch(new Float32Array(nSamples).fill(1), new Float32Array(nSamples), Float32Array.from(frames), new Float32Array(F), F,
    { sampleRate: nSamples, frameRate: F });
}

describe('frame → sample interpolation (align_corners=False)', () => {
  it('frame positions follow (n + 0.5)/hop − 0.5', () => {
    expect(framePosition(0, 4)).toBe(-0.375);
    expect(framePosition(3, 4)).toBeCloseTo(0.375, 12);
    expect(framePosition(4, 4)).toBeCloseTo(0.625, 12);
    expect(framePosition(7, 4)).toBeCloseTo(1.375, 12);
    // non-integer hop 24000/26: frame k sits at k·hop + hop/2 − 0.5
    const hop = 24000 / 26;
    expect(framePosition(5 * hop + hop / 2 - 0.5, hop)).toBeCloseTo(5, 9);
  });

  it('interpolates between frames by the align_corners=False position, clamped at both ends', () => {
    // F = 3, N = 7: p(n) = (n + 0.5)·3/7 − 0.5 → [−2/7→0, 1/7, 4/7, 1, 10/7, 13/7, 16/7→2]
    const out = upsample([0, 1, 4], 7);
    const want = [0, 1 / 7, 4 / 7, 1, 1 + 3 * (3 / 7), 1 + 3 * (6 / 7), 4];
    for (let n = 0; n < 7; n++) expect(out[n]).toBeCloseTo(want[n], 6);
  });

  it('two frames, and a single frame held', () => {
    // positions: -0.25→0, 0.25, 0.75, 1.25→1
    expect(Array.from(upsample([1, 3], 4))).toEqual([1, 1.5, 2.5, 3]);
    expect(Array.from(upsample([10, 30], 4))).toEqual([10, 15, 25, 30]);
    expect(Array.from(upsample([7], 3))).toEqual([7, 7, 7]);
  });

  it('rejects bad sizes', () => {
    const o = { sampleRate: 4, frameRate: 2 };
    const x = new Float32Array(4);
    expect(() => mixBatch(x, x, new Float32Array(2), new Float32Array(2), 0, o)).toThrow(/nFrames/);
    expect(() => mixBatch(x, x, new Float32Array(1), new Float32Array(2), 2, o)).toThrow(/mix_a must have 2/);
    expect(() => mixBatch(x, x, new Float32Array(2), new Float32Array(2), 2, { sampleRate: 1, frameRate: 2 })).toThrow(RangeError);
  });
});
