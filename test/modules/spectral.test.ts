// Validation metrics and STFT helper of src/dsp/spectral.ts (the loss itself: parity runner + grad test).
import { describe, expect, it } from 'vitest';
import {
  dctMatrixOrtho, hannWindow, logSpectralDistance, loudnessError, melFilterbank, mfcc, mfccL1, multiScaleSpectralLoss,
  powerSpectrogram, spectralConvergence, stftFrameCount, validationMetrics,
} from '../../src/dsp/spectral';
import { loudnessFrames } from '../../src/dsp/loudness';
import { rng, uniform } from './helpers';

const sr = 48000;
const N = 24000;
const r = rng(51);
const x = uniform(r, 2 * N, -0.5, 0.5);
const x2 = Float32Array.from(x, (v) => 2 * v);

describe('spectral helpers and validation metrics', () => {
  it('STFT: torch.stft framing (centre + reflect, pad_end) and a sine lands in its bin', () => {
    expect(stftFrameCount(24000, { fftSize: 1024, hop: 256, center: true })).toBe(1 + Math.floor(24000 / 256));
    expect(stftFrameCount(24000, { fftSize: 1024, hop: 256, center: true, padEnd: true })).toBe(95);
    expect(stftFrameCount(24000, { fftSize: 2048, hop: 512 })).toBe(1 + Math.floor((24000 - 2048) / 512));
    const s = new Float32Array(4096);
    for (let i = 0; i < s.length; i++) s[i] = Math.sin((2 * Math.PI * 10 * i) / 256);
    const P = powerSpectrogram(s, { fftSize: 256, hop: 64, window: hannWindow(256) });
    let best = 0;
    for (let f = 1; f < P.nBins; f++) if (P.power[f] > P.power[best]) best = f;
    expect(best).toBe(10);
    expect(P.power[10]).toBeCloseTo((256 * 0.5 / 2) ** 2, 0); // |Σ w·sin| = n/4 at the bin
  });

  it('spectral loss is 0 for identical signals and grows with a gain error', () => {
    expect(multiScaleSpectralLoss(x, x, 2, N)).toBe(0);
    expect(multiScaleSpectralLoss(x2, x, 2, N)).toBeGreaterThan(0.5);
  });

  it('lsd and sc: 0 for identical clips; a ×2 gain gives sc = 3 and lsd = 10·log10(4)·√(bins·T)/T', () => {
    expect(logSpectralDistance(x, x, 2, N)).toBe(0);
    expect(spectralConvergence(x, x, 2, N)).toBe(0);
    expect(spectralConvergence(x2, x, 2, N)).toBeCloseTo(3, 5);
    const T = 1 + Math.floor(N / 256);
    const expected = (10 * Math.log10(4) * Math.sqrt(513 * T)) / T;
    expect(Math.abs(logSpectralDistance(x2, x, 2, N) / expected - 1)).toBeLessThan(1e-3);
  });

  it('mfcc_l1: mel filterbank (HTK, 40–7600 Hz), ortho DCT; a gain changes only coefficient 0, which is dropped', () => {
    const fb = melFilterbank(513, 40, 7600, 40, sr);
    for (let m = 0; m < 40; m++) {
      let mx = 0;
      for (let k = 0; k < 513; k++) mx = Math.max(mx, fb[k * 40 + m]);
      expect(mx).toBeGreaterThan(0.3);
      expect(mx).toBeLessThanOrEqual(1);
    }
    for (let k = 0; k < 513; k++) if ((k * 24000) / 512 > 7700) for (let m = 0; m < 40; m++) expect(fb[k * 40 + m]).toBe(0);
    const d = dctMatrixOrtho(20, 40);
    for (let a = 0; a < 20; a++) {
      for (let b = 0; b < 20; b++) {
        let s = 0;
        for (let n = 0; n < 40; n++) s += d[n * 20 + a] * d[n * 20 + b];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
    const m = mfcc(x, { sampleRate: sr }, 0, N);
    expect(m.nFrames).toBe(95);
    expect(m.nMfcc).toBe(20);
    expect(mfccL1(x, x, 2, N, sr)).toBe(0);
    expect(mfccL1(x2, x, 2, N, sr)).toBeLessThan(1e-3);
    const y = uniform(rng(52), 2 * N, -0.5, 0.5);
    expect(mfccL1(y, x, 2, N, sr)).toBeGreaterThan(0.01);
  });

  it('loudness error = mean |10^(L̂/10) − 10^(L/10)| of the seed loudness', () => {
    expect(loudnessError(x, x, 2, N, sr)).toBe(0);
    let want = 0;
    let count = 0;
    for (let b = 0; b < 2; b++) {
      const L = loudnessFrames(x.subarray(b * N, (b + 1) * N), sr, 50);
      const L2 = loudnessFrames(x2.subarray(b * N, (b + 1) * N), sr, 50);
      for (let i = 0; i < L.length; i++) { want += Math.abs(10 ** (L2[i] / 10) - 10 ** (L[i] / 10)); count++; }
    }
    expect(loudnessError(x2, x, 2, N, sr)).toBeCloseTo(want / count, 6);
    const v = validationMetrics(x2, x, 2, N, sr);
    expect(Object.keys(v).sort()).toEqual(['loud', 'lsd', 'mfcc_l1', 'sc', 'spec']);
  });

  it('bad input: clear errors', () => {
    expect(() => multiScaleSpectralLoss(x, x.subarray(1), 2, N)).toThrow(/target must have/);
    expect(() => multiScaleSpectralLoss(x.subarray(0, 1000), x.subarray(0, 1000), 1, 1000)).toThrow(/FFT size \d+ is longer than the clips/);
    expect(() => multiScaleSpectralLoss(x, x, 2, N, [30])).toThrow(/multiple of 4/);
    expect(() => logSpectralDistance(x, x, 0, N)).toThrow(/nBatch/);
  });
});
