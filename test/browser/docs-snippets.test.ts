// The documentation's browser snippets, run as written in headless Chromium against the BUILT package (run
// `npm run build` first): README's "Use it in a page" and getting-started's browser, control-mode and offline snippets,
// read from the markdown files (docSnippet), so the docs show what is tested.
//
// Chromium runs with desktop Chrome's autoplay policy (document-user-activation-required: a new AudioContext is
// suspended until a user gesture) and a fake microphone playing a tone written here. Each snippet gets an `export`
// line appended so the page can reach its `ctx` and `node`; the library is a shared chunk (bundleModules), so importing a snippet again with
// another query runs the snippet again in the same page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, browserUnavailable, bundleModules, docSnippet, startServer, type StaticServer,
} from './harness';

const skip = browserUnavailable() ?? (existsSync(join(REPO_ROOT, 'dist', 'index.js')) ? null : 'dist/index.js missing — run `npm run build` first');
if (skip !== null) console.warn(`\n*** SKIPPING docs snippet browser tests: ${skip} ***\n`);

const RATE = 48000;

/** 16-bit mono WAV, 4 s of a 5-harmonic 330 Hz tone at peak ≈ 0.5 (the fake microphone loops it). */
function toneWav(): Buffer {
  const n = 4 * RATE;
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(RATE, 24);
  buf.writeUInt32LE(2 * RATE, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 1; k <= 5; k++) v += Math.sin((2 * Math.PI * 330 * k * i) / RATE) / k;
    buf.writeInt16LE(Math.round(0.3 * v * 32767), 44 + 2 * i);
  }
  return buf;
}

/** The offline reference: the mode given at creation (a constructor option, never late), the same values. */
const OFFLINE_REFERENCE = `import { DDSPNode } from 'ddsp-stream';
const ctx = new OfflineAudioContext(1, 2 * 48000, 48000);
const node = await DDSPNode.create(ctx, { model: 'violin', mode: 'control' });
node.f0.value = 440;
node.loudness.value = node.levelToLoudness(0.8);
node.connect(ctx.destination);
const rendered = await ctx.startRendering();
export { rendered, node };
`;

/** The page's driver (plain JS: it only imports the bundled snippets). */
const DRIVER = `
const rms = (x) => { let s = 0; for (const v of x) s += v * v; return Math.sqrt(s / x.length); };
let live = null;
// A realtime snippet runs as the page loads and says so on the console: Playwright's page.evaluate (and the polls of
// waitForFunction) count as user gestures, so a context created after one would start running.
async function startSnippet(path) {
  const { ctx, node, DDSPNode } = await import(path);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  node.connect(analyser);
  live = { ctx, analyser };
  if (DDSPNode) await DDSPNode.create(ctx, { model: 'violin' }); // a second node: no second warning
  return { state: ctx.state, name: node.modelInfo.name };
}
const snippet = new URLSearchParams(location.search).get('snippet');
if (snippet) {
  startSnippet(snippet).then((r) => { window.started = r; }, (e) => { window.started = { error: String(e) }; })
    .then(() => console.log('snippet started'));
}
window.level = () => {
  const a = new Float32Array(2048);
  live.analyser.getFloatTimeDomainData(a);
  return { state: live.ctx.state, rms: rms(a) };
};
window.offlineRuns = async (runs) => {
  const ref = await import('/reference.js');
  const want = ref.rendered.getChannelData(0);
  const latency = ref.node.latencySamples;
  const out = [];
  for (let i = 0; i < runs; i++) {
    const got = (await import('/offline.js?run=' + i)).rendered.getChannelData(0);
    let diff = 0;
    for (let j = 0; j < got.length; j++) diff = Math.max(diff, Math.abs(got[j] - want[j]));
    out.push({ diff, rms: rms(got.subarray(latency)) });
  }
  return { runs: out, referenceRms: rms(want.subarray(latency)), latency };
};
window.pageReady = true;
`;

