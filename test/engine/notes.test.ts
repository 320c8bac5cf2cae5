// Notes in: the event queue and its timing, the MIDI parser, voice allocation and stealing, the sustain pedal,
// MPE, and bad arguments (src/engine/note-events.ts, voices.ts, StreamingEngine's note calls).
import { describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { EVENT_CAPACITY, NoteEventQueue, parseMidiBytes, EV_NOTE_ON, EV_NOTE_OFF, EV_PITCH_BEND, EV_CONTROL } from '../../src/engine/note-events';
import { smallModel } from './helpers';

const SR = 48000;
const model = smallModel(4);

interface VoiceView { state: number; key: number; channel: number; qF0: Float32Array; nextTick: number }
/** The voice objects of an engine's current model (internal; states 0 free, 1 held, 2 sustained, 3 released, 4 fading). */
function voicesOf(e: StreamingEngine): VoiceView[] {
  return (e as unknown as { pipeline: { notes: { voices: VoiceView[] } } }).pipeline.notes.voices;
}
const sounding = (e: StreamingEngine): number[] =>
  voicesOf(e).filter((v) => v.state >= 1 && v.state <= 3).map((v) => v.key).sort((a, b) => a - b);

function run(e: StreamingEngine, samples: number, out = new Float32Array(samples)): Float32Array {
  for (let p = 0; p < samples; p += 128) e.process(null, out, Math.min(128, samples - p), 0, p);
  return out;
}

describe('note timing', () => {
  it('a note sounds from its sample + the 64-sample latency, whatever the block it lands in', () => {
    for (const t of [0, 1000, 1037, 1151]) {
      const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
      e.noteOn(69, 127, t);
      const out = run(e, 4096);
      let first = -1;
      for (let i = 0; i < out.length; i++) if (out[i] !== 0) { first = i; break; }
      expect(first).toBeGreaterThanOrEqual(t + 64);
      expect(first).toBeLessThan(t + 64 + 4);
      expect(e.sampleTime).toBe(4096);
    }
  });

  it('a note without a time, or with one in the past, starts at the next process() call', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    run(e, 1280);
    e.noteOn(69, 127, 5);
    const out = run(e, 1280);
    let first = -1;
    for (let i = 0; i < out.length; i++) if (out[i] !== 0) { first = i; break; }
    expect(first).toBeGreaterThanOrEqual(64);
    expect(first).toBeLessThan(68);
  });

  it('the queue keeps events in time order, and drops (and counts) those beyond its capacity', () => {
    const q = new NoteEventQueue();
    q.push(10, EV_NOTE_ON, 0, 60, 100);
    q.push(5, EV_NOTE_ON, 0, 62, 100);
    q.push(10, EV_NOTE_OFF, 0, 60, 0);
    const times = [];
    const kinds = [];
    while (q.length > 0) { times.push(q.time[q.first]); kinds.push(q.kind[q.first]); q.shift(); }
    expect(times).toEqual([5, 10, 10]);
    expect(kinds).toEqual([EV_NOTE_ON, EV_NOTE_ON, EV_NOTE_OFF]);
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    for (let i = 0; i < EVENT_CAPACITY + 76; i++) e.noteOn(60, 100, 1e6 + i);
    expect(e.diagnostics.droppedEvents).toBe(76);
  });
});

describe('MIDI bytes', () => {
  it('parses several messages, running status, note-on velocity 0 as note off; skips SysEx and realtime; counts malformed', () => {
    const q = new NoteEventQueue();
    const bad = parseMidiBytes([0xf0, 1, 2, 3, 0xf7, 0x90, 60, 100, 64, 0, 0xf8, 0xe1, 0, 0x40, 0xb0, 74, 10], 7, q);
    expect(bad).toBe(0);
    const got = [];
    while (q.length > 0) { const i = q.first; got.push([q.time[i], q.kind[i], q.channel[i], q.a[i], q.b[i]]); q.shift(); }
    expect(got).toEqual([
      [7, EV_NOTE_ON, 0, 60, 100], [7, EV_NOTE_OFF, 0, 64, 0], [7, EV_PITCH_BEND, 1, 0, 0], [7, EV_CONTROL, 0, 74, 10],
    ]);
    expect(parseMidiBytes([60, 100], 0, q)).toBe(1); // data without a status
    expect(parseMidiBytes([0x90, 60], 0, q)).toBe(1); // cut short
    expect(parseMidiBytes([0x90, 200, 1], 0, q)).toBe(1); // a data byte above 127
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    e.midi([0x90, 60]);
    e.midi(null as unknown as number[]);
    expect(e.diagnostics.malformedMidi).toBe(2);
  });
});

