// The tfjs training form: same outputs as the realtime runtime, PyTorch init, weight export/import, gradients.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { estimatorSpec, initWeights } from '../../src/estimator/network';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { EstimatorTF, gruSequence, linearNoBias } from '../../src/estimator/tf';
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

/** The GRU written per step with tfjs autodiff (the form gruSequence replaced), h0 = 0. */
function gruPlain(x: tf.Tensor3D, whh: tf.Tensor2D, bhh: tf.Tensor1D): tf.Tensor3D {
  const [T, B] = x.shape;
  const H = whh.shape[1];
  // slices, not tf.unstack: tfjs's Unpack gradient fails for a length-1 axis (T = 1)
  const steps = Array.from({ length: T }, (_, t) => tf.reshape(tf.slice(x, [t, 0, 0], [1, B, x.shape[2]]), [B, x.shape[2]]));
  let h = tf.zeros([B, H]) as tf.Tensor2D;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const [xr, xz, xn] = tf.split(steps[t], 3, 1);
    const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, whh, false, true), bhh), 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D;
    hs.push(h);
  }
  return tf.stack(hs) as tf.Tensor3D;
}

describe('gruSequence (the GRU as one op with a BPTT backward)', () => {
  const make = (T: number, B: number, H: number, seed: number) => ({
    x: tf.randomUniform([T, B, 3 * H], -1.5, 1.5, 'float32', seed) as tf.Tensor3D,
    w: tf.randomUniform([3 * H, H], -0.6, 0.6, 'float32', seed + 1) as tf.Tensor2D,
    b: tf.randomUniform([3 * H], -0.3, 0.3, 'float32', seed + 2) as tf.Tensor1D,
    // a loss weight per output, so every step's state matters differently
    c: tf.randomUniform([T, B, H], -1, 1, 'float32', seed + 3) as tf.Tensor3D,
  });

  it('forward and gradients (xProj, whh, bhh) equal the per-step autodiff GRU', () => {
    for (const [T, B, H] of [[1, 2, 3], [7, 3, 5], [25, 2, 16]]) {
      const { x, w, b, c } = make(T, B, H, 10 * T + H);
      const loss = (g: typeof gruSequence) => (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
        tf.sum(tf.mul(tf.tanh(g(xi as tf.Tensor3D, wi as tf.Tensor2D, bi as tf.Tensor1D)), c));
      const yNew = gruSequence(x, w, b);
      const yOld = gruPlain(x, w, b);
      expect(yNew.shape).toEqual([T, B, H]);
      expect(maxAbsDiff(yNew.dataSync(), yOld.dataSync())).toBeLessThan(1e-6);
      const gNew = tf.grads(loss(gruSequence))([x, w, b]);
      const gOld = tf.grads(loss(gruPlain))([x, w, b]);
      for (let i = 0; i < 3; i++) {
        const scale = Math.max(1, ...Array.from(gOld[i].dataSync(), Math.abs));
        expect(maxAbsDiff(gNew[i].dataSync(), gOld[i].dataSync()) / scale, `input ${i}, T ${T}`).toBeLessThan(1e-5);
      }
      tf.dispose([x, w, b, c, yNew, yOld, ...gNew, ...gOld]);
    }
  });

  it('recurrent-weight gradient matches finite differences', () => {
    const { x, w, b, c } = make(6, 2, 4, 77);
    const L = (wi: tf.Tensor2D): number => tf.tidy(() => tf.sum(tf.mul(gruSequence(x, wi, b), c)).dataSync()[0]);
    const g = tf.grad((wi: tf.Tensor) => tf.sum(tf.mul(gruSequence(x, wi as tf.Tensor2D, b), c)))(w);
    const gd = g.dataSync();
    const base = w.dataSync().slice();
    for (const i of [0, 5, 17, 30, 47]) {
      const eps = 1e-2;
      const at = (d: number): number => { const a = base.slice(); a[i] += d; const t = tf.tensor2d(a, w.shape); const v = L(t); t.dispose(); return v; };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      expect(Math.abs(fd - gd[i])).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
    }
    tf.dispose([x, w, b, c, g]);
  });

  it('backward memory does not keep a weight gradient per step', async () => {
    const B = 1;
    const H = 128;
    const weightGradBytes = 3 * H * H * 4;
    // peak bytes of live tensors during forward + backward (tfjs keeps every gradient it makes until backward ends)
    const peak = async (T: number, g: typeof gruSequence): Promise<number> => {
      const { x, w, b, c } = make(T, B, H, 5);
      const info = await tf.profile(() => {
        const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(g(xi as tf.Tensor3D, wi as tf.Tensor2D, bi as tf.Tensor1D), c)))([x, w, b]);
        tf.dispose(grads);
      });
      tf.dispose([x, w, b, c]);
      return info.peakBytes;
    };
    const growNew = (await peak(40, gruSequence)) - (await peak(20, gruSequence));
    const growOld = (await peak(40, gruPlain)) - (await peak(20, gruPlain));
    // 20 more steps: the per-step form holds ≥ 20 more [3H, H] weight gradients; the sequence op only per-step
    // activations and gate gradients (a few [B, 3H] each, B ≪ H)
    expect(growOld).toBeGreaterThan(20 * weightGradBytes);
    expect(growNew).toBeLessThan(5 * weightGradBytes);
  });
});
