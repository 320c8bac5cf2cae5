// The demo's Train panel in headless Chromium, driven like a user: the real demo server (serve.mjs, bundling against
// the BUILT package — run `npm run build` first), WebGL on SwiftShader as in test/browser/train-web.test.ts, a file
// dropped in through the file input and a take recorded from a fake microphone (the violin fixture), a tiny config
// typed into the overrides field. While it trains, the models handed out every few steps must be swapped into the
// demo's playing node, and the model downloaded at the end must be a model file that plays.
//
// Set DDSP_UPDATE_DEMO_SCREENSHOT=1 to write the screenshot to docs/demo-train.png (otherwise it goes to a temp dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readModel, writeModel } from '../../src/model/model-file';
import { smallModel } from '../browser/fixture-model';
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, browserUnavailable } from '../browser/harness';
import { FIXTURE } from '../train/helpers';
import { startDemoServer, type DemoServer } from './demo-server';

const noBrowser = browserUnavailable();
const built = ['index.js', 'train-web.js'].every((f) => existsSync(join(REPO_ROOT, 'dist', f)));
const skip = noBrowser ?? (built ? null : 'dist/index.js or dist/train-web.js missing — run `npm run build` first');
if (skip !== null) console.warn(`\n*** SKIPPING the demo's Train panel test: ${skip} ***\n`);

/** The harness's flags with the GPU left on: WebGL through ANGLE on SwiftShader. */
const GL_ARGS = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

const STEPS = 20;
const PLAY_EVERY = 10;
/** The tiny model of the Node training tests (test/train/helpers.ts tinyOverrides, without its file paths). */
const OVERRIDES = [
  'exp=seed', 'sample_rate=16000', 'data.f0_range=[100,2000]', 'model.estimator.hidden_size=32',
  'synth.dag.harmonic.config.n_harmonics=16', 'synth.dag.filtnoise.config.filter_size=64',
  '+synth.dag.irreverb.config.ir_s=0.1', '+synth.dag.irreverb.config.sr=16000',
  'batch_size=2', 'model.lr=3e-3', 'trainer.check_val_every_n_epoch=null', `trainer.max_steps=${STEPS}`,
];

/** The page's console handles, as far as the test uses them (examples/web/main.ts, train-panel.ts). */
interface PageWindow {
  ddspTrain: { state: string; losses: number[]; played: { step: number; spec: number }[]; takes: string[]; backend: string };
  ddspDemo: { node: { modelInfo: { name?: string } } | null; outputAnalyser: AnalyserNode };
}

describe.skipIf(skip !== null)("the demo's Train panel in headless Chromium (WebGL on SwiftShader)", () => {
  let dir: string;
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ddsp-train-panel-'));
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'models', 'violin.onnx'), writeModel(smallModel(3)));
    server = await startDemoServer(join(dir, 'models'));
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...GL_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${FIXTURE}`,
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as PageWindow).ddspDemo?.node != null, undefined, { timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const train = () => page.evaluate(() => (window as unknown as PageWindow).ddspTrain);

  it('takes audio from a file and from the microphone', async () => {
    expect(await page.isDisabled('#train-start')).toBe(true); // nothing to train on yet
    await page.setInputFiles('#train-files', FIXTURE);
    await page.waitForFunction(() => (window as unknown as PageWindow).ddspTrain.takes.length === 1);
    await page.click('#train-record');
    await page.waitForFunction(() => document.getElementById('train-record')!.textContent === 'Stop recording');
    await page.waitForTimeout(2500);
    await page.click('#train-record');
    await page.waitForFunction(() => (window as unknown as PageWindow).ddspTrain.takes.length === 2, undefined, { timeout: 10_000 });
    const t = await train();
    expect(t.takes[0]).toBe('violin-4s-24k.wav');
    expect(t.takes[1]).toMatch(/^recording 2 \(\d+ s\)$/);
    expect(await page.textContent('#train-takes')).toMatch(/violin-4s-24k\.wav · 4\.0 s/);
    expect(await page.isDisabled('#train-start')).toBe(false);
  }, 30_000);

  it('shows the preset as the command line it stands for, and takes edited overrides', async () => {
    expect(await page.inputValue('#train-overrides')).toMatch(/trainer\.max_steps=400/);
    expect(await page.textContent('#train-command')).toMatch(/^npx ddsp-stream train name=mine data\.raw_dir=\S+ .*trainer\.max_steps=400/);
    await page.fill('#train-overrides', OVERRIDES.join(' '));
    await page.fill('#train-play-every', String(PLAY_EVERY));
    expect(await page.textContent('#train-command')).toContain(`trainer.max_steps=${STEPS}`);
  });

  it('trains, swaps the model into the playing node as it improves, and offers the file', async () => {
    await page.click('#train-start');
    await page.waitForFunction(
      () => ['done', 'error', 'stopped'].includes((window as unknown as PageWindow).ddspTrain.state),
      undefined, { timeout: 240_000, polling: 500 },
    );
    const t = await train();
    const info = `${JSON.stringify(t)}\nstatus: ${await page.textContent('#status')}\n${logs.join('\n')}`;
    expect(t.state, info).toBe('done');
    expect(t.backend, info).toBe('webgl');
    expect(t.losses.length, info).toBe(STEPS);
    expect(t.losses.every(Number.isFinite), info).toBe(true);
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    expect(mean(t.losses.slice(-5)), info).toBeLessThan(mean(t.losses.slice(0, 5)));
    // every PLAY_EVERY steps, then the final model
    expect(t.played.map((p) => p.step), info).toEqual([PLAY_EVERY, STEPS, STEPS]);
    expect(t.played.every((p) => Number.isFinite(p.spec) && p.spec > 0), info).toBe(true);
    expect(await page.inputValue('#model-select')).toBe('trained');
    expect(await page.textContent('#model-select option[value=trained]')).toBe(`trained · step ${STEPS}`);
    expect(await page.textContent('#status')).toMatch(new RegExp(`Playing the model after ${STEPS} steps`));
    expect(await page.textContent('#train-progress')).toMatch(/reached on webgl/);

    // the trained model plays: a key held on the keyboard sounds
    const key = page.locator('#keyboard .key[data-note="69"]');
    await key.scrollIntoViewIfNeeded();
    const box = (await key.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.85);
    await page.mouse.down();
    await page.waitForTimeout(600);
    const rms = await page.evaluate(() => {
      const a = (window as unknown as PageWindow).ddspDemo.outputAnalyser;
      const x = new Float32Array(a.fftSize);
      a.getFloatTimeDomainData(x);
      let s = 0;
      for (const v of x) s += v * v;
      return Math.sqrt(s / x.length);
    });
    await page.mouse.up();
    expect(rms, info).toBeGreaterThan(1e-4);
    expect(Number.isFinite(rms)).toBe(true);

    // the download is a model file of the trained size
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
    expect(download.suggestedFilename()).toBe(`trained-step${STEPS}.onnx`);
    const bytes = readFileSync((await download.path())!);
    const m = readModel(new Uint8Array(bytes));
    expect(m.sampleRate).toBe(16000);
    expect(m.estimator.hiddenSize).toBe(32);
  }, 300_000);

  it('screenshot of the panel after training', async () => {
    await page.locator('#train-panel').scrollIntoViewIfNeeded();
    const file = process.env.DDSP_UPDATE_DEMO_SCREENSHOT === '1' ? join(REPO_ROOT, 'docs', 'demo-train.png') : join(dir, 'demo-train.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    expect(png.length).toBeGreaterThan(10_000);
    console.log(`[demo] Train panel screenshot: ${file} (${png.length} bytes)`);
  });
});
