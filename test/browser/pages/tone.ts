// Page script of the Tone.js browser test (test/browser/tone.test.ts): a DDSPNode inside a Tone.js graph, rendered
// with Tone.Offline. The body of `melody` is the Tone.js example of docs/browsers.md. Bundled against the BUILT
// package (dist/index.js), like pages/ddsp.ts.
import * as Tone from 'tone';
import { DDSPNode } from '../../../src/web';
import { floatsToBase64 } from './page-util';

/** One note of the melody: start (s), pitch ('A4'), length (s). */
export interface MelodyNote { time: number; note: string; duration: number }

export interface MelodyRequest { modelUrl: string; notes: MelodyNote[]; seconds: number; sampleRate: number }

/** Plays `notes` on the model in control mode, driven by a Tone.Part on Tone's Transport, through Tone nodes. */
async function melody(r: MelodyRequest): Promise<{ out: string; latencySamples: number; toneVersion: string }> {
  let latencySamples = 0;
  const buffer = await Tone.Offline(async () => {
    const ddsp = await DDSPNode.create(Tone.getContext().rawContext, { model: r.modelUrl, mode: 'control' });
    const input = new Tone.Gain(0);                      // control mode: the input is not analysed
    const output = new Tone.Gain(0.8).toDestination();
    Tone.connect(input, ddsp);
    Tone.connect(ddsp, output);
    new Tone.Part<MelodyNote>((time, n) => {
      ddsp.f0.setValueAtTime(Tone.Frequency(n.note).toFrequency(), time);
      ddsp.loudness.setValueAtTime(-12, time);
      ddsp.loudness.setValueAtTime(-80, time + n.duration);
    }, r.notes).start(0);
    Tone.getTransport().start(0);
    latencySamples = ddsp.latencySamples;
  }, r.seconds, 1, r.sampleRate);
  return { out: floatsToBase64(buffer.getChannelData(0)), latencySamples, toneVersion: Tone.version };
}

const api = { melody };
/** What the test calls through page.evaluate. */
export type ToneApi = typeof api;
(globalThis as unknown as { toneTest: ToneApi }).toneTest = api;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
