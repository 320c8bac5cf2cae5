// A chord through a bundled model, checked by the spectrum of the output with an FFT written here (not the
// engine's pitch tracker): C4–E4–G4–C5 held for 1.5 s in notes mode; the analysis takes 1 s of the sustain.
//
// Criteria, below C5's second harmonic (1046.5 Hz), on a Hann-windowed 1 s spectrum zero-padded to 2^16 points
// (0.73 Hz bins), in dB relative to the strongest bin there:
//  - each fundamental is a local maximum within ±2 Hz of its frequency, at −25 dB or more;
//  - every local maximum at −20 dB or more lies within 1 % of a harmonic (1st to 4th) of a chord note — no other
//    strong peak.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';

const SR = 48000;
const KEYS = [60, 64, 67, 72];
const hz = (k: number): number => 440 * Math.pow(2, (k - 69) / 12);

/** |X(k)| of a real signal zero-padded to n (a power of two), k = 0..n/2, by an iterative radix-2 FFT. */
function magnitudes(x: Float64Array, n: number): Float64Array {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  re.set(x.subarray(0, Math.min(x.length, n)));
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const a = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const c = Math.cos(a * k);
        const s = Math.sin(a * k);
        const p = i + k;
        const q = p + len / 2;
        const tr = re[q] * c - im[q] * s;
        const ti = re[q] * s + im[q] * c;
        re[q] = re[p] - tr; im[q] = im[p] - ti;
        re[p] += tr; im[p] += ti;
      }
    }
  }
  const m = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) m[k] = Math.hypot(re[k], im[k]);
  return m;
}

describe('notes: a chord through a bundled model', () => {
  it('C4–E4–G4–C5 (violin): each fundamental is a spectral peak; no other strong peak below C5\'s 2nd harmonic', () => {
    const model = readModel(readFileSync('models/violin.onnx'));
    const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
    for (const k of KEYS) e.noteOn(k, 100, 0);
    const n = Math.round(1.5 * SR);
    const out = new Float32Array(n);
    for (let p = 0; p < n; p += 128) e.process(null, out, 128, 0, p);
    expect(e.notesSounding).toBe(4);
    const seg = new Float64Array(SR);
    for (let i = 0; i < SR; i++) seg[i] = out[n - SR + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (SR - 1)));
    const N = 1 << 16;
    const mag = magnitudes(seg, N);
    const binHz = SR / N;
    const top = Math.floor(2 * hz(72) / binHz);
    let max = 0;
    for (let k = 1; k < top; k++) max = Math.max(max, mag[k]);
    const db = (k: number): number => 20 * Math.log10(mag[k] / max);
    const isPeak = (k: number): boolean => mag[k] >= mag[k - 1] && mag[k] >= mag[k + 1];
    for (const key of KEYS) {
      const f = hz(key);
      let best = -1;
      for (let k = Math.ceil((f - 2) / binHz); k <= Math.floor((f + 2) / binHz); k++) if (isPeak(k) && (best < 0 || mag[k] > mag[best])) best = k;
      expect(best, `a peak within ±2 Hz of ${f.toFixed(1)} Hz`).toBeGreaterThan(0);
      expect(db(best), `level of the ${f.toFixed(1)} Hz peak`).toBeGreaterThanOrEqual(-25);
    }
    const harmonics = KEYS.flatMap((key) => [1, 2, 3, 4].map((h) => h * hz(key)));
    for (let k = Math.ceil(50 / binHz); k < top; k++) {
      if (!isPeak(k) || db(k) < -20) continue;
      const f = k * binHz;
      const near = harmonics.some((h) => Math.abs(f - h) <= 0.01 * h);
      expect(near, `strong peak at ${f.toFixed(1)} Hz (${db(k).toFixed(1)} dB) is not a harmonic of the chord`).toBe(true);
    }
  });
});
