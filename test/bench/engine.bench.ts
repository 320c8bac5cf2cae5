// End-to-end streaming benchmarks of the StreamingEngine: one 128-sample quantum at the defaults (synthetic
// default-size model: hidden 512, 256 harmonics, noise filter 512, 1 s IR, 48 kHz), the same at 44.1 kHz
// (resampled analysis), and a small model. `npx vitest bench --run test/bench/engine.bench.ts`
import { bench, describe } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { glideSignal, syntheticModel } from '../../src/cli/synthetic';
import { renderOffline } from '../../src/engine/render';

const big = syntheticModel();
const small = syntheticModel({ hiddenSize: 64, nHarmonics: 64, filterSize: 128, irSeconds: 0.25 });

function streamer(model: ReturnType<typeof syntheticModel>, sampleRate: number, block: number) {
  const engine = new StreamingEngine(model, { sampleRate });
  const x = glideSignal(sampleRate * 4, sampleRate, 110, 880);
  const out = new Float32Array(block);
  let pos = 0;
  return () => {
    if (pos + block > x.length) pos = 0;
    engine.process(x, out, block, pos, 0);
    pos += block;
  };
}

describe('StreamingEngine.process, one block (budget: 2.67 ms per 128 samples at 48 kHz)', () => {
  bench('default-size model, 48 kHz, block 128', streamer(big, 48000, 128), { time: 3000 });
  bench('default-size model, 44.1 kHz (resampled analysis), block 128', streamer(big, 44100, 128), { time: 3000 });
  bench('default-size model, 48 kHz, block 1024', streamer(big, 48000, 1024), { time: 3000 });
  bench('small model (hidden 64, 64 harmonics), 48 kHz, block 128', streamer(small, 48000, 128), { time: 2000 });
});

describe('renderOffline (batch reference)', () => {
  const x = glideSignal(48000, 48000);
  bench('default-size model, 1 s at 48 kHz', () => { renderOffline(big, x, { sampleRate: 48000 }); }, { iterations: 3, time: 0 });
});
