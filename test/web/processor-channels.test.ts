// One voice per input channel through the processor (stubbed worklet scope, Node): with processorOptions
// inputChannels 3 the processor hands the engine the node's channels as they come (engine.processChannels), so its
// output equals a StreamingEngine built with inputChannels 3 given the same channels; with the option absent the
// same input is mixed down to mono (the node's default).
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { readModel } from '../../src/model/model-file';
import type { DDSPProcessor as DDSPProcessorClass } from '../../worklet/ddsp-processor';
import { maxAbsDiff } from '../browser/harness';
import { SAMPLE_RATE, glideInput, rms, smallModelBytes } from '../browser/fixture-model';
import { defaultParams, loadProcessor, type FakePort } from './worklet-stubs';

const Q = 128;
let Processor: typeof DDSPProcessorClass;
beforeAll(async () => {
  Processor = await loadProcessor(new Map(), SAMPLE_RATE);
});

describe('one voice per input channel through the processor', () => {
  const bytes = smallModelBytes();
  const n = 40 * Q;
  // three glides in different registers
  const inputs = [glideInput(n, SAMPLE_RATE, 110, 165), glideInput(n, SAMPLE_RATE, 220, 330), glideInput(n, SAMPLE_RATE, 440, 392)];

  function run(processorOptions: Record<string, unknown>): Float32Array {
    const proc = new Processor({ processorOptions } as never);
    (proc.port as unknown as FakePort).deliver({ type: 'load', id: 1, model: readModel(bytes) });
    const out = new Float32Array(n);
    const outQ = [[new Float32Array(Q)]];
    const p = defaultParams(Processor);
    for (let off = 0; off < n; off += Q) {
      proc.process([inputs.map((x) => x.subarray(off, off + Q))], outQ, p);
      out.set(outQ[0][0], off);
    }
    return out;
  }

  it('inputChannels 3: the engine tracks each channel (= StreamingEngine.processChannels), not their mix', () => {
    const out = run({ inputChannels: 3 });
    const engine = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE, inputChannels: 3 });
    const ref = new Float32Array(n);
    for (let off = 0; off < n; off += Q) engine.processChannels(inputs, ref, Q, off, off);
    expect(rms(ref.subarray(n / 2))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(out, ref)).toBe(0);
    // the default node mixes the channels down to one voice: another output
    const mono = run({});
    expect(maxAbsDiff(mono, ref)).toBeGreaterThan(1e-3);
  });
});
