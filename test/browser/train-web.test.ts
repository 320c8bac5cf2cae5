// Training in a web page (headless Chromium via playwright-core, nothing downloaded): the BUILT browser trainer
// (dist/train-web.js, configs embedded by rollup) bundled with tfjs-core and the WebGL backend, WebGL running on
// SwiftShader (ANGLE over a CPU Vulkan device). The page trains a tiny model on 3 s of the violin fixture, then
// plays the returned model through a DDSPNode; the models it handed out while training (every 10 steps and on
// request) play too, and improve. The Node trainer (wasm backend) runs the same config on the same
// samples in this process; the first step's loss must agree, which checks that both prepare the same slices,
// initialise the same weights, draw the same batch and noise and compute the same loss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decodeAudio, encodeWav } from '../../src/io/audio-file';
import { renderOffline } from '../../src/engine/render';
import { readModel } from '../../src/model/model-file';
import { composeConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { readEventFile } from '../../src/train/tensorboard';
import { FIXTURE, tinyOverrides, tmp } from '../train/helpers';
import { rms } from './fixture-model';
import {
  CHROMIUM_ARGS, CHROMIUM_PATH, PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundlePage, floatsToBase64,
  startServer, type StaticServer,
} from './harness';
import type { TrainPageApi, TrainReply } from './pages/train';

const noBrowser = browserUnavailable();
const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const DIST_TRAIN_WEB = join(REPO_ROOT, 'dist', 'train-web.js');
const noDist = existsSync(DIST_INDEX) && existsSync(DIST_TRAIN_WEB) ? null : 'dist/index.js or dist/train-web.js missing';
if (noDist && !noBrowser) console.warn(`\n*** SKIPPING browser training tests: ${noDist} — run \`npm run build\` first ***\n`);

/** The harness's flags with the GPU left on: WebGL through ANGLE on SwiftShader. */
const GL_ARGS = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

const STEPS = 25;
/** Snapshots: onModel every 10 steps, run.snapshot() asked for at step 5, and once more after the run. */
const MODEL_EVERY = 10;
const SNAPSHOT_AT = 5;
/** The tiny config of the Node training tests (16 kHz, hidden 32, 16 harmonics), 2 slices per batch, validation at the end only. */
const extra = ['batch_size=2', 'model.lr=3e-3', 'trainer.check_val_every_n_epoch=null', 'trainer.log_every_n_steps=1'];

describe.skipIf(noBrowser !== null || noDist !== null)('training in Chromium on WebGL (built package)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const logs: string[] = [];
  let audio: Float32Array;
  let sampleRate: number;
  let nodeFirstLoss: number;
  let reply: TrainReply;

  const call = <K extends keyof TrainPageApi>(name: K, ...args: Parameters<TrainPageApi[K]>) =>
    page.evaluate(
      ([n, a]) => (globalThis as unknown as { trainTest: Record<string, (...x: unknown[]) => unknown> }).trainTest[n](...a),
      [name, args] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<TrainPageApi[K]>>>;

  beforeAll(async () => {
    // 3 s of the violin fixture (24 kHz) as a float WAV for the Node trainer; the page gets the samples it decodes to
    const raw = tmp('ddsp-web-audio-');
    const d = await decodeAudio(readFileSync(FIXTURE));
    writeFileSync(join(raw, 'violin.wav'), encodeWav(d.channels[0].subarray(0, 3 * d.sampleRate), d.sampleRate, 'float32'));
    const decoded = await decodeAudio(readFileSync(join(raw, 'violin.wav')));
    audio = decoded.channels[0];
    sampleRate = decoded.sampleRate;

    // the Node trainer's first step (wasm backend) on the same samples and config
    const work = tmp('ddsp-web-node-');
    const t0 = Date.now();
    const composed = composeConfig({
      cwd: work, overrides: tinyOverrides(raw, join(work, 'db'), [...extra, 'trainer.max_steps=1', 'ckpt_nsteps=null', 'backend=wasm', 'hydra.run.dir=run']),
    });
    const run = await train({ composed, cwd: work, progress: false, log: () => {} });
    const events = readEventFile(join(run.runDir, readdirSync(run.runDir).find((f) => f.startsWith('events.out.tfevents'))!));
    for (const e of events) for (const v of e.values ?? []) if (e.step === 1 && v.tag === 'train/total_step' && 'simpleValue' in v) nodeFirstLoss = v.simpleValue;
    console.log(`[train-web] Node (${run.backend}) first step: loss ${nodeFirstLoss}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    server = await startServer(REPO_ROOT);
    server.routes.set('/index.html', { body: PAGE_HTML });
    const t1 = Date.now();
    server.routes.set('/page.js', {
      body: await bundlePage(join(__dirname, 'pages', 'train.ts'), {
        [join(REPO_ROOT, 'src', 'train', 'web')]: DIST_TRAIN_WEB,
        [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX,
      }),
    });
    console.log(`[train-web] page bundle ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: GL_ARGS, headless: true });
    page = await browser.newPage();
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}/index.html`);
    try {
      await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 20_000 });
    } catch (e) {
      throw new Error(`test page did not start: ${(e as Error).message}\n${logs.join('\n')}`);
    }

    const t2 = Date.now();
    const overrides = tinyOverrides('-', '-', [...extra, `trainer.max_steps=${STEPS}`]).filter((o) => !/^data\.(raw_dir|db_path)=/.test(o));
    reply = await call('train', { audio: floatsToBase64(audio), sampleRate, overrides, backend: 'auto', modelEvery: MODEL_EVERY, snapshotAt: SNAPSHOT_AT }).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs.join('\n')}`);
    });
    console.log(`[train-web] page: ${STEPS} steps on ${reply.backend} in ${((Date.now() - t2) / 1000).toFixed(1)} s ` +
      `(${reply.secondsPerStep.toFixed(3)} s/step), losses ${reply.losses.map((l) => l.toFixed(3)).join(' ')}`);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('trains on WebGL (chosen by backend auto, the only one the page registered)', () => {
    expect(reply.backend).toBe('webgl');
    expect(reply.tfBackend).toBe('webgl');
    expect(reply.webglVersion).toBe(2);
    console.log(`[train-web] WebGL shader programs compiled: ${reply.webglPrograms}`);
    expect(reply.webglPrograms).toBeGreaterThan(20);
  });

  it("the first step's loss equals the Node trainer's on the same samples and config", () => {
    expect(reply.slices).toEqual({ count: 3, train: 2, validation: 1, skippedSilent: 0, skippedUnpitched: 0 });
    const rel = Math.abs(reply.losses[0] - nodeFirstLoss) / nodeFirstLoss;
    console.log(`[train-web] first-step loss: webgl ${reply.losses[0]}, node wasm ${nodeFirstLoss}, relative difference ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(1e-4);
  });

  it(`the loss falls over ${STEPS} steps; progress is reported every step; validation at the end`, () => {
    expect(reply.step).toBe(STEPS);
    expect(reply.stopReason).toBe(`trainer.max_steps=${STEPS} reached`);
    expect(reply.losses).toHaveLength(STEPS);
    expect(reply.progressSteps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
    const first = mean(reply.losses.slice(0, 5));
    const last = mean(reply.losses.slice(-5));
    console.log(`[train-web] loss: mean of steps 1-5 ${first.toFixed(3)}, of steps ${STEPS - 4}-${STEPS} ${last.toFixed(3)}`);
    expect(last).toBeLessThan(first * 0.6);
    for (const k of ['val_0/spec', 'val_0/lsd', 'val_0/sc', 'val_0/loud', 'val_0/mfcc_l1', 'train/total']) {
      expect(Number.isFinite(reply.metrics[k]), k).toBe(true);
    }
  });

  it('reports time per step and the time left after every step', () => {
    expect(reply.progressSecondsPerStep).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) {
      const sps = reply.progressSecondsPerStep[i];
      expect(sps).toBeGreaterThan(0);
      expect(sps).toBeLessThan(60);
      expect(reply.progressEta[i]).toBeCloseTo((STEPS - reply.progressSteps[i]) * sps, 9);
    }
    expect(reply.progressEta[STEPS - 1]).toBe(0);
  });

  it('hands out playable models while it trains (every 10 steps and on request), and they improve', () => {
    const got = reply.snapshots.map((s) => `${s.via}@${s.step}`);
    expect(got).toEqual(['onModel@10', 'onModel@20', `request@${SNAPSHOT_AT}`, `after@${STEPS}`]);
    const byStep = [...reply.snapshots].sort((a, b) => a.step - b.step);
    const val = byStep.map((s) => s.metrics['val_0/spec']);
    console.log(`[train-web] snapshots: ${byStep.map((s, i) => `step ${s.step} val_0/spec ${val[i].toFixed(4)} rms ${s.rms.toExponential(2)}`).join(', ')}`);
    for (const s of byStep) {
      expect(s.finite, `step ${s.step}`).toBe(true);
      expect(s.rms, `step ${s.step}`).toBeGreaterThan(1e-3);
      const model = readModel(Uint8Array.from(atob(s.modelFile), (ch) => ch.charCodeAt(0)));
      expect(model.meta?.['trained.steps']).toBe(String(s.step));
    }
    // validated at their own steps: the later model's validation loss is lower
    expect(val[1]).toBeLessThan(val[0]);
    expect(val[2]).toBeLessThan(val[1]);
    expect(val[3]).toBeLessThan(val[0]);
    // the one asked for after the run is the run's result
    expect(byStep[3].modelFile).toBe(reply.modelFile);
    expect(byStep[3].metrics).toEqual(reply.metrics);
    // the files differ: each holds the weights of its step
    expect(new Set(byStep.map((s) => s.modelFile)).size).toBe(4);
  });

  it('the returned model plays in the page through a DDSPNode, and its model file renders in Node', () => {
    const out = base64ToFloats(reply.rendered);
    const after = out.subarray(reply.latencySamples);
    expect(after.every(Number.isFinite)).toBe(true);
    console.log(`[train-web] DDSPNode output rms ${rms(after).toExponential(3)} (input rms ${rms(audio).toExponential(3)})`);
    expect(rms(after)).toBeGreaterThan(1e-3);

    const model = readModel(Uint8Array.from(atob(reply.modelFile), (ch) => ch.charCodeAt(0)));
    expect(model.name).toBe('tiny');
    expect(model.sampleRate).toBe(16000);
    expect(model.estimator.hiddenSize).toBe(32);
    expect(model.meta?.['trained.steps']).toBe(String(STEPS));
    const node = renderOffline(model, audio, { sampleRate }).audio;
    expect(rms(node)).toBeGreaterThan(1e-3);
  });

  it('a backend the page did not register is refused, naming the package to install', async () => {
    const r = await call('trainError', ['sample_rate=16000'], 'webgpu');
    expect(r.message).toBe("the tfjs backend 'webgpu' is not registered: npm install @tensorflow/tfjs-backend-webgpu@4.22.0 and import '@tensorflow/tfjs-backend-webgpu' in the page before training");
  });

  it('overrides go through the same schema as in Node: the same ConfigError messages', async () => {
    for (const bad of [['model.estimator.hiden_size=32'], ['model.lr=-1'], ['sample_rate=16000', 'data.frame_rate=7']]) {
      let nodeMessage = '';
      try { composeConfig({ overrides: bad }); } catch (e) { nodeMessage = (e as Error).message; }
      expect(nodeMessage, bad.join(' ')).not.toBe('');
      const r = await call('trainError', bad, 'auto');
      expect(r, bad.join(' ')).toEqual({ name: 'ConfigError', message: nodeMessage });
    }
  });
});
