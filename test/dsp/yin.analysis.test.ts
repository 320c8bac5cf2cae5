import { describe, it, expect } from 'vitest';
import { YinTracker, YIN_DEFAULTS, type PitchEstimate } from '../../src/dsp/yin';
import { lcgNoise } from './helpers';

const SR = 48000;

function tone(hz: number, n: number, opts: { phase?: number; amp?: number; harmonics?: number[]; sr?: number } = {}): Float32Array {
  const sr = opts.sr ?? SR;
  const amps = opts.harmonics ?? [1];
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let h = 0; h < amps.length; h++) v += amps[h] * Math.sin((h + 1) * ((2 * Math.PI * hz * i) / sr + (opts.phase ?? 0)));
    x[i] = (opts.amp ?? 0.5) * v;
  }
  return x;
}

/** Deterministic white noise in [−a, a). */
const noise = lcgNoise;

function detect(t: YinTracker, x: Float32Array, offset = 0): PitchEstimate {
  const out: PitchEstimate = { f0Hz: -1, confidence: -1 };
  t.detect(x, offset, out);
  return out;
}

describe('YinTracker', () => {
  const yin = new YinTracker({ sampleRate: SR });

  it('has the documented defaults', () => {
    expect(yin.windowSize).toBe(2048);
    expect(yin.fMinHz).toBe(YIN_DEFAULTS.fMinHz);
    expect(yin.fMaxHz).toBe(2000);
    expect(yin.threshold).toBe(0.5);
  });

  it('tracks sines from 40 to 2000 Hz within 0.5 % (also above the seed’s 1777 Hz limit)', () => {
    const freqs = [40, 41.2, 55, 73.4, 98, 130.8, 220, 329.6, 440, 659.3, 1000, 1318.5, 1760, 1800, 1900, 1975.5, 2000];
    for (const hz of freqs) {
      for (const phase of [0, 0.3, 2]) {
        const e = detect(yin, tone(hz, 2048, { phase }));
        expect(Math.abs(e.f0Hz / hz - 1), `${hz} Hz phase ${phase}: ${e.f0Hz}`).toBeLessThan(0.005);
        expect(e.confidence).toBeGreaterThan(0.9);
      }
    }
  });

  it('finds the fundamental of harmonic tones (no octave errors with a weak or missing fundamental)', () => {
    const cases: [number, number[]][] = [
      [150, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8]], // sawtooth-like
      [110, [0.2, 1, 0.8, 0.6, 0.4]], // weak fundamental
      [82.4, [0, 1, 1, 0.7, 0.5, 0.3]], // missing fundamental
      [55, [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]],
      [440, [1, 0, 0.5, 0, 0.3]], // odd harmonics (clarinet-like)
    ];
    for (const [hz, harmonics] of cases) {
      const e = detect(yin, tone(hz, 2048, { harmonics, amp: 0.2 }));
      expect(Math.abs(e.f0Hz / hz - 1), `${hz} Hz: ${e.f0Hz}`).toBeLessThan(0.005);
    }
  });

  it('reports silence, white noise, DC and a DC offset correctly', () => {
    expect(detect(yin, new Float32Array(2048))).toEqual({ f0Hz: 0, confidence: 0 });
    for (let seed = 1; seed <= 20; seed++) expect(detect(yin, noise(2048, 0.5, seed)).f0Hz).toBe(0);
    expect(detect(yin, new Float32Array(2048).fill(0.7))).toEqual({ f0Hz: 0, confidence: 0 });
    const offset = tone(220, 2048);
    for (let i = 0; i < offset.length; i++) offset[i] += 0.6;
    expect(Math.abs(detect(yin, offset).f0Hz / 220 - 1)).toBeLessThan(0.005);
    expect(detect(yin, tone(220, 2048, { amp: 1e-7 })).f0Hz).toBe(0); // below −100 dBFS: silence
    expect(Math.abs(detect(yin, tone(220, 2048, { amp: 1e-4 })).f0Hz / 220 - 1)).toBeLessThan(0.005);
  });

  it('gives unvoiced (not NaN) for a window holding NaN or Infinity, then recovers', () => {
    const x = tone(330, 2048);
    x[1000] = NaN;
    expect(detect(yin, x)).toEqual({ f0Hz: 0, confidence: 0 });
    x[1000] = Infinity;
    expect(detect(yin, x)).toEqual({ f0Hz: 0, confidence: 0 });
    expect(Math.abs(detect(yin, tone(330, 2048)).f0Hz / 330 - 1)).toBeLessThan(0.005);
  });

  it('reads the window at an offset and zeros outside the array', () => {
    const x = new Float32Array(6000);
    x.set(tone(196, 2048), 3000);
    expect(Math.abs(detect(yin, x, 3000).f0Hz / 196 - 1)).toBeLessThan(0.005);
    expect(detect(yin, x, 0).f0Hz).toBe(0);
    const short = tone(196, 1500);
    const e = detect(yin, short, -200); // zeros before and after
    expect(Number.isFinite(e.f0Hz)).toBe(true);
    expect(Math.abs(e.f0Hz / 196 - 1)).toBeLessThan(0.005);
  });

  it('honours fMinHz/fMaxHz (within one semitone of slack) and other window sizes and rates', () => {
    const narrow = new YinTracker({ sampleRate: SR, fMinHz: 100, fMaxHz: 500 });
    expect(detect(narrow, tone(60, 2048)).f0Hz === 0 || detect(narrow, tone(60, 2048)).f0Hz >= 100 / Math.pow(2, 1 / 12)).toBe(true);
    expect(Math.abs(detect(narrow, tone(300, 2048)).f0Hz / 300 - 1)).toBeLessThan(0.005);
    const small = new YinTracker({ sampleRate: 16000, windowSize: 1024, fMinHz: 50, fMaxHz: 1000 });
    for (const hz of [60, 200, 900]) {
      expect(Math.abs(detect(small, tone(hz, 1024, { sr: 16000 })).f0Hz / hz - 1), `${hz}`).toBeLessThan(0.005);
    }
    // fMinHz defaults to what the window allows
    expect(new YinTracker({ sampleRate: SR, windowSize: 512 }).fMinHz).toBeGreaterThan(90);
  });

  it('throws RangeError/TypeError naming the bad option', () => {
    expect(() => new YinTracker({ sampleRate: 0 })).toThrow(/sampleRate/);
    expect(() => new YinTracker({ sampleRate: SR, windowSize: 10 })).toThrow(/windowSize/);
    expect(() => new YinTracker({ sampleRate: SR, fMinHz: 3000, fMaxHz: 2000 })).toThrow(/fMinHz/);
    expect(() => new YinTracker({ sampleRate: SR, fMaxHz: 20000 })).toThrow(/fMaxHz/);
    expect(() => new YinTracker({ sampleRate: SR, threshold: 0 })).toThrow(/threshold/);
    expect(() => new YinTracker(undefined as never)).toThrow(TypeError);
  });
});
