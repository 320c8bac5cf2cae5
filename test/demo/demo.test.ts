// The web demo (examples/web) in headless Chromium, driven like a user: the real demo server (serve.mjs, which
// bundles main.ts against the BUILT package dist/index.js — run `npm run build` first) serving a temporary models
// folder, a fake microphone playing a WAV written here, clicks on the page's own controls. The page's output is
// read through its output AnalyserNode ((window as unknown as DemoWindow).ddspDemo, the page's console handle) and its pitch estimated in
// the page (YIN difference function), at intervals, while audio runs in a realtime AudioContext.
//
// The model is a small random-weight one (test/browser/fixture-model.ts) whose output-layer biases favour the
// harmonic oscillators (noise amplitudes near 0): whatever the weights, the oscillators run at the input's f0, so
// the output's pitch must follow the input's.
//
// Set DDSP_UPDATE_DEMO_SCREENSHOT=1 to write the screenshot to docs/demo.png (otherwise it goes to a temp dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeModel, type DDSPModel } from '../../src/model/model-file';
import { externalParams } from '../../src/synth/graph';
import { smallModel } from '../browser/fixture-model';
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT, browserUnavailable } from '../browser/harness';
import { nearestHarmonic, spectralPeaks } from '../browser/spectrum';
import { startDemoServer, type DemoServer } from './demo-server';

const noBrowser = browserUnavailable();
const DIST_INDEX = join(REPO_ROOT, 'dist', 'index.js');
const noDist = existsSync(DIST_INDEX) ? null : 'dist/index.js missing — run `npm run build` first';
const skip = noBrowser ?? noDist;
if (skip !== null) console.warn(`\n*** SKIPPING web demo tests: ${skip} ***\n`);

/** Input tone: f0 alternates between these every STEP_SECONDS. */
const STEP_HZ = [440, 660];
const STEP_SECONDS = 1;
const WAV_SECONDS = 24;
const WAV_RATE = 48000;

/** The fixture's small model with output biases that make it harmonic: amplitude high, noise magnitudes ≈ 0. */
function tonalModel(seed = 3, name = 'random-tonal'): DDSPModel {
  const m = smallModel(seed);
  const bias = m.estimator.weights['out.bias'].data;
  for (const p of externalParams(m.synth)) {
    const b = p.param === 'amplitudes' ? 3 : p.node === 'harmonic' ? 0 : -6;
    for (let i = 0; i < p.size; i++) bias[p.offset + i] = b;
  }
  return { ...m, name };
}

/** 16-bit mono WAV of a 5-harmonic tone stepping between STEP_HZ (phase-continuous), peak ≈ 0.5. */
function steppedToneWav(): Buffer {
  const n = WAV_SECONDS * WAV_RATE;
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(WAV_RATE, 24);
  buf.writeUInt32LE(2 * WAV_RATE, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(2 * n, 40);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f0 = STEP_HZ[Math.floor(i / (STEP_SECONDS * WAV_RATE)) % STEP_HZ.length];
    phase = (phase + (2 * Math.PI * f0) / WAV_RATE) % (2 * Math.PI);
    let v = 0;
    for (let k = 1; k <= 5; k++) v += Math.sin(k * phase) / k;
    buf.writeInt16LE(Math.round(0.3 * v * 32767), 44 + 2 * i);
  }
  return buf;
}

/** Width and height of a PNG (IHDR). */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** Difference in cents (NaN when either is unvoiced). */
function cents(hz: number, refHz: number): number {
  return hz > 0 && refHz > 0 ? 1200 * Math.log2(hz / refHz) : NaN;
}

function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

/** The page's console handle (examples/web/main.ts, DemoHandle), as far as the test uses it. */
interface DemoWindow {
  ddspDemo: {
    context: AudioContext;
    node: { latency: number; mode: 'audio' | 'notes' } | null;
    inputAnalyser: AnalyserNode;
    outputAnalyser: AnalyserNode;
    source: 'keyboard' | 'mic' | 'file';
    notes: number[];
  };
}

