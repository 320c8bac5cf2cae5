// The processor's own per-quantum work allocates nothing: 1000 quanta around a no-op engine leave V8's new space
// where it was. A file of its own so the processor's call sites only ever see one engine class, as in a worklet
// (other tests would make them polymorphic, and V8 then boxes doubles at the stores).
import { beforeAll, expect, it } from 'vitest';
import type { StreamingEngine } from '../../src/engine/streaming-engine';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { loadProcessor, newSpaceGrowth } from './worklet-stubs';

let Processor: typeof DDSPProcessor;
beforeAll(async () => {
  Processor = await loadProcessor(new Map());
});

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
  it(`process() allocates nothing per quantum (${mode} mode, stereo input, 1000 quanta)`, async () => {
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
    expect(await newSpaceGrowth(run, 4096)).toBeLessThan(4096);
  });
}
