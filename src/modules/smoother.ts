/**
 * Per-sample smoothing of user controls (harmonicGain, noiseGain, reverbMix): a linear ramp of fixed length
 * (default 5 ms) from the current value to the new target, so a jump never clicks. A control that never changes is
 * exactly constant (no ramp from a different start value), so batch renders with constant controls equal the
 * stream.
 *
 * @packageDocumentation
 */

/** Default ramp length of the control smoothing, in seconds. */
export const CONTROL_RAMP_SECONDS = 0.005;

/** Linear-ramp smoother. Audio-thread safe: no allocation after construction, never throws. */
export class LinearSmoother {
  // Numeric initialisers on every field that later takes fractions: a field declared without one starts as
  // `undefined`, V8 then types it "any value", and every store of a fractional number allocates a heap number.
  /** Current value (the value of the last sample produced). */
  value = 0;
  private target = 0;
  private step = 0;
  private remaining = 0;
  private readonly rampSamples: number;
  /** The value handed to apply(). */
  private readonly io = new Float64Array(1);

  /**
   * @param initial     the value from the first sample on (no ramp)
   * @param rampSamples length of a ramp in samples (≥ 1)
   */
  constructor(initial: number, rampSamples: number) {
    this.value = initial;
    this.target = initial;
    this.rampSamples = Math.max(1, Math.round(rampSamples));
  }

  /** Starts a ramp to `target` (ignored if not finite). */
  setTarget(target: number): void {
    this.io[0] = target;
    this.apply(false);
  }

  /** Jumps to `v` at once (ignored if not finite). */
  setImmediate(v: number): void {
    this.io[0] = v;
    this.apply(true);
  }

  /**
   * {@link setTarget} (or, if `immediate`, {@link setImmediate}) with the value read from `values[index]`: the
   * audio-thread form. In V8 a fractional number passed to a function that is not inlined is boxed (allocated) on
   * every call; one read from a typed array is not.
   */
  setFrom(values: Float64Array, index: number, immediate: boolean): void {
    this.io[0] = values[index];
    this.apply(immediate);
  }

  /** setTarget / setImmediate of this.io[0]. */
  private apply(immediate: boolean): void {
    const v = this.io[0];
    if (!Number.isFinite(v)) return;
    if (immediate) {
      this.value = v;
      this.target = v;
      this.remaining = 0;
      this.step = 0;
      return;
    }
    if (v === this.target) return;
    this.target = v;
    this.remaining = this.rampSamples;
    this.step = (v - this.value) / this.rampSamples;
  }

  /** Ends a ramp in progress at once: value = target (used by the modules' reset(), which keeps the controls). */
  settle(): void {
    this.value = this.target;
    this.remaining = 0;
    this.step = 0;
  }

  /** True while a ramp is in progress. */
  get ramping(): boolean {
    return this.remaining > 0;
  }

  /** Advances one sample and returns the value for it. */
  next(): number {
    if (this.remaining > 0) {
      this.remaining--;
      this.value = this.remaining === 0 ? this.target : this.value + this.step;
    }
    return this.value;
  }

  /** Multiplies x[offset .. offset+n) by the smoothed value in place, sample by sample. */
  applyGain(x: Float32Array, offset: number, n: number): void {
    if (this.remaining === 0) {
      const g = this.value;
      if (g === 1) return;
      for (let i = 0; i < n; i++) x[offset + i] *= g;
      return;
    }
    // next(), inlined by hand: a fractional number returned from a call V8 does not inline is allocated.
    let v = this.value;
    let r = this.remaining;
    const t = this.target;
    const step = this.step;
    for (let i = 0; i < n; i++) {
      if (r > 0) {
        r--;
        v = r === 0 ? t : v + step;
      }
      x[offset + i] *= v;
    }
    this.value = v;
    this.remaining = r;
  }

  /** Advances n samples, writing each sample's value (as {@link next} returns it) to out[0 .. n). */
  fill(out: Float64Array, n: number): void {
    let v = this.value;
    let r = this.remaining;
    const t = this.target;
    const step = this.step;
    for (let i = 0; i < n; i++) {
      if (r > 0) {
        r--;
        v = r === 0 ? t : v + step;
      }
      out[i] = v;
    }
    this.value = v;
    this.remaining = r;
  }
}
