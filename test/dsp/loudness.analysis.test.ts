import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoudnessMeter, loudnessFrames, aWeightingDb, reflectIndex } from '../../src/dsp/loudness';

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'seed', 'loudness.json'), 'utf8')) as {
  config: { sample_rate: number; frame_rate: number; n_fft: number };
  inputs: { audio: { data: number[] } };
  outputs: { loudness_db: { data: number[] } };
};

function sine(hz: number, n: number, sr: number, amp = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / sr);
  return x;
}

describe('A-weighting', () => {
  it('follows the standard curve (0 dB at 1 kHz, −19.1 dB at 100 Hz, floor −80)', () => {
    expect(aWeightingDb(1000)).toBeCloseTo(0, 1);
    expect(aWeightingDb(100)).toBeCloseTo(-19.1, 1);
    expect(aWeightingDb(10000)).toBeCloseTo(-2.5, 1);
    expect(aWeightingDb(1e-8)).toBe(-80);
  });
});

describe('loudnessFrames (batch)', () => {
  it('matches the seed fixture within 0.05 dB per frame', () => {
    const { sample_rate, frame_rate, n_fft } = fixture.config;
    const ours = loudnessFrames(Float32Array.from(fixture.inputs.audio.data), sample_rate, frame_rate, n_fft);
    const ref = fixture.outputs.loudness_db.data;
    expect(ours.length).toBe(ref.length);
    let max = 0;
    for (let k = 0; k < ref.length; k++) max = Math.max(max, Math.abs(ours[k] - ref[k]));
    expect(max).toBeLessThanOrEqual(0.05);
  });

  it('keeps floor(seconds × frameRate) frames and floors silence at −80 dB', () => {
    const sr = 48000;
    expect(loudnessFrames(new Float32Array(48000), sr, 50).length).toBe(50);
    expect(loudnessFrames(new Float32Array(48959), sr, 50).length).toBe(50);
    expect(loudnessFrames(new Float32Array(48960), sr, 50).length).toBe(51);
    expect(loudnessFrames(new Float32Array(100), sr, 50).length).toBe(0);
    const silent = loudnessFrames(new Float32Array(9600), sr, 50);
    expect(Array.from(silent)).toEqual(new Array(10).fill(-80));
  });

  it('is not clamped above: a full-scale 1.5 kHz sine reads the expected level', () => {
    // Σ_k |X_k|² over the rfft bins of an integer-period sine ≈ (N/2)²·A²/... : check against the direct formula.
    const sr = 48000;
    const n = 2048;
    const x = sine(1500, sr, sr); // 1500 Hz = bin 64 of 2048 exactly at 48 kHz
    const l = loudnessFrames(x, sr, 50, n);
    const binPower = (n / 2) * (n / 2); // |X_64|² for a unit sine, rectangular window
    const expected = 10 * Math.log10((binPower * Math.pow(10, aWeightingDb(1500) / 10)) / (n / 2 + 1));
    expect(l[10]).toBeCloseTo(expected, 2);
    expect(expected).toBeGreaterThan(20);
  });

  it('reflect padding mirrors without repeating the edge sample', () => {
    expect([-3, -2, -1, 0, 1, 4, 5, 6, 7].map((i) => reflectIndex(i, 5))).toEqual([3, 2, 1, 0, 1, 4, 3, 2, 1]);
    expect(reflectIndex(-7, 1)).toBe(0);
  });

  it('throws RangeError on bad arguments', () => {
    expect(() => loudnessFrames(new Float32Array(10), 0, 50)).toThrow(RangeError);
    expect(() => loudnessFrames(new Float32Array(10), 48000, 0)).toThrow(/frameRate/);
    expect(() => loudnessFrames(new Float32Array(10), 48000, 50, 1001)).toThrow(/nFft/);
    expect(() => new LoudnessMeter(48000, 7)).toThrow(RangeError);
  });
});

describe('LoudnessMeter (stream)', () => {
  it('equals the batch frame whose centred window it measures', () => {
    const { sample_rate: sr, frame_rate: fr, n_fft: nFft } = fixture.config;
    const audio = Float32Array.from(fixture.inputs.audio.data);
    const batch = loudnessFrames(audio, sr, fr, nFft);
    const meter = new LoudnessMeter(sr, nFft);
    const hop = sr / fr;
    let checked = 0;
    for (let k = 0; k < batch.length; k++) {
      const start = k * hop - nFft / 2; // window ending at k·hop + nFft/2
      if (start < 0 || start + nFft > audio.length) continue; // edge frames use reflect padding
      expect(Math.abs(meter.measure(audio, start) - batch[k])).toBeLessThan(1e-4); // batch output is float32
      checked++;
    }
    expect(checked).toBeGreaterThan(90);
  });

  it('reads zeros outside the array, treats NaN/Inf as 0 and never returns NaN', () => {
    const meter = new LoudnessMeter(48000);
    const x = sine(440, 4096, 48000, 0.5);
    const ref = meter.measure(x, 0);
    const withNaN = x.slice();
    withNaN[100] = NaN;
    withNaN[200] = Infinity;
    const v = meter.measure(withNaN, 0);
    expect(Number.isFinite(v)).toBe(true);
    expect(Math.abs(v - ref)).toBeLessThan(0.1);
    expect(meter.measure(new Float32Array(10), 0)).toBe(-80);
    expect(meter.measure(x, 4000)).toBeLessThan(ref); // mostly past the end
    expect(meter.measure(new Float32Array(2048))).toBe(-80);
  });
});
