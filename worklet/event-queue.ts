// The processor's queue of note and MIDI events (src/web/event-messages.ts encodes them on the page): preallocated,
// sorted by frame, events of one frame in arrival order. The port handler inserts (between quanta); process() takes
// the events due in a block from the head. Nothing here allocates: the moves are plain loops (with
// TypedArray.copyWithin, test/web/processor-events-alloc.test.ts measured 12–23 bytes per quantum).
import { EVENT_SLOTS } from '../src/web/event-messages';

/** Events the queue holds: a MIDI file's worth of notes scheduled ahead, or minutes of live playing. */
export const QUEUE_CAPACITY = 8192;

export class EventQueue {
  /** The events, EVENT_SLOTS numbers each, sorted by frame (slot 1); `count` of them from index 0. */
  readonly data = new Float64Array(QUEUE_CAPACITY * EVENT_SLOTS);
  count = 0;

  /**
   * Inserts the whole events of `src` (a message's data). `nowFrame` is a frame already rendered (the scope's
   * currentFrame): NOW_FRAME events and events in the past are set to it, so all of them land on the next sample
   * rendered, in the order they were sent. Returns how many did not fit (dropped: the queue is full).
   */
  insert(src: Float64Array, nowFrame: number): number {
    const n = Math.floor(src.length / EVENT_SLOTS);
    const d = this.data;
    let dropped = 0;
    for (let e = 0; e < n; e++) {
      if (this.count === QUEUE_CAPACITY) {
        dropped++;
        continue;
      }
      const s = e * EVENT_SLOTS;
      const f = src[s + 1];
      const frame = f < nowFrame ? nowFrame : f; // NOW_FRAME is below every frame
      // after every event of a frame ≤ this one (most events arrive in time order: the loop runs once)
      let i = this.count;
      while (i > 0 && d[(i - 1) * EVENT_SLOTS + 1] > frame) i--;
      for (let j = this.count * EVENT_SLOTS - 1; j >= i * EVENT_SLOTS; j--) d[j + EVENT_SLOTS] = d[j];
      const t = i * EVENT_SLOTS;
      d[t] = src[s];
      d[t + 1] = frame;
      d[t + 2] = src[s + 2];
      d[t + 3] = src[s + 3];
      d[t + 4] = src[s + 4];
      this.count++;
    }
    return dropped;
  }

  /** How many events at the head fall before frame `end`. */
  dueBefore(end: number): number {
    const d = this.data;
    let k = 0;
    while (k < this.count && d[k * EVENT_SLOTS + 1] < end) k++;
    return k;
  }

  /** Removes the first `k` events. */
  drop(k: number): void {
    const d = this.data;
    const end = this.count * EVENT_SLOTS;
    for (let j = k * EVENT_SLOTS; j < end; j++) d[j - k * EVENT_SLOTS] = d[j];
    this.count -= k;
  }

  clear(): void {
    this.count = 0;
  }
}
