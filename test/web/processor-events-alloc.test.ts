// Note and MIDI events, and one voice per input channel, cost the render thread no allocation: the real
// DDSPProcessor (stubbed worklet scope) around a real StreamingEngine with the fixtures' small model (hidden 32, 16 harmonics; the engine's own allocation test
// covers its notes at the default size — this one is about the processor's queue and dispatch), 8 voices, notes mode,
// taking an events message every few quanta (chords on and off through the typed events and raw MIDI: note on/off,
// pitch bend, channel pressure, CC74, sustain) and rendering them. Measured as test/web/processor-alloc.test.ts
// does (test/engine/heap-meter.ts): V8 new-space growth over 2000 quanta after V8 has optimised the code, < 1 byte
// per quantum. The message objects are built once and delivered again (a browser's port builds them off the
// measured path: the structured clone); what is measured is the processor's handling and the engine's playing.
//
// A file of its own, so the processor's call sites only ever see the one engine class, as in a worklet.
import { beforeAll, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { smallModel } from '../browser/fixture-model';
import { EVENT_KIND, EVENT_SLOTS, NOW_FRAME, type EventsMessage } from '../../src/web/event-messages';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { steadyBytesPerCall } from '../engine/heap-meter';
import { loadProcessor } from './worklet-stubs';

const SAMPLE_RATE = 48000;
const WARMUP_QUANTA = 6000;
const MEASURED_QUANTA = 2000;
const Q = 128;

let Processor: typeof DDSPProcessor;
const model = smallModel();
beforeAll(async () => {
  Processor = await loadProcessor(new Map(), SAMPLE_RATE);
});

/** An events message of `events` ([kind, frame offset from `base`, a, b, c]), its frames set by `at(base)`. */
function message(events: number[][]): { msg: EventsMessage; at(base: number): EventsMessage } {
  const data = new Float64Array(events.length * EVENT_SLOTS);
  events.forEach((e, i) => data.set(e, i * EVENT_SLOTS));
  const msg: EventsMessage = { type: 'events', data };
  return {
    msg,
    at(base: number) {
      for (let i = 0; i < events.length; i++) {
        const off = events[i][1];
        data[i * EVENT_SLOTS + 1] = off === NOW_FRAME ? NOW_FRAME : base + off;
      }
      return msg;
    },
  };
}

it('process() and the events messages allocate nothing per quantum (8 voices, chords, raw MIDI and MPE-style messages)', () => {
  const { noteOn, noteOff, allNotesOff, midi } = EVENT_KIND;
  const proc = new Processor({ parameterData: { mode: 2 }, processorOptions: { voices: 8 } } as never);
  proc.engine = new StreamingEngine(model, { sampleRate: SAMPLE_RATE, mode: 'notes', voices: 8 });
  const params: Record<string, Float32Array> = {
    pitchShift: new Float32Array([0]), harmonicMix: new Float32Array([1]), noiseMix: new Float32Array([1]),
    reverbMix: new Float32Array([0.5]), f0: new Float32Array([440]), loudness: new Float32Array([-80]),
    mode: new Float32Array([2]),
  };
  // frames off the quantum grid, within the next quanta
  const chordOn = message([[noteOn, 37, 60, 100, 0], [noteOn, 38, 64, 90, 0], [noteOn, 200, 67, 80, 0], [noteOn, NOW_FRAME, 72, 70, 0]]);
  const chordOff = message([[noteOff, 5, 60, 0, 0], [noteOff, 100, 64, 0, 0], [noteOff, 101, 67, 0, 0], [noteOff, NOW_FRAME, 72, 0, 0]]);
  const mpe = message([
    [midi, 11, 0x91, 62, 100], [midi, 12, 0xe1, 0, 70], [midi, 40, 0xd1, 90, 0], [midi, 41, 0xb1, 74, 30],
    [midi, 90, 0xb0, 64, 127], [midi, 300, 0x81, 62, 0], [midi, 301, 0xb0, 64, 0],
  ]);
  const panic = message([[allNotesOff, 64, 0, 0, 0]]);
  const outQ = [[new Float32Array(Q)]];
  const inQ: Float32Array[][] = [[]]; // (a literal in the loop would allocate)
  const g = globalThis as unknown as { currentFrame: number };
  // quantum count, quanta per cycle (a chord on, MPE messages, the chord off, every fourth cycle all notes off);
  // typed arrays: closure variables would box
  const st = new Int32Array([0, 4]);
  const run = (quanta: number): void => {
    for (let q = 0; q < quanta; q++) {
      const k = st[0]++;
      const frame = k * Q;
      g.currentFrame = frame;
      const p = st[1];
      const step = k % p;
      if (step === 0) proc.onMessage(chordOn.at(frame));
      else if (step === p >> 2) proc.onMessage(mpe.at(frame));
      else if (step === p >> 1) proc.onMessage(chordOff.at(frame));
      else if (step === p - 1 && k % (4 * p) === p - 1) proc.onMessage(panic.at(frame));
      proc.process(inQ, outQ, params);
    }
  };
  // The code run once per note is optimised by V8 only after many notes (test/engine/alloc.test.ts): the warm-up
  // plays a chord every 4 quanta (12 000 notes), the measurement one every 16.
  run(2 * WARMUP_QUANTA);
  st[1] = 16;
  run(WARMUP_QUANTA / 3);
  expect(proc.events.count).toBeLessThan(10); // the events are played, not piling up
  expect(steadyBytesPerCall(run, MEASURED_QUANTA, 1)).toBeLessThan(1);
});

it('process() allocates nothing per quantum with one voice per input channel (inputChannels 3, audio mode)', () => {
  const proc = new Processor({ parameterData: { mode: 0 }, processorOptions: { inputChannels: 3 } } as never);
  proc.engine = new StreamingEngine(model, { sampleRate: SAMPLE_RATE, mode: 'audio', inputChannels: 3 });
  const params: Record<string, Float32Array> = {
    pitchShift: new Float32Array([0]), harmonicMix: new Float32Array([1]), noiseMix: new Float32Array([1]),
    reverbMix: new Float32Array([0.5]), f0: new Float32Array([440]), loudness: new Float32Array([-80]),
    mode: new Float32Array([0]),
  };
  // three tones in quanta (110, 220, 330 Hz), one per channel
  const tone = (hz: number) => Array.from({ length: 8 }, (_, q) =>
    Float32Array.from({ length: Q }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * (q * Q + i)) / SAMPLE_RATE)));
  const chans = [tone(110), tone(220), tone(330)];
  const inQ = [[chans[0][0], chans[1][0], chans[2][0]]];
  const outQ = [[new Float32Array(Q)]];
  const st = new Int32Array(1);
  const run = (quanta: number): void => {
    for (let q = 0; q < quanta; q++) {
      const k = st[0]++;
      for (let c = 0; c < 3; c++) inQ[0][c] = chans[c][k & 7];
      proc.process(inQ, outQ, params);
    }
  };
  run(WARMUP_QUANTA);
  expect(steadyBytesPerCall(run, MEASURED_QUANTA, 1)).toBeLessThan(1);
});