describe('voices', () => {
  it('take a free voice, then steal the oldest released, then the oldest held; a stolen voice fades out', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes', voices: 2 });
    e.noteOn(60, 100, 0);
    e.noteOn(64, 100, 128);
    run(e, 1280);
    expect(sounding(e)).toEqual([60, 64]);
    e.noteOn(67, 100); // both held: the oldest held (60) is stolen
    run(e, 128);
    expect(sounding(e)).toEqual([64, 67]);
    expect(voicesOf(e).filter((v) => v.state === 4).map((v) => v.key)).toEqual([60]);
    run(e, 512); // the fade (5 ms) is over
    expect(voicesOf(e).filter((v) => v.state === 4)).toEqual([]);
    e.noteOff(67);
    run(e, 128);
    e.noteOn(71, 100); // 67 released, 64 held: the released one is taken
    run(e, 128);
    expect(sounding(e)).toEqual([64, 71]);
    expect(e.notesSounding).toBe(2);
  });

  it('a released note ends when its release has reached the floor (150 ms), then costs nothing', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    e.noteOn(60, 100, 0);
    e.noteOff(60, 4800);
    run(e, 4800 + 7200 - 256);
    expect(e.notesSounding).toBe(1);
    run(e, 1024);
    expect(e.notesSounding).toBe(0);
    expect(voicesOf(e).every((v) => v.state === 0)).toBe(true);
  });

  it('the sustain pedal holds released notes until it is lifted; All Notes Off releases every note', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    e.midi([0xb0, 64, 127]);
    e.noteOn(60, 100);
    e.noteOn(64, 100);
    run(e, 1280);
    e.noteOff(60);
    run(e, 1280);
    expect(voicesOf(e).filter((v) => v.state === 2).map((v) => v.key)).toEqual([60]);
    e.midi([0xb0, 64, 0]);
    run(e, 128);
    expect(voicesOf(e).filter((v) => v.state === 3).map((v) => v.key)).toEqual([60]);
    e.allNotesOff();
    run(e, 128);
    expect(voicesOf(e).filter((v) => v.state === 1)).toEqual([]);
  });

  it('MPE: a zone set by RPN 6 gives member channels 48 semitones of bend, per note, plus the master\'s', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    e.midi([0xb0, 101, 0, 0xb0, 100, 6, 0xb0, 6, 15]); // lower zone, 15 members
    e.noteOn(60, 100, undefined, 1);
    e.noteOn(60, 100, undefined, 2);
    e.midi([0xe1, 0x7f, 0x7f]); // channel 2 (index 1): +8191 = +48 semitones
    e.midi([0xe0, 0x7f, 0x7f]); // master: +2 semitones for every member
    run(e, 256);
    const f0 = (ch: number): number => {
      const v = voicesOf(e).find((x) => x.state === 1 && x.channel === ch) as VoiceView;
      return v.qF0[(v.nextTick - 1) & 1];
    };
    expect(f0(1)).toBeCloseTo(Math.fround(440 * Math.pow(2, (60 + 50 - 69) / 12)), 2);
    expect(f0(2)).toBeCloseTo(Math.fround(440 * Math.pow(2, (60 + 2 - 69) / 12)), 3);
  });

  it('outside notes mode note-ons are counted, not played; the channel state is kept', () => {
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'control' });
    e.noteOn(60, 100);
    e.midi([0xb0, 101, 0, 0xb0, 100, 0, 0xb0, 6, 12]); // RPN 0: ±12 semitones on channel 1
    run(e, 256);
    expect(e.diagnostics.ignoredNotes).toBe(1);
    e.setMode('notes');
    e.noteOn(60, 100);
    e.midi([0xe0, 0x7f, 0x7f]);
    run(e, 512);
    const v = voicesOf(e).find((x) => x.state === 1) as VoiceView;
    expect(v.qF0[(v.nextTick - 1) & 1]).toBeCloseTo(Math.fround(440 * Math.pow(2, (72 - 69) / 12)), 2);
  });

  it('refuses bad arguments with RangeErrors naming them', () => {
    expect(() => new StreamingEngine(model, { sampleRate: SR, voices: 0 })).toThrow(/options\.voices must be an integer in \[1, 64\]/);
    expect(() => new StreamingEngine(model, { sampleRate: SR, voices: 65 })).toThrow(/options\.voices/);
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    expect(() => e.noteOn(128, 100)).toThrow(/key must be a number in \[0, 127\]/);
    expect(() => e.noteOn(60, -1)).toThrow(/velocity/);
    expect(() => e.noteOn(60, 100, NaN)).toThrow(/time must be a finite/);
    expect(() => e.noteOn(60, 100, 0, 16)).toThrow(/channel must be an integer in \[0, 15\]/);
    expect(() => e.noteOff(NaN)).toThrow(/key/);
  });
});
