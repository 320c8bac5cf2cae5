/**
 * Add: sum of two signals (the seed's `diffsynth.processor.Add`). Stateless, so batch and stream are the same
 * loop; the differentiable form is plain `tf.add` (./add.grad).
 *
 * @packageDocumentation
 */
import { StreamFormBase, type ModuleForms } from './form';

/**
 * Add, batch form: a + b.
 * @throws RangeError when the lengths differ.
 */
export function addBatch(a: Float32Array, b: Float32Array): Float32Array {
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) throw new TypeError('signal_a and signal_b must be Float32Arrays');
  if (a.length !== b.length) throw new RangeError(`signal_a and signal_b must have the same length, got ${a.length} and ${b.length}`);
  const out = new Float32Array(a.length);
  addInto(a, 0, b, 0, out, 0, a.length);
  return out;
}

/** Add, stream form (allocation-free, any n ≥ 0): out[o+i] = a[ao+i] + b[bo+i]. Arrays may alias. */
export function addInto(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, out: Float32Array,
  outOffset: number, n: number): void {
  for (let i = 0; i < n; i++) out[outOffset + i] = a[aOffset + i] + b[bOffset + i];
}

class AddNode extends StreamFormBase {
  override process(signals: readonly Float32Array[], out: Float32Array, n: number): void { addInto(signals[0], 0, signals[1], 0, out, 0, n); }
}

/** Add's forms for the graph (inputs: signal_a, signal_b). */
export const ADD: ModuleForms<'Add'> = {
  batch: (_n, [a, b]) => addBatch(a, b),
  stream: () => new AddNode(),
};
