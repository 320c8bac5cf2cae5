// What a model load costs the render thread: the real DDSPProcessor (stubbed worklet scope) playing the bundled
// violin while it loads a model again and again, at 48 and 44.1 kHz, for the bundled models and a seed-size one
// (hidden 512, 256 harmonics, 1 s reverb), each posted as DDSPNode.loadModel posts it (read and validated in the
// page, with the model's parts at the context rate: modelParts). Each load is followed, quantum by quantum, by a
// 'step' request (as DDSPNode sends them while it waits) and a process() call, until the load is answered and the
// swap's crossfade is over; the wall time of every message and every process() call is recorded. The processor
// builds the model in steps (buildPipeline), so no single call holds the render thread long.
//
// What is asserted is the load's part: every message (the load, the steps DDSPNode requests) and every quantum
// until the load is answered. The quanta of the swap's crossfade that follow render two models at once (for the
// seed-size model, its estimator frames alone take 0.5–0.8 ms of a quantum on this machine): that is the cost of
// playing the models, not of loading one, and is printed, not bounded here (docs/performance.md times playback).
//
// Single times on a shared machine are noisy (a thread preempted by other processes, V8's garbage collections, here
// in one heap with the test's own "page" work), so, as for every figure in docs/performance.md, the minimum over
// repeats is what measures the work: per call of a load (the load message, each step message, each quantum), the
// minimum over repeated loads, and of those the largest, is asserted ≤ 1 ms (a step that costs more than that every
// time fails it; noise that hits a call in some loads does not). The median over loads per call and every load's
// slowest call are printed too. For
// comparison, "before" is the model built in one go (prepareModel without parts), which is what the load message
// cost when the worklet built the model in it (the file's readModel came on top of that before the page read it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticModel } from '../../src/cli/synthetic';
import { modelParts } from '../../src/engine/model-pipeline';
import { prepareModel } from '../../src/engine/streaming-engine';
import { readModel, type DDSPModel } from '../../src/model/model-file';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { FakePort, loadProcessor } from './worklet-stubs';

const Q = 128;
// 15 loads: with 7, a concurrent process on the 2 cores kept every load of one call at 1.002 ms (the largest call alone: 0.69 ms)
const REPEATS = 15;
const BOUND_MS = 1;
const bundled = (name: string): DDSPModel => readModel(readFileSync(join(__dirname, '..', '..', 'models', `${name}.onnx`)));
const models: [string, () => DDSPModel][] = [
  ['violin', () => bundled('violin')],
  ['flute', () => bundled('flute')],
  ['cello', () => bundled('cello')],
  ['seed-size', () => syntheticModel()],
];

let Processor: typeof DDSPProcessor;
beforeAll(async () => {
  Processor = await loadProcessor(new Map());
});

const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
const ms = (x: number): string => x.toFixed(2);
const timed = (f: () => void): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

