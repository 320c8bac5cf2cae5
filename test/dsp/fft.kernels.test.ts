import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PffftRealPlan, RealFFT, decodeBase64, initPffft, irfft, pffftRuntime, pffftSupportsSize, rfft,
} from '../../src/dsp/fft';
import { PFFFT_SIMD_WASM_BASE64 } from '../../src/dsp/pffft-simd-wasm';
import { lcg } from './helpers';

/** Naive float64 DFT of a real signal: bins 0..floor(n/2), interleaved. */
function naiveRdft(x: Float32Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(2 * (Math.floor(n / 2) + 1));
  for (let k = 0; k <= n >> 1; k++) {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      const a = (2 * Math.PI * ((j * k) % n)) / n;
      re += x[j] * Math.cos(a);
      im -= x[j] * Math.sin(a);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('pffft-wasm (pinned exports)', () => {
  it('embedded bytes equal the installed @echogarden/pffft-wasm SIMD build', () => {
    const file = readFileSync(join(__dirname, '../../node_modules/@echogarden/pffft-wasm/dist/simd/pffft.wasm'));
    const bytes = decodeBase64(PFFFT_SIMD_WASM_BASE64);
    expect(bytes.length).toBe(file.length);
    expect(Buffer.from(bytes).equals(file)).toBe(true);
  });

  it('module has the imports and minified exports fft.ts relies on', () => {
    const mod = new WebAssembly.Module(decodeBase64(PFFFT_SIMD_WASM_BASE64));
    const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
    expect(imports.sort()).toEqual(['a.a:function', 'a.b:function', 'a.c:function']);
    const exports = Object.fromEntries(WebAssembly.Module.exports(mod).map((e) => [e.name, e.kind]));
    expect(exports.d).toBe('memory');
    for (const f of ['e', 'f', 'h', 'j', 'k', 'l', 'n', 'o', 'p']) expect(exports[f]).toBe('function');
  });

  it('instantiates synchronously; simd_size is 4; ordered layout is [F0, F(N/2), re1, im1, ...]', () => {
    const rt = pffftRuntime();
    expect(rt).not.toBeNull();
    expect(rt!.raw.simdSize()).toBe(4);
    const plan = new PffftRealPlan(32);
    const a = rt!.allocFloats(32);
    const b = rt!.allocFloats(32);
    const heap = rt!.heapF32();
    const x = new Float32Array(32).map((_, i) => Math.cos(i) + 0.25 * (i % 3));
    heap.set(x, a);
    plan.forwardOrdered(a, b);
    const ref = naiveRdft(x);
    const h = rt!.heapF32();
    expect(Math.abs(h[b] - ref[0])).toBeLessThan(1e-5);
    expect(Math.abs(h[b + 1] - ref[32])).toBeLessThan(1e-5);
    for (let i = 2; i < 32; i++) expect(Math.abs(h[b + i] - ref[i])).toBeLessThan(1e-4);
    // unscaled inverse
    plan.inverseOrdered(b, a);
    for (let i = 0; i < 32; i++) expect(Math.abs(rt!.heapF32()[a + i] / 32 - x[i])).toBeLessThan(1e-5);
    rt!.freeFloats(a);
    rt!.freeFloats(b);
  });

  it('zconvolve_accumulate on unordered spectra gives circular convolution (scaled)', () => {
    const rt = pffftRuntime()!;
    const n = 64;
    const plan = new PffftRealPlan(n);
    const r = lcg(3, true);
    const x = new Float32Array(n).map(() => r());
    const y = new Float32Array(n).map(() => r());
    const ix = rt.allocFloats(n);
    const iy = rt.allocFloats(n);
    const acc = rt.allocFloats(n);
    rt.heapF32().set(x, ix);
    rt.heapF32().set(y, iy);
    plan.forwardUnordered(ix, ix);
    plan.forwardUnordered(iy, iy);
    plan.convolveAccumulate(ix, iy, acc, 1 / n);
    plan.convolveAccumulate(ix, iy, acc, 1 / n); // accumulates: twice the product
    plan.inverseUnordered(acc, acc);
    const heap = rt.heapF32();
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[j] * y[(t - j + n) % n];
      expect(Math.abs(heap[acc + t] - 2 * s)).toBeLessThan(1e-5);
    }
  });

  it('initPffft (async path for browser main threads) resolves true', async () => {
    expect(await initPffft()).toBe(true);
  });

  it('size support rule', () => {
    expect(pffftSupportsSize(32)).toBe(true);
    expect(pffftSupportsSize(96)).toBe(true);
    expect(pffftSupportsSize(480)).toBe(true);
    expect(pffftSupportsSize(16)).toBe(false);
    expect(pffftSupportsSize(257)).toBe(false);
    expect(pffftSupportsSize(32 * 7)).toBe(false);
    expect(() => new PffftRealPlan(100)).toThrow(RangeError);
  });
});

describe('RealFFT', () => {
  const sizes = [1, 2, 3, 8, 16, 30, 32, 64, 96, 224, 257, 480, 512, 1000, 2048];
  for (const n of sizes) {
    it(`matches a naive DFT and round-trips, size ${n}`, () => {
      const r = lcg(n, true);
      const x = new Float32Array(n).map(() => r());
      for (const backend of ['auto', 'js'] as const) {
        const f = new RealFFT(n, { backend });
        if (backend === 'js') expect(f.accelerated).toBe(false);
        else expect(f.accelerated).toBe(pffftSupportsSize(n));
        expect(f.spectrumLength).toBe(2 * (Math.floor(n / 2) + 1));
        const X = new Float32Array(f.spectrumLength);
        f.forward(x, X);
        const ref = naiveRdft(x);
        const scale = Math.sqrt(n);
        expect(maxAbsDiff(X, ref) / scale).toBeLessThan(2e-6);
        const y = new Float32Array(n);
        f.inverse(X, y);
        expect(maxAbsDiff(y, x)).toBeLessThan(5e-7);
      }
    });
  }

  it('inverse of a Hermitian spectrum equals the naive inverse DFT (ignores imag of DC and Nyquist)', () => {
    const n = 48;
    for (const backend of ['auto', 'js'] as const) {
      const f = new RealFFT(n, { backend });
      const X = new Float32Array(n + 2).map((_, i) => Math.sin(i * 0.7));
      const y = new Float32Array(n);
      f.inverse(X, y);
      for (let t = 0; t < n; t++) {
        let s = X[0] + X[n] * Math.cos(Math.PI * t);
        for (let k = 1; k < n / 2; k++) {
          const a = (2 * Math.PI * k * t) / n;
          s += 2 * (X[2 * k] * Math.cos(a) - X[2 * k + 1] * Math.sin(a));
        }
        expect(Math.abs(y[t] - s / n)).toBeLessThan(1e-6);
      }
    }
  });

  it('rfft / irfft convenience: zero-pads, truncates, odd n like torch.fft.irfft', () => {
    const x = new Float32Array([1, 2, 3]);
    const X = rfft(x, 8);
    expect(X.length).toBe(10);
    expect(X[0]).toBeCloseTo(6, 5);
    expect(X[8]).toBeCloseTo(2, 5); // 1 - 2 + 3
    const y = irfft(X, 8);
    expect(Array.from(y.subarray(0, 4)).map((v) => +v.toFixed(5) + 0)).toEqual([1, 2, 3, 0]);
    // odd n: uses bins 0..(n-1)/2
    const mag = new Float32Array([1, 0, 1, 0, 1, 0]); // three bins of ones -> irfft n=5
    const h = irfft(mag, 5);
    expect(h[0]).toBeCloseTo(1, 6);
    expect(h[1]).toBeCloseTo((1 + 2 * Math.cos((2 * Math.PI) / 5) + 2 * Math.cos((4 * Math.PI) / 5)) / 5, 6);
  });

  it('rejects bad sizes with RangeError naming the argument', () => {
    expect(() => new RealFFT(0)).toThrow(/size/);
    expect(() => new RealFFT(2.5)).toThrow(RangeError);
    expect(() => irfft(new Float32Array(4), 0)).toThrow(/n must/);
  });
});
