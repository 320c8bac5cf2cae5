import { describe, expect, it } from 'vitest';
import { HarmonicOscillatorBank, harmonicFrameAmplitudesFrom } from '../../src/dsp/oscillator';
import { harmonicBatch } from '../../src/modules/harmonic';
import { lcg } from './helpers';

const SR = 48000;

/** float64 reference: direct sin per harmonic, unwrapped phase, per-sample Nyquist skip. */
function directSum(n: number, f0: (i: number) => number, amp: (i: number, k: number) => number, h: number,
  phase0 = 0): Float64Array {
  const out = new Float64Array(n);
  let ph = phase0;
  for (let i = 0; i < n; i++) {
    const f = f0(i);
    ph += (2 * Math.PI * f) / SR;
    let s = 0;
    for (let k = 1; k <= h; k++) if (k * f < SR / 2) s += amp(i, k) * Math.sin(k * ph);
    out[i] = s;
  }
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('HarmonicOscillatorBank', () => {
  it('matches a float64 direct sin sum with f0 and amplitude ramps, harmonics crossing Nyquist mid-block', () => {
    const h = 64;
    const n = 4096;
    const r = lcg(1);
    const a0 = new Float32Array(h).map(() => r() / h);
    const da = new Float32Array(h).map(() => (r() - 0.5) / (h * n));
    // f0 from 300 Hz to 1700 Hz: harmonics 15..64 cross 24 kHz inside the block
    const f0Start = 300;
    const f0Step = 1400 / n;
    const bank = new HarmonicOscillatorBank(h, SR);
    const out = new Float32Array(n);
    bank.render(out, 0, n, f0Start, f0Step, a0, da, h);
    const ref = directSum(n, (i) => f0Start + i * f0Step, (i, k) => a0[k - 1] + i * da[k - 1], h);
    expect(maxAbs(out, ref)).toBeLessThan(2e-7);
    // the Nyquist skip really mattered: without it the output would differ
    const noSkip = new Float64Array(n);
    let ph = 0;
    for (let i = 0; i < n; i++) {
      ph += (2 * Math.PI * (f0Start + i * f0Step)) / SR;
      for (let k = 1; k <= h; k++) noSkip[i] += (a0[k - 1] + i * da[k - 1]) * Math.sin(k * ph);
    }
    expect(maxAbs(noSkip, ref)).toBeGreaterThan(1e-3);
    expect(bank.phase).toBeGreaterThanOrEqual(0);
    expect(bank.phase).toBeLessThan(2 * Math.PI);
  });

  it('adds into out, honours offset, and sample 0 already holds one phase increment', () => {
    const bank = new HarmonicOscillatorBank(4, SR);
    const out = new Float32Array(6).fill(1);
    bank.render(out, 2, 3, 1000, 0, new Float32Array([1, 0, 0, 0]), new Float32Array(4), 1);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(1);
    expect(out[2]).toBeCloseTo(1 + Math.sin((2 * Math.PI * 1000) / SR), 6);
    expect(out[4]).toBeCloseTo(1 + Math.sin((3 * 2 * Math.PI * 1000) / SR), 6);
    expect(out[5]).toBe(1);
  });

  it('exactly k·f0 = sr/2 is skipped, just below is kept', () => {
    const bank = new HarmonicOscillatorBank(2, SR);
    const out = new Float32Array(8);
    // f0 = 12000: harmonic 2 is at 24000 = Nyquist -> skipped; only harmonic 1 sounds
    bank.render(out, 0, 8, 12000, 0, new Float32Array([0, 1]), new Float32Array(2), 2);
    expect(maxAbs(out, new Float32Array(8))).toBe(0);
  });

  for (const block of [1, 7, 128, 1000, 2048]) {
    it(`phase continuity: blocks of ${block} equal one big block`, () => {
      const h = 32;
      const n = 6000;
      const r = lcg(block);
      const a0 = new Float64Array(h).map(() => r() / h);
      const da = new Float64Array(h).map(() => (r() - 0.5) / (h * n));
      const f0Step = 0.25;
      const big = new Float32Array(n);
      new HarmonicOscillatorBank(h, SR).render(big, 0, n, 180, f0Step, a0, da, h);
      const bank = new HarmonicOscillatorBank(h, SR);
      const split = new Float32Array(n);
      const s0 = new Float64Array(h);
      for (let s = 0; s < n; s += block) {
        const m = Math.min(block, n - s);
        for (let k = 0; k < h; k++) s0[k] = a0[k] + s * da[k];
        bank.render(split, s, m, 180 + s * f0Step, f0Step, s0, da, h);
      }
      expect(maxAbs(split, big)).toBeLessThan(1e-6);
    });
  }

  it('phase wrap keeps a 440 Hz partial accurate after 10 minutes of samples', () => {
    const bank = new HarmonicOscillatorBank(1, SR);
    const block = 48000;
    const total = 10 * 60 * SR;
    const buf = new Float32Array(block);
    const one = new Float32Array([1]);
    const zero = new Float32Array([0]);
    for (let s = 0; s < total; s += block) {
      buf.fill(0);
      bank.render(buf, 0, block, 440, 0, one, zero, 1);
    }
    // exact reference for the last block: phase of sample i = 2π·440·(i+1)/48000, reduced in integers
    let err = 0;
    for (let i = total - block; i < total; i++) {
      const cyc = (440 * (i + 1)) % SR;
      err = Math.max(err, Math.abs(buf[i - (total - block)] - Math.sin((2 * Math.PI * cyc) / SR)));
    }
    expect(err).toBeLessThan(1e-6); // float32 output rounding; the seed's float32 phase is at −24.5 dB here
  });

  it('renderLerpFrom equals render with the equivalent ramps', () => {
    const h = 16;
    const r = lcg(9);
    const A = new Float32Array(h).map(() => r());
    const B = new Float32Array(h).map(() => r());
    const n = 500;
    const lam0 = 0.1;
    const lamStep = 0.8 / n;
    const x = new Float32Array(n);
    new HarmonicOscillatorBank(h, SR).renderLerpFrom(x, 0, n, Float64Array.of(lam0, lamStep), Float64Array.of(200, 900), 0, 1, A, B, h);
    const s = new Float64Array(h).map((_, k) => A[k] + lam0 * (B[k] - A[k]));
    const d = new Float64Array(h).map((_, k) => lamStep * (B[k] - A[k]));
    const y = new Float32Array(n);
    new HarmonicOscillatorBank(h, SR).render(y, 0, n, 200 + lam0 * 700, lamStep * 700, s, d, h);
    expect(maxAbs(x, y)).toBeLessThan(1e-6);
  });

  it('NaN/Inf controls do not poison the phase; later output is clean', () => {
    const bank = new HarmonicOscillatorBank(4, SR);
    const out = new Float32Array(64);
    bank.render(out, 0, 32, NaN, NaN, new Float32Array([NaN, 1, Infinity, 0]), new Float32Array(4), 4);
    expect(Number.isFinite(bank.phase)).toBe(true);
    bank.render(out, 32, 32, 440, 0, new Float32Array([1, 0, 0, 0]), new Float32Array(4), 4);
    for (const v of out) expect(Number.isFinite(v)).toBe(true);
    expect(Math.max(...out.subarray(32).map(Math.abs))).toBeGreaterThan(0.05);
  });

  it('constructor rejects bad sizes with RangeError naming the argument', () => {
    expect(() => new HarmonicOscillatorBank(0, SR)).toThrow(/maxHarmonics/);
    expect(() => new HarmonicOscillatorBank(8, 0)).toThrow(/sampleRate/);
    expect(() => new HarmonicOscillatorBank(1.5, SR)).toThrow(RangeError);
  });
});

describe('HarmonicOscillatorBank kernels', () => {
  it('uses the wasm SIMD kernel in Node by default; options.kernel is checked', () => {
    expect(new HarmonicOscillatorBank(8, SR).kernel).toBe('wasm');
    expect(new HarmonicOscillatorBank(8, SR, { kernel: 'js' }).kernel).toBe('js');
    expect(() => new HarmonicOscillatorBank(8, SR, { kernel: 'gpu' as 'js' })).toThrow(/kernel/);
  });

  /** Renders the same calls through a wasm and a JS bank; returns both outputs. */
  function both(h: number, calls: (bank: HarmonicOscillatorBank, out: Float32Array) => void, n: number) {
    const w = new HarmonicOscillatorBank(h, SR, { kernel: 'wasm' });
    const j = new HarmonicOscillatorBank(h, SR, { kernel: 'js' });
    const ow = new Float32Array(n);
    const oj = new Float32Array(n);
    calls(w, ow);
    calls(j, oj);
    expect(w.phase).toBe(j.phase);
    return [ow, oj];
  }

  for (const h of [1, 3, 64, 256]) {
    it(`wasm and JS kernels give identical samples: ${h} harmonics, Nyquist crossings, odd call sizes`, () => {
      const r = lcg(h);
      const a0 = new Float32Array(h).map(() => r() / h);
      const da = new Float32Array(h).map(() => (r() - 0.5) / (h * 3000));
      const n = 6000;
      const [ow, oj] = both(h, (bank, out) => {
        // glide 50 → 3000 Hz (harmonics cross Nyquist inside groups of samples), then f0 ≤ 0 and non-finite controls
        let s = 0;
        for (const m of [1, 3, 7, 128, 300, 1000, 2]) {
          bank.render(out, s, m, 50 + s * 0.5, 0.5, a0, da, h);
          s += m;
        }
        bank.render(out, s, 600, 3000, -6, a0, da, h);
        s += 600;
        bank.render(out, s, 100, 0, 0, a0, da, h);
        s += 100;
        bank.render(out, s, 50, NaN, 1, a0, da, h);
        s += 50;
        bank.renderLerpFrom(out, s, n - s, Float64Array.of(0.1, 1 / (n - s)), Float64Array.of(200, 11000), 0, 1, a0, da, h);
      }, n);
      expect(Array.from(ow)).toEqual(Array.from(oj));
      expect(Math.max(...ow.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }

  it('banks of different sizes share the realm\'s kernel: a larger one (memory growth) leaves the others exact', () => {
    const small = new HarmonicOscillatorBank(16, SR);
    const ref = new HarmonicOscillatorBank(16, SR, { kernel: 'js' });
    const amps = new Float32Array(16).fill(0.05);
    const zero = new Float32Array(16);
    const a = new Float32Array(256);
    const b = new Float32Array(256);
    small.render(a, 0, 128, 220, 0, amps, zero, 16);
    ref.render(b, 0, 128, 220, 0, amps, zero, 16);
    const big = new HarmonicOscillatorBank(20000, SR); // more than one 64 KiB page of amplitudes
    expect(big.kernel).toBe('wasm');
    const wide = new Float32Array(20000).fill(1e-4);
    big.render(new Float32Array(64), 0, 64, 1, 0, wide, new Float32Array(20000), 20000);
    small.render(a, 128, 128, 220, 0, amps, zero, 16);
    ref.render(b, 128, 128, 220, 0, amps, zero, 16);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('harmonic frame recipe', () => {
  const frameAmplitudes = (f0: number, amp: number, dist: number[], normalize: boolean, out: Float32Array): void =>
    harmonicFrameAmplitudesFrom(Float64Array.of(f0), 0, Float64Array.of(amp), 0, dist, 0, dist.length, SR, normalize, out);

  it('harmonicFrameAmplitudesFrom zeroes ≥ Nyquist, normalises, scales; all-above-Nyquist is silent, not NaN', () => {
    const out = new Float32Array(4);
    frameAmplitudes(7000, 0.5, [1, 1, 2, 4], true, out); // 4·7000 = 28 kHz ≥ 24 kHz
    expect(Array.from(out)).toEqual([0.125, 0.125, 0.25, 0]);
    frameAmplitudes(30000, 0.5, [1, 1, 2, 4], true, out);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    frameAmplitudes(8000, 1, [1, 1, 1, 1], false, out);
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('the Harmonic module (batch) equals a direct float64 implementation of the seed recipe (non-integer hop)', () => {
    const nFrames = 7;
    const h = 24;
    const nSamples = 3000; // hop 428.57...
    const r = lcg(5);
    const f0 = new Float32Array(nFrames).map(() => 200 + 1500 * r());
    const amp = new Float32Array(nFrames).map(() => r());
    const dist = new Float32Array(nFrames * h).map(() => r());
    const out = harmonicBatch(amp, dist, f0, nFrames, nSamples, { sampleRate: SR, frameRate: (SR * nFrames) / nSamples, nHarmonics: h });
    const frameAmp = new Float64Array(nFrames * h);
    for (let k = 0; k < nFrames; k++) {
      let sum = 0;
      for (let j = 0; j < h; j++) sum += (j + 1) * f0[k] >= SR / 2 ? 0 : dist[k * h + j];
      for (let j = 0; j < h; j++) frameAmp[k * h + j] = (j + 1) * f0[k] >= SR / 2 ? 0 : (amp[k] * dist[k * h + j]) / sum;
    }
    const interp = (n: number, get: (k: number) => number) => {
      const p = Math.min(nFrames - 1, Math.max(0, ((n + 0.5) * nFrames) / nSamples - 0.5));
      const k = Math.min(nFrames - 2, Math.floor(p));
      const l = p - k;
      return (1 - l) * get(k) + l * get(k + 1);
    };
    const ref = directSum(nSamples, (n) => interp(n, (k) => f0[k]), (n, j) => interp(n, (k) => frameAmp[k * h + j - 1]), h);
    expect(maxAbs(out, ref)).toBeLessThan(1e-5);
  });

  it('the Harmonic module (batch) validates shapes', () => {
    const o = { sampleRate: SR, frameRate: 50, nHarmonics: 4 };
    const f0 = new Float32Array(2).fill(100);
    const amp = new Float32Array(2);
    const dist = new Float32Array(8);
    expect(() => harmonicBatch(amp, dist, new Float32Array(3).fill(100), 2, 10, o)).toThrow(/f0Hz/);
    expect(() => harmonicBatch(amp, dist, f0, 2, 10, { ...o, nHarmonics: 5 })).toThrow(/harmonic_distribution/);
    expect(() => harmonicBatch(amp, dist, f0, 2, -1, o)).toThrow(/nSamples/);
  });
});
