// Real-browser tests (headless Chromium via playwright-core, nothing downloaded).
//
// The DDSPNode tests use the BUILT package: dist/index.js (with dist/worklet.js inlined by rollup), produced by
// `npm run build`; this file builds only the page script (esbuild, test/browser/pages/ddsp.ts with its `src/web`
// import redirected to dist/index.js). A small random model is written with writeModel and served with the
// input; Chromium renders it through DDSPNode in an OfflineAudioContext, Node renders the same model and input
// through StreamingEngine in blocks of 128 (the render quantum), and the two must agree sample for sample.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { renderOffline } from '../../src/engine/render';
import { StreamingEngine, type EngineControls } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';
import { SAMPLE_RATE, glideInput, rms, smallModelBytes } from './fixture-model';
import {
  PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundlePage, floatsToBase64, launch, maxAbsDiff,
  startServer, type StaticServer,
} from './harness';
import type { Flavour, PageApi, RenderRequest, RenderResult } from './pages/ddsp';

const noBrowser = browserUnavailable();
if (noBrowser) console.warn(`\n*** SKIPPING browser tests: ${noBrowser} ***\n`);

const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const DIST_WORKLET = join(REPO_ROOT, 'dist', 'worklet.js');
const noDist = existsSync(DIST_WORKLET) && existsSync(DIST_INDEX) ? null : 'dist/worklet.js or dist/index.js missing';
if (noDist && !noBrowser) {
  console.warn(`\n*** SKIPPING DDSPNode browser tests: ${noDist} — run \`npm run build\` first ***\n`);
}

/** Opens a page (served with the repo) whose script is the bundle of `entry`. */
async function openPage(entry: string, redirect: Record<string, string> = {}) {
  const server = await startServer(REPO_ROOT);
  server.routes.set('/index.html', { body: PAGE_HTML });
  server.routes.set('/page.js', { body: await bundlePage(entry, redirect) });
  const { browser, page, logs } = await launch();
  await page.goto(`${server.url}/index.html`);
  try {
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, {
      timeout: 20_000,
    });
  } catch (e) {
    throw new Error(`test page did not start: ${(e as Error).message}\n${logs.join('\n')}`);
  }
  return { server, browser, page, logs };
}

describe.skipIf(noDist !== null)('dist/worklet.js (the bundle rollup builds)', () => {
  it('is one self-contained script: no module syntax, no tfjs, no onnxruntime', () => {
    const text = readFileSync(DIST_WORKLET, 'utf8');
    const gz = gzipSync(text).length;
    console.log(`[bundle] dist/worklet.js ${text.length} bytes, ${gz} gzipped`);
    expect(text).not.toMatch(/^\s*(import|export)\s/m);
    expect(text).not.toMatch(/tensorflow|tfjs|onnxruntime/i);
    expect(text).toMatch(/["']ddsp-stream["']/);
  });
});

describe.skipIf(noBrowser !== null)('browser harness', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    ({ server, browser, page, logs } = await openPage(join(__dirname, 'pages', 'smoke.ts')));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders a plain worklet in a cross-origin-isolated OfflineAudioContext and returns the samples', async () => {
    const n = 48000;
    const input = new Float32Array(n);
    for (let i = 0; i < n; i++) input[i] = Math.sin((2 * Math.PI * 220 * i) / 48000) * 0.8;
    const r = await page.evaluate(
      (b64) => (globalThis as unknown as { smoke: (s: string) => Promise<{ out: string; isolated: boolean }> }).smoke(b64),
      floatsToBase64(input),
    );
    expect(r.isolated, logs.join('\n')).toBe(true);
    const out = base64ToFloats(r.out);
    expect(out.length).toBe(n);
    expect(maxAbsDiff(out, input.map((v) => Math.fround(v * 0.5)))).toBe(0);
  });
});

/** What the processor does per quantum, done in Node: controls and (control mode) features, then 128 samples. */
function nodeRender(
  bytes: Uint8Array,
  input: Float32Array | null,
  n: number,
  o: { mode?: 'audio' | 'control'; controls?: Partial<EngineControls>; f0Hz?: number; loudnessDb?: number } = {},
): Float32Array {
  const engine = new StreamingEngine(readModel(bytes), {
    sampleRate: SAMPLE_RATE, mode: o.mode, controls: o.controls,
  });
  Object.assign(engine.controls, o.controls);
  const out = new Float32Array(n);
  const f0 = Float32Array.of(o.f0Hz ?? 440);
  const loudness = Float32Array.of(o.loudnessDb ?? -80);
  for (let off = 0; off < n; off += 128) {
    if (o.mode === 'control') engine.setControlFeatures(f0, loudness);
    engine.process(input, out, Math.min(128, n - off), off, off);
  }
  return out;
}

