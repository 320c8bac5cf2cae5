// `npx vitest bench --run test/bench/analysis.bench.ts`: cost of the analysis kernels. Live, one frame (YIN +
// loudness on a 2048-sample window) is due every hop (960 samples = 20 ms at 48 kHz, 50 frames/s).
import { bench, describe } from 'vitest';
import { LoudnessMeter, loudnessFrames } from '../../src/dsp/loudness';
import { YinTracker, type PitchEstimate } from '../../src/dsp/yin';
import { trackPitchOffline } from '../../src/dsp/pyin';

const SR = 48000;

/** 10 s of a vibrato tone with harmonics and a little noise. */
function testSignal(seconds: number): Float32Array {
  const n = Math.round(seconds * SR);
  const x = new Float32Array(n);
  let phase = 0;
  let s = 12345;
  for (let i = 0; i < n; i++) {
    const f = 220 * Math.pow(2, (0.3 * Math.sin((2 * Math.PI * 5 * i) / SR)) / 12);
    phase += (2 * Math.PI * f) / SR;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = 0.3 * (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase)) + 0.01 * (s / 2 ** 31 - 1);
  }
  return x;
}

const audio = testSignal(10);

describe('streaming analysis, one 2048-sample window', () => {
  const yin = new YinTracker({ sampleRate: SR });
  const meter = new LoudnessMeter(SR);
  const est: PitchEstimate = { f0Hz: 0, confidence: 0 };
  let off = 0;
  bench('YinTracker.detect (32–2000 Hz)', () => {
    yin.detect(audio, off, est);
    off = (off + 960) % (audio.length - 2048);
  });
  bench('LoudnessMeter.measure', () => {
    meter.measure(audio, off);
    off = (off + 960) % (audio.length - 2048);
  });
});

describe('offline analysis, 10 s at 48 kHz', () => {
  bench('trackPitchOffline, 100 frames/s, Viterbi', () => {
    trackPitchOffline(audio, SR, { frameRate: 100 });
  }, { iterations: 3 });
  bench('loudnessFrames, 50 frames/s', () => {
    loudnessFrames(audio, SR, 50);
  }, { iterations: 3 });
});
