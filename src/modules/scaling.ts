/**
 * Control scaling: how a module turns the estimator's sigmoid outputs (x ∈ (0, 1)) into physical controls.
 *
 * Ported from the seed's `Processor.scale_params` (diffsynth/processor.py) with `util.exp_scale` and
 * `util.unit_to_hz`:
 *
 * | scale          | formula                                                                   |
 * |----------------|---------------------------------------------------------------------------|
 * | `raw`          | x                                                                         |
 * | `sigmoid`      | x · (max − min) + min                                                     |
 * | `exp_sigmoid`  | max · x^ln(10) + (1e-7 + min)                                             |
 * | `freq_sigmoid` | 440 · 2^((m − 69)/12), m = mMin + (mMax − mMin) · x, mX = hzToMidi(X)      |
 *
 * where hzToMidi(f) = 12 · (log2(f + 1e-5) − log2(440)) + 69 (the seed's `hz_to_midi_float`; no clipping).
 *
 * @packageDocumentation
 */

import type { ScaleType } from './schema';

export { SCALE_TYPES, type ParamSpec, type ScaleType } from './schema';

/** ln(10): the exponent of the seed's exp_sigmoid scaling (`math.log(10.0)`). */
export const EXP_SIGMOID_EXPONENT = Math.log(10);
/** The threshold the seed adds to exp_sigmoid outputs (keeps amplitudes strictly positive). */
export const EXP_SIGMOID_THRESHOLD = 1e-7;

/** The seed's `util.exp_scale(x, ln 10, max, 1e-7 + min)`: max · x^ln(10) + 1e-7 + min. */
export function expSigmoidScale(x: number, min: number, max: number): number {
  return max * Math.pow(x, EXP_SIGMOID_EXPONENT) + (EXP_SIGMOID_THRESHOLD + min);
}

/** The seed's `hz_to_midi_float`: 12 · (log2(f0Hz + 1e-5) − log2(440)) + 69 (MIDI note number). */
export function hzToMidi(f0Hz: number): number {
  return 12 * (Math.log2(f0Hz + 1e-5) - Math.log2(440)) + 69;
}

/** The seed's `midi_to_hz`: 440 · 2^((note − 69)/12), in Hz. */
export function midiToHz(note: number): number {
  return 440 * Math.pow(2, (note - 69) / 12);
}

/** The seed's `util.unit_to_hz(x, minHz, maxHz)` (no clipping): log-frequency interpolation, in Hz. */
export function unitToHz(x: number, minHz: number, maxHz: number): number {
  const mMin = hzToMidi(minHz);
  const mMax = hzToMidi(maxHz);
  return midiToHz(mMin + (mMax - mMin) * x);
}

/** Scales one value x (network output in (0, 1)) by a scale type and range, as `Processor.scale_params`. */
export function scaleValue(x: number, scale: ScaleType, range: readonly [number, number]): number {
  switch (scale) {
    case 'raw':
      return x;
    case 'sigmoid':
      return x * (range[1] - range[0]) + range[0];
    case 'exp_sigmoid':
      return expSigmoidScale(x, range[0], range[1]);
    case 'freq_sigmoid':
      return unitToHz(x, range[0], range[1]);
  }
}

/**
 * Scales `n` values of `input` (from `inOffset`) into `output` (from `outOffset`); allocation-free.
 * @param input  network outputs in (0, 1)
 * @param output scaled controls (may be the same array as `input`)
 */
export function scaleInto(input: Float32Array, inOffset: number, output: Float32Array, outOffset: number, n: number,
  scale: ScaleType, range: readonly [number, number]): void {
  switch (scale) {
    case 'raw':
      for (let i = 0; i < n; i++) output[outOffset + i] = input[inOffset + i];
      return;
    case 'sigmoid': {
      const a = range[1] - range[0];
      const b = range[0];
      for (let i = 0; i < n; i++) output[outOffset + i] = input[inOffset + i] * a + b;
      return;
    }
    case 'exp_sigmoid': {
      const max = range[1];
      const t = EXP_SIGMOID_THRESHOLD + range[0];
      for (let i = 0; i < n; i++) output[outOffset + i] = max * Math.pow(input[inOffset + i], EXP_SIGMOID_EXPONENT) + t;
      return;
    }
    case 'freq_sigmoid': {
      const mMin = hzToMidi(range[0]);
      const mMax = hzToMidi(range[1]);
      for (let i = 0; i < n; i++) output[outOffset + i] = midiToHz(mMin + (mMax - mMin) * input[inOffset + i]);
      return;
    }
  }
}

/** Scales a whole array (allocates the result). */
export function scaleArray(x: Float32Array, scale: ScaleType, range: readonly [number, number]): Float32Array {
  const out = new Float32Array(x.length);
  scaleInto(x, 0, out, 0, x.length, scale, range);
  return out;
}

/** Throws a RangeError unless `x` is a finite number. `what` names the argument in the message. */
export function assertFinite(x: number, what: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${what} must be a finite number, got ${x}`);
}

/** Throws a RangeError unless `x` is an integer in [min, max]. */
export function assertInt(x: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    throw new RangeError(`${what} must be an integer in [${min}, ${max}], got ${x}`);
  }
}

/** Throws a TypeError unless `a` is a Float32Array of length `n` (or at least `n` if `atLeast`). */
export function assertArray(a: unknown, what: string, n: number, atLeast = false): asserts a is Float32Array {
  if (!(a instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (atLeast ? a.length < n : a.length !== n) {
    throw new RangeError(`${what} must have ${atLeast ? 'at least ' : ''}${n} values, got ${a.length}`);
  }
}

/** Throws a RangeError naming the first non-finite value of `a` (index) if there is one. */
export function assertAllFinite(a: Float32Array, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new RangeError(`${what}[${i}] must be finite, got ${a[i]}`);
  }
}
