/**
 * Add: sum of two signals (the seed's `diffsynth.processor.Add`). Stateless, so batch and stream are the same
 * loop; the differentiable form is plain `tf.add` (see src/synth/graph.grad).
 *
 * @packageDocumentation
 */
import type { ParamSpec } from './scaling';

/** Param spec of Add (the seed's: two raw audio inputs). */
export const ADD_PARAM_SPEC: readonly ParamSpec[] = [
  { name: 'signal_a', size: 1, range: [-1, 1], scale: 'raw', kind: 'audio' },
  { name: 'signal_b', size: 1, range: [-1, 1], scale: 'raw', kind: 'audio' },
];

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
