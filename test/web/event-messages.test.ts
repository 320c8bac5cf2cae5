// The note and MIDI events between DDSPNode and its processor: the page's encoding and checks
// (src/web/event-messages.ts) and the processor's queue (worklet/event-queue.ts).
import { describe, expect, it } from 'vitest';
import {
  EVENT_KIND, EVENT_SLOTS, NOW_FRAME, contextTimeOf, dataBytesOf, frameOf, pushAllNotesOff, pushMidi, pushNoteOff,
  pushNoteOn,
} from '../../src/web/event-messages';
import { QUEUE_CAPACITY, EventQueue } from '../../worklet/event-queue';

const { noteOn, noteOff, allNotesOff, midi } = EVENT_KIND;

describe('note events (page side)', () => {
  it('frameOf: context seconds → the nearest frame; undefined → NOW_FRAME; a bad time is a RangeError', () => {
    expect(frameOf(0, 48000)).toBe(0);
    expect(frameOf(0.5, 48000)).toBe(24000);
    expect(frameOf(1.0000104, 48000)).toBe(48000); // 0.4992 of a frame past 48000
    expect(frameOf(1.0000105, 48000)).toBe(48001); // 0.504 of a frame
    expect(frameOf(0.1, 44100)).toBe(4410);
    expect(frameOf(undefined, 48000)).toBe(NOW_FRAME);
    for (const bad of [-0.001, NaN, Infinity, '1' as unknown as number]) {
      expect(() => frameOf(bad, 48000)).toThrow(RangeError);
    }
    expect(() => frameOf(-1, 48000)).toThrow('time must be a context time in seconds (a finite number ≥ 0), got -1');
  });

  it('contextTimeOf: performance ms → the output clock of one getOutputTimestamp reading; null without a clock', () => {
    const out = { contextTime: 10, performanceTime: 5000 };
    expect(contextTimeOf(5000, out)).toBe(10);
    expect(contextTimeOf(5012.5, out)).toBeCloseTo(10.0125, 12);
    expect(contextTimeOf(4990, out)).toBeCloseTo(9.99, 12);
    // a context that is not running answers zeros (Chromium) or nothing
    expect(contextTimeOf(5000, { contextTime: 0, performanceTime: 0 })).toBeNull();
    expect(contextTimeOf(5000, {})).toBeNull();
  });

  it('typed notes: checked arguments, EVENT_SLOTS numbers each', () => {
    const ev: number[] = [];
    pushNoteOn(ev, 60, 100, 480);
    pushNoteOn(ev, 64, 1, 481, 15);
    pushNoteOff(ev, 60, 960);
    pushAllNotesOff(ev, NOW_FRAME);
    expect(ev).toEqual([noteOn, 480, 60, 100, 0, noteOn, 481, 64, 1, 15, noteOff, 960, 60, 0, 0, allNotesOff, -1, 0, 0, 0]);
    expect(ev.length).toBe(4 * EVENT_SLOTS);
    expect(() => pushNoteOn(ev, 128, 100, 0)).toThrow('key must be an integer in [0, 127], got 128');
    expect(() => pushNoteOn(ev, 60, 0, 0)).toThrow('velocity must be an integer in [1, 127], got 0');
    expect(() => pushNoteOn(ev, 60, 100.5, 0)).toThrow('velocity must be an integer in [1, 127], got 100.5');
    expect(() => pushNoteOn(ev, 60, 100, 0, 16)).toThrow('channel must be an integer in [0, 15], got 16');
    expect(() => pushNoteOff(ev, -1, 0)).toThrow(RangeError);
    expect(ev.length).toBe(4 * EVENT_SLOTS); // nothing appended by a refused call
  });

  it('raw MIDI: split into channel messages, running status, system messages skipped, bad bytes refused', () => {
    expect(dataBytesOf(0x90)).toBe(2);
    expect(dataBytesOf(0xc3)).toBe(1);
    expect(dataBytesOf(0xd0)).toBe(1);
    expect(dataBytesOf(0xe1)).toBe(2);
    const ev: number[] = [];
    pushMidi(ev, new Uint8Array([0x91, 60, 100]), 7);
    expect(ev).toEqual([midi, 7, 0x91, 60, 100]);
    ev.length = 0;
    // note on, running status (a second note on), a clock byte inside the message, channel pressure, pitch bend
    pushMidi(ev, [0x90, 60, 100, 64, 90, 0xd2, 0xf8, 70, 0xe2, 0, 64], 0);
    expect(ev).toEqual([midi, 0, 0x90, 60, 100, midi, 0, 0x90, 64, 90, midi, 0, 0xd2, 70, 0, midi, 0, 0xe2, 0, 64]);
    ev.length = 0;
    // SysEx and its data, then data bytes without a status, then an incomplete message: nothing
    pushMidi(ev, [0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7, 5, 6, 0x80, 60], 0);
    expect(ev).toEqual([]);
    expect(() => pushMidi(ev, [0x90, 60, 256], 0)).toThrow('data[2] must be a MIDI byte (an integer in [0, 255]), got 256');
    expect(() => pushMidi(ev, [0x90, 60.5, 1], 0)).toThrow(RangeError);
  });
});

describe('event queue (processor side)', () => {
  /** Events as [kind, frame, a] triples, head first. */
  function contents(q: EventQueue): number[][] {
    const r: number[][] = [];
    for (let i = 0; i < q.count; i++) r.push([q.data[i * EVENT_SLOTS], q.data[i * EVENT_SLOTS + 1], q.data[i * EVENT_SLOTS + 2]]);
    return r;
  }
  function events(...e: [number, number, number][]): Float64Array {
    const d = new Float64Array(e.length * EVENT_SLOTS);
    e.forEach(([k, f, a], i) => d.set([k, f, a, 100, 0], i * EVENT_SLOTS));
    return d;
  }

  it('keeps events sorted by frame, one frame in arrival order; NOW and past events land at the given frame', () => {
    const q = new EventQueue();
    expect(q.insert(events([noteOn, 1000, 60], [noteOn, 500, 62], [noteOff, 1000, 60]), 0)).toBe(0);
    expect(q.insert(events([noteOn, 1000, 64], [noteOn, NOW_FRAME, 65], [noteOff, 100, 62]), 300)).toBe(0);
    expect(contents(q)).toEqual([
      [noteOn, 300, 65], [noteOff, 300, 62], [noteOn, 500, 62], [noteOn, 1000, 60], [noteOff, 1000, 60], [noteOn, 1000, 64],
    ]);
    expect(q.dueBefore(300)).toBe(0);
    expect(q.dueBefore(428)).toBe(2);
    expect(q.dueBefore(1001)).toBe(6);
    q.drop(2);
    expect(contents(q)[0]).toEqual([noteOn, 500, 62]);
    expect(q.count).toBe(4);
    q.clear();
    expect(q.count).toBe(0);
  });

  it(`holds ${QUEUE_CAPACITY} events and says how many more it dropped`, () => {
    const q = new EventQueue();
    const many = new Float64Array((QUEUE_CAPACITY + 3) * EVENT_SLOTS);
    for (let i = 0; i < QUEUE_CAPACITY + 3; i++) many.set([noteOn, QUEUE_CAPACITY + 3 - i, 60], i * EVENT_SLOTS);
    expect(q.insert(many, 0)).toBe(3);
    expect(q.count).toBe(QUEUE_CAPACITY);
    // the events kept are sorted (inserted in reverse order)
    expect(q.data[1]).toBe(4);
    expect(q.data[(QUEUE_CAPACITY - 1) * EVENT_SLOTS + 1]).toBe(QUEUE_CAPACITY + 3);
  });
});
