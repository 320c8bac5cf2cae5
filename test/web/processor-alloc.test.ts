// The worklet's process() allocates nothing per quantum, engine included: the real DDSPProcessor (stubbed worklet
// scope) around a real StreamingEngine with a default-size synthetic model (hidden 512, 256 harmonics, noise filter
// 512, 1 s reverb) at 48 kHz, stereo input, every AudioParam automated on every quantum, in audio and in control
// mode. Measured exactly as test/engine/alloc.test.ts does (see test/engine/heap-meter.ts): V8 new-space growth
// over 2000 quanta after V8 has optimised the code, < 1 byte per quantum (one boxed number per quantum would be 16,
// one per analysis frame over 2).
//
// A file of its own, so the processor's call sites only ever see the one engine class, as in a worklet.
import { beforeAll, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { syntheticModel } from '../../src/cli/synthetic';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { steadyBytesPerCall } from '../engine/heap-meter';
import { loadProcessor } from './worklet-stubs';

const SAMPLE_RATE = 48000; // the stubbed scope's rate
const WARMUP_QUANTA = 6000;
const MEASURED_QUANTA = 2000;

let Processor: typeof DDSPProcessor;
const model = syntheticModel();
beforeAll(async () => {
  Processor = await loadProcessor(new Map(), SAMPLE_RATE);
});

for (const mode of ['audio', 'control'] as const) {
  it(`process() allocates nothing per quantum (${mode} mode, stereo input, AudioParams automated)`, () => {
    const proc = new Processor({ parameterData: { mode: mode === 'control' ? 1 : 0 } } as never);
    proc.engine = new StreamingEngine(model, { sampleRate: SAMPLE_RATE, mode });
    const params: Record<string, Float32Array> = {
      pitchShift: new Float32Array([3]), harmonicMix: new Float32Array([1]), noiseMix: new Float32Array([0.75]),
      reverbMix: new Float32Array([0.5]), f0: new Float32Array([220.5]), loudness: new Float32Array([-20.25]),
      mode: new Float32Array([mode === 'control' ? 1 : 0]),
    };
    // A 220 Hz tone in quanta, and its negative half on the second channel.
    const left = Array.from({ length: 8 }, (_, q) =>
      Float32Array.from({ length: 128 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * (q * 128 + i)) / SAMPLE_RATE)));
    const right = left.map((x) => x.map((v) => -0.5 * v));
    const inQ = [[left[0], right[0]]];
    const outQ = [[new Float32Array(128), new Float32Array(128)]];
    const st = new Int32Array(1); // quantum count (a typed array: a closure variable would box)
    const run = (quanta: number): void => {
      for (let q = 0; q < quanta; q++) {
        const k = st[0]++;
        params.pitchShift[0] = 0.25 * (k % 8);
        params.harmonicMix[0] = 1 + 0.1 * (k & 1);
        params.noiseMix[0] = 0.75 + 0.05 * (k % 3);
        params.reverbMix[0] = 0.3 + 0.01 * (k % 5);
        params.f0[0] = 220.5 + (k % 100);
        params.loudness[0] = -30.25 + (k % 7);
        inQ[0][0] = left[k & 7];
        inQ[0][1] = right[k & 7];
        proc.process(inQ, outQ, params);
      }
    };
    run(WARMUP_QUANTA);
    expect(steadyBytesPerCall(run, MEASURED_QUANTA, 1)).toBeLessThan(1);
  });
}
