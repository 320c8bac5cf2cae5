import { describe, expect, it } from 'vitest';
import { addBatch, addInto } from '../../src/modules/add';
import { mixBatch, MixStream } from '../../src/modules/mix';
import { allFinite, BLOCK_SIZES, relMaxErr, rng, uniform } from './helpers';

describe('Add and Mix modules', () => {
  it('Add: a + b; stream form equal; mismatched lengths refused', () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(0.5, -1, 4);
    expect(Array.from(addBatch(a, b))).toEqual([1.5, 1, 7]);
    const o = new Float32Array(3);
    addInto(a, 0, b, 0, o, 0, 3);
    expect(Array.from(o)).toEqual([1.5, 1, 7]);
    expect(() => addBatch(a, Float32Array.of(1))).toThrow(/same length/);
  });

  it('Mix: mix_a·a + mix_b·b with frame weights at the seed alignment', () => {
    const n = 2000;
    const a = new Float32Array(n).fill(1);
    const b = new Float32Array(n).fill(10);
    const out = mixBatch(a, b, Float32Array.of(0, 1), Float32Array.of(0, 0), 2, { sampleRate: 1000, frameRate: 1 });
    // hop 1000: frame 0 at sample 499.5, frame 1 at 1499.5
    expect(out[0]).toBe(0);
    expect(out[499]).toBe(0);
    expect(out[1000]).toBeCloseTo(0.5005, 6);
    expect(out[1999]).toBe(1);
  });

  const r = rng(5);
  const F = 30;
  const N = 25000;
  const a = uniform(r, N, -1, 1);
  const b = uniform(r, N, -1, 1);
  const ma = uniform(r, F);
  const mb = uniform(r, F);
  it(`Mix stream == batch for block sizes ${BLOCK_SIZES.join(', ')}`, () => {
    const o = { sampleRate: 48000, frameRate: 50 };
    const want = mixBatch(a, b, ma, mb, F, o);
    for (const bs of BLOCK_SIZES) {
      const s = new MixStream(o);
      const y = new Float32Array(N);
      let pushed = 0;
      for (let p = 0; p < N; p += bs) {
        const n = Math.min(bs, N - p);
        while (pushed < Math.min(F, s.framesNeeded(p + n))) { s.pushFrameFrom(ma, pushed, mb, pushed); pushed++; }
        s.process(a, p, b, p, y, p, n);
      }
      expect(relMaxErr(y, want), `block ${bs}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('Mix: bad input errors; stream sanitises', () => {
    expect(() => mixBatch(a, b.subarray(1), ma, mb, F, { sampleRate: 48000, frameRate: 50 })).toThrow(/same length/);
    expect(() => mixBatch(a, b, ma, Float32Array.of(NaN), 1, { sampleRate: 48000, frameRate: 50 })).toThrow(RangeError);
    const s = new MixStream({ sampleRate: 48000, frameRate: 50 });
    const y = new Float32Array(100);
    s.process(a, 0, b, 0, y, 0, 50); // no frame yet: silence
    s.pushFrameFrom(Float32Array.of(NaN), 0, Float32Array.of(Infinity), 0);
    s.process(a, 0, b, 0, y, 50, 50);
    expect(allFinite(y)).toBe(true);
  });
});
