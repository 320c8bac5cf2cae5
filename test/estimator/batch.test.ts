import { describe, expect, it } from 'vitest';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { estimatorSpec, initWeights } from '../../src/estimator/network';

// The batch form (runBatch: the voices of a polyphonic engine, one pass over the weights) against the one-frame
// form: every row, whatever the rows beside it, equals the one-frame form from the same state, bit for bit.
describe('EstimatorRuntime.runBatch', () => {
  for (const kernel of ['wasm', 'js'] as const) {
    for (const [hidden, outputs] of [[64, 21], [40, 7]] as const) {
      it(`${kernel}, hidden ${hidden}: rows 1..7 equal the one-frame form from the same states, bit for bit`, () => {
        const spec = estimatorSpec(outputs, hidden);
        const w = initWeights(spec, 3);
        const one = new EstimatorRuntime(spec, w, { kernel });
        const batch = new EstimatorRuntime(spec, w, { kernel, batchRows: 7 });
        expect(batch.batchRows).toBe(7);
        // Per row its own history: row r has run r + 1 frames of its own features before.
        const states: Float32Array[] = [];
        for (let r = 0; r < 7; r++) {
          one.reset();
          for (let k = 0; k <= r; k++) one.runFrame(100 + 37 * r + 11 * k, -40 + 3 * r - k, one.output);
          states.push(one.hiddenState.slice());
        }
        for (const n of [1, 2, 3, 7]) {
          for (let r = 0; r < n; r++) {
            batch.batchStates[r].set(states[r]);
            batch.batchF0[r] = 220 + 50 * r;
            batch.batchLoudness[r] = -20 - 2 * r;
          }
          batch.runBatch(n);
          for (let r = 0; r < n; r++) {
            one.setHiddenState(states[r]);
            one.runFrame(220 + 50 * r, -20 - 2 * r, one.output);
            expect(Array.from(batch.batchOutputs[r])).toEqual(Array.from(one.output));
            expect(Array.from(batch.batchStates[r])).toEqual(Array.from(one.hiddenState));
          }
        }
      });
    }
  }

  it('sanitises features as the one-frame form does (NaN f0, infinite loudness)', () => {
    const spec = estimatorSpec(9, 16);
    const w = initWeights(spec, 1);
    const one = new EstimatorRuntime(spec, w);
    const batch = new EstimatorRuntime(spec, w, { batchRows: 2 });
    batch.batchF0[0] = NaN;
    batch.batchLoudness[0] = Infinity;
    batch.batchF0[1] = 1e9;
    batch.batchLoudness[1] = -1e9;
    batch.runBatch(2);
    one.runFrame(NaN, Infinity, one.output);
    expect(Array.from(batch.batchOutputs[0])).toEqual(Array.from(one.output));
    one.reset();
    one.runFrame(1e9, -1e9, one.output);
    expect(Array.from(batch.batchOutputs[1])).toEqual(Array.from(one.output));
  });

  it('refuses a bad batchRows with a RangeError naming it', () => {
    const spec = estimatorSpec(9, 16);
    expect(() => new EstimatorRuntime(spec, initWeights(spec), { batchRows: -1 })).toThrow(/batchRows/);
    expect(() => new EstimatorRuntime(spec, initWeights(spec), { batchRows: 2.5 })).toThrow(/batchRows/);
  });
});
