// The user-app flow in all three browser engines (Chromium, Firefox, WebKit; see engines.ts): the built package's
// DDSPNode renders in audio mode and in control mode (a native and a standardized-audio-context
// OfflineAudioContext), its AudioParams reach the engine, a model swap plays the new model, and a bad model file is
// refused with a DDSPError. Each output must equal the Node engine's render of the same model and input within
// 1e-4 (the Chromium test's bound: float32 output, the engines' libm rounding differs far below that).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StreamingEngine, type EngineControls } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';
import { ENGINES, engineUnavailable, openEngine, type EngineName, type EnginePage } from './engines';
import { SAMPLE_RATE, glideInput, rms, smallModelBytes } from './fixture-model';
import { PAGE_HTML, REPO_ROOT, base64ToFloats, bundlePage, maxAbsDiff, startServer, type StaticServer } from './harness';
import type { RenderRequest, RenderResult } from './pages/ddsp';

const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const noDist = existsSync(DIST_INDEX) ? null : 'dist/index.js missing (npm run build)';

function nodeRender(bytes: Uint8Array, input: Float32Array | null, n: number,
  o: { mode?: 'audio' | 'control'; controls?: Partial<EngineControls>; f0Hz?: number; loudnessDb?: number } = {}): Float32Array {
  const engine = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE, mode: o.mode, controls: o.controls });
  Object.assign(engine.controls, o.controls);
  const out = new Float32Array(n);
  for (let off = 0; off < n; off += 128) {
    if (o.mode === 'control') engine.setControlFeatures(Float32Array.of(o.f0Hz ?? 440), Float32Array.of(o.loudnessDb ?? -80));
    engine.process(input, out, Math.min(128, n - off), off, off);
  }
  return out;
}

for (const engine of ENGINES) {
  const skip = engineUnavailable(engine) ?? noDist;
  if (skip) console.warn(`\n*** SKIPPING the user-app flow in ${engine}: ${skip} ***\n`);

  describe.skipIf(skip !== null)(`user-app flow in ${engine} (built package)`, () => {
    const N = SAMPLE_RATE / 2;
    let server: StaticServer;
    let page: EnginePage;
    const bytes = smallModelBytes();
    const other = smallModelBytes(7);
    const input = glideInput(N);
    const render = (r: RenderRequest): Promise<RenderResult> => page.call('ddspTest', 'render', [r]);

    beforeAll(async () => {
      server = await startServer(REPO_ROOT);
      server.routes.set('/index.html', { body: PAGE_HTML });
      server.routes.set('/page.js', {
        body: await bundlePage(join(__dirname, 'pages', 'user-app.ts'), {
          [join(REPO_ROOT, 'src', 'web')]: DIST_INDEX, [join(REPO_ROOT, 'src', 'web', 'index')]: DIST_INDEX,
          [join(REPO_ROOT, 'src')]: DIST_INDEX, [join(REPO_ROOT, 'src', 'index')]: DIST_INDEX,
        }),
      });
      server.routes.set('/model.onnx', { body: bytes });
      server.routes.set('/other.onnx', { body: other });
      server.routes.set('/input.f32', { body: new Uint8Array(input.buffer) });
      // binary, so it reaches the model reader (a text answer is refused earlier, as a wrong URL: code FETCH)
      server.routes.set('/not-a-model.bin', { body: Uint8Array.from([...Buffer.from('RIFF'), 36, 0, 0, 0, ...Buffer.from('WAVEfmt '), 16, 0, 0, 0, 1, 0, 1, 0]) });
      page = await openEngine(engine as EngineName);
      console.log(`[${engine}] ${page.userAgent}`);
      await page.goto(`${server.url}/index.html`);
      for (let i = 0; ; i++) {
        // the page script is a module: wait until it has run (it defines globalThis.ddspTest)
        if (await page.call('ddspTest', 'base64ToFloats', ['']).then(() => true, () => false)) break;
        if (i > 100) throw new Error(`${engine}: the test page did not start`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }, 120_000);
    afterAll(async () => {
      await page?.close();
      await server?.close();
    });

    it('audio mode: renders what the Node engine renders (native OfflineAudioContext)', async () => {
      const r = await render({ flavour: 'native', modelUrl: '/model.onnx', inputUrl: '/input.f32', nSamples: N, sampleRate: SAMPLE_RATE });
      const out = base64ToFloats(r.out);
      const want = nodeRender(bytes, input, N);
      expect(rms(out.subarray(r.latencySamples))).toBeGreaterThan(1e-4);
      const d = maxAbsDiff(out, want);
      console.log(`[${engine}] audio mode: max |browser - node| = ${d.toExponential(3)}`);
      expect(d).toBeLessThanOrEqual(1e-4);
    });

    it('control mode: the f0/loudness params play the model (standardized-audio-context OfflineAudioContext)', async () => {
      const params = { f0: 261.63, loudness: -25 };
      const r = await render({ flavour: 'standardized', modelUrl: '/model.onnx', inputUrl: null, nSamples: N, sampleRate: SAMPLE_RATE, mode: 'control', params });
      const out = base64ToFloats(r.out);
      const want = nodeRender(bytes, null, N, { mode: 'control', f0Hz: params.f0, loudnessDb: params.loudness });
      expect(rms(out)).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(out, want)).toBeLessThanOrEqual(1e-4);
    });

    it('AudioParams reach the engine: pitchShift 12, reverbMix 0.25, noiseMix 0.5', async () => {
      const params = { pitchShift: 12, reverbMix: 0.25, noiseMix: 0.5 };
      const r = await render({ flavour: 'native', modelUrl: '/model.onnx', inputUrl: '/input.f32', nSamples: N, sampleRate: SAMPLE_RATE, params });
      expect(maxAbsDiff(base64ToFloats(r.out), nodeRender(bytes, input, N, { controls: params }))).toBeLessThanOrEqual(1e-4);
    });

    it('a model swap plays the new model', async () => {
      const r = await page.call<{ out: string; name: string; latencySamples: number }>('userApp', 'swap', ['/model.onnx', '/other.onnx', N, 330, -25]);
      const out = base64ToFloats(r.out);
      const want = nodeRender(other, null, N, { mode: 'control', f0Hz: 330, loudnessDb: -25 });
      const old = nodeRender(bytes, null, N, { mode: 'control', f0Hz: 330, loudnessDb: -25 });
      const tail = (x: Float32Array): Float32Array => x.subarray(N / 2);
      expect(rms(tail(out))).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(tail(out), tail(want))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(tail(out), tail(old))).toBeGreaterThan(1e-3);
    });

    it('a file that is not a model is refused with a DDSPError', async () => {
      const r = await page.call<{ rejected: boolean; name: string; code: string }>('ddspTest', 'createFails', ['native', '/not-a-model.bin']);
      expect(r).toMatchObject({ rejected: true, name: 'DDSPError', code: 'MODEL_FORMAT' });
    });
  });
}
