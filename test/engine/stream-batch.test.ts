// StreamingEngine output == renderOffline output delayed by latencySamples, for every block size and context rate.
import { describe, expect, it } from 'vitest';
import { renderOffline, renderStream } from '../../src/engine/render';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { resynthesize } from '../../src/engine/resynthesis';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { glideSignal } from '../../src/cli/synthetic';
import type { DDSPModel } from '../../src/model/model-file';
import { allFinite, maxAbs, maxAbsDiff, smallModel, streamBlocks } from './helpers';

const BLOCKS = [1, 7, 128, 1000, 2048];

function checkStreamEqualsBatch(contextRate: number, modelRate: number, seconds: number,
  controls: Record<string, number> = {}, framing: Partial<DDSPModel> = {}) {
  const model = { ...smallModel(3, modelRate), ...framing };
  const n = Math.round(seconds * contextRate);
  const input = glideSignal(n, contextRate, 180, 420, 0.6);
  const ref = renderOffline(model, input, { sampleRate: contextRate, controls });
  expect(ref.audio.length).toBe(n);
  expect(allFinite(ref.audio)).toBe(true);
  const peak = maxAbs(ref.audio);
  expect(peak).toBeGreaterThan(1e-3);
  for (const block of BLOCKS) {
    const { out, engine } = streamBlocks(model, input, block, { sampleRate: contextRate, controls }, ref.latencySamples);
    const D = engine.latencySamples;
    expect(D).toBe(ref.latencySamples);
    // Nothing before the latency.
    expect(maxAbs(out.subarray(0, D))).toBe(0);
    const d = maxAbsDiff(out.subarray(D), ref.audio);
    expect(d.max, `block ${block}: max diff ${d.max} at ${d.at} (peak ${peak})`).toBeLessThanOrEqual(1e-5 * peak);
  }
}

describe('stream == batch delayed by latencySamples', () => {
  it('48 kHz context, 48 kHz model, blocks 1, 7, 128, 1000, 2048', () => {
    checkStreamEqualsBatch(48000, 48000, 0.7);
  });

  it('44.1 kHz context, 48 kHz model (analysis resampled), blocks 1, 7, 128, 1000, 2048', () => {
    checkStreamEqualsBatch(44100, 48000, 0.7);
  });

  it('a causal 480-sample window at 250 frames/s (the live preset\'s framing), 48 and 44.1 kHz context', () => {
    const live = { frameRate: 250, analysisWindow: 480, analysisAlignment: 'causal' as const, f0RangeHz: [150, 2000] as [number, number] };
    checkStreamEqualsBatch(48000, 48000, 0.5, {}, live);
    checkStreamEqualsBatch(44100, 48000, 0.5, {}, live);
  });

  it('96 kHz context with a 48 kHz model', () => {
    const model = smallModel(5, 48000);
    const n = 48000;
    const input = glideSignal(n, 96000, 200, 300);
    const ref = renderOffline(model, input, { sampleRate: 96000 });
    for (const block of [128, 1000]) {
      const { out, engine } = streamBlocks(model, input, block, { sampleRate: 96000 }, ref.latencySamples);
      const D = engine.latencySamples;
      expect(maxAbsDiff(out.subarray(D), ref.audio).max).toBeLessThanOrEqual(1e-5 * maxAbs(ref.audio));
    }
  });

  it('holds with non-default controls (pitch shift, mixes) set at construction', () => {
    checkStreamEqualsBatch(48000, 48000, 0.4, { pitchShift: 3.5, harmonicMix: 1.4, noiseMix: 0.3, reverbMix: 0.8 });
  });

  it('holds with irregular block sizes (1, 127, 3, 512, 64, 2049)', () => {
    const model = smallModel(4);
    const input = glideSignal(30000, 48000, 300, 150);
    const ref = renderOffline(model, input, { sampleRate: 48000 });
    const { out, engine } = streamBlocks(model, input, [1, 127, 3, 512, 64, 2049], { sampleRate: 48000 }, ref.latencySamples);
    const d = maxAbsDiff(out.subarray(engine.latencySamples), ref.audio);
    expect(d.max).toBeLessThanOrEqual(1e-5 * maxAbs(ref.audio));
  });

  it('renderStream (engine driven, latency flushed) equals renderOffline', () => {
    const model = smallModel(6);
    const input = glideSignal(24000, 48000);
    const ref = renderOffline(model, input, { sampleRate: 48000 });
    const st = renderStream(model, input, { sampleRate: 48000, block: 128, timeBlocks: true });
    expect(st.audio.length).toBe(input.length);
    expect(st.blockMs?.length).toBeGreaterThan(0);
    expect(maxAbsDiff(st.audio, ref.audio).max).toBeLessThanOrEqual(1e-5 * maxAbs(ref.audio));
  });

  it('reset() returns to the start state: a second pass equals the first', () => {
    const model = smallModel(2);
    const input = glideSignal(20000, 48000);
    const e = new StreamingEngine(model, { sampleRate: 48000 });
    const a = new Float32Array(input.length);
    const b = new Float32Array(input.length);
    for (let p = 0; p < input.length; p += 128) e.process(input, a, Math.min(128, input.length - p), p, p);
    e.reset();
    for (let p = 0; p < input.length; p += 128) e.process(input, b, Math.min(128, input.length - p), p, p);
    expect(maxAbsDiff(a, b).max).toBe(0);
  });
});

