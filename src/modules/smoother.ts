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
  /** Current value (the value of the last sample produced). */
  value: number;
  private target: number;
  private step = 0;
  private remaining = 0;
  private readonly rampSamples: number;

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
    if (!Number.isFinite(target) || target === this.target) return;
    this.target = target;
    this.remaining = this.rampSamples;
    this.step = (target - this.value) / this.rampSamples;
  }

  /** Jumps to `v` at once (reset). */
  setImmediate(v: number): void {
    if (!Number.isFinite(v)) return;
    this.value = v;
    this.target = v;
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
    for (let i = 0; i < n; i++) x[offset + i] *= this.next();
  }
}