interface Sampled {
  /** Context time of each sample, s. */
  t: number[];
  inHz: number[];
  outHz: number[];
  inRms: number[];
  outRms: number[];
  /** The keys the page holds (MIDI numbers). */
  notes: number[][];
}

/**
 * Polls the page's input and output analysers every `intervalMs` for `durationMs`: RMS and YIN pitch (0 when
 * unvoiced) of each. Runs in the page; self-contained.
 */
async function sample(page: Page, durationMs: number, intervalMs = 100): Promise<Sampled> {
  return page.evaluate(
    async ([durationMs, intervalMs]) => {
      const demo = (window as unknown as DemoWindow).ddspDemo;
      const sr = demo.context.sampleRate;
      const yin = (x: Float32Array): number => {
        const maxLag = Math.floor(sr / 60);
        const minLag = Math.floor(sr / 1500);
        const w = x.length - maxLag;
        const d = new Float64Array(maxLag + 1);
        let sum = 0;
        d[0] = 1;
        for (let tau = 1; tau <= maxLag; tau++) {
          let s = 0;
          for (let i = 0; i < w; i++) {
            const e = x[i] - x[i + tau];
            s += e * e;
          }
          sum += s;
          d[tau] = sum > 0 ? (s * tau) / sum : 1;
        }
        for (let tau = minLag; tau < maxLag; tau++) {
          if (d[tau] < 0.15) {
            while (tau + 1 < maxLag && d[tau + 1] < d[tau]) tau++;
            const den = d[tau - 1] - 2 * d[tau] + d[tau + 1];
            return sr / (tau + (den > 0 ? (0.5 * (d[tau - 1] - d[tau + 1])) / den : 0));
          }
        }
        return 0;
      };
      const rms = (x: Float32Array): number => {
        let s = 0;
        for (let i = 0; i < x.length; i++) s += x[i] * x[i];
        return Math.sqrt(s / x.length);
      };
      const xin = new Float32Array(demo.inputAnalyser.fftSize);
      const xoutAll = new Float32Array(demo.outputAnalyser.fftSize);
      // the output's latest xin.length samples: both windows end at the same instant and are equally long
      const xout = xoutAll.subarray(xoutAll.length - xin.length);
      const r = { t: [] as number[], inHz: [] as number[], outHz: [] as number[], inRms: [] as number[], outRms: [] as number[], notes: [] as number[][] };
      const end = performance.now() + durationMs;
      while (performance.now() < end) {
        await new Promise((ok) => setTimeout(ok, intervalMs));
        demo.inputAnalyser.getFloatTimeDomainData(xin);
        demo.outputAnalyser.getFloatTimeDomainData(xoutAll);
        r.t.push(demo.context.currentTime);
        r.inRms.push(rms(xin));
        r.outRms.push(rms(xout));
        r.inHz.push(rms(xin) > 1e-3 ? yin(xin) : 0);
        r.outHz.push(rms(xout) > 1e-4 ? yin(xout) : 0);
        r.notes.push([...demo.notes]);
      }
      return r;
    },
    [durationMs, intervalMs] as const,
  );
}

/** Holds the on-screen key of MIDI note `note` with the mouse while `during` runs. */
async function holdKey<T>(page: Page, note: number, during: () => Promise<T>): Promise<T> {
  const key = page.locator(`#keyboard .key[data-note="${note}"]`);
  await key.scrollIntoViewIfNeeded(); // a long status line can push the keyboard below the fold
  const box = await key.boundingBox();
  if (box === null) throw new Error(`no on-screen key for note ${note}`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.85);
  await page.mouse.down();
  try {
    return await during();
  } finally {
    await page.mouse.up();
  }
}

function summary(s: Sampled): string {
  return s.t
    .map((t, i) => `t=${t.toFixed(2)} in ${s.inHz[i].toFixed(1)} Hz (${s.inRms[i].toFixed(3)}) out ${s.outHz[i].toFixed(1)} Hz (${s.outRms[i].toFixed(4)})`)
    .join('\n');
}