describe.skipIf(skip !== null)('the docs snippets in Chromium (autoplay policy on, fake microphone)', () => {
  let tmp: string;
  let server: StaticServer;
  let wav: string;
  const browsers: Browser[] = [];
  const logs = new Map<Page, string[]>();

  /** Opens the page in a browser of its own; `snippet` (a served path) runs as it loads. */
  async function openPage(snippet?: string): Promise<Page> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        '--autoplay-policy=document-user-activation-required',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}`,
      ],
    });
    browsers.push(browser);
    const page = await browser.newPage();
    const log: string[] = [];
    logs.set(page, log);
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    if (snippet) {
      const started = page.waitForEvent('console', { predicate: (m) => m.text() === 'snippet started', timeout: 30_000 });
      await page.goto(`${server.url}/index.html?snippet=${snippet}`);
      await started;
    } else {
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction('window.pageReady === true', undefined, { timeout: 30_000 });
    }
    return page;
  }

  /** Polls the page's output level until `done` holds or `ms` pass; returns the last level. */
  async function levelUntil(page: Page, done: (l: { state: string; rms: number }) => boolean, ms: number) {
    const t0 = Date.now();
    let l = { state: '', rms: 0 };
    do {
      l = await page.evaluate(() => (globalThis as unknown as { level: () => { state: string; rms: number } }).level());
      if (done(l)) break;
      await new Promise((ok) => setTimeout(ok, 100));
    } while (Date.now() - t0 < ms);
    return l;
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ddsp-docs-snippets-'));
    const snippet = (name: string, code: string, exports: string) => {
      const file = join(tmp, `${name}.ts`);
      writeFileSync(file, `${code}\nexport { ${exports} };\n`);
      return file;
    };
    writeFileSync(join(tmp, 'reference.ts'), OFFLINE_REFERENCE);
    const files = await bundleModules({
      readme: snippet('readme', docSnippet('README.md', 'Use it in a page'), 'ctx, node, DDSPNode'),
      browser: snippet('browser', docSnippet('docs/getting-started.md', 'In a browser'), 'ctx, node, DDSPNode'),
      control: snippet('control', docSnippet('docs/getting-started.md', 'Control mode: notes from your code (MIDI, automation)'), 'ctx, node'),
      offline: snippet('offline', docSnippet('docs/getting-started.md', 'Rendering in an OfflineAudioContext'), 'rendered'),
      reference: join(tmp, 'reference.ts'),
    });
    server = await startServer(REPO_ROOT); // serves models/ where the bundled names point: /models/violin.onnx
    for (const [path, text] of files) server.routes.set(path, { body: text });
    server.routes.set('/page.js', { body: DRIVER });
    server.routes.set('/index.html', {
      body: '<!doctype html><html><body><button>Start</button><script type="module" src="/page.js"></script></body></html>',
    });
    wav = join(tmp, 'tone.wav');
    writeFileSync(wav, toneWav());
  }, 120_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  for (const [doc, path] of [['README', '/readme.js'], ['getting started', '/browser.js']]) it(`${doc}'s page snippet: silent and warned about until the click, then the microphone plays through the violin`, async () => {
    const page = await openPage(path);
    const log = logs.get(page)!;
    const started = await page.evaluate(() => (globalThis as unknown as { started: unknown }).started);
    expect(started, log.join('\n')).toEqual({ state: 'suspended', name: 'violin' });
    const warnings = log.filter((l) => l.startsWith('[console.warning]') && l.includes('suspended AudioContext'));
    expect(warnings, log.join('\n')).toHaveLength(1); // two nodes, one warning
    expect(warnings[0]).toContain('ctx.resume()');
    const before = await levelUntil(page, () => false, 500);
    expect(before).toEqual({ state: 'suspended', rms: 0 });
    await page.click('button');
    const after = await levelUntil(page, (l) => l.rms > 1e-3, 15_000);
    console.log(`[docs] ${doc} snippet after the click: ${after.state}, output RMS ${after.rms.toFixed(4)}`);
    expect(after.state).toBe('running');
    expect(after.rms).toBeGreaterThan(1e-3);
    expect(log.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    await page.context().browser()!.close();
  }, 60_000);

  it("getting started's control-mode snippet: the click plays a note at velocity 100", async () => {
    const page = await openPage('/control.js');
    const started = await page.evaluate(() => (globalThis as unknown as { started: unknown }).started);
    expect(started).toEqual({ state: 'suspended', name: 'violin' });
    await page.click('button');
    const note = await levelUntil(page, (l) => l.rms > 1e-3, 5_000);
    console.log(`[docs] control-mode snippet: note RMS ${note.rms.toFixed(4)}`);
    expect(note.rms).toBeGreaterThan(1e-3);
    await page.context().browser()!.close();
  }, 60_000);

  it("getting started's offline snippet (setMode not awaited) renders like the mode given at creation, every time", async () => {
    const page = await openPage();
    const r = await page.evaluate(
      (n) => (globalThis as unknown as { offlineRuns: (n: number) => Promise<{ runs: { diff: number; rms: number }[]; referenceRms: number; latency: number }> }).offlineRuns(n),
      27,
    );
    console.log(`[docs] offline snippet: 27 renders, reference RMS ${r.referenceRms.toFixed(4)}, max diff ${Math.max(...r.runs.map((x) => x.diff))}`);
    expect(r.referenceRms).toBeGreaterThan(0.01);
    for (const run of r.runs) {
      expect(run.diff).toBe(0);
      expect(run.rms).toBe(r.referenceRms);
    }
    await page.context().browser()!.close();
  }, 180_000);
});
