// The differentiable whole-synth op: forward equals renderSynthBatch; gradients wrt params and the IR agree with
// central finite differences of renderSynthBatch (float64 sums).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { hpnir, paramCount, renderSynthBatch } from '../../src/synth/graph';
import { synthForward } from '../../src/synth/graph.grad';
import { rng, uniform } from '../modules/helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('synthForward (differentiable hpnir)', () => {
  for (const design of ['seed', 'linear-phase'] as const) {
    it(`${design}: forward == renderSynthBatch; ∂/∂params and ∂/∂ir == finite differences`, () => {
      const sr = 8000, fr = 100, F = 4, N = 320, B = 2;
      const cfg = hpnir({ nHarmonics: 8, filterSize: 16, irSeconds: 64 / sr, sampleRate: sr, design });
      const P = paramCount(cfg);
      const r = rng(41);
      const params = uniform(r, B * F * P, 0.2, 0.9);
      const f0 = Float32Array.from([200, 260, 310, 280, 900, 1100, 1300, 1250]);
      const ir = uniform(r, 63, -0.2, 0.2);
      const w = uniform(r, B * N, -1, 1);
      const seed = 12;
      const render = (p: Float32Array, h: Float32Array, b: number) => renderSynthBatch(cfg, p.subarray(b * F * P, (b + 1) * F * P),
        f0.subarray(b * F, (b + 1) * F), F, N, { sampleRate: sr, frameRate: fr, ir: h, noiseSeed: seed + b });
      const L = (p: Float32Array, h: Float32Array): number => {
        let s = 0;
        for (let b = 0; b < B; b++) { const y = render(p, h, b); for (let i = 0; i < N; i++) s += w[b * N + i] * y[i]; }
        return s;
      };
      const opts = { sampleRate: sr, frameRate: fr, noiseSeed: seed };
      const y = synthForward(tf, cfg, tf.tensor3d(params, [B, F, P]), tf.tensor2d(f0, [B, F]), tf.tensor1d(ir), N, opts).dataSync();
      for (let b = 0; b < B; b++) {
        const yb = render(params, ir, b);
        for (let i = 0; i < N; i++) expect(y[b * N + i]).toBeCloseTo(yb[i], 5);
      }
      const [gp, gh] = tf.grads((p: tf.Tensor, h: tf.Tensor) =>
        tf.sum(tf.mul(synthForward(tf, cfg, p, tf.tensor2d(f0, [B, F]), h, N, opts), tf.tensor2d(w, [B, N]))))(
        [tf.tensor3d(params, [B, F, P]), tf.tensor1d(ir)]);
      const gP = gp.dataSync();
      const gH = gh.dataSync();
      const fdAt = (f: (x: Float32Array) => number, x: Float32Array, i: number, eps: number): number => {
        const a = Float32Array.from(x); a[i] += eps;
        const c = Float32Array.from(x); c[i] -= eps;
        return (f(a) - f(c)) / (a[i] - c[i]);
      };
      // every parameter of frame 1 of both items (AMP, HARM, FREQRES) + IR taps
      const idx: number[] = [];
      for (let b = 0; b < B; b++) for (let j = 0; j < P; j++) idx.push((b * F + 1) * P + j);
      const an = idx.map((i) => gP[i]);
      const num = idx.map((i) => fdAt((p) => L(p, ir), params, i, 1e-3));
      let d = 0, n = 0;
      for (let i = 0; i < an.length; i++) { d += (an[i] - num[i]) ** 2; n += num[i] ** 2; }
      expect(Math.sqrt(d / n)).toBeLessThan(2e-3);
      const hi = [0, 1, 5, 20, 40, 62];
      const anH = hi.map((i) => gH[i]);
      const numH = hi.map((i) => fdAt((h) => L(params, h), ir, i, 1e-2));
      d = 0; n = 0;
      for (let i = 0; i < hi.length; i++) { d += (anH[i] - numH[i]) ** 2; n += numH[i] ** 2; }
      expect(Math.sqrt(d / n)).toBeLessThan(1e-3);
    });
  }
});
