/**
 * Control mode's estimator schedule, shared by the stream (ModelPipeline's control path) and the batch reference
 * (resynthesize with ticks). Features arrive once per render quantum (tick j at stream sample 128·j); the
 * estimator is evaluated at every tick from the GRU state committed at the model's last frame instant, with the
 * tick's features: exactly the output the model would give for a frame taken at that instant. The state is
 * committed only at the model's frame instants (frame m at tick round(m·hop/128), hop in context samples), so the
 * recurrence runs at the rate it was trained at. A tick whose features equal the last evaluated ones and that
 * commits nothing repeats the last output (same inputs, same output: it is not evaluated again).
 *
 * @packageDocumentation
 */
import type { EstimatorRuntime } from '../estimator/realtime';
import { QUANTUM } from './framer';

export class PeekingEstimator {
  /** Params of the last tick (estimator sigmoid outputs). */
  readonly output: Float32Array;
  private readonly est: EstimatorRuntime;
  /**
   * Ticks from one commit to the next, per model frame modulo their count: round((m + 1)·t) − round(m·t) with
   * t = hop/128 ticks per frame, tabulated over the period after which t·m is whole again (integers on the audio
   * thread: docs/architecture.md, "Numbers on the audio path").
   */
  private readonly commitSteps: Int32Array;
  /** GRU state committed at the last frame instant. */
  private readonly committed: Float32Array;
  /** The estimator's own state around a tick (another user of the runtime, the audio path, keeps its state). */
  private readonly saved: Float32Array;
  /** Features of the last evaluation (f0 Hz, loudness dB); NaN = none yet. */
  private readonly last = new Float64Array([NaN, NaN]);
  private tick = 0;
  /** Next model frame to commit, and its tick. */
  private frame = 0;
  private commitTick = 0;

  /** @param hopContext the model's hop at the context rate (contextRate / model frame rate), samples */
  constructor(est: EstimatorRuntime, hopContext: number) {
    if (!(hopContext > 0 && hopContext < Infinity)) throw new RangeError(`hopContext must be a positive number of samples, got ${hopContext}`);
    this.est = est;
    const t = hopContext / QUANTUM;
    let period = 1;
    while (period < 4096 && Math.abs(period * t - Math.round(period * t)) > 1e-9) period++;
    this.commitSteps = Int32Array.from({ length: period }, (_, m) => Math.round((m + 1) * t) - Math.round(m * t));
    this.output = new Float32Array(est.output.length);
    this.committed = new Float32Array(est.spec.hiddenSize);
    this.saved = new Float32Array(est.spec.hiddenSize);
  }

  /** Runs the next tick with f0 = f0Hz[index] (Hz, held and shifted) and loudness = loudnessDb[index] (dB). */
  tickFrom(f0Hz: Float32Array, loudnessDb: Float32Array, index: number): void {
    const commit = this.tick === this.commitTick;
    const last = this.last;
    if (commit || f0Hz[index] !== last[0] || loudnessDb[index] !== last[1]) {
      const est = this.est;
      this.saved.set(est.hiddenState);
      est.setHiddenState(this.committed);
      est.beginFrom(f0Hz, loudnessDb, index);
      est.step(Infinity);
      this.output.set(est.output);
      if (commit) this.committed.set(est.hiddenState);
      est.setHiddenState(this.saved);
      last[0] = f0Hz[index];
      last[1] = loudnessDb[index];
    }
    if (commit) {
      this.commitTick += this.commitSteps[this.frame % this.commitSteps.length];
      this.frame++;
    }
    this.tick++;
  }

  /** Back to the start: fresh GRU state, tick 0. */
  reset(): void {
    this.committed.fill(0);
    this.last[0] = NaN;
    this.last[1] = NaN;
    this.tick = 0;
    this.frame = 0;
    this.commitTick = 0;
  }
}
