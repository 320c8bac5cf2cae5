// Parity runner for 'spectral_loss*' cases: the seed's multi-scale spectral loss (loss.py SpectralLoss with
// mag_w = log_mag_w = 1: hop n/4, periodic Hann, no centring, power STFT, Σ loss_n / (nScales · 2)) via
// src/dsp/spectral.ts. Shapes come from the case: output [B, N], target [B, N], loss [1]. Relative error ≤ 1e-3.
import { expect } from 'vitest';
import { multiScaleSpectralLoss } from '../../../src/dsp/spectral';
import { f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'spectral_loss',
  run(c: ParityCase) {
    const out = c.inputs.output;
    const [nBatch, nSamples] = out.shape;
    expect(c.inputs.target.shape).toEqual(out.shape);
    const fftSizes = Array.isArray(c.config.fft_sizes) ? (c.config.fft_sizes as number[]) : [64, 128, 256, 512, 1024, 2048];
    if (c.config.overlap !== undefined) expect(Number(c.config.overlap)).toBe(0.75);
    if (c.config.mag_w !== undefined) expect(Number(c.config.mag_w)).toBe(1);
    if (c.config.log_mag_w !== undefined) expect(Number(c.config.log_mag_w)).toBe(1);
    const loss = multiScaleSpectralLoss(f32(out), f32(c.inputs.target), nBatch, nSamples, fftSizes);
    const want = c.outputs.loss.data[0];
    expect(Math.abs(loss - want) / Math.abs(want)).toBeLessThanOrEqual(1e-3);
  },
};
export default kind;
