// Notes through the processor (stubbed worklet scope, Node): events sent as DDSPNode sends them (event-messages.ts)
// land on the engine sample their context frame names, whatever quantum carried the message and wherever the
// context's frame count started; the output equals a StreamingEngine given the same notes directly.
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';
import {
  NOW_FRAME, pushAllNotesOff, pushMidi, pushNoteOff, pushNoteOn, type EventsMessage,
} from '../../src/web/event-messages';
import type { DDSPProcessor as DDSPProcessorClass } from '../../worklet/ddsp-processor';
import { maxAbsDiff } from '../browser/harness';
import { SAMPLE_RATE, rms, smallModelBytes } from '../browser/fixture-model';
import { defaultParams, loadProcessor, type FakePort } from './worklet-stubs';

const Q = 128;
let Processor: typeof DDSPProcessorClass;
beforeAll(async () => {
  Processor = await loadProcessor(new Map(), SAMPLE_RATE);
});

function params(): Record<string, Float32Array> {
  const p = defaultParams(Processor);
  p.mode[0] = 2; // notes
  return p;
}

function eventsMessage(push: (ev: number[]) => void): EventsMessage {
  const ev: number[] = [];
  push(ev);
  return { type: 'events', data: Float64Array.from(ev) };
}

/**
 * Runs `quanta` quanta of the processor (notes mode), the scope's frame count starting at `firstFrame`; before
 * quantum q, delivers the messages `at[q]`. Returns the output.
 */
function runProcessor(bytes: Uint8Array, quanta: number, firstFrame: number, at: Map<number, EventsMessage[]>, voices?: number) {
  const proc = new Processor({ parameterData: { mode: 2 }, processorOptions: { voices } } as never);
  const port = proc.port as unknown as FakePort;
  port.deliver({ type: 'load', id: 1, model: readModel(bytes) });
  const g = globalThis as unknown as { currentFrame: number };
  const out = new Float32Array(quanta * Q);
  const outQ = [[new Float32Array(Q)]];
  const p = params();
  for (let q = 0; q < quanta; q++) {
    g.currentFrame = firstFrame + q * Q;
    for (const m of at.get(q) ?? []) proc.onMessage(m);
    proc.process([[]], outQ, p);
    out.set(outQ[0][0], q * Q);
  }
  g.currentFrame = 0;
  return { out, proc, port };
}

describe('notes through the processor', () => {
  const bytes = smallModelBytes();
  const model = readModel(bytes);

  it('events land on their frame (off the quantum grid, sent quanta ahead or in the quantum before): = the engine given the notes directly', () => {
    const quanta = 200;
    for (const firstFrame of [0, 1_000_000 + 17]) {
      const f = (sample: number) => firstFrame + sample; // the context frame of output sample `sample`
      const at = new Map<number, EventsMessage[]>([
        // a chord, sent 10 quanta early; a note off a quantum later, sent in the quantum before it lands
        [0, [eventsMessage((ev) => {
          pushNoteOn(ev, 60, 100, f(1337));
          pushNoteOn(ev, 64, 90, f(1338));
          pushNoteOn(ev, 67, 80, f(2000));
        })]],
        [60, [eventsMessage((ev) => pushNoteOff(ev, 64, f(61 * Q + 77)))]],
        // raw MIDI: a note on channel 2 with a bend, then its note off, and all notes off
        [80, [eventsMessage((ev) => {
          pushMidi(ev, [0x92, 71, 110], f(80 * Q + 5));
          pushMidi(ev, [0xe2, 0, 80], f(90 * Q + 3));
        })]],
        [120, [eventsMessage((ev) => pushMidi(ev, [0x82, 71, 0], f(130 * Q + 127)))]],
        [150, [eventsMessage((ev) => pushAllNotesOff(ev, f(150 * Q + 64)))]],
      ]);
      const { out } = runProcessor(bytes, quanta, firstFrame, at, 4);

      const engine = new StreamingEngine(model, { sampleRate: SAMPLE_RATE, mode: 'notes', voices: 4 });
      const ref = new Float32Array(quanta * Q);
      const refOut = new Float32Array(Q);
      for (let q = 0; q < quanta; q++) {
        const t = q * Q;
        if (q === 0) {
          engine.noteOn(60, 100, 1337, 0);
          engine.noteOn(64, 90, 1338, 0);
          engine.noteOn(67, 80, 2000, 0);
        }
        if (q === 61) engine.noteOff(64, 61 * Q + 77, 0);
        if (q === 80) engine.midi(new Uint8Array([0x92, 71, 110]), t + 5);
        if (q === 90) engine.midi(new Uint8Array([0xe2, 0, 80]), t + 3);
        if (q === 130) engine.midi(new Uint8Array([0x82, 71, 0]), t + 127);
        if (q === 150) engine.allNotesOff(t + 64);
        engine.process(null, refOut, Q, 0, 0);
        ref.set(refOut, t);
      }
      expect(rms(ref.subarray(20 * Q, 60 * Q))).toBeGreaterThan(1e-3); // the chord sounds
      expect(maxAbsDiff(out, ref), `first frame ${firstFrame}`).toBe(0);
    }
  });

  it('a note without a time (NOW_FRAME) and one in the past land on the first sample of the next quantum', () => {
    const at = new Map([[10, [eventsMessage((ev) => {
      pushNoteOn(ev, 60, 100, NOW_FRAME);
      pushNoteOn(ev, 67, 100, 3); // frame 3: long past
    })]]]);
    const { out } = runProcessor(bytes, 40, 500, at);
    const engine = new StreamingEngine(model, { sampleRate: SAMPLE_RATE, mode: 'notes' });
    const ref = new Float32Array(40 * Q);
    const block = new Float32Array(Q);
    for (let q = 0; q < 40; q++) {
      if (q === 10) {
        engine.noteOn(60, 100, 10 * Q, 0);
        engine.noteOn(67, 100, 10 * Q, 0);
      }
      engine.process(null, block, Q, 0, 0);
      ref.set(block, q * Q);
    }
    expect(rms(out.subarray(0, 10 * Q))).toBe(0);
    expect(rms(out.subarray(12 * Q))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(out, ref)).toBe(0);
  });

  it('a full queue says how many events it dropped; a malformed events message is refused; sync answers; reset clears', () => {
    const { proc, port } = runProcessor(bytes, 1, 0, new Map());
    const many = new Float64Array(9000 * 5);
    for (let i = 0; i < 9000; i++) many.set([1, 1e6 + i, 60, 100, 0], i * 5);
    expect(port.deliver({ type: 'events', data: many })).toEqual({
      type: 'error',
      error: { code: 'BAD_REQUEST', message: '808 note/MIDI event(s) dropped: 8192 events are already waiting (the most the processor holds)' },
    });
    expect(port.deliver({ type: 'events', data: new Float64Array(7) })).toEqual({
      type: 'error', error: { code: 'BAD_REQUEST', message: 'an events message needs a Float64Array of whole events' },
    });
    expect(port.deliver({ type: 'sync', id: 5 })).toEqual({ id: 5, result: null });
    expect(proc.events.count).toBe(8192);
    expect(port.deliver({ type: 'reset', id: 6 })).toEqual({ id: 6, result: null });
    expect(proc.events.count).toBe(0);
  });
});
