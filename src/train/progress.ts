/**
 * How fast a run goes, for the progress the trainers report (Node: the progress bar, train.log and TensorBoard's
 * `time/*` scalars; the page: onProgress). No Node APIs.
 */

/** Steps the rate is measured over: long enough that a validation pass does not make it jump. */
const WINDOW = 100;

/**
 * Wall-clock time per step over the last 100 steps (WINDOW) (from one step's end to the next, so validation and
 * checkpoints are included: what the time left depends on).
 */
export class StepTimer {
  /** End times of the last steps (seconds), a ring; slot 0 starts as the run's start. */
  private readonly ends = new Float64Array(WINDOW + 1);
  private count = 0;

  /** @param startSeconds when the first step started */
  constructor(startSeconds: number) { this.ends[0] = startSeconds; }

  /** Records that a step ended at `seconds`. */
  tick(seconds: number): void {
    this.count++;
    this.ends[this.count % (WINDOW + 1)] = seconds;
  }

  /** Mean seconds per step over the window; NaN before the first step. */
  get secondsPerStep(): number {
    if (this.count === 0) return NaN;
    const n = Math.min(this.count, WINDOW);
    return (this.ends[this.count % (WINDOW + 1)] - this.ends[(this.count - n) % (WINDOW + 1)]) / n;
  }
}

/** A duration for people: `45s`, `3m 05s`, `2h 07m`, `3d 04h`; `?` when unknown (NaN, unbounded). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const two = (v: number) => String(v).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${two(Math.floor((s % 86400) / 3600))}h`;
}
