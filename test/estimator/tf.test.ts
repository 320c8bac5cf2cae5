// The tfjs training form: same outputs as the realtime runtime, PyTorch init, weight export/import, gradients.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { estimatorSpec, initWeights } from '../../src/estimator/network';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { EstimatorTF, linearNoBias } from '../../src/estimator/tf';
import { loadEstimatorCase, maxAbsDiff } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('EstimatorTF (cpu backend)', () => {
  it('matches the seed fixture and the realtime runtime within 1e-5', () => {
    const c = loadEstimatorCase();
    const spec = estimatorSpec(20, 32);
    const m = new EstimatorTF(spec, { weights: c.weights });
    const y = tf.tidy(() => m.forward(tf.tensor(c.f0Hz, [1, c.nFrames]), tf.tensor(c.loudnessDb, [1, c.nFrames, 1])));
    expect(y.shape).toEqual([1, c.nFrames, 20]);
    expect(maxAbsDiff(y.dataSync(), c.params)).toBeLessThan(1e-5);
    y.dispose();
    m.dispose();
  });

  it('batch of different sequences == runFrame sequences (hidden 64, fresh state per sequence)', () => {
    const spec = estimatorSpec(33, 64);
    const m = new EstimatorTF(spec, { seed: 11 });
    const B = 3;
    const T = 17;
    const f0 = new Float32Array(B * T).map((_, i) => 80 + 37 * ((i * 5) % 23));
    const loud = new Float32Array(B * T).map((_, i) => -75 + ((i * 11) % 70));
    const y = tf.tidy(() => m.forward(tf.tensor(f0, [B, T]), tf.tensor(loud, [B, T])));
    const got = y.dataSync();
    const rt = new EstimatorRuntime(spec, m.getWeights());
    const out = new Float32Array(33);
    let worst = 0;
    for (let b = 0; b < B; b++) {
      rt.reset();
      for (let t = 0; t < T; t++) {
        rt.runFrame(f0[b * T + t], loud[b * T + t], out);
        worst = Math.max(worst, maxAbsDiff(out, got.subarray((b * T + t) * 33, (b * T + t + 1) * 33)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    y.dispose();
    m.dispose();
  });

  it('initialises from the seeded PyTorch-style init and round-trips Weights', () => {
    const spec = estimatorSpec(12, 16);
    const m = new EstimatorTF(spec, { seed: 5 });
    const w = m.getWeights();
    const ref = initWeights(spec, 5);
    for (const k of Object.keys(ref)) expect(w[k].data).toEqual(ref[k].data);
    const other = initWeights(spec, 6);
    m.setWeights(other);
    expect(m.getWeights()['out.weight'].data).toEqual(other['out.weight'].data);
    expect(m.trainableVariables().length).toBe(30);
    m.dispose();
  });

  it('forward leaks no tensors', () => {
    const spec = estimatorSpec(12, 16);
    const m = new EstimatorTF(spec);
    const f0 = tf.ones([2, 5]);
    const loud = tf.ones([2, 5]);
    const before = tf.memory().numTensors;
    const y = m.forward(f0, loud);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([y, f0, loud]);
    m.dispose();
  });

  it('linearNoBias gradients equal the analytic ones (x·wᵀ)', () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const w = tf.tensor2d([[0.5, -1, 2], [1, 0, -0.5], [0.25, 0.75, 1], [2, 2, 2]]); // [out 4, in 3]
    const dy = tf.tensor2d([[1, 0, -1, 2], [0.5, 1, 0, -1]]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(linearNoBias(a as tf.Tensor2D, b as tf.Tensor2D, tf.transpose(b) as tf.Tensor2D), dy)));
    const [dx, dw] = g([x, w]);
    expect(maxAbsDiff(dx.dataSync(), tf.matMul(dy, w).dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(dw.dataSync(), tf.matMul(dy, x, true, false).dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, w, dy, dx, dw]);
  });

  it('network gradients match finite differences', () => {
    const spec = estimatorSpec(5, 6);
    const m = new EstimatorTF(spec, { seed: 2 });
    const f0 = tf.tensor2d([[200, 300, 250, 400]]);
    const loud = tf.tensor2d([[-30, -20, -40, -10]]);
    const target = tf.randomUniform([1, 4, 5], 0, 1, 'float32', 3);
    const loss = (): tf.Scalar => tf.sum(tf.square(tf.sub(m.forward(f0, loud), target))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss);
    const names = ['mlp_0.linear.0.0.weight', 'gru.weight_hh_l0', 'gru.bias_ih_l0', 'mlp_1.linear.2.1.weight', 'out.bias'];
    for (const name of names) {
      const v = m.variables[name];
      const g = grads[v.name].dataSync();
      const base = v.dataSync().slice();
      for (const i of [0, Math.floor(base.length / 2)]) {
        const eps = 1e-2;
        const at = (delta: number): number => {
          const d = base.slice();
          d[i] += delta;
          v.assign(tf.tensor(d, v.shape));
          return tf.tidy(() => loss().dataSync()[0]);
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(fd - g[i])).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
      }
    }
    tf.dispose([f0, loud, target, ...Object.values(grads)]);
    m.dispose();
  });
});
