// What a model load costs the render thread: the real DDSPProcessor (stubbed worklet scope) playing the bundled
// violin, then loading the flute and the violin in turn, at 48 and 44.1 kHz: as DDSPNode.loadModel sends them (read
// and validated in the page, with the model's parts at the context rate: modelParts), and, for comparison, without
// the parts (the worklet then computes them). Wall time of each load message and of every process() call until the
// swap's crossfade is over; before = the page's readModel + the message without parts, which is what the message
// did when the worklet read the file. The machine's load (and V8's garbage collections, which a load's allocations
// trigger) makes single times noisy: a median is asserted, and all figures printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParts, partsBuffers } from '../../src/engine/model-pipeline';
import { readModel } from '../../src/model/model-file';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';
import { FakePort, loadProcessor } from './worklet-stubs';

const Q = 128;
const REPEATS = 6;
const files = ['violin', 'flute'].map((n) => readFileSync(join(__dirname, '..', '..', 'models', `${n}.onnx`)));

let Processor: typeof DDSPProcessor;
beforeAll(async () => {
  Processor = await loadProcessor(new Map());
});

const median = (x: number[]): number => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
const ms = (x: number): string => x.toFixed(2);

describe('render-thread time of a model load (processor harness)', () => {
  for (const rate of [48000, 44100]) {
    it(`at ${rate} Hz: a load message does not read the file (it costs less than the page's read), and the swap's quanta are timed`, () => {
      (globalThis as unknown as { sampleRate: number }).sampleRate = rate;
      const proc = new Processor({ numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: {} } as never);
      const port = proc.port as unknown as FakePort;
      const params: Record<string, Float32Array> = {
        pitchShift: Float32Array.of(0), harmonicMix: Float32Array.of(1), noiseMix: Float32Array.of(1),
        reverbMix: Float32Array.of(0.5), f0: Float32Array.of(440), loudness: Float32Array.of(-80), mode: Float32Array.of(0),
      };
      const tone = Float32Array.from({ length: Q }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 375 * i) / 48000));
      const out = [new Float32Array(Q)];
      const quantum = (): number => {
        const t = performance.now();
        proc.process([[tone]], [out], params);
        return performance.now() - t;
      };
      const first = readModel(files[0]);
      expect(port.deliver({ type: 'load', id: 0, model: first, parts: modelParts(first, rate) })).toMatchObject({ id: 0 });
      for (let k = 0; k < 400; k++) quantum(); // V8 compiles the realtime path
      const read: number[] = [];
      const partsTime: number[] = [];
      const bare: number[] = [];
      const message: number[] = [];
      const swapMax: number[] = [];
      const swapMedian: number[] = [];
      const steady: number[] = [];
      let id = 1;
      /** Sends a load as the node does (with parts) or without parts; returns the message's time; runs the swap. */
      const load = (bytes: Uint8Array, withParts: boolean): number => {
        let t = performance.now();
        const model = readModel(bytes); // the page's part (readModel validates)
        read.push(performance.now() - t);
        t = performance.now();
        const parts = withParts ? modelParts(model, rate) : undefined;
        if (parts !== undefined) partsTime.push(performance.now() - t);
        t = performance.now();
        const reply = port.deliver({ type: 'load', id, model, parts }) as { result: { latencySamples: number } };
        const took = performance.now() - t;
        expect(reply).toMatchObject({ id: id++, result: { sampleRate: rate } });
        // until the crossfade is over: the new pipeline's latency, three hops, the 10 ms fade, and a margin
        const quanta = Math.ceil(reply.result.latencySamples / Q + (3 * rate) / 50 / Q + rate / 100 / Q) + 4;
        const times = Array.from({ length: quanta }, quantum);
        if (withParts) {
          swapMax.push(Math.max(...times));
          swapMedian.push(median(times));
        }
        expect(out[0].every(Number.isFinite)).toBe(true);
        for (let k = 0; k < 50; k++) steady.push(quantum());
        return took;
      };
      for (let r = 0; r < REPEATS; r++) {
        bare.push(load(files[(r + 1) % 2], false));
        message.push(load(files[r % 2], true));
      }
      const before = median(read) + median(bare);
      console.log(
        `[load time ${rate} Hz] page: readModel median ${ms(median(read))} ms, modelParts ${ms(median(partsTime))} ms. Render thread: ` +
          `load message with parts median ${ms(median(message))} ms (all: ${message.map(ms).join(', ')}), without parts ` +
          `${ms(median(bare))} ms; before (readModel + prepare in the message) ≈ ${ms(before)} ms. process() during a swap: ` +
          `median ${ms(median(swapMedian))} ms, max per swap ${swapMax.map(ms).join(', ')} ms; steady median ${ms(median(steady))} ms`,
      );
      expect(median(message)).toBeLessThan(median(read)); // the message does not read the file
      expect(median(message)).toBeLessThan(median(read));
    });
  }
});
