// Polyphony through DDSPNode in headless Chromium (the BUILT package: run `npm run build` first), in an
// OfflineAudioContext: a chord through a bundled model, analysed by a spectrum computed here (test/browser/
// spectrum.ts: an FFT written for the tests, not the package's pitch tracker); notes off the quantum grid landing on
// their samples; the same notes rendered by StreamingEngine in Node, sample for sample; one voice per input channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';
import {
  PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundleModules, bundlePage, docSnippet, launch, maxAbsDiff,
  startServer, type StaticServer,
} from './harness';
import { rms, smallModelBytes } from './fixture-model';
import { cents, nearestHarmonic, spectralPeaks } from './spectrum';
import type { PolyApi, PolyRequest, PolyResult } from './pages/poly';

const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const skip = browserUnavailable() ?? (existsSync(DIST_INDEX) ? null : 'dist/index.js missing — run `npm run build` first');
if (skip !== null) console.warn(`\n*** SKIPPING the polyphony browser tests: ${skip} ***\n`);

const SR = 48000;
const hzOf = (key: number) => 440 * 2 ** ((key - 69) / 12);

describe.skipIf(skip !== null)('polyphony through DDSPNode (Chromium, built package)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    server = await startServer(REPO_ROOT);
    server.routes.set('/index.html', { body: PAGE_HTML });
    server.routes.set('/page.js', {
      body: await bundlePage(join(__dirname, 'pages', 'poly.ts'), {
        [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX, [join(REPO_ROOT, 'src', 'web', 'index')]: DIST_INDEX,
      }),
    });
    server.routes.set('/small.onnx', { body: smallModelBytes() });
    // getting-started's offline polyphony snippet, as written, with an export line (as test/browser/docs-snippets does)
    const tmp = mkdtempSync(join(tmpdir(), 'ddsp-poly-'));
    try {
      writeFileSync(join(tmp, 'snippet.ts'), `${docSnippet('docs/getting-started.md', 'Polyphony', 2)}\nexport { rendered, node };\n`);
      for (const [path, text] of await bundleModules({ 'poly-offline': join(tmp, 'snippet.ts') })) server.routes.set(path, { body: text });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    ({ browser, page, logs } = await launch());
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function render(req: PolyRequest): Promise<{ out: Float32Array; latencySamples: number }> {
    const r: PolyResult = await page
      .evaluate((q) => (globalThis as unknown as { polyTest: PolyApi }).polyTest.render(q), req)
      .catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logs.join('\n')}`);
      });
    return { out: base64ToFloats(r.out), latencySamples: r.latencySamples };
  }

  it('the note methods refuse bad arguments with errors naming them', async () => {
    const got = await page.evaluate((url) => (globalThis as unknown as { polyTest: PolyApi }).polyTest.errors(url), '/small.onnx');
    expect(got).toEqual([
      'RangeError: key must be an integer in [0, 127], got 128',
      'RangeError: velocity must be an integer in [1, 127], got 0',
      'RangeError: time must be a context time in seconds (a finite number ≥ 0), got -0.5',
      'RangeError: key must be an integer in [0, 127], got 60.5',
      'RangeError: time must be a context time in seconds (a finite number ≥ 0), got NaN',
      'RangeError: data[2] must be a MIDI byte (an integer in [0, 255]), got 300',
      'TypeError: data must be MIDI bytes: a Uint8Array (MIDIMessageEvent.data) or an array of numbers',
      'TypeError: midi(data, timestamp) needs a realtime AudioContext (getOutputTimestamp): an OfflineAudioContext has no performance clock; use midiAt(data, time) with a context time',
      'RangeError: time must be a context time in seconds (a finite number ≥ 0), got Infinity',
    ]);
  });

  it('the chord C4–E4–G4–C5 through the violin: each fundamental a spectral peak, every strong peak a harmonic of the chord', async () => {
    const keys = [60, 64, 67, 72];
    const hz = keys.map(hzOf);
    const { out, latencySamples } = await render({
      modelUrl: '/models/violin.onnx', sampleRate: SR, seconds: 2,
      events: keys.flatMap((key) => [{ type: 'noteOn' as const, key, velocity: 100, time: 0.1 }, { type: 'noteOff' as const, key, time: 1.8 }]),
    });
    // 0.6 s to 1.6 s: past the attack (30 ms), well before the release; 1 s of signal, zero-padded to 2^16 (0.73 Hz bins)
    const at = Math.round(0.6 * SR) + latencySamples;
    const peaks = spectralPeaks(out.subarray(at, at + SR), SR, { size: 65536, loHz: 40, hiHz: 6000, halfWidthHz: 10 });
    const strong = peaks.filter((p) => p.db > -30);
    const list = strong.map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ');
    console.log(`[poly] violin chord C4 E4 G4 C5: ${strong.length} peaks within 30 dB of the strongest: ${list}`);
    for (const [i, f] of hz.entries()) {
      const p = peaks.find((q) => Math.abs(cents(q.hz, f)) < 5);
      expect(p, `${keys[i]}: ${f.toFixed(2)} Hz; ${list}`).toBeDefined();
      expect(p!.db, `${keys[i]}: ${f.toFixed(2)} Hz; ${list}`).toBeGreaterThan(-25);
    }
    const worst = Math.max(...strong.map((p) => Math.abs(nearestHarmonic(p.hz, hz).cents)));
    console.log(`[poly] the strong peaks lie within ${worst.toFixed(2)} cents of a harmonic of the chord`);
    for (const p of strong) {
      const h = nearestHarmonic(p.hz, hz);
      expect(Math.abs(h.cents), `${p.hz.toFixed(1)} Hz (${p.db.toFixed(1)} dB) is no harmonic of the chord; ${list}`).toBeLessThan(3);
    }
    expect(Math.min(...strong.map((p) => p.hz)), list).toBeGreaterThan(250); // nothing below C4 (no difference tone)
  });

  it("getting started's offline polyphony snippet renders its rolled chord: C4, E4 and G4 each a spectral peak", async () => {
    // a string, so that vitest leaves the dynamic import to the page: 0.5 s to 1.5 s of the render
    const r = (await page.evaluate(`import('/poly-offline.js').then((m) =>
      ({ x: Array.from(m.rendered.getChannelData(0).subarray(24000, 72000)), latency: m.node.latencySamples }))`)) as { x: number[]; latency: number };
    const hz = [60, 64, 67].map(hzOf);
    const peaks = spectralPeaks(Float32Array.from(r.x), SR, { size: 65536, loHz: 40, hiHz: 5000, halfWidthHz: 10 });
    const list = peaks.filter((p) => p.db > -30).map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ');
    console.log(`[poly] docs snippet: ${list}`);
    for (const f of hz) {
      const p = peaks.find((q) => Math.abs(cents(q.hz, f)) < 5);
      expect(p, `${f.toFixed(1)} Hz; ${list}`).toBeDefined();
      expect(p!.db, `${f.toFixed(1)} Hz; ${list}`).toBeGreaterThan(-25);
    }
  });

  it('MPE through midiAt: a zone set up by RPN 6, a note per member channel, one channel bent by its own bend', async () => {
    // lower zone, 15 member channels (bend range 48); C4 on channel 2, E4 on channel 3 bent +341/8191 of 48 semitones
    const raw = 8192 + 341; // +1.998 semitones: E4 → F♯4 (369.6 Hz)
    const events: PolyRequest['events'] = [
      { type: 'midi', data: [0xb0, 101, 0, 0xb0, 100, 6, 0xb0, 6, 15], time: 0.01 },
      { type: 'midi', data: [0x91, 60, 100], time: 0.1 },
      { type: 'midi', data: [0x92, 64, 100], time: 0.1 },
      { type: 'midi', data: [0xe2, raw & 127, raw >> 7], time: 0.3 },
    ];
    // dry (reverbMix 0): the reverb's tail of E4 before the bend would stay in the window
    const { out, latencySamples } = await render({ modelUrl: '/models/violin.onnx', sampleRate: SR, seconds: 1.5, reverbMix: 0, events });
    const at = Math.round(0.5 * SR) + latencySamples;
    const peaks = spectralPeaks(out.subarray(at, at + 32768), SR, { size: 65536, loHz: 40, hiHz: 2000, halfWidthHz: 10 });
    const strong = peaks.filter((p) => p.db > -30);
    const list = strong.map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ');
    const bent = hzOf(64 + (341 / 8191) * 48);
    console.log(`[poly] MPE: C4 and bent E4 (${bent.toFixed(2)} Hz): ${list}`);
    for (const f of [hzOf(60), bent]) {
      const p = peaks.find((q) => Math.abs(cents(q.hz, f)) < 5);
      expect(p, `${f.toFixed(2)} Hz; ${list}`).toBeDefined();
      expect(p!.db, `${f.toFixed(2)} Hz; ${list}`).toBeGreaterThan(-25);
    }
    // C4 keeps its pitch, and no E4 is left (the bend moved that note, not the channel of C4)
    for (const p of strong) expect(Math.abs(nearestHarmonic(p.hz, [hzOf(60), bent]).cents), `${p.hz.toFixed(1)} Hz; ${list}`).toBeLessThan(5);
  });

  it('notes off the quantum grid land on their samples: onsets within 2 samples of time·rate + node.latencySamples', async () => {
    // frames 4837 (37 past a quantum) and 24101 (37 past one); the second through raw MIDI (midiAt)
    const t1 = 4837 / SR;
    const t2 = 24101 / SR;
    const base: PolyRequest = { modelUrl: '/models/violin.onnx', sampleRate: SR, seconds: 0.75, reverbMix: 0, events: [] };
    const one = await render({ ...base, events: [{ type: 'noteOn', key: 60, velocity: 100, time: t1 }] });
    const two = await render({
      ...base,
      events: [{ type: 'noteOn', key: 60, velocity: 100, time: t1 }, { type: 'midi', data: [0x90, 67, 100], time: t2 }],
    });
    const first = (x: ArrayLike<number>, from = 0) => {
      for (let i = from; i < x.length; i++) if (Math.abs(x[i]) > 1e-6) return i;
      return -1;
    };
    const onset1 = first(two.out);
    const diff = two.out.map((v, i) => v - one.out[i]); // the second note alone (dry: the voices add)
    const onset2 = first(diff);
    const want1 = 4837 + two.latencySamples;
    const want2 = 24101 + two.latencySamples;
    console.log(`[poly] onsets ${onset1} (want ${want1}), ${onset2} (want ${want2}); latency ${two.latencySamples} samples`);
    expect(Math.abs(onset1 - want1)).toBeLessThanOrEqual(2);
    expect(Math.abs(onset2 - want2)).toBeLessThanOrEqual(2);
    // the next quantum would be 4864 and 24192: 27 and 91 samples late
    expect(maxAbsDiff(one.out.subarray(0, onset2 - 2), two.out.subarray(0, onset2 - 2))).toBe(0);
  });

  it('the node renders what StreamingEngine renders in Node with the same notes, sample for sample', async () => {
    const bytes = smallModelBytes();
    const seconds = 0.5;
    const events: PolyRequest['events'] = [
      { type: 'noteOn', key: 57, velocity: 127, time: 0.01 },
      { type: 'noteOn', key: 61, velocity: 64, time: 0.0123 },
      { type: 'midi', data: [0xe0, 0, 96], time: 0.1 },
      { type: 'noteOff', key: 57, time: 0.3 },
      { type: 'midi', data: [0x80, 61, 0], time: 0.35 },
    ];
    const { out } = await render({ modelUrl: '/small.onnx', sampleRate: SR, seconds, voices: 4, events });
    const engine = new StreamingEngine(readModel(bytes), { sampleRate: SR, mode: 'notes', voices: 4 });
    for (const e of events) {
      const t = Math.round(e.time * SR);
      if (e.type === 'noteOn') engine.noteOn(e.key, e.velocity ?? 100, t, 0);
      else if (e.type === 'noteOff') engine.noteOff(e.key, t, 0);
      else engine.midi(new Uint8Array(e.data), t);
    }
    const n = Math.round(seconds * SR);
    const ref = new Float32Array(n);
    for (let off = 0; off < n; off += 128) {
      engine.process(null, ref, Math.min(128, n - off), 0, off);
    }
    expect(rms(ref)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(out, ref)).toBeLessThan(1e-6);
  });

  it('inputChannels 2 (audio mode): two tones on two channels come out as two voices, each at its pitch', async () => {
    const seconds = 1.5;
    const n = Math.round(seconds * SR);
    const f = [261.63, 369.99]; // C4, F♯4: a tritone, no low harmonic in common
    const x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 2; c++) {
        let v = 0;
        for (let k = 1; k <= 5; k++) v += Math.sin((2 * Math.PI * f[c] * k * i) / SR) / k;
        x[2 * i + c] = 0.3 * v;
      }
    }
    server.routes.set('/two-tones.f32', { body: new Uint8Array(x.buffer) });
    const { out, latencySamples } = await render({
      modelUrl: '/models/violin.onnx', sampleRate: SR, seconds, mode: 'audio', inputChannels: 2, events: [], inputUrl: '/two-tones.f32',
    });
    const at = Math.round(0.4 * SR) + latencySamples;
    const peaks = spectralPeaks(out.subarray(at, at + 32768), SR, { size: 65536, loHz: 40, hiHz: 4000, halfWidthHz: 10 });
    const strong = peaks.filter((p) => p.db > -30);
    const list = strong.map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ');
    console.log(`[poly] two channels (261.6, 370.0 Hz) through the violin: ${list}`);
    for (const hz of f) {
      const p = peaks.find((q) => Math.abs(cents(q.hz, hz)) < 15);
      expect(p, `${hz} Hz; ${list}`).toBeDefined();
      expect(p!.db, `${hz} Hz; ${list}`).toBeGreaterThan(-25);
    }
    for (const p of strong) expect(Math.abs(nearestHarmonic(p.hz, f).cents), `${p.hz.toFixed(1)} Hz; ${list}`).toBeLessThan(20);
  });
});
