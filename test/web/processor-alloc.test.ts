// The processor's own per-quantum work allocates nothing: 1000 quanta around a no-op engine leave V8's new space
// where it was. A file of its own so the processor's call sites only ever see one engine class, as in a worklet
// (other tests would make them polymorphic, and V8 then boxes doubles at the stores).
import { beforeAll, expect, it } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import type { StreamingEngine } from '../../src/engine/streaming-engine';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { loadProcessor } from './worklet-stubs';

let Processor: typeof DDSPProcessor;
beforeAll(async () => {
  Processor = await loadProcessor(new Map());
});

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

class NoopEngine {
  controls = { pitchShift: 0, harmonicMix: 1, noiseMix: 1, reverbMix: 0.5 };
  latencySamples = 0;
  f0 = 0;
  setControlFeatures(f0Hz: number, loudnessDb: number): void {
    this.f0 = f0Hz + loudnessDb;
  }
  process(): void {}
}

for (const mode of ['audio', 'control'] as const) {
  it(`process() allocates nothing per quantum (${mode} mode, stereo input, 1000 quanta)`, () => {
    const proc = new Processor({ processorOptions: { mode } } as never);
    proc.engine = new NoopEngine() as unknown as StreamingEngine;
    const params: Record<string, Float32Array> = {
      pitchShift: new Float32Array([3]), harmonicMix: new Float32Array([1]), noiseMix: new Float32Array([0.75]),
      reverbMix: new Float32Array([0.5]), f0: new Float32Array([220.5]), loudness: new Float32Array([-20.25]),
    };
    const x = new Float32Array(128).map((_, i) => Math.sin(i / 7));
    const inQ = [[x, x.map((v) => -0.5 * v)]];
    const outQ = [[new Float32Array(128), new Float32Array(128)]];
    const run = () => {
      for (let k = 0; k < 1000; k++) proc.process(inQ, outQ, params);
    };
    for (let k = 0; k < 20; k++) run(); // warm up (optimising JIT)
    // Measuring costs ~2 KB itself; one small object per quantum would add 16 KB or more.
    expect(newSpaceGrowth(run)).toBeLessThan(4096);
  });
}
