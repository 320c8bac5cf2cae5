// Gradients of the differentiable forms vs central finite differences of the JS forward (float64 loss sums).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { harmonicOp } from '../../src/modules/harmonic.grad';
import { harmonicBatch } from '../../src/modules/harmonic';
import { filteredNoiseOp } from '../../src/modules/filtered-noise.grad';
import { filteredNoiseBatch } from '../../src/modules/filtered-noise';
import { irReverbOp } from '../../src/modules/ir-reverb.grad';
import { irReverbBatch } from '../../src/modules/ir-reverb';
import { mixOp } from '../../src/modules/mix.grad';
import { mixBatch } from '../../src/modules/mix';
import { spectralLossOp } from '../../src/train/loss';
import { multiScaleSpectralLoss } from '../../src/dsp/spectral';
import { rng, uniform } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Σ w·y in float64. */
function dot(w: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i] * y[i];
  return s;
}

/** Central FD of f at x over the given coordinates (step h, using the float32-rounded perturbation). */
function fd(f: (x: Float32Array) => number, x: Float32Array, idx: number[], h: number): number[] {
  return idx.map((i) => {
    const xp = Float32Array.from(x);
    const xm = Float32Array.from(x);
    xp[i] += h;
    xm[i] -= h;
    return (f(xp) - f(xm)) / (xp[i] - xm[i]);
  });
}

