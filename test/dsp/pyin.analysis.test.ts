import { describe, it, expect } from 'vitest';
import { trackPitchOffline } from '../../src/dsp/pyin';
import { holdUnvoiced, parabolicMinimum } from '../../src/dsp/pitch';
import { lcgNoise } from './helpers';

const SR = 48000;

/** Deterministic white noise in [−a, a). */
const noise = (n: number, a: number, seed = 7): Float32Array => lcgNoise(n, a, seed);

/**
 * Test signal: a harmonic glide 200 → 400 Hz (exponential, 1 s), 0.4 s of white noise, a glide 400 → 250 Hz
 * (0.8 s), 0.3 s of silence. Returns the audio and the true f0 at any time (0 = not a tone).
 */
function glideWithGap(): { audio: Float32Array; f0At: (t: number) => number; segments: [number, number][] } {
  const segs: { t0: number; t1: number; f0: number; f1: number }[] = [
    { t0: 0, t1: 1.0, f0: 200, f1: 400 },
    { t0: 1.4, t1: 2.2, f0: 400, f1: 250 },
  ];
  const n = Math.round(2.5 * SR);
  const audio = new Float32Array(n);
  const f0At = (t: number): number => {
    for (const s of segs) if (t >= s.t0 && t < s.t1) return s.f0 * Math.pow(s.f1 / s.f0, (t - s.t0) / (s.t1 - s.t0));
    return 0;
  };
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f = f0At(i / SR);
    if (f > 0) {
      phase += (2 * Math.PI * f) / SR;
      let v = 0;
      for (let h = 1; h <= 6; h++) v += Math.sin(h * phase) / h;
      audio[i] = 0.3 * v;
    } else phase = 0;
  }
  const gap = noise(Math.round(0.4 * SR), 0.3);
  audio.set(gap, Math.round(1.0 * SR));
  return { audio, f0At, segments: segs.map((s) => [s.t0, s.t1]) };
}

describe('trackPitchOffline', () => {
  const { audio, f0At, segments } = glideWithGap();
  const frameRate = 100;
  const margin = 0.045; // frames whose window straddles a boundary (±32 ms for 3072 + a frame) are not scored

  const score = (r: { f0Hz: Float32Array; voiced: Uint8Array }) => {
    let scored = 0;
    let wrongVoicing = 0;
    let maxErr = 0;
    for (let k = 0; k < r.f0Hz.length; k++) {
      const t = k / frameRate;
      const nearEdge = segments.some(([a, b]) => Math.abs(t - a) < margin || Math.abs(t - b) < margin);
      if (nearEdge) continue;
      scored++;
      const truth = f0At(t);
      if ((truth > 0) !== (r.voiced[k] === 1)) { wrongVoicing++; continue; }
      if (truth > 0) maxErr = Math.max(maxErr, Math.abs(r.f0Hz[k] / truth - 1));
      else expect(r.f0Hz[k]).toBe(0);
    }
    return { scored, wrongVoicing, maxErr };
  };

  it('tracks a glide across a noise gap: voicing right, f0 within 1 %', () => {
    const r = trackPitchOffline(audio, SR, { frameRate });
    expect(r.f0Hz.length).toBe(Math.floor((audio.length / SR) * frameRate));
    const s = score(r);
    expect(s.scored).toBeGreaterThan(200);
    expect(s.wrongVoicing).toBe(0);
    expect(s.maxErr).toBeLessThan(0.01);
    for (let k = 0; k < r.confidence.length; k++) expect(r.confidence[k] >= 0 && r.confidence[k] <= 1).toBe(true);
  });

  it('also works without Viterbi, with a 3072 window, at 50 frames/s and causal', () => {
    const plain = score(trackPitchOffline(audio, SR, { frameRate, viterbi: false }));
    expect(plain.wrongVoicing).toBeLessThanOrEqual(2);
    expect(plain.maxErr).toBeLessThan(0.01);
    const single = score(trackPitchOffline(audio, SR, { frameRate, lookAhead: false }));
    expect(single.wrongVoicing).toBe(0);
    expect(single.maxErr).toBeLessThan(0.01);
    const w3072 = score(trackPitchOffline(audio, SR, { frameRate, windowSize: 3072 }));
    expect(w3072.wrongVoicing).toBe(0);
    expect(w3072.maxErr).toBeLessThan(0.01);
    const r50 = trackPitchOffline(audio, SR, { frameRate: 50 });
    expect(r50.f0Hz.length).toBe(125);
    expect(Math.abs(r50.f0Hz[25] / f0At(0.5) - 1)).toBeLessThan(0.01);
    // alignment 'causal' → frame k's window ends at k·hop, so it describes time k·hop − window/2
    const causal = trackPitchOffline(audio, SR, { frameRate, alignment: 'causal', lookAhead: false });
    const W = 2048;
    expect(Math.abs(causal.f0Hz[50] / f0At(0.5 - W / 2 / SR) - 1)).toBeLessThan(0.01);
  });

  it('gives unvoiced frames (not NaN) for silence and NaN regions', () => {
    const x = audio.slice(0, SR);
    x.fill(NaN, 24000, 24000 + 4800);
    const r = trackPitchOffline(x, SR, { frameRate });
    for (let k = 0; k < r.f0Hz.length; k++) expect(Number.isFinite(r.f0Hz[k])).toBe(true);
    expect(r.voiced[55]).toBe(0);
    expect(r.voiced[40]).toBe(1);
    const silent = trackPitchOffline(new Float32Array(SR), SR, { frameRate });
    expect(Array.from(silent.voiced).every((v) => v === 0)).toBe(true);
    expect(trackPitchOffline(new Float32Array(100), SR, { frameRate }).f0Hz.length).toBe(0);
  });

  it('throws on bad arguments', () => {
    expect(() => trackPitchOffline(audio, 0, { frameRate })).toThrow(/sampleRate/);
    expect(() => trackPitchOffline(audio, SR, { frameRate: 0 })).toThrow(/frameRate/);
    expect(() => trackPitchOffline(audio, SR, { frameRate, fMinHz: 5000 })).toThrow(/fMinHz/);
    expect(() => trackPitchOffline([] as never, SR, { frameRate })).toThrow(TypeError);
  });
});

describe('pitch helpers', () => {
  it('holdUnvoiced holds the last voiced f0, 440 Hz before the first', () => {
    const f0 = Float32Array.from([0, 0, 220, 0, 230, 0, NaN]);
    expect(Array.from(holdUnvoiced(f0))).toEqual([440, 440, 220, 220, 230, 230, 230]);
    const voiced = Uint8Array.from([0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(holdUnvoiced(Float32Array.from([100, 100, 220, 225, 230, 0, 0]), voiced, 300))).toEqual([300, 300, 220, 225, 225, 225, 225]);
  });

  it('parabolicMinimum finds the vertex of a parabola', () => {
    const y = [0, 4, 1, 0, 1].map((_, i) => (i - 2.3) * (i - 2.3) + 0.5);
    const r = parabolicMinimum(y, 2, { x: 0, y: 0 });
    expect(r.x).toBeCloseTo(2.3, 10);
    expect(r.y).toBeCloseTo(0.5, 10);
  });
});
