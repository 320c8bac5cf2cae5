// Control mode's estimator schedule: at every tick the output a model frame taken at that instant would give, the
// GRU state committed only at the model's frame instants (frame m at tick round(m·hop/128)).
import { describe, expect, it } from 'vitest';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { PeekingEstimator } from '../../src/engine/peeking-estimator';
import { smallModel } from './helpers';

describe('PeekingEstimator', () => {
  it('equals the model run over the committed frames plus one frame with the tick\'s features (hop 960: commits at ticks 0, 8, 15, 23, …)', () => {
    const model = smallModel(41);
    const est = new EstimatorRuntime(model.estimator, model.estimator.weights);
    const peek = new PeekingEstimator(est, 960);
    const n = 40;
    const f0 = Float32Array.from({ length: n }, (_, j) => 200 + 13 * ((j * 7) % 11));
    const loud = Float32Array.from({ length: n }, (_, j) => -60 + 3 * ((j * 5) % 13));
    const commits = [0, 8, 15, 23, 30, 38];
    const ref = new EstimatorRuntime(model.estimator, model.estimator.weights);
    const expected = new Float32Array(ref.output.length);
    for (let j = 0; j < n; j++) {
      peek.tickFrom(f0, loud, j);
      // Reference: the committed ticks before j as frames, then tick j's features as one more frame.
      ref.reset();
      for (const c of commits) if (c < j) ref.runFrame(f0[c], loud[c], expected);
      ref.runFrame(f0[j], loud[j], expected);
      expect(Array.from(peek.output), `tick ${j}`).toEqual(Array.from(expected));
    }
    // The runtime's own state (another user's) is left as it was: zero after construction.
    expect(est.hiddenState.every((v) => v === 0)).toBe(true);
    peek.reset();
    peek.tickFrom(f0, loud, 5);
    ref.reset();
    ref.runFrame(f0[5], loud[5], expected);
    expect(Array.from(peek.output)).toEqual(Array.from(expected));
  });
});
