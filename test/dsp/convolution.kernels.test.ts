import { describe, expect, it } from 'vitest';
import { PartitionedConvolver, chooseLayout, fftConvolve } from '../../src/dsp/convolution';
import { lcg } from './helpers';

function directConv(a: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Decaying noise IR like the seed's initial reverb. */
function makeIr(len: number, seed: number): Float32Array {
  const r = lcg(seed, true);
  return new Float32Array(len).map((_, i) => r() * 0.5 * Math.exp((-5 * i) / Math.max(1, len)));
}

describe('fftConvolve', () => {
  for (const [na, nb] of [[1, 1], [5, 3], [100, 17], [1000, 300], [3000, 1200]]) {
    it(`equals the direct full convolution (${na} ∗ ${nb})`, () => {
      const r = lcg(na * 7 + nb, true);
      const a = new Float32Array(na).map(() => r());
      const b = new Float32Array(nb).map(() => r());
      const got = fftConvolve(a, b);
      expect(got.length).toBe(na + nb - 1);
      expect(maxAbs(got, directConv(a, b))).toBeLessThan(1e-5);
    });
  }
  it('empty input gives an empty output', () => {
    expect(fftConvolve(new Float32Array(0), new Float32Array(4)).length).toBe(0);
  });
});

describe('PartitionedConvolver', () => {
  const total = 6000;
  const r = lcg(42, true);
  const x = new Float32Array(total).map(() => r());
  for (const irLen of [1, 100, 48000]) {
    const ir = makeIr(irLen, irLen);
    const ref = fftConvolve(x, ir);
    for (const block of [1, 7, 128, 1000, 2048]) {
      it(`equals fftConvolve: IR ${irLen} taps, call size ${block}`, () => {
        const conv = new PartitionedConvolver(ir);
        const out = new Float32Array(total);
        for (let s = 0; s < total; s += block) conv.process(x, s, out, s, Math.min(block, total - s));
        expect(maxAbs(out, ref, total)).toBeLessThan(2e-5);
      });
    }
  }

  it('long IR: output past the first partitions (t > 48000) still equals fftConvolve', () => {
    const ir = makeIr(48000, 5);
    const n = 60000;
    const rr = lcg(8, true);
    const xx = new Float32Array(n).map(() => rr());
    const ref = fftConvolve(xx, ir);
    const conv = new PartitionedConvolver(ir);
    const out = new Float32Array(n);
    const sizes = [128, 1, 333, 7, 2048, 1000];
    for (let s = 0, j = 0; s < n; j++) {
      const m = Math.min(sizes[j % sizes.length], n - s);
      conv.process(xx, s, out, s, m);
      s += m;
    }
    expect(maxAbs(out, ref, n)).toBeLessThan(5e-5);
  });

  it('other partition sizes and the plain-JS FFT path give the same result', () => {
    const ir = makeIr(3000, 11);
    const ref = fftConvolve(x, ir);
    for (const [B, backend] of [[16, 'auto'], [64, 'auto'], [256, 'auto'], [128, 'js'], [48, 'auto']] as const) {
      const conv = new PartitionedConvolver(ir, B, { backend });
      const out = new Float32Array(total);
      for (let s = 0; s < total; s += 100) conv.process(x, s, out, s, Math.min(100, total - s));
      expect(maxAbs(out, ref, total)).toBeLessThan(2e-5);
    }
  });

  it('accumulate adds into the output; in-place processing works; zero-length calls are no-ops', () => {
    const ir = makeIr(500, 3);
    const ref = fftConvolve(x, ir);
    const conv = new PartitionedConvolver(ir);
    const out = new Float32Array(total).fill(1);
    for (let s = 0; s < total; s += 128) {
      conv.process(x, s, out, s, 0, true);
      conv.process(x, s, out, s, Math.min(128, total - s), true);
    }
    for (let i = 0; i < total; i++) expect(Math.abs(out[i] - 1 - ref[i])).toBeLessThan(2e-5);
    const inPlace = x.slice();
    const c2 = new PartitionedConvolver(ir);
    for (let s = 0; s < total; s += 77) c2.process(inPlace, s, inPlace, s, Math.min(77, total - s));
    expect(maxAbs(inPlace, ref, total)).toBeLessThan(2e-5);
  });

  it('NaN/Inf input does not poison later output (sanitised to 0)', () => {
    const ir = makeIr(2000, 4);
    const conv = new PartitionedConvolver(ir);
    const bad = x.slice(0, 3000);
    bad[10] = NaN;
    bad[500] = Infinity;
    bad[501] = -Infinity;
    const clean = bad.map((v) => (Number.isFinite(v) ? v : 0));
    const out = new Float32Array(3000);
    for (let s = 0; s < 3000; s += 128) conv.process(bad, s, out, s, Math.min(128, 3000 - s));
    for (const v of out) expect(Number.isFinite(v)).toBe(true);
    expect(maxAbs(out, fftConvolve(clean, ir), 3000)).toBeLessThan(2e-5);
  });

  it('reset clears the history; setIR with the same partition count keeps it', () => {
    const irA = makeIr(1000, 1);
    const irB = makeIr(1000, 2);
    const conv = new PartitionedConvolver(irA);
    const out = new Float32Array(2000);
    conv.process(x, 0, out, 0, 2000);
    conv.reset();
    const again = new Float32Array(2000);
    conv.process(x, 0, again, 0, 2000);
    expect(maxAbs(again, out)).toBe(0);
    // switch IR mid-stream: the output continues as the past input convolved with the new IR
    conv.reset();
    conv.process(x, 0, out, 0, 1280);
    conv.setIR(irB);
    conv.process(x, 1280, out, 1280, 720);
    const refB = fftConvolve(x.subarray(0, 2000), irB);
    expect(maxAbs(out.subarray(1280 + 128), refB.subarray(1280 + 128), 2000 - 1280 - 128)).toBeLessThan(2e-5);
  });

  it('rejects bad arguments with RangeError/TypeError naming them', () => {
    expect(() => new PartitionedConvolver(new Float32Array(10), 100)).toThrow(/partitionSize/);
    expect(() => new PartitionedConvolver(new Float32Array(10), 0)).toThrow(RangeError);
    expect(() => new PartitionedConvolver([1, 2] as unknown as Float32Array)).toThrow(/ir/);
  });

  it('an empty IR gives silence', () => {
    const conv = new PartitionedConvolver(new Float32Array(0));
    const out = new Float32Array(300).fill(5);
    conv.process(x, 0, out, 0, 300);
    expect(Math.max(...out.map(Math.abs))).toBe(0);
  });
});

/** The first n outputs of the direct convolution (float64). */
function directHead(x: Float32Array, h: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let s = 0;
    const jMax = Math.min(t, h.length - 1);
    for (let j = 0; j <= jMax; j++) s += h[j] * x[t - j];
    out[t] = s;
  }
  return out;
}

