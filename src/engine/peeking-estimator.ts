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
 * evaluated ones reuses A and B (same inputs, same outputs: they are not evaluated again), and a frame instant whose
 * features equal B's commits B's own result (B is that frame from that state): a steady note costs one evaluation
 * per model frame.
 *
 * @packageDocumentation
 */
import type { EstimatorRuntime } from '../estimator/realtime';
import { QUANTUM } from './framer';

/** Evaluations a tick may need (see {@link PeekingEstimator.planTick}). */
export const EVAL_COMMIT = 1;
export const EVAL_A = 2;
export const EVAL_B = 4;

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
  /** The GRU state after B's evaluation (committed as it is when the next frame instant has B's features). */
  private readonly stateB: Float32Array;
  /** False until B has been evaluated since the last commit. */
  private fresh = false;
  /** Features of the last evaluation (f0 Hz, loudness dB); NaN = none yet. */
  private readonly last = new Float64Array([NaN, NaN]);
  private tick = 0;
  /** Evaluations of the tick in progress (planTick → finishTick), and whether it commits B's result. */
  private need = 0;
  private commitB = false;
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
    this.stateB = new Float32Array(H);
  }

  /** Runs the next tick with f0 = f0Hz[index] (Hz, held and shifted) and loudness = loudnessDb[index] (dB). */
  tickFrom(f0Hz: Float32Array, loudnessDb: Float32Array, index: number): void {
    const need = this.planTick(f0Hz, loudnessDb, index);
    if (need !== 0) {
      // The runtime's own state (another user of it, the audio path, keeps its state) around the evaluations.
      const est = this.est;
      this.saved.set(est.hiddenState);
      for (let which = EVAL_COMMIT; which <= EVAL_B; which <<= 1) {
        if ((need & which) === 0) continue;
        est.setHiddenState(this.stateFor(which));
        est.beginFrom(f0Hz, loudnessDb, index);
        est.step(Infinity);
        this.take(which, est.output, est.hiddenState);
      }
      est.setHiddenState(this.saved);
    }
    this.finishTick();
  }

  /**
   * First half of a tick (f0 = f0Hz[index], loudness = loudnessDb[index]): which evaluations it needs, a mask of
   * EVAL_COMMIT (frame m + 1 taken at a frame instant: from the committed state, whose successor it commits),
   * EVAL_A (frame m with new features, from the state before the last commit) and EVAL_B (frame m + 1 with new
   * features, from the committed state); 0 when the last ones still hold. The caller runs each from
   * stateFor(which) with these features (alone, or batched with other voices), hands the results to take(), then
   * calls finishTick().
   */
  planTick(f0Hz: Float32Array, loudnessDb: Float32Array, index: number): number {
    const last = this.last;
    const f0 = f0Hz[index];
    const loudness = loudnessDb[index];
    const changed = f0 !== last[0] || loudness !== last[1];
    let need = 0;
    this.commitB = false;
    if (this.tick === this.commitTick) {
      if (this.fresh && !changed) this.commitB = true;
      else need = EVAL_COMMIT;
    } else if (changed) {
      need = EVAL_A | EVAL_B;
    } else if (!this.fresh) {
      need = EVAL_B;
    }
    if (need !== 0) {
      last[0] = f0;
      last[1] = loudness;
    }
    this.need = need;
    return need;
  }

  /** The GRU state evaluation `which` starts from (EVAL_A: before the last commit; else the committed one). */
  stateFor(which: number): Float32Array {
    return which === EVAL_A ? this.previous : this.committed;
  }

  /** The outputs of evaluation `which` and, for EVAL_COMMIT, the GRU state after it. */
  take(which: number, output: Float32Array, state: Float32Array): void {
    if (which === EVAL_COMMIT) {
      this.previous.set(this.committed);
      this.committed.set(state);
      this.frameA.set(output);
    } else if (which === EVAL_A) {
      this.frameA.set(output);
    } else {
      this.frameB.set(output);
      this.stateB.set(state);
    }
  }

  /** Second half of a tick: `output` from the evaluations taken. */
  finishTick(): void {
    const out = this.output;
    if (this.commitB) {
      // B, evaluated since the last commit from the committed state with these features, is this frame.
      this.previous.set(this.committed);
      this.committed.set(this.stateB);
      this.frameA.set(this.frameB);
    }
    if (this.commitB || (this.need & EVAL_COMMIT) !== 0) {
      // Frame m + 1 taken now: B at w = 1, and A of the next interval at w = 0.
      out.set(this.frameA);
      this.fresh = false;
      this.lastCommit = this.tick;
      this.commitTick += this.commitSteps[this.frame % this.commitSteps.length];
      this.frame++;
      this.tick++;
      return;
    }
    if ((this.need & EVAL_B) !== 0) this.fresh = true;
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
    this.need = 0;
    this.commitB = false;
    this.frame = 0;
    this.lastCommit = 0;
    this.commitTick = 0;
  }
}
