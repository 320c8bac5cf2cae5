// Page script of the polyphony browser test (test/browser/poly.test.ts): notes and MIDI played into a DDSPNode in
// an OfflineAudioContext, and a multichannel input tracked voice by voice. Bundled against the BUILT package
// (dist/index.js), like pages/ddsp.ts.
import { DDSPNode, type DDSPMode } from '../../../src/web';
import { fetchBytes, floatsToBase64 } from './page-util';

/** One event: a note on/off through the typed API, or raw MIDI bytes through midiAt. Times in context seconds. */
export type PolyEvent =
  | { type: 'noteOn'; key: number; velocity?: number; time: number }
  | { type: 'noteOff'; key: number; time: number }
  | { type: 'midi'; data: number[]; time: number };

export interface PolyRequest {
  modelUrl: string;
  sampleRate: number;
  seconds: number;
  mode?: DDSPMode;
  voices?: number;
  reverbMix?: number;
  events: PolyEvent[];
  /** URL of a multichannel input: raw float32, channels interleaved; with inputChannels. */
  inputUrl?: string;
  inputChannels?: number;
}

export interface PolyResult {
  /** Rendered mono output, base64 of float32. */
  out: string;
  latencySamples: number;
}

async function render(r: PolyRequest): Promise<PolyResult> {
  const n = Math.round(r.seconds * r.sampleRate);
  const ctx = new OfflineAudioContext(1, n, r.sampleRate);
  const node = await DDSPNode.create(ctx, {
    model: r.modelUrl,
    mode: r.mode ?? 'notes',
    voices: r.voices,
    reverbMix: r.reverbMix,
    inputChannels: r.inputChannels,
  });
  if (r.inputUrl !== undefined) {
    const c = r.inputChannels ?? 1;
    const interleaved = new Float32Array((await fetchBytes(r.inputUrl)).buffer);
    const buf = ctx.createBuffer(c, n, r.sampleRate);
    const ch = new Float32Array(n);
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < n; i++) ch[i] = interleaved[i * c + k] ?? 0;
      buf.copyToChannel(ch, k);
    }
    const src = new AudioBufferSourceNode(ctx, { buffer: buf });
    src.connect(node);
    src.start(0);
  }
  for (const e of r.events) {
    if (e.type === 'noteOn') node.noteOn(e.key, e.velocity, e.time);
    else if (e.type === 'noteOff') node.noteOff(e.key, e.time);
    else node.midiAt(e.data, e.time);
  }
  await node.sync(); // the events are in the processor before rendering starts
  node.connect(ctx.destination);
  const rendered = await ctx.startRendering();
  return { out: floatsToBase64(rendered.getChannelData(0)), latencySamples: node.latencySamples };
}

/** The note methods' argument errors (name and message), on an OfflineAudioContext's node. */
async function errors(modelUrl: string): Promise<string[]> {
  const ctx = new OfflineAudioContext(1, 128, 48000);
  const node = await DDSPNode.create(ctx, { model: modelUrl, mode: 'notes' });
  const calls: (() => void)[] = [
    () => node.noteOn(128),
    () => node.noteOn(60, 0),
    () => node.noteOn(60, 100, -0.5),
    () => node.noteOff(60.5),
    () => node.allNotesOff(NaN),
    () => node.midi([0x90, 60, 300]),
    () => node.midi(null as unknown as number[]),
    () => node.midi([0x90, 60, 100], performance.now()),
    () => node.midiAt([0x90, 60, 100], Infinity),
  ];
  return calls.map((call) => {
    try {
      call();
      return 'no error';
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  });
}

const api = { render, errors };
/** What the test calls through page.evaluate. */
export type PolyApi = typeof api;
(globalThis as unknown as { polyTest: PolyApi }).polyTest = api;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