/** max |a − ref| / max |ref| over the first n samples. */
function relErr(a: ArrayLike<number>, ref: ArrayLike<number>, n: number): number {
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(ref[i]));
  return maxAbs(a, ref, n) / peak;
}

function streamThrough(conv: PartitionedConvolver, x: Float32Array, sizes: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let s = 0, j = 0; s < x.length; j++) {
    const m = Math.min(sizes[j % sizes.length], x.length - s);
    conv.process(x, s, out, s, m);
    s += m;
  }
  return out;
}

describe('PartitionedConvolver, non-uniform layout', () => {
  it('chooses growing partitions for a long IR: each segment starts at twice its size, the segments tile the IR', () => {
    for (const L of [3000, 12345, 48001, 96001]) {
      const layout = chooseLayout(L, 128, 16384);
      expect(layout[0]).toEqual({ size: 128, offset: 0, count: layout[0].count });
      expect(layout.length).toBeGreaterThan(1);
      for (let i = 1; i < layout.length; i++) {
        expect(layout[i].size).toBeGreaterThan(layout[i - 1].size);
        expect(layout[i].offset).toBe(2 * layout[i].size);
        expect(layout[i - 1].offset + layout[i - 1].count * layout[i - 1].size).toBe(layout[i].offset);
      }
      const last = layout[layout.length - 1];
      expect(last.offset + last.count * last.size).toBeGreaterThanOrEqual(L);
      expect(last.offset + (last.count - 1) * last.size).toBeLessThan(L);
    }
    // the 1 s IR at 48 kHz: a few dozen partitions instead of 375 uniform ones
    const oneSecond = chooseLayout(48001, 128, 16384);
    expect(oneSecond.reduce((n, s) => n + s.count, 0)).toBeLessThan(60);
    // short IRs stay uniform; maxPartitionSize = B forces the uniform layout
    expect(chooseLayout(1000, 128, 16384)).toEqual([{ size: 128, offset: 0, count: 8 }]);
    expect(chooseLayout(48001, 128, 128)).toEqual([{ size: 128, offset: 0, count: 376 }]);
    expect(chooseLayout(0, 128, 16384)).toEqual([]);
    expect(new PartitionedConvolver(makeIr(48001, 1)).layout).toEqual(oneSecond);
  });

  // IR lengths that are not multiples of any partition size, against the direct float64 convolution
  // [IR taps, samples, maxPartitionSize, segments]
  const cases: [number, number, number, number][] = [[129, 4000, 16384, 1], [2049, 9000, 16384, 1],
    [5001, 9000, 512, 2], [12345, 30000, 16384, 2]];
  for (const [irLen, total, maxP, nSegs] of cases) {
    const ir = makeIr(irLen, irLen + 1);
    const rr = lcg(irLen, true);
    const xx = new Float32Array(total).map(() => rr());
    const ref = directHead(xx, ir, total);
    for (const block of [1, 127, 128, 1000]) {
      it(`equals the direct convolution: IR ${irLen} taps (max partition ${maxP}), call size ${block}`, () => {
        const conv = new PartitionedConvolver(ir, 128, { maxPartitionSize: maxP });
        expect(conv.layout.length).toBe(nSegs);
        expect(relErr(streamThrough(conv, xx, [block]), ref, total)).toBeLessThan(1e-5);
      });
    }
  }

  describe('the 1 s IR (48001 taps) over 50000 samples: every segment in play', () => {
    const ir = makeIr(48001, 77);
    const total = 50000;
    const rr = lcg(99, true);
    const xx = new Float32Array(total).map(() => rr());
    const ref = directHead(xx, ir, total);
    for (const sizes of [[1], [127], [128], [1000], [128, 1, 333, 7, 2048, 1000]]) {
      it(`call sizes ${sizes.join(', ')}`, () => {
        const out = streamThrough(new PartitionedConvolver(ir), xx, sizes);
        expect(relErr(out, ref, total)).toBeLessThan(1e-5);
      });
    }
    it('the plain-JS FFT path gives the same result', () => {
      const conv = new PartitionedConvolver(ir, 128, { backend: 'js' });
      expect(conv.layout.length).toBe(3);
      expect(relErr(streamThrough(conv, xx, [128, 1000, 1]), ref, total)).toBeLessThan(1e-5);
    });
    it('NaN/Inf input is sanitised before it reaches any segment', () => {
      const bad = xx.slice();
      bad[100] = NaN;
      bad[9000] = Infinity;
      bad[20000] = -Infinity;
      // reference: the clean input's convolution, i.e. ref minus the replaced samples' impulse responses
      const cleanRef = ref.slice();
      for (const i of [100, 9000, 20000]) for (let t = i; t < total && t - i < ir.length; t++) cleanRef[t] -= xx[i] * ir[t - i];
      const out = streamThrough(new PartitionedConvolver(ir), bad, [128, 77]);
      for (const v of out) expect(Number.isFinite(v)).toBe(true);
      expect(relErr(out, cleanRef, total)).toBeLessThan(1e-5);
    });
    it('the output does not depend on how the stream is split into calls (bit for bit), on both paths', () => {
      for (const backend of ['auto', 'js'] as const) {
        const ref = streamThrough(new PartitionedConvolver(ir, 128, { backend }), xx.subarray(0, 20000), [128]);
        for (const sizes of [[1], [95, 33], [1000], [7, 300, 2048]]) {
          const out = streamThrough(new PartitionedConvolver(ir, 128, { backend }), xx.subarray(0, 20000), sizes);
          expect(maxAbs(out, ref)).toBe(0);
        }
      }
    });
    it('convolvers with different IRs and partition sizes can take turns (the head kernel is shared)', () => {
      const irB = makeIr(3000, 5);
      const a = new PartitionedConvolver(ir);
      const b = new PartitionedConvolver(irB, 64);
      const c = new PartitionedConvolver(ir.subarray(0, 100).slice());
      const n = 12000;
      const outs = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      for (let s = 0; s < n; s += 100) {
        a.process(xx, s, outs[0], s, 100);
        b.process(xx, s, outs[1], s, 100);
        c.process(xx, s, outs[2], s, 100);
      }
      expect(relErr(outs[0], ref, n)).toBeLessThan(1e-5);
      expect(relErr(outs[1], directHead(xx, irB, n), n)).toBeLessThan(1e-5);
      expect(relErr(outs[2], directHead(xx, ir.subarray(0, 100), n), n)).toBeLessThan(1e-5);
    });
    it('reset clears every segment: the same input gives the same output again', () => {
      const conv = new PartitionedConvolver(ir);
      const first = streamThrough(conv, xx.subarray(0, 20000), [128]);
      conv.reset();
      const again = streamThrough(conv, xx.subarray(0, 20000), [128]);
      expect(maxAbs(again, first)).toBe(0);
    });
  });
});
