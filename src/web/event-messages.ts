// Note and MIDI events from DDSPNode (page) to its processor (render thread): their encoding, their checks, and
// the page's time conversions. The processor's side is worklet/event-queue.ts.
//
// An event is EVENT_SLOTS numbers — kind, frame, then up to three integer arguments — so the events of one task
// travel as one Float64Array message and the processor copies them into a preallocated queue (no object per event
// on the render thread). `frame` is the context's sample frame the event lands on (time · sampleRate, rounded), or
// NOW_FRAME: the first sample the processor renders after the message arrives.

/** Numbers per event: kind, frame, then three arguments. */
export const EVENT_SLOTS = 5;

/** What an event is, and its arguments (a, b, c). */
export const EVENT_KIND = {
  /** a key 0–127, b velocity 1–127, c channel 0–15. */
  noteOn: 1,
  /** a key, c channel. */
  noteOff: 2,
  /** Every note released (held by the sustain pedal or not). */
  allNotesOff: 3,
  /** One MIDI channel message: a status byte 0x80–0xEF, b and c its data bytes (c unused by 0xC0–0xDF). */
  midi: 4,
} as const;

/** The frame of an event without a time: the first sample the processor renders once it has the event. */
export const NOW_FRAME = -1;

/** The message that carries events (no reply). `data` holds whole events, EVENT_SLOTS numbers each. */
export interface EventsMessage {
  type: 'events';
  data: Float64Array;
}

/** Data bytes of a channel message with this status byte (0x80–0xEF): 1 for program change and channel pressure. */
export function dataBytesOf(status: number): 1 | 2 {
  return (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
}

function checkInteger(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/**
 * The frame of a context time `time` (seconds on `currentTime`'s clock): `round(time · sampleRate)`; NOW_FRAME
 * when `time` is undefined. A time in the past lands on the next sample rendered.
 */
export function frameOf(time: number | undefined, sampleRate: number, name = 'time'): number {
  if (time === undefined) return NOW_FRAME;
  if (typeof time !== 'number' || !(time >= 0) || time === Infinity) {
    throw new RangeError(`${name} must be a context time in seconds (a finite number ≥ 0), got ${String(time)}`);
  }
  return Math.round(time * sampleRate);
}

/** What getOutputTimestamp() answers: the context time at the output when performance.now() was `performanceTime`. */
export interface OutputTimestamp {
  contextTime?: number;
  performanceTime?: number;
}

/**
 * The context time of a performance time `timestamp` (ms, performance.now()'s clock, as MIDIMessageEvent.timeStamp):
 * the time of the sample the output device plays at that instant, from one reading of `getOutputTimestamp()`
 * (contextTime + (timestamp − performanceTime) / 1000). That sample has already been rendered (it is the output
 * latency behind `currentTime`), so an event at a performance time up to now lands on the next sample rendered:
 * add a delay to the timestamp for events that keep their spacing exactly. Null when the context has no output
 * clock yet (not running: getOutputTimestamp answers zeros).
 */
export function contextTimeOf(timestamp: number, out: OutputTimestamp): number | null {
  const c = out.contextTime;
  const p = out.performanceTime;
  if (typeof c !== 'number' || typeof p !== 'number' || !(p > 0)) return null;
  return c + (timestamp - p) / 1000;
}

/**
 * Appends the channel messages of raw MIDI bytes `data` (one message or several, running status allowed) to
 * `events` at `frame`. System messages (0xF0–0xFF: SysEx, clock, active sensing…) carry nothing a voice plays and
 * are skipped with their data bytes; so are data bytes without a status. Throws a RangeError naming `name` for a
 * value that is not a byte.
 */
export function pushMidi(events: number[], data: ArrayLike<number>, frame: number, name = 'data'): void {
  let status = 0; // running status; 0 = none (after a system message or at the start)
  let need = 0;
  let d1 = 0;
  let have = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new RangeError(`${name}[${i}] must be a MIDI byte (an integer in [0, 255]), got ${String(b)}`);
    }
    if (b >= 0xf8) continue; // system realtime: may sit anywhere, even inside a message
    if (b >= 0x80) {
      status = b < 0xf0 ? b : 0;
      need = b < 0xf0 ? dataBytesOf(b) : 0;
      have = 0;
      continue;
    }
    if (status === 0) continue;
    if (have === 0) d1 = b;
    have++;
    if (have === need) {
      events.push(EVENT_KIND.midi, frame, status, d1, need === 2 ? b : 0);
      have = 0;
    }
  }
}

/** Appends a note on (key 0–127, velocity 1–127, channel 0–15) to `events`, checking its arguments. */
export function pushNoteOn(events: number[], key: number, velocity: number, frame: number, channel = 0): void {
  checkInteger('key', key, 0, 127);
  checkInteger('velocity', velocity, 1, 127);
  checkInteger('channel', channel, 0, 15);
  events.push(EVENT_KIND.noteOn, frame, key, velocity, channel);
}

/** Appends a note off to `events`, checking its arguments. */
export function pushNoteOff(events: number[], key: number, frame: number, channel = 0): void {
  checkInteger('key', key, 0, 127);
  checkInteger('channel', channel, 0, 15);
  events.push(EVENT_KIND.noteOff, frame, key, 0, channel);
}

/** Appends an all-notes-off to `events`. */
export function pushAllNotesOff(events: number[], frame: number): void {
  events.push(EVENT_KIND.allNotesOff, frame, 0, 0, 0);
}
