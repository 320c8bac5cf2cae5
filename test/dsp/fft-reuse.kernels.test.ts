// Batch functions that run FFTs reuse one RealFFT per size: after the first call of a size they allocate nothing in
// PFFFT's wasm heap (a RealFFT's buffers are freed only by the garbage collector, so one per call filled the heap
// during training: 'pffft: out of wasm memory').
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pffftRuntime } from '../../src/dsp/fft';
import { fftConvolve } from '../../src/dsp/convolution';
import { multiScaleSpectralLossGrad, powerSpectrogram } from '../../src/dsp/spectral';
import { filteredNoiseAdjoint } from '../../src/modules/filtered-noise.grad';
import { noiseGeometry } from '../../src/modules/filtered-noise';

type Raw = { alignedMalloc: (n: number) => number; newSetup: (n: number, kind: number) => number };

let allocations = 0;
let restore: (() => void) | null = null;

beforeEach(() => {
  const rt = pffftRuntime();
  if (!rt) return;
  const raw = rt.raw as unknown as Raw;
  const malloc = raw.alignedMalloc;
  const setup = raw.newSetup;
  raw.alignedMalloc = (n) => { allocations++; return malloc(n); };
  raw.newSetup = (n, k) => { allocations++; return setup(n, k); };
  restore = () => { raw.alignedMalloc = malloc; raw.newSetup = setup; };
  allocations = 0;
});
afterEach(() => { restore?.(); restore = null; });

function signal(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(0.37 * i * seed) * Math.exp(-i / n);
  return x;
}

/** wasm allocations made by `f` after one warm-up call. */
function allocationsAfterWarmUp(f: () => void, calls = 12): number {
  f();
  allocations = 0;
  for (let i = 0; i < calls; i++) f();
  return allocations;
}

describe.skipIf(pffftRuntime() === null)('one RealFFT per size, reused across calls', () => {
  it('fftConvolve (the reverb: a clip with a 1 s IR)', () => {
    const a = signal(24000, 1);
    const b = signal(48000, 2);
    const ref = fftConvolve(a, b);
    expect(allocationsAfterWarmUp(() => { fftConvolve(a, b); })).toBe(0);
    // reuse does not change the result
    expect(fftConvolve(a, b)).toEqual(ref);
    // a few sizes in turn stay cached too
    const c = signal(5000, 3);
    expect(allocationsAfterWarmUp(() => { fftConvolve(a, b); fftConvolve(c, b); fftConvolve(a, c); })).toBe(0);
  });

  it('powerSpectrogram and the multi-scale spectral loss', () => {
    const x = signal(8192, 4);
    const y = signal(8192, 5);
    const g = new Float32Array(8192);
    expect(allocationsAfterWarmUp(() => {
      powerSpectrogram(x, { fftSize: 1024, hop: 256, center: true });
      multiScaleSpectralLossGrad(x, y, 1, 8192, [256, 1024, 2048], g);
    })).toBe(0);
  });

  it('the FilteredNoise adjoint', () => {
    const geom = noiseGeometry({ filterSize: 512, sampleRate: 48000, frameRate: 50, design: 'linear-phase' });
    const nFrames = 10;
    const nSamples = 9600;
    const g = signal(nSamples, 6);
    const ref = filteredNoiseAdjoint(g, 0, nSamples, nFrames, geom, 7);
    expect(allocationsAfterWarmUp(() => { filteredNoiseAdjoint(g, 0, nSamples, nFrames, geom, 7); })).toBe(0);
    expect(filteredNoiseAdjoint(g, 0, nSamples, nFrames, geom, 7)).toEqual(ref);
  });
});
