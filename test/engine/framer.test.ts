// Framing and scheduling maths: window sizes, the ring buffer, the resampler production map, the latency budget.
import { describe, expect, it } from 'vitest';
import { AnalysisRing, batchFrameCount, measureProduction } from '../../src/engine/framer';
import { analysisWindowSize, windowStart } from '../../src/dsp/analysis-window';
import { StreamResampler } from '../../src/dsp/resample';
import { SynthStream } from '../../src/synth/graph';
import { planFor, synthOptions } from '../../src/engine/frame-path';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { syntheticModel } from '../../src/cli/synthetic';
import { smallModel } from './helpers';

/**
 * Oracle: first context-rate batch sample at which the harmonic / mix interpolation reads frame k: 0 for k = 0,
 * else ceil((k − 0.5)·hop − 0.5) (the first sample past frame k−1's centre).
 */
function harmonicNeed(k: number, hopContext: number): number {
  if (k <= 0) return 0;
  const s = Math.ceil((k - 0.5) * hopContext - 0.5);
  return s > 0 ? s : 0;
}

describe('analysis window', () => {
  it('is 2048 at 48 kHz and scales with the model rate (even)', () => {
    expect(analysisWindowSize(48000)).toBe(2048);
    expect(analysisWindowSize(96000)).toBe(4096);
    expect(analysisWindowSize(44100)).toBe(1882);
    expect(analysisWindowSize(16000) % 2).toBe(0);
    expect(() => analysisWindowSize(0)).toThrow(RangeError);
  });

  it('frame k is centred at k·hop, or (causal) ends there', () => {
    expect(windowStart(0, 960, 2048)).toBe(-1024);
    expect(windowStart(3, 960, 2048)).toBe(3 * 960 - 1024);
    expect(windowStart(3, 192, 480, 'causal')).toBe(3 * 192 - 480);
    expect(windowStart(3, 176.4, 480, 'causal') + 480).toBe(529); // round(529.2): the frame instant
  });
});

describe('AnalysisRing', () => {
  it('gives contiguous windows across the wrap and zeros before the start', () => {
    const r = new AnalysisRing(10);
    const x = Float32Array.from({ length: 25 }, (_, i) => i + 1);
    const off0 = r.offsetOf(-4);
    expect(Array.from(r.data.subarray(off0, off0 + 4))).toEqual([0, 0, 0, 0]);
    r.write(x, 0, 7);
    r.write(x, 7, 9); // 16 written: indices 6..15 readable
    const off = r.offsetOf(8);
    expect(Array.from(r.data.subarray(off, off + 8))).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
    r.writeZeros(2);
    const off2 = r.offsetOf(12);
    expect(Array.from(r.data.subarray(off2, off2 + 6))).toEqual([13, 14, 15, 16, 0, 0]);
  });
});

describe('resampler production map', () => {
  it('predicts exactly when a block-wise StreamResampler has produced each sample', () => {
    for (const [from, to] of [[44100, 48000], [48000, 44100], [96000, 48000], [22050, 48000]]) {
      const probe = new StreamResampler(from, to, 1);
      const one = new Float32Array(1);
      const sink = new Float32Array(8);
      const map = measureProduction(from, to, probe.latency + 100, () => probe.process(one, 0, 1, sink, 0));
      // Check against a block-wise run far past the probed table.
      const rs = new StreamResampler(from, to, 128);
      const x = new Float32Array(128);
      const y = new Float32Array(rs.maxOutput(128));
      let produced = 0;
      for (let fed = 0; fed < 3 * from; ) {
        const m = 1 + ((fed * 7) % 128);
        produced += rs.process(x, 0, m, y, 0);
        fed += m;
        // everything with inputNeeded ≤ fed is produced; nothing more
        expect(map.inputNeeded(produced)).toBeLessThanOrEqual(fed);
        expect(map.inputNeeded(produced + 1)).toBeGreaterThan(fed);
      }
    }
  });
});