describe.skipIf(noBrowser !== null || noDist !== null)('DDSPNode in Chromium (built package)', () => {
  const N = SAMPLE_RATE; // 1 s
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  let bytes: Uint8Array;
  let input: Float32Array;
  let reference: Float32Array;
  let batch: Float32Array;
  let latencySamples: number;

  const call = <K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>) =>
    page.evaluate(
      ([n, a]) => (globalThis as unknown as { ddspTest: Record<string, (...x: unknown[]) => unknown> }).ddspTest[n](...a),
      [name, args] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<PageApi[K]>>>;

  beforeAll(async () => {
    bytes = smallModelBytes();
    input = glideInput(N);
    // Node reference: the same file, read the same way, through the same engine in 128-sample blocks.
    latencySamples = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE }).latencySamples;
    reference = nodeRender(bytes, input, N);
    // And the whole-clip renderer, which the stream equals once shifted by the latency.
    batch = renderOffline(readModel(bytes), input, { sampleRate: SAMPLE_RATE }).audio;

    ({ server, browser, page, logs } = await openPage(join(__dirname, 'pages', 'ddsp.ts'), {
      [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX,
      [join(REPO_ROOT, 'src', 'web', 'index')]: DIST_INDEX,
      [join(REPO_ROOT, 'src')]: DIST_INDEX,
      [join(REPO_ROOT, 'src', 'index')]: DIST_INDEX,
    }));
    server.routes.set('/model.onnx', { body: bytes });
    server.routes.set('/input.f32', { body: new Uint8Array(input.buffer) });
    // A binary file that is not a model (a WAV header), and text served with status 200 as a dev server's
    // single-page fallback serves its index.html for any path.
    server.routes.set('/not-a-model.bin', { body: Uint8Array.from([...Buffer.from('RIFF'), 36, 0, 0, 0, ...Buffer.from('WAVEfmt '), 16, 0, 0, 0, 1, 0, 1, 0]) });
    server.routes.set('/models/spa-fallback.onnx', { body: '<!doctype html><html><head><title>app</title></head><body></body></html>', type: 'text/html' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const flavour of ['native', 'standardized'] as Flavour[]) {
    it(`the worklet module registers its processor (${flavour} OfflineAudioContext)`, async () => {
      const r = await call('processorRegistered', flavour);
      expect(r.ok, `${r.message}\n${logs.join('\n')}`).toBe(true);
      expect(r.message).toBe('');
    });

    it(`renders the Node engine's output sample for sample (${flavour} OfflineAudioContext)`, async () => {
      const req: RenderRequest = {
        flavour, modelUrl: '/model.onnx', inputUrl: '/input.f32', nSamples: N, sampleRate: SAMPLE_RATE,
      };
      const r: RenderResult = await call('render', req);
      const out = base64ToFloats(r.out);
      expect(out.length).toBe(N);
      // not trivially silent: the model makes sound after its latency
      expect(rms(out.subarray(latencySamples))).toBeGreaterThan(1e-4);
      expect(rms(reference.subarray(latencySamples))).toBeGreaterThan(1e-4);
      const diff = maxAbsDiff(out, reference);
      console.log(`[browser ${flavour}] max |chromium − node| = ${diff.toExponential(3)}, rms out ${rms(out).toExponential(3)}, latency ${r.latencySamples} samples`);
      expect(diff).toBeLessThanOrEqual(1e-4);
      expect(r.modelName).toBe('browser-test-small');
      const L = r.latencySamples;
      const shifted = maxAbsDiff(out.subarray(L), batch.subarray(0, N - L));
      console.log(`[browser ${flavour}] max |chromium[t + latency] − renderOffline[t]| = ${shifted.toExponential(3)}`);
      expect(shifted).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(out.subarray(0, L), new Float32Array(L))).toBe(0); // silence before the latency
    });
  }

  it('the model given as bytes or as a model read on the page renders the same', async () => {
    for (const modelAs of ['bytes', 'object'] as const) {
      const r = await call('render', {
        flavour: 'native', modelUrl: '/model.onnx', modelAs, inputUrl: '/input.f32', nSamples: N, sampleRate: SAMPLE_RATE,
      });
      expect(maxAbsDiff(base64ToFloats(r.out), reference), modelAs).toBeLessThanOrEqual(1e-4);
    }
  });

  it('AudioParams reach the engine: pitchShift 12, reverbMix 0.25, noiseMix 0.5 render as in Node', async () => {
    const params = { pitchShift: 12, reverbMix: 0.25, noiseMix: 0.5 };
    const r = await call('render', {
      flavour: 'native', modelUrl: '/model.onnx', inputUrl: '/input.f32', nSamples: N, sampleRate: SAMPLE_RATE, params,
    });
    const out = base64ToFloats(r.out);
    const want = nodeRender(bytes, input, N, { controls: params });
    expect(maxAbsDiff(out, want)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(out, reference)).toBeGreaterThan(1e-2); // the params changed the sound
  });

  it("control mode: the f0/loudness AudioParams drive the model with no input, as in Node", async () => {
    const params = { f0: 261.63, loudness: -25 };
    const r = await call('render', {
      flavour: 'standardized', modelUrl: '/model.onnx', inputUrl: null, nSamples: N / 2, sampleRate: SAMPLE_RATE,
      mode: 'control', params,
    });
    const out = base64ToFloats(r.out);
    const want = nodeRender(bytes, null, N / 2, { mode: 'control', f0Hz: params.f0, loudnessDb: params.loudness });
    expect(rms(out)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(out, want)).toBeLessThanOrEqual(1e-4);
  });

  it('node.latency is the engine latency in seconds', async () => {
    const r = await call('render', {
      flavour: 'native', modelUrl: '/model.onnx', inputUrl: null, nSamples: 128, sampleRate: SAMPLE_RATE,
    });
    expect(typeof r.latency).toBe('number');
    expect(r.latencySamples).toBe(latencySamples);
    expect(r.latency).toBeCloseTo(latencySamples / SAMPLE_RATE, 12);
    expect(r.latency).toBeGreaterThanOrEqual(0);
    expect(r.latency).toBeLessThan(1);
  });

  for (const flavour of ['native', 'standardized'] as Flavour[]) {
    it(`a file that is not a model rejects create() with a clear DDSPError (${flavour})`, async () => {
      const r = await call('createFails', flavour, '/not-a-model.bin');
      expect(r.rejected).toBe(true);
      expect(r.name).toBe('DDSPError');
      expect(r.code).toBe('MODEL_FORMAT');
      expect(r.message).toMatch(/^ddsp-stream: invalid model file: \S/);
    });
  }

  it('a URL that answers text with status 200 rejects with a FETCH error saying what came back', async () => {
    const r = await call('createFails', 'native', '/models/spa-fallback.onnx');
    expect(r.rejected).toBe(true);
    expect(r.code).toBe('FETCH');
    expect(r.message).toBe(
      'ddsp-stream: /models/spa-fallback.onnx is not a model file: it answered text/html, 72 bytes starting ' +
        '"<!doctype html><html><head><title>app</t". The URL is probably wrong (a dev server answers a path it does ' +
        "not serve with its index.html). Use a bundled model by name ({ model: 'violin' }), import your file's URL " +
        "(import url from './my.onnx?url' in Vite) or put it in public/ and give its path " +
        '(https://github.com/ddsp-stream/ddsp-stream/blob/main/docs/getting-started.md#serving-a-model).',
    );
  });

  it('a missing model URL rejects with a FETCH error naming the URL and status', async () => {
    const r = await call('createFails', 'native', '/no-such-model.onnx');
    expect(r.rejected).toBe(true);
    expect(r.code).toBe('FETCH');
    expect(r.message).toContain('/no-such-model.onnx');
    expect(r.message).toContain('404');
  });

  it('loadModel() with a bad file rejects and keeps the old model', async () => {
    const r = await call('loadModelRejects', '/model.onnx', '/not-a-model.bin');
    expect(r.rejected).toBe(true);
    expect(r.code).toBe('MODEL_FORMAT');
    expect(r.latencySamples).toBe(latencySamples);
  });
});
