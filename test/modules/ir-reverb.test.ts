import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveImpulseResponse, irReverbBatch, IRReverbStream } from '../../src/modules/ir-reverb';
import { allFinite, BLOCK_SIZES, peak, relMaxErr, rng, uniform } from './helpers';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/seed', name), 'utf8'));

function runStream(s: IRReverbStream, x: Float32Array, block: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let p = 0; p < x.length; p += block) s.process(x, p, y, p, Math.min(block, x.length - p));
  return y;
}

/** A decaying-noise IR like the seed's initialisation, length L−1. */
function decayIR(r: () => number, L1: number, sr: number): Float32Array {
  const ir = new Float32Array(L1);
  for (let i = 0; i < L1; i++) ir[i] = (r() - 0.5) * 0.1 * Math.exp((-5 * i) / sr);
  return ir;
}

describe('IRReverb module', () => {
  it('batch reproduces the seed fixture reverb.json (dry + first N of conv with [0, ir])', () => {
    const c = fixture('reverb.json');
    const out = irReverbBatch(Float32Array.from(c.inputs.audio.data), { sampleRate: 48000, ir: Float32Array.from(c.inputs.ir.data) });
    expect(relMaxErr(out, c.outputs.audio.data)).toBeLessThanOrEqual(1e-5);
  });

  const r = rng(3);
  const x = uniform(r, 24000, -0.5, 0.5);
  const ir = decayIR(r, 47999, 48000);
  it(`stream (partitioned, zero latency) == batch for block sizes ${BLOCK_SIZES.join(', ')}`, () => {
    const o = { sampleRate: 48000, ir };
    const want = irReverbBatch(x, o);
    for (const bs of BLOCK_SIZES) {
      expect(relMaxErr(runStream(new IRReverbStream(o), x, bs), want), `block ${bs}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('mix law 2m·wet + 2(1−m)·dry; m = 0.5 equals training (dry + wet)', () => {
    const xs = x.subarray(0, 4000);
    const irs = ir.subarray(0, 999);
    const dry = irReverbBatch(xs, { sampleRate: 48000, ir: irs, reverbMix: 0 });
    const wet = irReverbBatch(xs, { sampleRate: 48000, ir: irs, reverbMix: 1 });
    const half = irReverbBatch(xs, { sampleRate: 48000, ir: irs });
    for (let i = 0; i < 4000; i++) {
      expect(dry[i]).toBeCloseTo(2 * xs[i], 6);
      expect(half[i]).toBeCloseTo((dry[i] + wet[i]) / 2, 6);
    }
    const m3 = irReverbBatch(xs, { sampleRate: 48000, ir: irs, reverbMix: 0.3 });
    for (let i = 0; i < 4000; i++) expect(m3[i]).toBeCloseTo(0.7 * dry[i] + 0.3 * wet[i], 6);
  });

  it('a jump of reverbMix in the stream is ramped over 5 ms', () => {
    const s = new IRReverbStream({ sampleRate: 48000, ir: new Float32Array(10), reverbMix: 0.5 });
    const one = new Float32Array(1000).fill(1);
    const y = new Float32Array(1000);
    s.process(one, 0, y, 0, 500);
    s.setReverbMixFrom(Float64Array.of(0), 0); // dry gain 1 → 2 (wet is 0 with a zero IR)
    s.process(one, 500, y, 500, 500);
    expect(y[499]).toBeCloseTo(1, 6);
    expect(y[500]).toBeLessThan(1.01);
    expect(y[620]).toBeCloseTo(1.5, 2);
    expect(y[999]).toBeCloseTo(2, 6);
  });

  it('other rates: the IR is resampled once and scaled, so the reverb gain is kept', () => {
    // a smooth IR (low-passed decay) so that resampling preserves it
    const L1 = 4799;
    const smooth = new Float32Array(L1);
    for (let i = 0; i < L1; i++) smooth[i] = Math.exp(-i / 800) * Math.sin((2 * Math.PI * 300 * i) / 48000) * 0.05 + 0.01 * Math.exp(-i / 500);
    let s48 = 0;
    for (const v of effectiveImpulseResponse(smooth, 48000)) s48 += v;
    for (const sr of [44100, 96000]) {
      const h = effectiveImpulseResponse(smooth, sr, 48000);
      expect(Math.abs(h.length - (L1 + 1) * (sr / 48000))).toBeLessThanOrEqual(2);
      let s = 0;
      for (const v of h) s += v;
      expect(s / s48).toBeGreaterThan(0.99);
      expect(s / s48).toBeLessThan(1.01);
      const st = new IRReverbStream({ sampleRate: sr, ir: smooth, modelSampleRate: 48000 });
      expect(st.irLength).toBe(h.length);
    }
  });

  it('bad input: clear errors at construction / batch; per-block calls never throw, NaN input does not poison', () => {
    expect(() => new IRReverbStream({ sampleRate: 48000, ir: [1, 2] as unknown as Float32Array })).toThrow(TypeError);
    expect(() => new IRReverbStream({ sampleRate: 48000, ir: Float32Array.of(1, NaN) })).toThrow(/ir\[1\]/);
    expect(() => new IRReverbStream({ sampleRate: 48000, ir: Float32Array.of(1), reverbMix: 2 })).toThrow(/reverbMix/);
    expect(() => irReverbBatch(Float32Array.of(1, Infinity), { sampleRate: 48000, ir: Float32Array.of(1) })).toThrow(/audio\[1\]/);
    const s = new IRReverbStream({ sampleRate: 48000, ir: Float32Array.of(0.5, 0.25) });
    const y = new Float32Array(8);
    expect(() => s.process(Float32Array.of(NaN, Infinity, 1, 0), 0, y, 0, 4)).not.toThrow();
    expect(() => s.process(y, 0, y, 0, 0)).not.toThrow();
    s.process(new Float32Array(4), 0, y, 4, 4);
    expect(allFinite(y)).toBe(true);
    expect(peak(y)).toBeGreaterThan(0);
  });
});
