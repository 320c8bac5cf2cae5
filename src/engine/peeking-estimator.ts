/**
 * Control mode's estimator schedule, shared by the stream (ModelPipeline's control path) and the batch reference
 * (resynthesize with ticks). Features arrive once per render quantum (tick j at stream sample 128·j). The GRU state
 * is committed only at the model's frame instants (frame m at tick c_m = round(m·hop/128), hop in context samples),
 * so the recurrence runs at the rate it was trained at. Between two instants the output is what the frame-rate synth
 * does between two frames — a linear interpolation from frame m to frame m + 1 — with both frames evaluated with
 * the tick's own features: at tick j in [c_m, c_{m+1}),
 *   A = the model's frame m (from the state before c_m) and B = its frame m + 1 (from the state committed at c_m),
 *   both with tick j's features, output = A + (B − A)·(j − c_m)/(c_{m+1} − c_m).
 * A change of the features reaches the output at the next tick (both frames see it); the state's own evolution is
 * spread over the frame as in audio mode, with no step at the frame instants. A tick whose features equal the last
 * evaluated ones reuses A and B (same inputs, same outputs: they are not evaluated again).
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
  /** GRU state committed at the last frame instant c_m, and the one before it. */
  private readonly committed: Float32Array;
  private readonly previous: Float32Array;
  /** The estimator's own state around a tick (another user of the runtime, the audio path, keeps its state). */
  private readonly saved: Float32Array;
  /** Outputs of frames m (A) and m + 1 (B) with the features of the last evaluation. */
  private readonly frameA: Float32Array;
  private readonly frameB: Float32Array;
  /** False until B has been evaluated since the last commit. */
  private fresh = false;
  /** Features of the last evaluation (f0 Hz, loudness dB); NaN = none yet. */
  private readonly last = new Float64Array([NaN, NaN]);
  private tick = 0;
  /** Next model frame to commit; the tick of the last commit and of the next. */
  private frame = 0;
  private lastCommit = 0;
  private commitTick = 0;

  /** @param hopContext the model's hop at the context rate (contextRate / model frame rate), samples */
  constructor(est: EstimatorRuntime, hopContext: number) {
    if (!(hopContext > 0 && hopContext < Infinity)) throw new RangeError(`hopContext must be a positive number of samples, got ${hopContext}`);
    this.est = est;
    const t = hopContext / QUANTUM;
    let period = 1;
    while (period < 4096 && Math.abs(period * t - Math.round(period * t)) > 1e-9) period++;
    // At least one tick per frame: a model hop shorter than a quantum commits once per tick.
    this.commitSteps = Int32Array.from({ length: period }, (_, m) => Math.max(1, Math.round((m + 1) * t) - Math.round(m * t)));
    const P = est.output.length;
    const H = est.spec.hiddenSize;
    this.output = new Float32Array(P);
    this.frameA = new Float32Array(P);
    this.frameB = new Float32Array(P);
    this.committed = new Float32Array(H);
    this.previous = new Float32Array(H);
    this.saved = new Float32Array(H);
  }

  /** Runs the next tick with f0 = f0Hz[index] (Hz, held and shifted) and loudness = loudnessDb[index] (dB). */
  tickFrom(f0Hz: Float32Array, loudnessDb: Float32Array, index: number): void {
    const est = this.est;
    const last = this.last;
    const changed = f0Hz[index] !== last[0] || loudnessDb[index] !== last[1];
    const out = this.output;
    if (this.tick === this.commitTick) {
      // Frame m + 1 taken now: B at w = 1, and A of the next interval at w = 0.
      this.saved.set(est.hiddenState);
      est.setHiddenState(this.committed);
      est.beginFrom(f0Hz, loudnessDb, index);
      est.step(Infinity);
      this.previous.set(this.committed);
      this.committed.set(est.hiddenState);
      est.setHiddenState(this.saved);
      this.frameA.set(est.output);
      out.set(est.output);
      this.fresh = false;
      last[0] = f0Hz[index];
      last[1] = loudnessDb[index];
      this.lastCommit = this.tick;
      this.commitTick += this.commitSteps[this.frame % this.commitSteps.length];
      this.frame++;
      this.tick++;
      return;
    }
    if (changed || !this.fresh) {
      this.saved.set(est.hiddenState);
      if (changed) {
        est.setHiddenState(this.previous);
        est.beginFrom(f0Hz, loudnessDb, index);
        est.step(Infinity);
        this.frameA.set(est.output);
      }
      est.setHiddenState(this.committed);
      est.beginFrom(f0Hz, loudnessDb, index);
      est.step(Infinity);
      this.frameB.set(est.output);
      est.setHiddenState(this.saved);
      this.fresh = true;
      last[0] = f0Hz[index];
      last[1] = loudnessDb[index];
    }
    const w = (this.tick - this.lastCommit) / (this.commitTick - this.lastCommit);
    const a = this.frameA;
    const b = this.frameB;
    for (let i = 0; i < out.length; i++) out[i] = a[i] + (b[i] - a[i]) * w;
    this.tick++;
  }

  /** Back to the start: fresh GRU state, tick 0. */
  reset(): void {
    this.committed.fill(0);
    this.previous.fill(0);
    this.fresh = false;
    this.last[0] = NaN;
    this.last[1] = NaN;
    this.tick = 0;
    this.frame = 0;
    this.lastCommit = 0;
    this.commitTick = 0;
  }
}
