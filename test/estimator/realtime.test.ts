// EstimatorRuntime: seed parity, split form == whole frame, state handling, sanitised inputs, both kernels.
import { afterEach, describe, expect, it } from 'vitest';
import { estimatorSpec, initWeights } from '../../src/estimator/network';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { loadEstimatorCase, maxAbsDiff } from './helpers';

const KERNELS = ['js', 'wasm'] as const;

function sequence(n: number, seed = 1): { f0: Float32Array; loud: Float32Array } {
  const f0 = new Float32Array(n);
  const loud = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    f0[i] = 110 * 2 ** (((i * 7 + seed) % 36) / 12);
    loud[i] = -70 + ((i * 13 + seed) % 60);
  }
  return { f0, loud };
}

describe('EstimatorRuntime', () => {
  const realFloat32Array = globalThis.Float32Array;
  afterEach(() => {
    globalThis.Float32Array = realFloat32Array;
  });

  it('uses the wasm SIMD kernel in Node by default', () => {
    const spec = estimatorSpec(20, 32);
    expect(new EstimatorRuntime(spec, initWeights(spec)).kernel).toBe('wasm');
  });

  for (const kernel of KERNELS) {
    it(`[${kernel}] reproduces the seed's estimator (estimator.json) within 1e-5`, () => {
      const c = loadEstimatorCase();
      const spec = { hiddenSize: c.config.hidden_size, outputSize: c.config.output_dim, f0Norm: c.config.f0_range, dbRange: c.config.db_range };
      const rt = new EstimatorRuntime(spec, c.weights, { kernel });
      expect(rt.kernel).toBe(kernel);
      expect(maxAbsDiff(rt.runSequence(c.f0Hz, c.loudnessDb), c.params)).toBeLessThan(1e-5);
      // reset() brings back h0 = 0: the same sequence again gives the same outputs
      rt.reset();
      expect(maxAbsDiff(rt.runSequence(c.f0Hz, c.loudnessDb), c.params)).toBeLessThan(1e-5);
    });

    it(`[${kernel}] begin + step(maxMacs) equals runFrame for any budget`, () => {
      const spec = estimatorSpec(37, 24); // sizes that are not multiples of 8
      const w = initWeights(spec, 3);
      const whole = new EstimatorRuntime(spec, w, { kernel });
      const split = new EstimatorRuntime(spec, w, { kernel });
      const { f0, loud } = sequence(12);
      const out = new Float32Array(37);
      for (const budget of [1, 100, 1000, 5000, Infinity]) {
        whole.reset();
        split.reset();
        for (let t = 0; t < f0.length; t++) {
          whole.runFrame(f0[t], loud[t], out);
          split.begin(f0[t], loud[t]);
          let calls = 1;
          while (!split.step(budget)) calls++;
          expect(split.busy).toBe(false);
          expect(Array.from(split.output)).toEqual(Array.from(out));
          if (budget === 1) expect(calls).toBeGreaterThan(10); // at least one 8-row panel per call
        }
      }
      expect(split.step(100)).toBe(true); // nothing pending
    });

    it(`[${kernel}] step() work slices respect the budget (within one panel)`, () => {
      const spec = estimatorSpec(514, 512);
      const rt = new EstimatorRuntime(spec, initWeights(spec, 2), { kernel });
      rt.begin(220, -20);
      let calls = 0;
      while (!rt.step(rt.frameMacs / 5)) calls++;
      // five slices of a fifth, give or take the post-processing boundaries
      expect(calls + 1).toBeGreaterThanOrEqual(5);
      expect(calls + 1).toBeLessThanOrEqual(7);
    });

    it(`[${kernel}] NaN/Inf inputs act as 0 Hz / −80 dB and never poison the GRU state`, () => {
      const spec = estimatorSpec(20, 32);
      const w = initWeights(spec, 4);
      const a = new EstimatorRuntime(spec, w, { kernel });
      const b = new EstimatorRuntime(spec, w, { kernel });
      const outA = new Float32Array(20);
      const outB = new Float32Array(20);
      const bad: [number, number][] = [[NaN, -20], [220, NaN], [Infinity, -Infinity], [-Infinity, Infinity], [NaN, NaN]];
      for (const [f, l] of bad) {
        a.runFrame(f, l, outA);
        b.runFrame(Number.isFinite(f) ? f : 0, Number.isFinite(l) ? l : -80, outB);
        expect(Array.from(outA)).toEqual(Array.from(outB));
        expect(a.hiddenState.every(Number.isFinite)).toBe(true);
      }
      a.runFrame(1e300, -1e300, outA); // absurd finite values are clamped
      expect(outA.every(Number.isFinite)).toBe(true);
      expect(a.hiddenState.every(Number.isFinite)).toBe(true);
    });

    it(`[${kernel}] allocates no typed arrays per frame`, () => {
      const spec = estimatorSpec(20, 32);
      const rt = new EstimatorRuntime(spec, initWeights(spec, 5), { kernel });
      const out = new Float32Array(20);
      let created = 0;
      globalThis.Float32Array = new Proxy(realFloat32Array, {
        construct(target, args) { created++; return Reflect.construct(target, args); },
      });
      for (let t = 0; t < 10; t++) {
        rt.runFrame(200 + t, -30, out);
        rt.begin(300, -20);
        while (!rt.step(500));
      }
      globalThis.Float32Array = realFloat32Array;
      expect(created).toBe(0);
    });
  }

  it('the wasm and js kernels agree within 1e-5 at hidden 512', () => {
    const spec = estimatorSpec(514, 512);
    const w = initWeights(spec, 9);
    const { f0, loud } = sequence(20);
    const js = new EstimatorRuntime(spec, w, { kernel: 'js' }).runSequence(f0, loud);
    const wasm = new EstimatorRuntime(spec, w, { kernel: 'wasm' }).runSequence(f0, loud);
    expect(maxAbsDiff(js, wasm)).toBeLessThan(1e-5);
  });

  it('hidden state can be read and set', () => {
    const spec = estimatorSpec(20, 16);
    const w = initWeights(spec, 6);
    const a = new EstimatorRuntime(spec, w);
    const b = new EstimatorRuntime(spec, w);
    const out = new Float32Array(20);
    for (let t = 0; t < 5; t++) a.runFrame(200 + 10 * t, -30, out);
    b.setHiddenState(a.hiddenState);
    a.runFrame(300, -10, out);
    const outB = new Float32Array(20);
    b.runFrame(300, -10, outB);
    expect(Array.from(outB)).toEqual(Array.from(out));
    expect(() => b.setHiddenState(new Float32Array(3))).toThrow(/hiddenSize = 16/);
  });

  it('refuses bad weights and options with clear errors', () => {
    const spec = estimatorSpec(20, 16);
    const w = initWeights(spec);
    delete (w as Record<string, unknown>)['gru.weight_hh_l0'];
    expect(() => new EstimatorRuntime(spec, w)).toThrow(/missing tensor 'gru.weight_hh_l0'/);
    expect(() => new EstimatorRuntime(spec, initWeights(spec), { kernel: 'gpu' as 'js' })).toThrow(/opts.kernel/);
  });
});