describe.skipIf(skip !== null)('web demo (examples/web) in headless Chromium', () => {
  let dir: string;
  let server: DemoServer;
  let url: string;
  let browser: Browser;
  let page: Page;
  const logs: string[] = [];
  let modelUrl = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ddsp-demo-'));
    mkdirSync(join(dir, 'models'));
    // Named as the bundled ones are: the demo starts with the violin although cello comes first in the list.
    const modelBytes = writeModel(tonalModel());
    writeFileSync(join(dir, 'models', 'violin.onnx'), modelBytes);
    writeFileSync(join(dir, 'half-model.onnx'), modelBytes.subarray(0, modelBytes.length >> 1));
    // 'second' is made for live input (metadata live = 'true'): listed first when the microphone is the input
    writeFileSync(join(dir, 'models', 'second.onnx'), writeModel({ ...tonalModel(4, 'second'), meta: { live: 'true' } }));
    writeFileSync(join(dir, 'models', 'cello.onnx'), writeModel(tonalModel(5, 'random-cello')));
    const wav = join(dir, 'stepped-tone.wav');
    writeFileSync(wav, steppedToneWav());

    server = await startDemoServer(join(dir, 'models'));
    url = server.url;

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}%noloop`,
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo?.node != null, undefined, { timeout: 20_000 });
    modelUrl = await page.inputValue('#model-select');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('starts: lists the models folder, loads the violin (the package default), shows its latency', async () => {
    expect(modelUrl).toBe('/models/violin.onnx');
    expect(await page.textContent('#status')).toMatch(/Model “violin” loaded/);
    const latencyText = (await page.textContent('#latency')) ?? '';
    const node = await page.evaluate(() => ({ latency: (window as unknown as DemoWindow).ddspDemo.node!.latency, mode: (window as unknown as DemoWindow).ddspDemo.node!.mode }));
    expect(node.mode).toBe('notes'); // keyboard is the default source: its keys are notes
    expect(node.latency).toBeGreaterThan(0);
    expect(latencyText).toBe(`${(node.latency * 1000).toFixed(1)} ms`);
    expect(await page.textContent('#model-info')).toMatch(/random-tonal · trained at 48 kHz/);
  });

  it('model picker: switches bundled models and loads a model file', async () => {
    await page.selectOption('#model-select', '/models/second.onnx');
    await page.waitForFunction(() => /Model “second” loaded/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.textContent('#model-info')).toMatch(/^second · /);
    await page.setInputFiles('#model-file', { name: 'my-model.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, 'models', 'violin.onnx')) });
    await page.waitForFunction(() => /Model “my-model.onnx” loaded/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.inputValue('#model-select')).toBe('file:my-model.onnx');
    expect(await page.textContent('#model-info')).toMatch(/^random-tonal · /);
    await page.selectOption('#model-select', modelUrl);
    await page.waitForFunction(() => /Model “violin” loaded/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.inputValue('#model-select')).toBe(modelUrl);
  });

  it('microphone (fake capture of a 440 ↔ 660 Hz stepped tone): non-silent output whose pitch follows the input', async () => {
    await page.click('input[name=source][value=mic]'); // also the user gesture that resumes the AudioContext
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo.source === 'mic' && (window as unknown as DemoWindow).ddspDemo.node!.mode === 'audio');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Microphone:'));
    expect(await page.evaluate(() => (window as unknown as DemoWindow).ddspDemo.context.state)).toBe('running');
    // the live model first for the microphone (folder order otherwise), the playing model still selected
    const listed = await page.evaluate(() => [...document.querySelectorAll<HTMLOptionElement>('#model-select option')].map((o) => o.value));
    expect(listed.slice(1, 4)).toEqual(['/models/second.onnx', '/models/cello.onnx', '/models/violin.onnx']);
    expect(await page.inputValue('#model-select')).toBe(modelUrl);
    // latency meters: the node's, the context's baseLatency and outputLatency, and their sum
    await page.waitForFunction(() => document.getElementById('total-latency')!.textContent !== '–');
    const meters = await page.evaluate(() => ['latency', 'base-latency', 'output-latency', 'total-latency']
      .map((id) => Number.parseFloat(document.getElementById(id)!.textContent!)));
    const base = await page.evaluate(() => (window as unknown as DemoWindow).ddspDemo.context.baseLatency * 1000);
    expect(meters[1]).toBeCloseTo(base, 1);
    expect(meters[3]).toBeGreaterThanOrEqual(meters[0] + meters[1]);
    expect(Math.abs(meters[3] - (meters[0] + meters[1] + meters[2]))).toBeLessThanOrEqual(0.15);
    await page.waitForTimeout(500);
    const s = await sample(page, 3500);
    const info = `${summary(s)}\n${logs.join('\n')}`;
    const n = s.t.length;
    expect(n, info).toBeGreaterThanOrEqual(20);
    // the context runs in real time
    expect(s.t[n - 1] - s.t[0], info).toBeGreaterThan(2.5);
    // input: the stepped tone, both steps seen
    const inVoiced = s.inHz.filter((f) => f > 0);
    expect(inVoiced.length, info).toBeGreaterThanOrEqual(0.8 * n);
    for (const f of STEP_HZ) expect(inVoiced.some((g) => Math.abs(cents(g, f)) < 20), `${f} Hz in input\n${info}`).toBe(true);
    // output: non-silent throughout
    expect(s.outRms.filter((r) => r > 0.01).length, info).toBeGreaterThanOrEqual(0.9 * n);
    // output pitch follows the input's at most sampled times: all where the input is steady (the same pitch at the
    // neighbouring samples too); the others straddle a step (analysis window + the node's latency)
    const voiced = s.t.map((_, i) => i).filter((i) => s.inHz[i] > 0);
    const steady = voiced.filter((i) => i > 0 && i < n - 1 && [i - 1, i + 1].every((j) => Math.abs(cents(s.inHz[j], s.inHz[i])) < 20));
    const follows = (i: number) => Math.abs(cents(s.outHz[i], s.inHz[i])) < 50;
    console.log(
      `[demo] mic: output within 50 cents of the input's pitch at ${voiced.filter(follows).length}/${voiced.length} ` +
        `voiced samples, ${steady.filter(follows).length}/${steady.length} steady ones`,
    );
    if (process.env.DDSP_DEMO_VERBOSE === '1') console.log(info);
    expect(voiced.filter(follows).length, info).toBeGreaterThanOrEqual(0.75 * voiced.length);
    expect(steady.length, info).toBeGreaterThanOrEqual(0.5 * n);
    expect(steady.filter(follows).length, info).toBeGreaterThanOrEqual(0.95 * steady.length);
    // and it moves with the input: output at both steps
    for (const f of STEP_HZ) {
      expect(s.outHz.filter((g) => Math.abs(cents(g, f)) < 50).length, `${f} Hz in output\n${info}`).toBeGreaterThanOrEqual(3);
    }
  });

  it('on-screen keyboard: A4 gives 440 Hz (notes mode), silent once released; the computer key K gives C5; MIDI button', async () => {
    await page.click('input[name=source][value=keyboard]');
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo.source === 'keyboard' && (window as unknown as DemoWindow).ddspDemo.node!.mode === 'notes');
    const held = await holdKey(page, 69, async () => {
      await page.waitForTimeout(400);
      return sample(page, 1000);
    });
    let info = `${summary(held)}\n${logs.join('\n')}`;
    expect(held.outRms.every((r) => r > 0.01), info).toBe(true);
    expect(held.outHz.filter((f) => Math.abs(cents(f, 440)) < 50).length, info).toBeGreaterThanOrEqual(0.9 * held.t.length);
    expect(Math.abs(cents(median(held.outHz), 440)), info).toBeLessThan(10);

    // the key is one note of the node, held throughout
    expect(held.notes.every((n) => n.length === 1 && n[0] === 69), info).toBe(true);
    // release: the note off ends the note's voice (150 ms release; the reverb's 20 ms tail), so the output falls
    // silent, whatever this random model's amplitudes do with loudness
    await page.waitForTimeout(800);
    const released = await sample(page, 300);
    expect(released.notes.every((n) => n.length === 0), summary(released)).toBe(true);
    expect(Math.max(...released.outRms), summary(released)).toBeLessThan(1e-4);

    await page.keyboard.down('k');
    await page.waitForTimeout(400);
    const c5 = await sample(page, 800);
    await page.keyboard.up('k');
    info = `${summary(c5)}\n${logs.join('\n')}`;
    expect(c5.notes.every((n) => n.length === 1 && n[0] === 72), info).toBe(true);
    expect(Math.abs(cents(median(c5.outHz), 440 * 2 ** (3 / 12))), info).toBeLessThan(10);

    // Web MIDI: the button asks for access and says what came of it (headless here: no permission / no ALSA
    // sequencer, so a 'MIDI unavailable' line; with a device, 'MIDI: <inputs>'); the keyboard keeps working
    await page.click('#midi-enable');
    await page.waitForFunction(() => /^MIDI/.test(document.getElementById('midi-status')!.textContent ?? ''));
    const midi = (await page.textContent('#midi-status')) ?? '';
    console.log(`[demo] ${midi}`);
    expect(midi).toMatch(/^MIDI(: | unavailable: )/);
  });

  it('a chord: the on-screen C4 held with the mouse and the computer keys D and G (E4, G4): three fundamentals', async () => {
    await page.click('input[name=source][value=keyboard]');
    const notes = [60, 64, 67];
    const hz = notes.map((n) => 440 * 2 ** ((n - 69) / 12));
    const r = await holdKey(page, 60, async () => {
      await page.keyboard.down('d');
      await page.keyboard.down('g');
      try {
        await page.waitForTimeout(500);
        return await page.evaluate(() => {
          const demo = (window as unknown as DemoWindow).ddspDemo;
          const x = new Float32Array(demo.outputAnalyser.fftSize);
          demo.outputAnalyser.getFloatTimeDomainData(x);
          return { x: Array.from(x), notes: [...demo.notes], sampleRate: demo.context.sampleRate, readout: document.getElementById('pitch-readout')!.textContent };
        });
      } finally {
        await page.keyboard.up('g');
        await page.keyboard.up('d');
      }
    });
    expect([...r.notes].sort((a, b) => a - b)).toEqual(notes);
    expect(r.readout).toBe('C4 · E4 · G4'); // a chord's readout names its keys
    // the analyser's last 4096 samples (85 ms), Hann window, zero-padded to 16384: lobes ±23 Hz, the notes 68 Hz apart
    const peaks = spectralPeaks(Float32Array.from(r.x), r.sampleRate, { size: 16384, loHz: 40, hiHz: 4500, halfWidthHz: 30 });
    const strong = peaks.filter((p) => p.db > -30);
    const info = `peaks: ${strong.map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ')}\n${logs.join('\n')}`;
    console.log(`[demo] chord C4 E4 G4: ${strong.length} peaks within 30 dB of the strongest; ${strong.slice(0, 8).map((p) => `${p.hz.toFixed(1)} Hz ${p.db.toFixed(1)} dB`).join(', ')}`);
    // each fundamental is a peak within 20 dB of the strongest, at its pitch (±15 cents: 85 ms of signal)
    for (const f of hz) {
      const p = peaks.find((q) => Math.abs(1200 * Math.log2(q.hz / f)) < 15);
      expect(p, `${f.toFixed(1)} Hz\n${info}`).toBeDefined();
      expect(p!.db, `${f.toFixed(1)} Hz\n${info}`).toBeGreaterThan(-20);
    }
    // and every peak within 30 dB of the strongest is a harmonic of one of the notes (nothing below C4)
    for (const p of strong) expect(Math.abs(nearestHarmonic(p.hz, hz).cents), `${p.hz.toFixed(1)} Hz\n${info}`).toBeLessThan(20);
    expect(Math.min(...strong.map((p) => p.hz)), info).toBeGreaterThan(250);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as DemoWindow).ddspDemo.notes)).toEqual([]);
  });

  it('multi-touch: three fingers on the on-screen keys C4, E4, G4 hold three notes; lifting them releases all', async () => {
    const touch = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
    const tp = await touch.newPage();
    await tp.goto(url);
    await tp.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo?.node != null, undefined, { timeout: 20_000 });
    const points = [];
    for (const [id, note] of [60, 64, 67].entries()) {
      const key = tp.locator(`#keyboard .key[data-note="${note}"]`);
      await key.scrollIntoViewIfNeeded();
      const box = (await key.boundingBox())!;
      points.push({ x: box.x + box.width / 2, y: box.y + box.height * 0.85, id });
    }
    const cdp = await touch.newCDPSession(tp);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: points });
    await tp.waitForTimeout(300);
    const held = await tp.evaluate(() => ({ notes: (window as unknown as DemoWindow).ddspDemo.notes, mode: (window as unknown as DemoWindow).ddspDemo.node!.mode }));
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await tp.waitForTimeout(100);
    const released = await tp.evaluate(() => (window as unknown as DemoWindow).ddspDemo.notes);
    await touch.close();
    expect([...held.notes].sort((a, b) => a - b)).toEqual([60, 64, 67]);
    expect(held.mode).toBe('notes');
    expect(released).toEqual([]);
  });

  it('audio file input: an example phrase (examples/audio) plays, looped, through the model (audio mode)', async () => {
    await page.click('input[name=source][value=file]');
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo.node!.mode === 'audio');
    const phrases = await page.locator('#audio-select option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const violin = phrases.find((v) => v.includes('violin'));
    expect(violin, phrases.join(', ')).toBeDefined();
    await page.selectOption('#audio-select', violin!);
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Playing'));
    expect(await page.textContent('#audio-play')).toBe('Stop');
    await page.waitForTimeout(300);
    const s = await sample(page, 1500);
    const info = `${summary(s)}\n${logs.join('\n')}`;
    expect(s.inRms.filter((r) => r > 0.002).length, info).toBeGreaterThanOrEqual(0.7 * s.t.length);
    expect(s.outRms.filter((r) => r > 0.005).length, info).toBeGreaterThanOrEqual(0.8 * s.t.length);
    // (pitch following is the microphone test's: this phrase has a wide vibrato and notes up to 1.8 kHz)
    await page.click('#audio-play');
    expect(await page.textContent('#audio-play')).toBe('Play');
    expect(await page.textContent('#status')).toMatch(/^Stopped “.*violin.*”\.$/);
    await page.waitForTimeout(200);
    const stopped = await sample(page, 200);
    expect(Math.max(...stopped.inRms), summary(stopped)).toBeLessThan(1e-4);
    // a key played while another source is selected switches to the keyboard (notes mode)
    await page.keyboard.down('h');
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo.node!.mode === 'notes');
    // and that first note plays (A4): the mode is set before the note-on reaches the processor
    await page.waitForTimeout(300);
    const first = await sample(page, 400);
    await page.keyboard.up('h');
    expect(Math.abs(cents(median(first.outHz), 440)), summary(first)).toBeLessThan(10);
    expect(await page.isChecked('input[name=source][value=keyboard]')).toBe(true);
  });

  it('a file that is not a model: a clear message, the previous model keeps playing', async () => {
    for (const [name, bytes] of [
      ['notes.onnx', Buffer.from('these are my notes, not a neural network\n')],
      ['half-model.onnx', readFileSync(join(dir, 'half-model.onnx'))],
    ] as const) {
      await page.setInputFiles('#model-file', { name, mimeType: 'application/octet-stream', buffer: bytes });
      await page.waitForFunction(() => document.getElementById('status')!.classList.contains('error'));
      const status = (await page.textContent('#status')) ?? '';
      console.log(`[demo] ${name}: ${status}`);
      expect(status).toContain(`“${name}” is not a ddsp-stream model file`);
      expect(status).toContain('invalid model file');
      expect(status).toContain('[MODEL_FORMAT]');
      expect(status).toContain('The previous model keeps playing.');
      expect(await page.inputValue('#model-select')).toBe(modelUrl);
      expect(await page.locator('#model-select option').count()).toBe(5); // placeholder, 3 bundled, my-model.onnx
    }
    const s = await holdKey(page, 69, async () => {
      await page.waitForTimeout(400);
      return sample(page, 600);
    });
    const info = `${summary(s)}\n${logs.join('\n')}`;
    expect(s.outRms.every((r) => r > 0.01), info).toBe(true);
    expect(Math.abs(cents(median(s.outHz), 440)), info).toBeLessThan(10);
    expect(logs.filter((l) => l.startsWith('[pageerror]')), logs.join('\n')).toEqual([]);
  });

  it('the pitch readout reaches C7 (2093 Hz, the flute phrase\'s top note; it stopped near 2 kHz)', async () => {
    await page.click('input[name=source][value=keyboard]');
    for (let i = 0; i < 3; i++) await page.click('#octave-up'); // C4 → C7
    const readout = await holdKey(page, 96, async () => {
      await page.waitForTimeout(700);
      return page.textContent('#pitch-readout');
    });
    for (let i = 0; i < 3; i++) await page.click('#octave-down');
    const hz = Number(/≈ ([\d.]+) Hz/.exec(readout ?? '')?.[1]);
    console.log(`[demo] C7 readout: ${readout}`);
    expect(Math.abs(cents(hz, 440 * 2 ** (27 / 12))), readout ?? '').toBeLessThan(50);
  });

  it('at phone width (390 px): one column, the spectrogram as wide as the page, nothing overflows', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(url);
    await phone.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo?.node != null, undefined, { timeout: 20_000 });
    await phone.waitForTimeout(300);
    const box = await phone.locator('#spectrogram').boundingBox();
    const scrollWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
    const file = process.env.DDSP_UPDATE_DEMO_SCREENSHOT === '1' ? join(REPO_ROOT, 'docs', 'demo-390.png') : join(dir, 'demo-390.png');
    const png = await phone.screenshot({ path: file, fullPage: true });
    console.log(`[demo] 390 px: spectrogram ${box?.width}×${box?.height} px, page scroll width ${scrollWidth} px; ${file}`);
    expect(pngSize(png)[0]).toBe(390);
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(100);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await phone.close();
  });

  it('screenshot (1280×800) of the page playing the bundled violin', async () => {
    // a fresh page (no error line from the previous test); its first key press is the gesture that starts audio
    await page.reload();
    await page.waitForFunction(() => (window as unknown as DemoWindow).ddspDemo?.node != null, undefined, { timeout: 20_000 });
    // the package's own violin, loaded as a user's model file would be: the picture shows a real model playing
    await page.setInputFiles('#model-file', { name: 'violin.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(join(REPO_ROOT, 'models', 'violin.onnx')) });
    await page.waitForFunction(() => /Model “violin.onnx” loaded/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.textContent('#model-info')).toMatch(/^violin · trained at 48 kHz/);
    // a short phrase on the computer keys, then a chord held (C4 E4 G4 C5), so the spectrogram shows notes
    for (const k of ['a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'h', 'f', 'd']) {
      await page.keyboard.down(k);
      await page.waitForTimeout(300);
      await page.keyboard.up(k);
    }
    const chord = ['a', 'd', 'g', 'k'];
    for (const k of chord) await page.keyboard.down(k);
    await page.waitForTimeout(900);
    const file = process.env.DDSP_UPDATE_DEMO_SCREENSHOT === '1' ? join(REPO_ROOT, 'docs', 'demo.png') : join(dir, 'demo.png');
    const png = await page.screenshot({ path: file });
    for (const k of chord) await page.keyboard.up(k);
    console.log(`[demo] screenshot: ${file} (${png.length} bytes)`);
    expect(pngSize(png)).toEqual([1280, 800]);
    expect(logs.filter((l) => l.startsWith('[pageerror]')), logs.join('\n')).toEqual([]);
  });
});
