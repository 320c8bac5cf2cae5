// DDSPNode inside a Tone.js graph (headless Chromium, the built package): created on Tone.getContext() inside
// Tone.Offline, Tone nodes before and after it, its f0/loudness params driven by a Tone.Part on the Transport in
// control mode. Each note must come out at its pitch (YIN in Node, within 25 cents) and be loud while it plays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { YinTracker } from '../../src/dsp/yin';
import {
  PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundlePage, launch, startServer, type StaticServer,
} from './harness';
import type { MelodyNote, ToneApi } from './pages/tone';

const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const skip = browserUnavailable() ?? (existsSync(DIST_INDEX) ? null : 'dist/index.js missing (npm run build)');
if (skip) console.warn(`\n*** SKIPPING the Tone.js browser test: ${skip} ***\n`);

const SR = 48000;
const NOTES: MelodyNote[] = [
  { time: 0, note: 'A3', duration: 0.45 },
  { time: 0.5, note: 'C4', duration: 0.45 },
  { time: 1, note: 'E4', duration: 0.45 },
  { time: 1.5, note: 'A4', duration: 0.45 },
];
const HZ: Record<string, number> = { A3: 220, C4: 261.6256, E4: 329.6276, A4: 440 };

describe.skipIf(skip !== null)('DDSPNode in a Tone.js graph (Chromium, built package)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    server = await startServer(REPO_ROOT);
    server.routes.set('/index.html', { body: PAGE_HTML });
    server.routes.set('/page.js', {
      body: await bundlePage(join(__dirname, 'pages', 'tone.ts'), {
        [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX, [join(REPO_ROOT, 'src', 'web', 'index')]: DIST_INDEX,
      }),
    });
    ({ browser, page, logs } = await launch());
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 20_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a Tone.Part plays a melody on the violin, rendered by Tone.Offline at the right pitches', async () => {
    const r = await page.evaluate(
      (req) => (globalThis as unknown as { toneTest: ToneApi }).toneTest.melody(req),
      { modelUrl: '/models/violin.onnx', notes: NOTES, seconds: 2.2, sampleRate: SR },
    ).catch((e: unknown) => { throw new Error(`${String(e)}\n${logs.join('\n')}`); });
    const out = base64ToFloats(r.out);
    expect(out.length).toBe(Math.round(2.2 * SR));
    expect(r.latencySamples).toBeGreaterThan(0);
    const yin = new YinTracker({ sampleRate: SR });
    const found: string[] = [];
    const results: { note: string; rms: number; cents: number }[] = [];
    for (const n of NOTES) {
      // 250 ms into the note, past the node's latency: 2048 samples
      const at = Math.round((n.time + 0.25) * SR) + r.latencySamples;
      const win = out.subarray(at, at + 2048);
      const rms = Math.sqrt(win.reduce((s, v) => s + v * v, 0) / win.length);
      const est = { f0Hz: 0, confidence: 0 };
      yin.detect(win, 0, est);
      const cents = 1200 * Math.log2(est.f0Hz / HZ[n.note]);
      found.push(`${n.note}: ${est.f0Hz.toFixed(1)} Hz (${cents.toFixed(1)} cents), rms ${rms.toFixed(4)}`);
      results.push({ note: n.note, rms, cents });
    }
    // and quiet once the loudness falls: the 2048 samples up to 200 ms after the last note-off (1.95 s), whose
    // reverb tail has decayed below a quarter of a note's level
    const gapEnd = Math.round(2.15 * SR) + r.latencySamples;
    const gap = out.subarray(gapEnd - 2048, gapEnd);
    const gapRms = Math.sqrt(gap.reduce((s, v) => s + v * v, 0) / gap.length);
    console.log(`[tone ${r.toneVersion}] ${found.join('; ')}; after the last note rms ${gapRms.toFixed(5)}`);
    for (const { note, rms, cents } of results) {
      expect(rms, note).toBeGreaterThan(1e-3);
      expect(Math.abs(cents), note).toBeLessThan(25);
      expect(gapRms, note).toBeLessThan(rms / 4);
    }
  });
});