describe('render-thread time of a model load (processor harness)', () => {
  for (const rate of [48000, 44100]) {
    for (const [name, make] of models) {
      it(`at ${rate} Hz, ${name}: every message and every quantum of a load takes ≤ ${BOUND_MS} ms (per call the minimum over loads)`, () => {
        (globalThis as unknown as { sampleRate: number }).sampleRate = rate;
        const proc = new Processor({ numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: {} } as never);
        const port = proc.port as unknown as FakePort;
        const params: Record<string, Float32Array> = {
          pitchShift: Float32Array.of(0), harmonicMix: Float32Array.of(1), noiseMix: Float32Array.of(1),
          reverbMix: Float32Array.of(0.5), f0: Float32Array.of(440), loudness: Float32Array.of(-80), mode: Float32Array.of(0),
        };
        let phase = 0;
        const tone = new Float32Array(Q);
        const out = [new Float32Array(Q)];
        const quantum = (): number => timed(() => {
          for (let i = 0; i < Q; i++) tone[i] = 0.3 * Math.sin((phase = (phase + (2 * Math.PI * 375) / rate) % (2 * Math.PI)));
          proc.process([[tone]], [out], params);
        });
        const playing = bundled('violin');
        expect(port.deliver({ type: 'load', id: 0, model: playing, parts: modelParts(playing, rate) })).toMatchObject({ id: 0 });
        for (let k = 0; k < 400; k++) quantum(); // V8 compiles the realtime path

        const model = make();
        // the page's part, before the timing: its arrays are transferred, so new ones per load
        const parts = Array.from({ length: REPEATS + 1 }, () => modelParts(model, rate));
        const messageMax: number[] = [];
        const quantumMax: number[] = [];
        /** Per load, its calls in order: the load message, then per step a message and a quantum. */
        const calls: number[][] = [];
        /** Per load, the quanta of the swap's crossfade (two models playing). */
        const fades: number[][] = [];
        const steps: number[] = [];
        let stepId = 1000;
        for (let r = 0; r <= REPEATS; r++) {
          const times: number[] = [];
          const msgs: number[] = [];
          const inOrder: number[] = [];
          const sent = port.sent.length;
          msgs.push(timed(() => port.onmessage?.({ data: { type: 'load', id: r + 1, model, parts: parts[r] } })));
          inOrder.push(msgs[0]);
          let n = 0;
          while (!port.sent.slice(sent).some((m) => m.id === r + 1) && n < 1000) {
            msgs.push(timed(() => port.onmessage?.({ data: { type: 'step', id: stepId++ } })));
            times.push(quantum());
            inOrder.push(msgs[msgs.length - 1], times[times.length - 1]);
            n++;
          }
          const reply = port.sent.slice(sent).find((m) => m.id === r + 1) as { result: { latencySamples: number } };
          expect(reply).toMatchObject({ id: r + 1, result: { sampleRate: rate } });
          // until the crossfade is over: the new pipeline's latency, three hops, the 10 ms fade, and a margin
          const fade = Math.ceil(reply.result.latencySamples / Q + (3 * rate) / 50 / Q + rate / 100 / Q) + 4;
          const fadeTimes = Array.from({ length: fade }, quantum);
          expect(out[0].every(Number.isFinite)).toBe(true);
          steps.push(n);
          messageMax.push(Math.max(...msgs));
          quantumMax.push(Math.max(...times));
          calls.push(inOrder);
          fades.push(fadeTimes);
        }
        // the first load of this model (V8 compiles its build steps) is printed, not counted
        const counted = calls.slice(1);
        expect(new Set(steps).size).toBe(1); // the same steps every time, so call i is the same work in every load
        const perCall = counted[0].map((_, i) => Math.min(...counted.map((c) => c[i])));
        const worst = Math.max(...perCall);
        const medians = counted[0].map((_, i) => median(counted.map((c) => c[i])));
        const fadeWorst = Math.max(...fades[0].map((_, i) => Math.min(...fades.slice(1).map((f) => f[i]))));
        const before = median(Array.from({ length: 3 }, () => timed(() => prepareModel(model, rate))));
        console.log(
          `[load time ${rate} Hz ${name}] ${steps[0]} build steps per load; render thread, per call the minimum over ` +
            `${counted.length} loads: largest ${ms(worst)} ms (call ${perCall.indexOf(worst)} of ${perCall.length}); ` +
            `per call the median over loads: largest ${ms(Math.max(...medians))} ms, median ${ms(median(medians))} ms. ` +
            `Slowest message per load: ${messageMax.map(ms).join(', ')} ms; ` +
            `slowest quantum per load: ${quantumMax.map(ms).join(', ')} ms (first load: cold code). The crossfade's ` +
            `quanta (two models playing), per quantum the minimum over loads: largest ${ms(fadeWorst)} ms. Before (the ` +
            `model built in the load message): ${ms(before)} ms`,
        );
        expect(worst).toBeLessThanOrEqual(BOUND_MS);
      });
    }
  }
});
