// Latency measured on rendered audio against `node.latency`, through a DDSPNode (the built package) rendering the
// bundled violin in Chromium's OfflineAudioContext at 48 kHz, dry (reverbMix 0) so that onsets are not smeared by
// the reverb's tail. Onsets are found by one detector on input and output alike: the first sample at which the RMS
// over the preceding 64 samples reaches half (−6 dB) of the burst's steady RMS.
//
// The physics: the synth moves its controls linearly from one frame to the next (one hop, 20 ms), so an onset
// comes out when the first frame that has it is reached, and the delay depends on where in a frame's period the
// onset falls. The 8 onsets step through one period (120 samples = 2.5 ms apart); `node.latency` must bound the
// longest delay (a player never waits longer). In control mode the delays step by −2.5 ms and span one hop (the
// loudness jumps; in audio mode it grows with the energy in the window, less regularly). In audio mode the analysis
// window is centred on its frame, so a frame hears an onset up to half a window (1024 samples, 21.3 ms) before
// its centre, and the output's ramp towards it starts half a hop (10 ms) before that: the output starts up to
// 31.3 ms ahead of node.latency, and ~6 ms ahead at best (measured). In control mode the f0/loudness params are
// read once per render quantum (a tick): a note-on set at sample s is heard by the tick of the first quantum that
// starts at or after s, and node.latency (64 samples) counts from there, so the delay from s is node.latency plus
// the wait for that quantum (0–128 samples, 0–2.67 ms), plus the detector's own lag here (its 64-sample RMS window
// fills: in audio mode it cancels between input and output, here the note-on time is exact). Checked: no onset
// comes out earlier than node.latency − 1 ms after the quantum that reads it, or later than node.latency + one
// quantum + the detector's window + 1 ms after the note-on. The figures are printed (measured from the quantum: 1.1–
// 2.8 ms against node.latency 1.33 ms, so not within 1 ms of it: what the rest is, is still to be explained).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundlePage, launch, startServer, type StaticServer } from './harness';
import type { OnsetRequest, PageApi, RenderResult } from './pages/ddsp';

const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const skip = browserUnavailable() ?? (existsSync(DIST_INDEX) ? null : 'dist/index.js missing (npm run build)');

const SR = 48000;
const RMS_WINDOW = 64;
const THRESHOLD = 0.5;
const HOP = 960;
const HALF_WINDOW = 1024;
/**
 * Burst starts (samples): every 0.6 s (30 hops of the model's 960), each 120 samples further into the hop, off the
 * 128-sample quantum grid: one onset at each eighth of a frame's period.
 */
const STARTS = Array.from({ length: 8 }, (_, i) => Math.round((0.3 + 0.6 * i) * SR) + 37 + 120 * i);
const BURST = Math.round(0.3 * SR);
const N = Math.round(5.2 * SR);

/** RMS over the RMS_WINDOW samples ending at each sample. */
function envelope(x: Float32Array): Float64Array {
  const e = new Float64Array(x.length);
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    acc += x[i] * x[i];
    if (i >= RMS_WINDOW) acc -= x[i - RMS_WINDOW] * x[i - RMS_WINDOW];
    e[i] = Math.sqrt(Math.max(0, acc) / RMS_WINDOW);
  }
  return e;
}

/**
 * The onset in x near `from`: the first sample in [from, to) whose envelope reaches half the steady RMS (the
 * median envelope over [steadyFrom, steadyFrom + 0.2 s)), or −1.
 */
function onset(x: Float32Array, from: number, to: number, steadyFrom: number): number {
  const e = envelope(x);
  const steady = Array.from(e.subarray(steadyFrom, steadyFrom + Math.round(0.2 * SR))).sort((a, b) => a - b)[Math.round(0.1 * SR)];
  for (let i = Math.max(0, from); i < to; i++) if (e[i] >= THRESHOLD * steady) return i;
  return -1;
}

/** A harmonic tone (330 Hz, 5 partials) in bursts of BURST samples starting at STARTS, peak ≈ 0.5. */
function bursts(): Float32Array {
  const x = new Float32Array(N);
  for (const s of STARTS) {
    for (let i = 0; i < BURST; i++) {
      let v = 0;
      for (let k = 1; k <= 5; k++) v += Math.sin((2 * Math.PI * 330 * k * i) / SR) / k;
      x[s + i] = 0.3 * v;
    }
  }
  return x;
}

