// The engine's own per-call work (framing, ring buffer, resampler feed, scheduling, estimator budget, crossfade,
// sanitising) allocates nothing: V8 new-space growth over many quanta. The kernels it drives (synth modules, YIN,
// loudness, estimator) are replaced by allocation-free stand-ins here — each has its own allocation test with its
// owner — so this measures the engine's code alone. A file of its own so the call sites stay monomorphic, as in a
// worklet (polymorphic call sites make V8 box doubles).
import { getHeapSpaceStatistics } from 'node:v8';
import { expect, it } from 'vitest';
import { StreamingEngine, prepareModel } from '../../src/engine/streaming-engine';
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

/** Replaces a voice's kernels by trivial allocation-free stand-ins. */
function stubKernels(voice: unknown): void {
  const v = voice as {
    synth: { render: (o: Float32Array, off: number, n: number) => void; pushFrame: (p: Float32Array, f: number) => boolean;
      setControls: (a: number, b: number, c: number) => void };
    estimator: { begin: (a: number, b: number) => void; step: (m?: number) => boolean };
    yin: { detect: (w: Float32Array, o: number, e: { f0Hz: number; confidence: number }) => void };
    meter: { measure: (w: Float32Array, o?: number) => number };
  };
  // State in typed arrays: a double in a closure variable would be boxed on every store.
  const st = new Float64Array(4); // phase, frequency, gain, estimator steps left
  v.synth.render = (o, off, n) => {
    for (let i = 0; i < n; i++) { st[0] += st[1]; o[off + i] = st[2] * (st[0] - Math.floor(st[0]) - 0.5); }
  };
  v.synth.pushFrame = (_p, f0) => { st[1] = f0 / 48000; return true; };
  v.synth.setControls = (a) => { st[2] = a; };
  v.estimator.begin = () => { st[3] = 5; };
  v.estimator.step = () => --st[3] <= 0;
  // Small-integer results: a double returned from a call is boxed, which would be the stand-in's allocation.
  v.yin.detect = (w, o, e) => { e.f0Hz = 200 + (w[o] > 0 ? 1 : 0); e.confidence = 1; };
  v.meter.measure = (w, o = 0) => (w[o] > 0 ? -20 : -21);
}

for (const sampleRate of [48000, 44100]) {
  it(`the engine's own process() path allocates nothing per 128-sample quantum at ${sampleRate} Hz (incl. a swap)`, () => {
    const model = syntheticModel({ hiddenSize: 16, nHarmonics: 8, filterSize: 64, irSeconds: 0.02 });
    const e = new StreamingEngine(model, { sampleRate });
    stubKernels((e as unknown as { voice: unknown }).voice);
    const next = prepareModel(model, sampleRate);
    stubKernels(next);
    const x = glideSignal(sampleRate, sampleRate);
    const out = new Float32Array(128);
    let p = 0;
    const quanta = 300;
    const run = () => {
      for (let k = 0; k < quanta; k++) {
        e.process(x, out, 128, p, 0);
        p = (p + 128) % (x.length - 128);
        e.controls.harmonicMix = 1 + 0.1 * (k & 1);
      }
    };
    for (let k = 0; k < 20; k++) run();
    e.setModel(next); // the crossfade runs inside the measured quanta
    let best = Infinity;
    for (let round = 0; round < 5 && best > 16; round++) {
      best = Math.min(best, newSpaceGrowth(run) / quanta);
    }
    // ~7–9 bytes per quantum remain, all in the stand-ins' per-frame calls (seen with the sampling heap profiler);
    // one boxed double per call in the engine would add 16.
    expect(best).toBeLessThanOrEqual(16);
  });
}
