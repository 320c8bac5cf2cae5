import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/train/backend';

describe('tfjs backend', () => {
  it('starts wasm with gradients, and transposed matmuls (patched kernels) stay exact and leak nothing', async () => {
    const { tf, name } = await initBackend('auto');
    expect(['wasm', 'tensorflow']).toContain(name);
    const x = tf.tensor2d([[0.5, -1, 2], [1.5, 0.25, -0.75]]);
    const w = tf.tensor2d([[1, 2, 3], [-1, 0.5, 0.25], [2, -2, 1], [0, 1, -1]]);
    // y = x wᵀ, L = Σ y²  →  dL/dx = 2 y w, dL/dw = 2 yᵀ x
    const [gx, gw] = tf.grads((a: any, b: any) => tf.sum(tf.square(tf.matMul(a, b, false, true))))([x, w]);
    const xr = x.arraySync() as number[][];
    const wr = w.arraySync() as number[][];
    const y = xr.map((r) => wr.map((c) => r.reduce((s, v, i) => s + v * c[i], 0)));
    const gxr = gx.arraySync() as number[][];
    const gwr = gw.arraySync() as number[][];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 3; k++) expect(gxr[i][k]).toBeCloseTo(y[i].reduce((s, v, j) => s + 2 * v * wr[j][k], 0), 4);
    for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expect(gwr[j][k]).toBeCloseTo(y.reduce((s, r, i) => s + 2 * r[j] * xr[i][k], 0), 4);
    const ta = tf.matMul(tf.transpose(x), w, true, true).arraySync() as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) expect(ta[i][j]).toBeCloseTo(y[i][j], 5);
    const fused = tf.fused.matMul({ a: x, b: w, transposeB: true, bias: tf.ones([4]), activation: 'relu' }).arraySync() as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) expect(fused[i][j]).toBeCloseTo(Math.max(0, y[i][j] + 1), 5);
    const before = tf.memory().numBytes;
    tf.tidy(() => { tf.matMul(x, w, false, true); tf.matMul(tf.transpose(x), w, true, true); });
    expect(tf.memory().numBytes).toBe(before);
  });
});