describe('control mode', () => {
  for (const [sr, design] of [[48000, 'linear-phase'], [44100, 'seed']] as const) {
    it(`engine in control mode == renderOffline with the same per-tick features at ${sr} Hz (${design} noise model), blocks 1, 7, 128, 1000, 2048`, () => {
      const model = smallModel(8, 48000, { design });
      const nTicks = 300;
      const f0 = new Float32Array(nTicks);
      const loud = new Float32Array(nTicks);
      for (let k = 0; k < nTicks; k++) {
        f0[k] = k % 9 === 4 ? 0 : 200 + k; // some unvoiced ticks: held
        loud[k] = k % 40 < 3 ? loud[Math.max(0, k - 1)] : -50 + (k % 37); // some unchanged ticks: not re-estimated
      }
      const n = nTicks * 128;
      const ref = renderOffline(model, new Float32Array(n), { sampleRate: sr, features: { f0Hz: f0, loudnessDb: loud } });
      expect(ref.latencySamples).toBe(64);
      const peak = maxAbs(ref.audio);
      expect(peak).toBeGreaterThan(1e-4);
      for (const block of BLOCKS) {
        const st = renderStream(model, null, { sampleRate: sr, block, nSamples: n, features: { f0Hz: f0, loudnessDb: loud } });
        expect(st.latencySamples).toBe(64);
        const d = maxAbsDiff(st.audio, ref.audio);
        expect(d.max, `block ${block}: ${d.max} at ${d.at}`).toBeLessThanOrEqual(1e-5 * peak);
      }
    });
  }

  it('setControlFeatures before each frame drives the output; the input is ignored', () => {
    const model = smallModel(9);
    const a = new StreamingEngine(model, { sampleRate: 48000, mode: 'control' });
    const b = new StreamingEngine(model, { sampleRate: 48000, mode: 'control' });
    const outA = new Float32Array(128);
    const outB = new Float32Array(128);
    const junk = glideSignal(128, 48000);
    const f0 = Float64Array.of(330);
    const loudness = Float64Array.of(-30);
    let diff = 0;
    let energy = 0;
    for (let q = 0; q < 200; q++) {
      a.setControlFeatures(f0, loudness);
      b.setControlFeatures(f0, loudness);
      a.process(junk, outA, 128);
      b.process(null, outB, 128);
      diff = Math.max(diff, maxAbsDiff(outA, outB).max);
      energy += maxAbs(outA);
    }
    expect(diff).toBe(0);
    expect(energy).toBeGreaterThan(0);
  });
});

describe('resynthesize (shared by renderOffline and eval)', () => {
  it('an estimator reused across clips gives what a fresh one gives (its GRU state is reset per clip)', () => {
    const model = smallModel(10);
    const est = new EstimatorRuntime(model.estimator, model.estimator.weights);
    const clip = (f0: number): [Float32Array, Float32Array] => {
      const f = new Float32Array(20);
      const l = new Float32Array(20);
      for (let k = 0; k < 20; k++) { f[k] = f0 + 5 * k; l[k] = -25 + (k % 4); }
      return [f, l];
    };
    const [fa, la] = clip(220);
    const [fb, lb] = clip(330);
    const n = 20 * 960;
    const fresh = resynthesize(model, fb, lb, n, { sampleRate: 48000 });
    expect(maxAbs(fresh)).toBeGreaterThan(1e-4);
    const first = resynthesize(model, fa, la, n, { sampleRate: 48000, estimator: est });
    expect(maxAbsDiff(first, fresh).max).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(resynthesize(model, fb, lb, n, { sampleRate: 48000, estimator: est }), fresh).max).toBe(0);
    expect(() => resynthesize(model, fa, lb.subarray(1), n, { sampleRate: 48000 })).toThrow(RangeError);
  });
});
