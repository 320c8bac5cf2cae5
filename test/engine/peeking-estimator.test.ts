// Control mode's estimator schedule: the GRU state committed only at the model's frame instants (frame m at tick
// round(m·hop/128)), the output interpolated from frame m to frame m + 1 in between, both with the tick's features.
import { describe, expect, it } from 'vitest';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { PeekingEstimator } from '../../src/engine/peeking-estimator';
import { smallModel } from './helpers';

describe('PeekingEstimator', () => {
  it('interpolates from frame m to frame m + 1 over the ticks between their instants, both with the tick\'s features (hop 960: commits at ticks 0, 8, 15, 23, …)', () => {
    const model = smallModel(41);
    const est = new EstimatorRuntime(model.estimator, model.estimator.weights);
    const peek = new PeekingEstimator(est, 960);
    const n = 40;
    const f0 = Float32Array.from({ length: n }, (_, j) => 200 + 13 * ((j * 7) % 11));
    // Some ticks repeat the last features (then nothing is evaluated again).
    const loud = Float32Array.from({ length: n }, (_, j) => (j % 6 === 3 ? -60 + 3 * (((j - 1) * 5) % 13) : -60 + 3 * ((j * 5) % 13)));
    for (let j = 0; j < n; j++) if (j % 6 === 3) f0[j] = f0[j - 1];
    const commits = [0, 8, 15, 23, 30, 38, 45];
    const ref = new EstimatorRuntime(model.estimator, model.estimator.weights);
    /** The model run over the committed ticks before `upTo` as frames, then tick j's features as one more frame. */
    const frame = (upTo: number, j: number): Float32Array => {
      const o = new Float32Array(ref.output.length);
      ref.reset();
      for (const c of commits) if (c < upTo) ref.runFrame(f0[c], loud[c], o);
      ref.runFrame(f0[j], loud[j], o);
      return o;
    };
    for (let j = 0; j < n; j++) {
      peek.tickFrom(f0, loud, j);
      const m = commits.filter((c) => c <= j).length - 1; // last commit at or before j
      const c0 = commits[m];
      const c1 = commits[m + 1];
      const a = frame(c0, j);
      const b = frame(c0 + 1, j);
      const expected = new Float32Array(a.length);
      const w = (j - c0) / (c1 - c0);
      for (let i = 0; i < a.length; i++) expected[i] = j === c0 ? a[i] : a[i] + (b[i] - a[i]) * w;
      expect(Array.from(peek.output), `tick ${j}`).toEqual(Array.from(expected));
    }
    // The runtime's own state (another user's) is left as it was: zero after construction.
    expect(est.hiddenState.every((v) => v === 0)).toBe(true);
    peek.reset();
    peek.tickFrom(f0, loud, 5);
    ref.reset();
    const o = new Float32Array(ref.output.length);
    ref.runFrame(f0[5], loud[5], o);
    expect(Array.from(peek.output)).toEqual(Array.from(o));
  });
});
