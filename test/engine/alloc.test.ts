// process() allocation check: V8 new-space growth over many quanta. The engine's own per-call path allocates
// nothing; the bound below leaves room for the few bytes per call some kernels still box (tracked by their owners),
// and catches any per-call buffer (a Float32Array(128) alone is ~600 bytes). A file of its own so the call sites
// stay monomorphic, as in a worklet.
import { getHeapSpaceStatistics } from 'node:v8';
import { expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { glideSignal, syntheticModel } from '../../src/engine/synthetic';

/** Smallest non-negative growth of V8's new space over `run()`, in bytes (a scavenge during a try hides it). */
function newSpaceGrowth(run: () => void): number {
  const newSpace = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
  let best = Infinity;
  for (let attempt = 0; attempt < 8 && best > 0; attempt++) {
    const before = newSpace();
    run();
    const grown = newSpace() - before;
    if (grown >= 0) best = Math.min(best, grown);
  }
  return best;
}

for (const sampleRate of [48000, 44100]) {
  it(`process() allocates (almost) nothing per 128-sample quantum at ${sampleRate} Hz`, () => {
    const model = syntheticModel({ hiddenSize: 32, nHarmonics: 16, filterSize: 64, irSeconds: 0.05 });
    const e = new StreamingEngine(model, { sampleRate });
    const x = glideSignal(sampleRate, sampleRate);
    const out = new Float32Array(128);
    let p = 0;
    const quanta = 300;
    const run = () => {
      for (let k = 0; k < quanta; k++) {
        e.process(x, out, 128, p, 0);
        p = (p + 128) % (x.length - 128);
      }
    };
    for (let k = 0; k < 30; k++) run();
    expect(newSpaceGrowth(run) / quanta).toBeLessThan(400);
  });
}
