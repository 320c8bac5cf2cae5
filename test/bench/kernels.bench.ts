// `npx vitest bench --run test/bench/kernels.bench.ts`: per-call cost of the synthesis kernels at realtime sizes
// (one 128-sample render quantum at 48 kHz is 2.67 ms of budget).
import { bench, describe } from 'vitest';
import { PartitionedConvolver } from '../../src/dsp/convolution';
import { RealFFT } from '../../src/dsp/fft';
import { HarmonicOscillatorBank } from '../../src/dsp/oscillator';
import { StreamResampler } from '../../src/dsp/resample';
import { NoiseSource } from '../../src/dsp/noise';
import { FIRDesigner } from '../../src/dsp/fir';

const SR = 48000;

describe('oscillator bank', () => {
  const a0 = new Float32Array(256).map((_, k) => 1 / (k + 1) / 256);
  const da = new Float32Array(256).fill(1e-7);
  const out = new Float32Array(128);
  // 40 Hz: all 256 harmonics below Nyquist
  for (const kernel of ['wasm', 'js'] as const) {
    const bank = new HarmonicOscillatorBank(256, SR, { kernel });
    bench(`256 harmonics × 128 samples (f0 40 Hz, ramps), ${kernel} kernel`, () => {
      bank.render(out, 0, 128, 40, 0.001, a0, da, 256);
    });
  }
});

describe('partitioned convolver', () => {
  const r = () => Math.random() - 0.5;
  const ir = new Float32Array(48001).map((_, i) => r() * Math.exp(-5 * i / 48000));
  const x = new Float32Array(128).map(r);
  const y = new Float32Array(128);
  // default: non-uniform layout (128/512/4096 partitions for this IR), the 128-tap head in the wasm direct FIR
  const conv = new PartitionedConvolver(ir);
  bench('48001-tap IR × 128 samples (non-uniform partitions)', () => {
    conv.process(x, 0, y, 0, 128);
  });
  // the engine's reverb sees each quantum in two calls (its synthesis starts at the latency, 2143 = 16·128 + 95)
  const split = new PartitionedConvolver(ir);
  bench('48001-tap IR × 128 samples in calls of 95 + 33', () => {
    split.process(x, 0, y, 0, 95);
    split.process(x, 95, y, 95, 33);
  });
  const uniform = new PartitionedConvolver(ir, 128, { maxPartitionSize: 128 });
  bench('48001-tap IR × 128 samples (uniform 128-tap partitions, for comparison)', () => {
    uniform.process(x, 0, y, 0, 128);
  });
});

describe('fft', () => {
  const fft = new RealFFT(2048);
  const x = new Float32Array(2048).map(() => Math.random() - 0.5);
  const X = new Float32Array(2050);
  bench('real FFT 2048 forward + inverse', () => {
    fft.forward(x, X);
    fft.inverse(X, x);
  });
});

describe('others', () => {
  const rs = new StreamResampler(44100, 48000, 128);
  const x = new Float32Array(128).map(() => Math.random() - 0.5);
  const y = new Float32Array(rs.maxOutput(128));
  bench('StreamResampler 44.1 → 48 kHz × 128 samples', () => {
    rs.process(x, 0, 128, y, 0);
  });
  const noise = new NoiseSource(1);
  const n = new Float32Array(128);
  bench('NoiseSource × 128 samples', () => {
    noise.fill(n, 0, 128);
  });
  const fir = new FIRDesigner(512, 'linear-phase');
  const mag = new Float32Array(257).fill(0.5);
  const taps = new Float32Array(512);
  bench('FIRDesigner 512 taps (one frame)', () => {
    fir.design(mag, taps);
  });
});
