// Canonical names/shapes (= the seed's state_dict), PyTorch's default initialisation, weight validation.
import { describe, expect, it } from 'vitest';
import {
  estimatorSpec, frameMacs, inferSizes, initWeights, validateWeights, weightNames, weightShapes, type Weights,
} from '../../src/estimator/network';
import { loadEstimatorCase } from './helpers';

describe('estimator network definition', () => {
  it('names and shapes are the seed state_dict, in its order', () => {
    const c = loadEstimatorCase();
    const spec = { hiddenSize: 32, outputSize: 20 };
    expect(weightNames(spec)).toEqual(Object.keys(c.weights));
    for (const [name, shape] of weightShapes(spec)) expect(c.weights[name].shape).toEqual(shape);
    expect(inferSizes(c.weights)).toEqual(spec);
  });

  it('frameMacs counts every Linear and both GRU matrices', () => {
    const H = 512;
    const P = 514;
    expect(frameMacs({ hiddenSize: H, outputSize: P })).toBe(2 * H + 2 * H * H + 6 * H * H + 3 * H * H + H * P);
  });

  it('initialises like PyTorch: U(±1/√fan_in) Linear, U(±1/√H) GRU, LayerNorm 1/0, deterministic per seed', () => {
    const spec = estimatorSpec(40, 64);
    const w = initWeights(spec, 7);
    for (const [name, shape] of weightShapes(spec)) {
      const d = w[name].data;
      expect(w[name].shape).toEqual(shape);
      let bound: number;
      if (name.startsWith('gru.')) bound = 1 / Math.sqrt(64);
      else if (/\.1\.weight$/.test(name)) { expect(d.every((v) => v === 1)).toBe(true); continue; }
      else if (/\.1\.bias$/.test(name)) { expect(d.every((v) => v === 0)).toBe(true); continue; }
      else bound = 1 / Math.sqrt(name.startsWith('mlp_0.linear.0.0.') ? 2 : 64);
      let max = 0;
      let sq = 0;
      for (const v of d) { max = Math.max(max, Math.abs(v)); sq += v * v; }
      expect(max).toBeLessThanOrEqual(bound);
      if (d.length >= 1000) {
        expect(max).toBeGreaterThan(0.98 * bound);
        // variance of U(−b, b) is b²/3
        expect(sq / d.length).toBeGreaterThan(0.9 * (bound * bound) / 3);
        expect(sq / d.length).toBeLessThan(1.1 * (bound * bound) / 3);
      }
    }
    expect(initWeights(spec, 7)['gru.weight_hh_l0'].data).toEqual(w['gru.weight_hh_l0'].data);
    expect(initWeights(spec, 8)['gru.weight_hh_l0'].data).not.toEqual(w['gru.weight_hh_l0'].data);
  });

  it('validateWeights names a missing tensor, a wrong shape and a non-finite value', () => {
    const spec = estimatorSpec(20, 32);
    const good = initWeights(spec, 1);
    const without = (k: string): Weights => { const w = { ...good }; delete w[k]; return w; };
    expect(() => validateWeights(spec, without('gru.bias_hh_l0'))).toThrow(/missing tensor 'gru.bias_hh_l0'/);
    const bad = { ...good, 'out.weight': { shape: [21, 32], data: new Float32Array(21 * 32) } };
    expect(() => validateWeights(spec, bad)).toThrow(/tensor 'out.weight' has shape \[21,32\], expected \[20,32\]/);
    const nan = { ...good, 'out.bias': { shape: [20], data: new Float32Array(20).fill(NaN) } };
    expect(() => validateWeights(spec, nan)).toThrow(/tensor 'out.bias' contains a non-finite value/);
    expect(() => estimatorSpec(0, 32)).toThrow(RangeError);
    expect(() => estimatorSpec(10, 1.5)).toThrow(/hiddenSize must be an integer/);
  });
});