/** ‖a − b‖ / ‖b‖. */
function relErr(a: number[], b: number[]): number {
  let n = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(d / n);
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('differentiable forms: gradients vs finite differences', () => {
  it('harmonic wrt amplitudes and harmonic_distribution (f0 constant)', () => {
    const r = rng(21);
    const B = 2, F = 4, H = 6, sr = 8000, fr = 100, N = 330;
    const amp = uniform(r, B * F, 0.2, 1);
    const dist = uniform(r, B * F * H, 0.05, 1);
    const f0 = Float32Array.from([300, 420, 500, 610, 700, 650, 1200, 1500]); // item 1 crosses Nyquist for high harmonics
    const w = uniform(r, B * N, -1, 1);
    const o = { sampleRate: sr, frameRate: fr, nHarmonics: H, nSamples: N };
    const fwd = (a: Float32Array, d: Float32Array): number => {
      let s = 0;
      for (let b = 0; b < B; b++) {
        const y = harmonicBatch(a.subarray(b * F, (b + 1) * F), d.subarray(b * F * H, (b + 1) * F * H), f0.subarray(b * F, (b + 1) * F), F, N, o);
        s += dot(w.subarray(b * N, (b + 1) * N), y);
      }
      return s;
    };
    const [gA, gD] = tf.grads((a: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(harmonicOp(tf, a, d, tf.tensor2d(f0, [B, F]), o), tf.tensor2d(w, [B, N]))))(
      [tf.tensor2d(amp, [B, F]), tf.tensor3d(dist, [B, F, H])]);
    const ga = Array.from(gA.dataSync());
    const gd = Array.from(gD.dataSync());
    expect(relErr(ga, fd((a) => fwd(a, dist), amp, all(B * F), 1e-3))).toBeLessThan(1e-3);
    expect(relErr(gd, fd((d) => fwd(amp, d), dist, all(B * F * H), 1e-3))).toBeLessThan(1e-3);
    // forward of the op == the batch form
    const y = harmonicOp(tf, tf.tensor2d(amp, [B, F]), tf.tensor3d(dist, [B, F, H]), tf.tensor2d(f0, [B, F]), o).dataSync();
    const yb = harmonicBatch(amp.subarray(0, F), dist.subarray(0, F * H), f0.subarray(0, F), F, N, o);
    for (let i = 0; i < N; i++) expect(y[i]).toBe(yb[i]);
  });

  for (const design of ['seed', 'linear-phase'] as const) {
    it(`filtered noise (${design}) wrt freq_response`, () => {
      const r = rng(22);
      const B = 2, F = 4, filterSize = 16, M = 9, sr = 8000, fr = 100, N = 320;
      const mags = uniform(r, B * F * M, 0, 2);
      const w = uniform(r, B * N, -1, 1);
      const o = { sampleRate: sr, frameRate: fr, filterSize, design, noiseSeed: 17, nSamples: N };
      const fwd = (m: Float32Array): number => {
        let s = 0;
        for (let b = 0; b < B; b++) {
          s += dot(w.subarray(b * N, (b + 1) * N), filteredNoiseBatch(m.subarray(b * F * M, (b + 1) * F * M), F, N, { ...o, noiseSeed: 17 + b }));
        }
        return s;
      };
      const g = tf.grad((m: tf.Tensor) => tf.sum(tf.mul(filteredNoiseOp(tf, m, o), tf.tensor2d(w, [B, N]))))(tf.tensor3d(mags, [B, F, M]));
      expect(relErr(Array.from(g.dataSync()), fd(fwd, mags, all(B * F * M), 1e-2))).toBeLessThan(1e-3);
    });
  }

  it('reverb wrt input audio and IR', () => {
    const r = rng(23);
    const B = 2, N = 200, L1 = 63;
    const x = uniform(r, B * N, -1, 1);
    const ir = uniform(r, L1, -0.3, 0.3);
    const w = uniform(r, B * N, -1, 1);
    const fwd = (xx: Float32Array, h: Float32Array): number => {
      let s = 0;
      for (let b = 0; b < B; b++) s += dot(w.subarray(b * N, (b + 1) * N), irReverbBatch(xx.subarray(b * N, (b + 1) * N), { sampleRate: 48000, ir: h }));
      return s;
    };
    const [gx, gh] = tf.grads((a: tf.Tensor, h: tf.Tensor) => tf.sum(tf.mul(irReverbOp(tf, a, h), tf.tensor2d(w, [B, N]))))(
      [tf.tensor2d(x, [B, N]), tf.tensor1d(ir)]);
    expect(relErr(Array.from(gx.dataSync()), fd((xx) => fwd(xx, ir), x, all(B * N), 1e-2))).toBeLessThan(1e-3);
    expect(relErr(Array.from(gh.dataSync()), fd((h) => fwd(x, h), ir, all(L1), 1e-2))).toBeLessThan(1e-3);
  });

  it('mix wrt both signals and both weights', () => {
    const r = rng(24);
    const B = 2, N = 300, F = 4;
    const a = uniform(r, B * N, -1, 1), b = uniform(r, B * N, -1, 1);
    const ma = uniform(r, B * F), mb = uniform(r, B * F);
    const w = uniform(r, B * N, -1, 1);
    const o = { sampleRate: 8000, frameRate: 100 };
    const fwd = (xa: Float32Array, xb: Float32Array, wa: Float32Array, wb: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < B; i++) {
        s += dot(w.subarray(i * N, (i + 1) * N), mixBatch(xa.subarray(i * N, (i + 1) * N), xb.subarray(i * N, (i + 1) * N),
          wa.subarray(i * F, (i + 1) * F), wb.subarray(i * F, (i + 1) * F), F, o));
      }
      return s;
    };
    const gs = tf.grads((xa: tf.Tensor, xb: tf.Tensor, wa: tf.Tensor, wb: tf.Tensor) => tf.sum(tf.mul(mixOp(tf, xa, xb, wa, wb, o), tf.tensor2d(w, [B, N]))))(
      [tf.tensor2d(a, [B, N]), tf.tensor2d(b, [B, N]), tf.tensor2d(ma, [B, F]), tf.tensor2d(mb, [B, F])]);
    expect(relErr(Array.from(gs[0].dataSync()), fd((v) => fwd(v, b, ma, mb), a, all(B * N), 1e-2))).toBeLessThan(1e-3);
    expect(relErr(Array.from(gs[1].dataSync()), fd((v) => fwd(a, v, ma, mb), b, all(B * N), 1e-2))).toBeLessThan(1e-3);
    expect(relErr(Array.from(gs[2].dataSync()), fd((v) => fwd(a, b, v, mb), ma, all(B * F), 1e-2))).toBeLessThan(1e-3);
    expect(relErr(Array.from(gs[3].dataSync()), fd((v) => fwd(a, b, ma, v), mb, all(B * F), 1e-2))).toBeLessThan(1e-3);
  });

  it('multi-scale spectral loss wrt the output audio, batch-aware (float64 DFT reference for the FD)', () => {
    const r = rng(25);
    const B = 2, N = 400, sizes = [16, 32, 64];
    const out = uniform(r, B * N, -0.5, 0.5);
    const tgt = uniform(r, B * N, -0.5, 0.5);
    // float64 reference of the seed's loss: direct DFT, periodic Hann, hop n/4, no centring
    const ref = (x: Float64Array): number => {
      let total = 0;
      for (const n of sizes) {
        const hop = n / 4;
        const T = 1 + Math.floor((N - n) / hop);
        let lin = 0;
        let lg = 0;
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let f = 0; f <= n / 2; f++) {
              let re = 0, im = 0, tr = 0, ti = 0;
              for (let j = 0; j < n; j++) {
                const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / n);
                const c = Math.cos((2 * Math.PI * f * j) / n);
                const s = Math.sin((2 * Math.PI * f * j) / n);
                const i = b * N + t * hop + j;
                re += w * x[i] * c; im -= w * x[i] * s;
                tr += w * tgt[i] * c; ti -= w * tgt[i] * s;
              }
              const S = re * re + im * im;
              const Tt = tr * tr + ti * ti;
              lin += Math.abs(S - Tt);
              lg += Math.abs(Math.log(S + 1e-4) - Math.log(Tt + 1e-4));
            }
          }
        }
        total += (lin + lg) / (B * T * (n / 2 + 1));
      }
      return total / (sizes.length * 2);
    };
    const x64 = Float64Array.from(out);
    const loss = tf.tidy(() => spectralLossOp(tf, tf.tensor2d(out, [B, N]), tf.tensor2d(tgt, [B, N]), sizes).dataSync()[0]);
    expect(loss).toBeCloseTo(multiScaleSpectralLoss(out, tgt, B, N, sizes), 6);
    expect(Math.abs(loss - ref(x64)) / ref(x64)).toBeLessThan(1e-5);
    const g = tf.grad((o: tf.Tensor) => spectralLossOp(tf, o, tf.tensor2d(tgt, [B, N]), sizes))(tf.tensor2d(out, [B, N])).dataSync();
    const h = 1e-6;
    const fd64 = (i: number): number => {
      const p = Float64Array.from(x64); p[i] += h;
      const m = Float64Array.from(x64); m[i] -= h;
      return (ref(p) - ref(m)) / (2 * h);
    };
    const top = all(B * N).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i])).slice(0, 10);
    const idx = [...top, ...Array.from({ length: 20 }, () => Math.floor(r() * B * N))];
    expect(relErr(idx.map((i) => g[i]), idx.map(fd64))).toBeLessThan(1e-3);
  });
});
