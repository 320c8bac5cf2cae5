import { describe, expect, it } from 'vitest';
import { StreamResampler, resample } from '../../src/dsp/resample';

function tone(n: number, rate: number, hz: number, amp = 1, phase = 0.3): Float32Array {
  return new Float32Array(n).map((_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate + phase));
}

/** Amplitude of the component at hz (4-term Blackman-Harris window, sidelobes < −92 dB). */
function amplitudeAt(x: Float32Array, start: number, len: number, rate: number, hz: number): number {
  let re = 0;
  let im = 0;
  let wsum = 0;
  for (let i = 0; i < len; i++) {
    const a = (2 * Math.PI * i) / (len - 1);
    const w = 0.35875 - 0.48829 * Math.cos(a) + 0.14128 * Math.cos(2 * a) - 0.01168 * Math.cos(3 * a);
    const ph = (2 * Math.PI * hz * (start + i)) / rate;
    re += w * x[start + i] * Math.cos(ph);
    im -= w * x[start + i] * Math.sin(ph);
    wsum += w;
  }
  return (2 * Math.hypot(re, im)) / wsum;
}

function rms(x: Float32Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i] * x[i];
  return Math.sqrt(s / (end - start));
}

describe('resample (batch)', () => {
  it('output length is ceil(nIn·to/from)', () => {
    expect(resample(new Float32Array(48000), 48000, 44100).length).toBe(44100);
    expect(resample(new Float32Array(1000), 44100, 48000).length).toBe(Math.ceil((1000 * 48000) / 44100));
    expect(resample(new Float32Array(7), 48000, 96000).length).toBe(14);
    expect(resample(new Float32Array(0), 48000, 96000).length).toBe(0);
  });

  for (const [from, to] of [[44100, 48000], [48000, 44100], [48000, 96000], [96000, 48000], [22050, 48000]]) {
    it(`a 1 kHz tone lands on the same timeline without delay, ${from} → ${to}`, () => {
      const x = tone(Math.round(from * 0.25), from, 1000);
      const y = resample(x, from, to);
      let err = 0;
      for (let m = 400; m < y.length - 400; m++) {
        err = Math.max(err, Math.abs(y[m] - Math.sin((2 * Math.PI * 1000 * m) / to + 0.3)));
      }
      expect(err).toBeLessThan(1e-4);
    });
  }

  it('passband: a tone at 0.85 × the lower Nyquist keeps its amplitude within 0.001 dB', () => {
    const y = resample(tone(48000, 48000, 18742), 48000, 44100);
    const a = amplitudeAt(y, 4000, 32768, 44100, 18742);
    expect(Math.abs(20 * Math.log10(a))).toBeLessThan(0.001);
  });

  it('stopband ≥ 80 dB, downsampling: tones above the output Nyquist do not alias (48 → 44.1 kHz)', () => {
    for (const hz of [22300, 23000, 23900]) {
      const y = resample(tone(48000, 48000, hz), 48000, 44100);
      const db = 20 * Math.log10(rms(y, 2000, y.length - 2000) / Math.SQRT1_2);
      expect(db).toBeLessThan(-80);
    }
    // 96 → 48 kHz, 25 kHz would alias to 23 kHz
    const y2 = resample(tone(48000, 96000, 25000), 96000, 48000);
    expect(20 * Math.log10(rms(y2, 1000, y2.length - 1000) / Math.SQRT1_2)).toBeLessThan(-80);
  });

  it('stopband ≥ 80 dB, upsampling: images above the input Nyquist are gone (22.05 → 48 kHz, 44.1 → 48 kHz)', () => {
    const y = resample(tone(22050, 22050, 9000), 22050, 48000);
    expect(Math.abs(20 * Math.log10(amplitudeAt(y, 4000, 32768, 48000, 9000)))).toBeLessThan(0.001);
    const image = amplitudeAt(y, 4000, 32768, 48000, 22050 - 9000);
    expect(20 * Math.log10(image)).toBeLessThan(-80);
    const y2 = resample(tone(44100, 44100, 18000), 44100, 48000);
    expect(20 * Math.log10(amplitudeAt(y2, 4000, 32768, 48000, 44100 - 18000))).toBeLessThan(-80);
  });

  it('non-integer rates work (interpolated phase table)', () => {
    const y = resample(tone(11025, 44100, 1000), 44100, 48000.5);
    let err = 0;
    for (let m = 400; m < y.length - 400; m++) {
      err = Math.max(err, Math.abs(y[m] - Math.sin((2 * Math.PI * 1000 * m) / 48000.5 + 0.3)));
    }
    expect(err).toBeLessThan(1e-4);
  });

  it('rejects bad rates', () => {
    expect(() => resample(new Float32Array(4), 0, 48000)).toThrow(/fromRate/);
    expect(() => resample(new Float32Array(4), 48000, NaN)).toThrow(/toRate/);
    expect(() => new StreamResampler(48000, 44100, 0)).toThrow(/maxBlock/);
  });
});

describe('StreamResampler', () => {
  const pairs: [number, number][] = [[44100, 48000], [48000, 44100], [48000, 96000], [96000, 48000], [22050, 48000]];
  for (const [from, to] of pairs) {
    for (const block of [1, 7, 128, 1000]) {
      it(`${from} → ${to}, blocks of ${block}: stream == batch delayed by latency`, () => {
        const n = 6000;
        let s = 12345;
        const x = new Float32Array(n).map((_, i) => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return 0.5 * Math.sin(i * 0.05) + 0.3 * (s / 4294967296 - 0.5);
        });
        const batch = resample(x, from, to);
        const rs = new StreamResampler(from, to, 1000);
        const out = new Float32Array(Math.ceil((n * to) / from) + 64);
        let produced = 0;
        for (let i = 0; i < n; i += block) {
          const m = Math.min(block, n - i);
          const k = rs.process(x, i, m, out, produced);
          expect(k).toBeLessThanOrEqual(rs.maxOutput(m));
          produced += k;
        }
        const lat = rs.latency;
        expect(lat).toBeGreaterThan(0);
        expect(produced - lat).toBeGreaterThan(batch.length - 2 * lat - 10);
        let err = 0;
        for (let m = lat; m < produced; m++) err = Math.max(err, Math.abs(out[m] - batch[m - lat]));
        expect(err).toBe(0);
      });
    }
  }

  it('calls larger than maxBlock are split internally; reset restarts; NaN input does not poison', () => {
    const rs = new StreamResampler(48000, 44100, 64);
    const x = tone(3000, 48000, 440);
    const out = new Float32Array(rs.maxOutput(3000) + 8);
    const k = rs.process(x, 0, 3000, out, 0);
    const batch = resample(x, 48000, 44100);
    for (let m = rs.latency; m < k; m++) expect(out[m]).toBe(batch[m - rs.latency]);
    rs.reset();
    const bad = x.slice();
    bad[100] = NaN;
    bad[200] = Infinity;
    const k2 = rs.process(bad, 0, 3000, out, 0);
    for (let m = 0; m < k2; m++) expect(Number.isFinite(out[m])).toBe(true);
  });
});