describe.skipIf(skip !== null)('latency on rendered audio vs node.latency (DDSPNode in Chromium, the bundled violin)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  const renderOnsets = (r: OnsetRequest): Promise<RenderResult> =>
    page.evaluate((req) => (globalThis as unknown as { ddspTest: PageApi }).ddspTest.renderOnsets(req), r);

  beforeAll(async () => {
    server = await startServer(REPO_ROOT);
    server.routes.set('/index.html', { body: PAGE_HTML });
    server.routes.set('/page.js', {
      body: await bundlePage(join(__dirname, 'pages', 'ddsp.ts'), {
        [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX,
        [join(REPO_ROOT, 'src', 'web', 'index')]: DIST_INDEX,
        [join(REPO_ROOT, 'src')]: DIST_INDEX,
        [join(REPO_ROOT, 'src', 'index')]: DIST_INDEX,
      }),
    });
    server.routes.set('/bursts.f32', { body: new Uint8Array(bursts().buffer) });
    let logs: string[];
    ({ browser, page, logs } = await launch());
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 20_000 })
      .catch((e: Error) => { throw new Error(`test page did not start: ${e.message}\n${logs.join('\n')}`); });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The delays step by the onsets' spacing within the frame period (−120 samples each), up to one quantum's jitter. */
  it('audio mode: each onset comes out no later than node.latency, ahead of it by at most half a window and half a hop', async () => {
    const input = bursts();
    const r = await renderOnsets({ modelUrl: '/models/violin.onnx', sampleRate: SR, nSamples: N, mode: 'audio', inputUrl: '/bursts.f32', reverbMix: 0 });
    const out = base64ToFloats(r.out);
    const L = r.latencySamples;
    const delays = STARTS.map((s) => {
      const a = onset(input, s - 1000, s + 1000, s + 2000);
      const b = onset(out, a + L - Math.round(0.04 * SR), a + L + Math.round(0.01 * SR), a + L + Math.round(0.1 * SR));
      return b < 0 ? NaN : (b - a) / SR;
    });
    const ahead = delays.map((d) => (r.latency - d) * 1000);
    console.log(`[latency audio] node.latency ${(r.latency * 1000).toFixed(2)} ms; measured ${delays.map((d) => (d * 1000).toFixed(2)).join(', ')} ms; ` +
      `ahead of node.latency by ${ahead.map((x) => x.toFixed(2)).join(', ')} ms`);
    for (const x of ahead) {
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThanOrEqual(((HALF_WINDOW + HOP / 2) / SR) * 1000 + 1);
    }
  });

  it('control mode: a note-on set off the quantum grid comes out no earlier than node.latency (−1 ms) after the quantum that reads it, and no later than node.latency + one quantum + the detector window (+1 ms)', async () => {
    const notes: [number, number][] = [];
    for (const s of STARTS) notes.push([s / SR, 1], [(s + BURST) / SR, 0]);
    const r = await renderOnsets({ modelUrl: '/models/violin.onnx', sampleRate: SR, nSamples: N, mode: 'control', f0: 330, notes, reverbMix: 0 });
    const out = base64ToFloats(r.out);
    const L = r.latencySamples;
    const QUANTUM = 128;
    const heard = STARTS.map((s) => Math.ceil(s / QUANTUM) * QUANTUM); // the quantum whose tick reads the note-on
    const onsets = STARTS.map((s) => onset(out, s + L - Math.round(0.05 * SR), s + L + Math.round(0.01 * SR), s + L + Math.round(0.1 * SR)));
    const fromNote = onsets.map((b, i) => (b < 0 ? NaN : (b - STARTS[i]) / SR));
    const fromTick = onsets.map((b, i) => (b < 0 ? NaN : (b - heard[i]) / SR));
    const f = (x: number[]): string => x.map((d) => (d * 1000).toFixed(2)).join(', ');
    console.log(`[latency control] node.latency ${(r.latency * 1000).toFixed(2)} ms; from the note-on ${f(fromNote)} ms; ` +
      `from the quantum that reads it ${f(fromTick)} ms`);
    for (const d of fromTick) expect(d * 1000).toBeGreaterThanOrEqual(r.latency * 1000 - 1);
    for (const d of fromNote) expect(d * 1000).toBeLessThanOrEqual((r.latency + (QUANTUM + RMS_WINDOW) / SR) * 1000 + 1);
  });
});
