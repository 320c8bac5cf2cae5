/**
 * Per-sample smoothing of user controls (harmonicMix, noiseMix, reverbMix): a linear ramp of fixed length
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
  // Numeric initialisers on every field (docs/architecture.md, "Numbers on the audio path").
  /** Current value (the value of the last sample produced). */
  value = 0;
  private target = 0;
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

  /**
   * Starts a ramp to `values[index]` or, if `immediate`, jumps to it at once (ignored if not finite). The value
   * arrives in a typed array: docs/architecture.md, "Numbers on the audio path".
   */
  setFrom(values: Float64Array, index: number, immediate: boolean): void {
    const v = values[index];
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

  /** Multiplies x[offset .. offset+n) by the smoothed value in place, sample by sample. */
  applyGain(x: Float32Array, offset: number, n: number): void {
    if (this.remaining === 0) {
      const g = this.value;
      if (g === 1) return;
      for (let i = 0; i < n; i++) x[offset + i] *= g;
      return;
    }
    // The ramp step inlined by hand (docs/architecture.md, "Numbers on the audio path").
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

  /** Advances n samples, writing each sample's value to out[0 .. n). */
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