describe('frame plan and latency', () => {
  it('at the defaults (48 kHz, hop 960, window 2048, no spread): 1023 + 480 = 1503 samples; a spread of 5 quanta adds 640', () => {
    const model = syntheticModel({ hiddenSize: 8, nHarmonics: 256, filterSize: 512, irSeconds: 0.05 });
    const e = new StreamingEngine(model, { sampleRate: 48000 });
    expect(e.plan.windowSize).toBe(2048);
    expect(e.plan.hopModel).toBe(960);
    expect(e.plan.spreadSamples).toBe(0);
    // The pure alignment look-ahead of SEED-NOTES §3: the estimator runs in the quantum the window completes.
    expect(e.latencySamples).toBe(1503);
    expect((e.latencySamples / 48000) * 1000).toBe(31.3125);
    expect(new StreamingEngine(model, { sampleRate: 48000, spreadQuanta: 5 }).latencySamples).toBe(2143);
  });

  it('control mode: a tick per quantum, sampled at 128j, needed by the harmonic from 128j − 64: 64 samples at any rate', () => {
    // filterSize 512: a linear-phase noise filter would need 256 samples ahead; minimum phase needs none.
    const model = syntheticModel({ hiddenSize: 8, nHarmonics: 256, filterSize: 512, irSeconds: 0.05 });
    for (const sr of [44100, 48000, 96000]) {
      const e = new StreamingEngine(model, { sampleRate: sr, mode: 'control' });
      expect(e.latencySamples).toBe(64);
      expect(e.plan.hopContext).toBe(128);
      expect(e.frameAvailableAt(3)).toBe(3 * 128 + 1);
      expect(new StreamingEngine(model, { sampleRate: sr }).latencySamples).toBeGreaterThan(1400);
    }
  });

  it('frame need points agree with the synthesizer (harmonic rule; noise filter larger than the hop)', () => {
    for (const filterSize of [64, 4096]) {
      for (const rate of [48000, 44100]) {
        const model = smallModel(1, 48000, { filterSize });
        const synth = new SynthStream(model.synth, synthOptions(model, rate));
        const plan = planFor(model, rate, synth);
        for (let k = 0; k < 60; k++) {
          const e = plan.frameNeed(k);
          expect(synth.framesNeeded(e + 1)).toBeGreaterThan(k);
          expect(e === 0 || synth.framesNeeded(e) <= k).toBe(true);
          if (filterSize === 64 && k > 0) expect(e).toBe(harmonicNeed(k, plan.hopContext));
        }
      }
    }
  });

  it('batchFrameCount covers the clip with an integer synth length', () => {
    const model = smallModel();
    const synth = new SynthStream(model.synth, synthOptions(model, 44100));
    const plan = planFor(model, 44100, synth);
    for (const n of [1, 881, 882, 44100, 12345]) {
      const { nFrames, nSynth } = batchFrameCount(plan, n);
      expect(nSynth).toBeGreaterThanOrEqual(n);
      expect(nSynth).toBe(nFrames * 882);
      expect(plan.frameNeed(nFrames)).toBeGreaterThanOrEqual(n);
    }
  });

  it('a causal window waits for no sample past its frame: the live preset\'s framing reports half a hop and the noise filter\'s advance', () => {
    for (const [filterSize, rate, want] of [[256, 48000, 127], [512, 48000, 255], [64, 48000, 95], [256, 44100, 175]] as const) {
      const model = { ...smallModel(1, 48000, { filterSize, frameRate: 250 }), analysisWindow: 480, analysisAlignment: 'causal' as const };
      const synth = new SynthStream(model.synth, synthOptions(model, rate));
      const plan = planFor(model, rate, synth);
      expect([plan.windowSize, plan.alignment]).toEqual([480, 'causal']);
      expect(plan.latencySamples).toBe(want);
      if (rate === 48000) {
        // frame k is complete once sample 192k − 1 has arrived: whatever the window's length
        for (const k of [0, 1, 7, 250]) expect(plan.frameAvailable(k)).toBe(Math.max(0, 192 * k));
        const longer = { ...model, analysisWindow: 960 };
        expect(planFor(longer, rate, new SynthStream(longer.synth, synthOptions(longer, rate))).latencySamples).toBe(want);
      }
    }
    // the same model centred waits half the window more
    const centred = { ...smallModel(1, 48000, { filterSize: 256, frameRate: 250 }), analysisWindow: 480 };
    expect(planFor(centred, 48000, new SynthStream(centred.synth, synthOptions(centred, 48000))).latencySamples).toBe(127 + 240);
  });

  it('reports the latency at other context rates (resampled analysis)', () => {
    const model = smallModel();
    const l441 = new StreamingEngine(model, { sampleRate: 44100 }).latencySamples;
    const l96 = new StreamingEngine(model, { sampleRate: 96000 }).latencySamples;
    expect(l441).toBeGreaterThan(0);
    expect(l96).toBeGreaterThan(0);
    // Both hold the alignment look-ahead (1503 samples at 48 kHz = 31.3 ms) plus the resampler's delay.
    expect(l441).toBe(1438);
    expect(l96).toBe(3121);
    for (const [l, sr] of [[l441, 44100], [l96, 96000]]) {
      expect(l / sr).toBeGreaterThan(1503 / 48000);
      expect(l / sr).toBeLessThanOrEqual(0.033);
    }
  });
});
