import { describe, expect, it } from 'vitest';
import { framePosition, upsampleFrames } from '../../src/dsp/interpolate';

describe('upsampleFrames (align_corners=False)', () => {
  it('frame positions follow (n + 0.5)·F/N − 0.5, clamped', () => {
    expect(framePosition(0, 2, 8)).toBe(0); // -0.375 clamped
    expect(framePosition(3, 2, 8)).toBeCloseTo(0.375, 12);
    expect(framePosition(4, 2, 8)).toBeCloseTo(0.625, 12);
    expect(framePosition(7, 2, 8)).toBe(1); // 1.375 clamped
    // non-integer hop 24000/26: frame k sits at k·hop + hop/2 − 0.5
    const hop = 24000 / 26;
    expect(framePosition(5 * hop + hop / 2 - 0.5, 26, 24000)).toBeCloseTo(5, 9);
  });

  it('interpolates between frames by the align_corners=False position', () => {
    // F = 3, N = 7: p(n) = (n + 0.5)·3/7 − 0.5 → [−2/7→0, 1/7, 4/7, 1, 10/7, 13/7, 16/7→2]
    const out = upsampleFrames(new Float32Array([0, 1, 4]), 3, 1, 7);
    const want = [0, 1 / 7, 4 / 7, 1, 1 + 3 * (3 / 7), 1 + 3 * (6 / 7), 4];
    for (let n = 0; n < 7; n++) expect(out[n]).toBeCloseTo(want[n], 6);
  });

  it('handles channels row-major and a single frame', () => {
    const frames = new Float32Array([1, 10, 3, 30]); // 2 frames × 2 channels
    const out = upsampleFrames(frames, 2, 2, 4);
    // positions: -0.25→0, 0.25, 0.75, 1.25→1
    expect(Array.from(out)).toEqual([1, 10, 1.5, 15, 2.5, 25, 3, 30]);
    expect(Array.from(upsampleFrames(new Float32Array([7]), 1, 1, 3))).toEqual([7, 7, 7]);
  });

  it('rejects bad sizes', () => {
    expect(() => upsampleFrames(new Float32Array(2), 0, 1, 4)).toThrow(/nFrames/);
    expect(() => upsampleFrames(new Float32Array(2), 2, 0, 4)).toThrow(/channels/);
    expect(() => upsampleFrames(new Float32Array(2), 2, 2, 4)).toThrow(RangeError);
  });
});
