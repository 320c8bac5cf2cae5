/**
 * Add, differentiable form: `tf.add` (its gradient is tfjs's own).
 *
 * @packageDocumentation
 */
import type { GradForm } from './form.grad';

/** Add's differentiable form for the graph (inputs: signal_a, signal_b). */
export const ADD_GRAD: GradForm<'Add'> = (tf, _n, [a, b]) => tf.add(a, b);
