// The AudioWorkletProcessor run in Node: the worklet globals (AudioWorkletProcessor, registerProcessor,
// sampleRate) are stubbed, then worklet/processor.ts is imported and process() driven directly, quantum by
// quantum, against StreamingEngine driven the same way.
import { beforeAll, describe, expect, it } from 'vitest';
import { modelParts } from '../../src/engine/model-pipeline';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { DEFAULT_LOUDNESS_RANGE_DB, readModel } from '../../src/model/model-file';
import type { DDSPReply, LoadResult } from '../../src/web/protocol';
import type { DDSPProcessor as DDSPProcessorClass } from '../../worklet/ddsp-processor';
import type { ParameterDescriptor } from '../../worklet/scope';
import { FakePort, defaultParams, loadProcessor } from './worklet-stubs';
import { maxAbsDiff } from '../browser/harness';
import { SAMPLE_RATE, glideInput, rms, smallModel, smallModelBytes } from '../browser/fixture-model';

const Q = 128; // render quantum

const registered = new Map<string, unknown>();
let Processor: typeof DDSPProcessorClass;

beforeAll(async () => {
  Processor = await loadProcessor(registered);
});

type Params = Record<string, Float32Array>;

/** A processor; a model in `processorOptions` is built (with 'step' requests, as the node would) before it returns. */
function makeProcessor(processorOptions: Record<string, unknown> = {}) {
  const proc = new Processor({ numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], processorOptions } as never);
  const port = proc.port as unknown as FakePort;
  port.finishLoads();
  return { proc, port };
}

/** Runs `input` (channels × n) through the processor in quanta; returns the mono output. */
function runProcessor(proc: DDSPProcessorClass, input: Float32Array[], params = defaultParams(Processor)): Float32Array {
  const n = input[0].length;
  const out = new Float32Array(n);
  const inQ = input.map(() => new Float32Array(Q));
  const outQ = [new Float32Array(Q)];
  for (let off = 0; off < n; off += Q) {
    for (let c = 0; c < input.length; c++) inQ[c].set(input[c].subarray(off, off + Q));
    proc.process([inQ], [outQ], params);
    out.set(outQ[0].subarray(0, Math.min(Q, n - off)), off);
  }
  return out;
}

function runEngine(input: Float32Array, bytes: Uint8Array): Float32Array {
  const engine = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE });
  const out = new Float32Array(input.length);
  for (let off = 0; off < input.length; off += Q) engine.process(input, out, Math.min(Q, input.length - off), off, off);
  return out;
}

describe('ddsp-stream processor (Node, stubbed worklet scope)', () => {
  const bytes = smallModelBytes();
  /** The model as the node posts it: read in the page. */
  const model = () => readModel(bytes);
  const input = glideInput(SAMPLE_RATE / 2);

  it("registers as 'ddsp-stream' with the six control AudioParams and the mode param, and their ranges", () => {
    expect(registered.get('ddsp-stream')).toBe(Processor);
    const d = (Processor as unknown as { parameterDescriptors: ParameterDescriptor[] }).parameterDescriptors;
    const byName = Object.fromEntries(d.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['f0', 'harmonicMix', 'loudness', 'mode', 'noiseMix', 'pitchShift', 'reverbMix']);
    expect(byName.mode).toMatchObject({ minValue: 0, maxValue: 2, defaultValue: 0, automationRate: 'k-rate' });
    expect(byName.pitchShift).toMatchObject({ minValue: -24, maxValue: 24, defaultValue: 0 });
    expect(byName.harmonicMix).toMatchObject({ minValue: 0, maxValue: 2, defaultValue: 1 });
    expect(byName.noiseMix).toMatchObject({ minValue: 0, maxValue: 2, defaultValue: 1 });
    expect(byName.reverbMix).toMatchObject({ minValue: 0, maxValue: 1, defaultValue: 0.5 });
    expect(byName.f0).toMatchObject({ minValue: 0, maxValue: 20000, defaultValue: 440 });
    expect(byName.loudness).toMatchObject({ minValue: -120, maxValue: 20, defaultValue: -80 });
    expect(d.every((x) => x.automationRate === 'k-rate')).toBe(true);
  });

  it('outputs zeros until a model is loaded', () => {
    const { proc } = makeProcessor();
    const out = [new Float32Array(Q).fill(7)];
    expect(proc.process([[input.subarray(0, Q)]], [out], defaultParams(Processor))).toBe(true);
    expect(out[0].every((v) => v === 0)).toBe(true);
  });

  it('answers a load request with the latency, and process() equals the engine sample for sample', () => {
    const { proc, port } = makeProcessor();
    const reply = port.deliver({ type: 'load', id: 3, model: model() });
    const engineLatency = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE }).latencySamples;
    expect(reply).toEqual({
      id: 3,
      result: {
        latencySamples: engineLatency, sampleRate: SAMPLE_RATE, modelSampleRate: SAMPLE_RATE, name: 'browser-test-small',
        loudnessRangeDb: [...DEFAULT_LOUDNESS_RANGE_DB],
      },
    });
    const got = runProcessor(proc, [input]);
    const want = runEngine(input, bytes);
    expect(rms(want)).toBeGreaterThan(1e-4);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    expect(maxDiff).toBe(0);
  });

  it("a load with the page's parts (modelParts at the context rate) renders the same, sample for sample; parts for another rate are not used", () => {
    const want = runEngine(input, bytes);
    for (const rate of [SAMPLE_RATE, 44100]) {
      const { proc, port } = makeProcessor();
      const parts = modelParts(model(), rate);
      expect(Object.keys(parts.reverbs)).toEqual(['irreverb']);
      expect(port.deliver({ type: 'load', id: 1, model: model(), parts })).toMatchObject({ id: 1, result: { sampleRate: SAMPLE_RATE } });
      expect(maxAbsDiff(runProcessor(proc, [input]), want)).toBe(0);
    }
  });

  it('builds a load in steps: render quanta alone complete it (the playing model plays on meanwhile), loads are answered in order, and a step request answers whether a load is still building', () => {
    const { proc, port } = makeProcessor({ model: model() });
    const ref = makeProcessor({ model: model() });
    const params = defaultParams(Processor);
    const x = new Float32Array(Q);
    const out = new Float32Array(Q);
    const refOut = new Float32Array(Q);
    const sent = port.sent.length;
    port.onmessage?.({ data: { type: 'load', id: 1, model: smallModel() } });
    port.onmessage?.({ data: { type: 'load', id: 2, model: model() } });
    expect(port.sent.length).toBe(sent); // nothing built or answered in the messages
    let quanta = 0;
    while (port.sent.length < sent + 2 && quanta < 200) {
      x.fill(0).set(input.subarray(quanta * Q, (quanta + 1) * Q));
      proc.process([[x]], [[out]], params);
      ref.proc.process([[x]], [[refOut]], params);
      if (port.sent.length === sent) expect(out).toEqual(refOut); // the playing model, untouched until a swap
      quanta++;
    }
    expect(port.sent.slice(sent).map((m) => m.id)).toEqual([1, 2]);
    expect(quanta).toBeGreaterThan(4); // steps, not one go
    console.log(`[processor] two loads of the small model built in ${quanta} quanta`);
    port.onmessage?.({ data: { type: 'load', id: 3, model: model() } });
    expect(port.deliver({ type: 'step', id: 4 })).toEqual({ id: 4, result: true });
    port.finishLoads();
    expect(port.sent.find((m) => m.id === 3)).toMatchObject({ result: { sampleRate: SAMPLE_RATE } });
    expect(port.deliver({ type: 'step', id: 5 })).toEqual({ id: 5, result: false });
  });

  it('leaves a load to the step requests while they come: a quantum that follows one builds nothing', () => {
    const { proc, port } = makeProcessor({ model: model() });
    const params = defaultParams(Processor);
    const x = new Float32Array(Q);
    const out = new Float32Array(Q);
    /** Step requests until load `id` is built, with a render quantum after each request or none. */
    const requests = (id: number, quanta: boolean): number => {
      port.onmessage?.({ data: { type: 'load', id, model: smallModel() } });
      let n = 1;
      while (port.step()) {
        if (quanta) proc.process([[x]], [[out]], params);
        n++;
      }
      expect(port.sent.find((m) => m.id === id)).toMatchObject({ result: { sampleRate: SAMPLE_RATE } });
      return n;
    };
    const alone = requests(1, false);
    expect(alone).toBeGreaterThan(4);
    expect(requests(2, true)).toBe(alone);
    // once the requests stop, the quanta take over
    port.onmessage?.({ data: { type: 'load', id: 3, model: smallModel() } });
    expect(port.step()).toBe(true);
    let quanta = 0;
    while (!port.sent.some((m) => m.id === 3) && quanta < 200) {
      proc.process([[x]], [[out]], params);
      quanta++;
    }
    expect(quanta).toBe(alone); // the first, after the request, builds nothing
  });

  it('accepts the model in processorOptions and posts {type: "loaded"}', () => {
    const a = makeProcessor({ model: model() });
    expect(a.port.sent[0]).toMatchObject({ type: 'loaded', result: { sampleRate: SAMPLE_RATE } });
    const b = makeProcessor({ model: smallModel() });
    expect(b.port.sent[0]).toMatchObject({ type: 'loaded' });
    expect(runProcessor(a.proc, [input])).toEqual(runProcessor(b.proc, [input]));
  });

  it('refuses file bytes (the page reads files; the worklet has no reader) and a model it cannot run with MODEL_LOAD, and keeps rendering (silence) without throwing', () => {
    const { proc, port } = makeProcessor();
    const reply = port.deliver({ type: 'load', id: 9, model: bytes.slice().buffer });
    expect(reply).toMatchObject({ id: 9, error: { code: 'MODEL_LOAD', message: expect.stringContaining('DDSPModel object') } });
    const bad = port.deliver({ type: 'load', id: 10, model: { ...model(), frameRate: 0 } });
    expect(bad).toMatchObject({ id: 10, error: { code: 'MODEL_LOAD', message: expect.stringContaining('frameRate must be a positive finite number') } });
    expect(runProcessor(proc, [input.subarray(0, 4 * Q)]).every((v) => v === 0)).toBe(true);
  });

  it('a bad processorOptions model is reported as {type: "error"}, not thrown', () => {
    const { port } = makeProcessor({ model: { ...model(), sampleRate: -1 } });
    expect(port.sent[0]).toMatchObject({ type: 'error', error: { code: 'MODEL_LOAD', message: expect.stringContaining('modelSampleRate must be a positive number of Hz, got -1') } });
  });

  it('answers unknown requests with BAD_REQUEST (the mode is a param, not a message)', () => {
    const { port } = makeProcessor();
    expect(port.deliver({ type: 'frobnicate', id: 1 })).toMatchObject({ id: 1, error: { code: 'BAD_REQUEST' } });
    expect(port.deliver({ type: 'mode', id: 2, mode: 'control' })).toMatchObject({
      id: 2, error: { code: 'BAD_REQUEST', message: 'unknown message type mode' },
    });
    expect(port.deliver({ type: 'reset', id: 5 })).toEqual({ id: 5, result: null });
    expect(port.deliver(null)).toMatchObject({ id: -1, error: { code: 'BAD_REQUEST' } });
  });

  it('downmixes a stereo input to the mean of its channels', () => {
    const { proc } = makeProcessor({ model: model() });
    const right = input.map((v, i) => (i % 3 === 0 ? -v : 0.5 * v));
    const mean = input.map((v, i) => (v + right[i]) * 0.5);
    const ref = makeProcessor({ model: model() });
    expect(runProcessor(proc, [input, right])).toEqual(runProcessor(ref.proc, [mean]));
  });

  it('sanitises NaN and ±Infinity input to 0', () => {
    const dirty = input.slice();
    const clean = input.slice();
    for (let i = 100; i < dirty.length; i += 997) {
      dirty[i] = i % 2 ? NaN : Infinity;
      clean[i] = 0;
    }
    dirty[5] = -Infinity;
    clean[5] = 0;
    const a = makeProcessor({ model: model() });
    const b = makeProcessor({ model: model() });
    const got = runProcessor(a.proc, [dirty]);
    expect(got.every(Number.isFinite)).toBe(true);
    expect(got).toEqual(runProcessor(b.proc, [clean]));
  });

  it('with no input connected (zero channels) renders as if the input were silent', () => {
    const a = makeProcessor({ model: model() });
    const b = makeProcessor({ model: model() });
    const params = defaultParams(Processor);
    const outA = [new Float32Array(Q)];
    const outB = [new Float32Array(Q)];
    const silent = new Float32Array(Q);
    for (let k = 0; k < 50; k++) {
      a.proc.process([[]], [outA], params);
      b.proc.process([[silent]], [outB], params);
      expect(outA[0]).toEqual(outB[0]);
    }
  });

  it('control mode renders from the f0/loudness params with no input, finite and not silent', () => {
    const { proc, port } = makeProcessor({ model: model() });
    expect(port.sent[0]).toMatchObject({ type: 'loaded' });
    const params = defaultParams(Processor);
    params.mode[0] = 1;
    params.f0[0] = 220;
    params.loudness[0] = -20;
    const out = [new Float32Array(Q)];
    const all = new Float32Array(200 * Q);
    for (let k = 0; k < 200; k++) {
      proc.process([[]], [out], params);
      all.set(out[0], k * Q);
    }
    expect(all.every(Number.isFinite)).toBe(true);
    expect(rms(all)).toBeGreaterThan(1e-5);
  });

  it('the mode param takes effect from the first quantum it is set in, and back, sample for sample', () => {
    const { proc } = makeProcessor({ model: model() });
    const params = defaultParams(Processor);
    params.mode[0] = 1;
    params.f0[0] = 330;
    params.loudness[0] = -10;
    const engine = new StreamingEngine(readModel(bytes), { sampleRate: SAMPLE_RATE, mode: 'control' });
    const out = [new Float32Array(Q)];
    const got = new Float32Array(150 * Q);
    const want = new Float32Array(150 * Q);
    for (let k = 0; k < 150; k++) {
      if (k === 100) {
        params.mode[0] = 0; // back to audio mode: the (silent) input is analysed from this quantum on
        engine.setMode('audio');
      }
      proc.process([[]], [out], params);
      got.set(out[0], k * Q);
      engine.setControlFeatures(Float32Array.of(330), Float32Array.of(-10));
      engine.process(null, want, Q, 0, k * Q);
    }
    expect(rms(got.subarray(0, 100 * Q))).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(got, want)).toBe(0);
  });

  it('a load result carries the model\'s loudness range, or the default for a file without one', () => {
    const { port } = makeProcessor();
    const reply = port.deliver({ type: 'load', id: 1, model: model() }) as { result: LoadResult };
    expect(reply.result.loudnessRangeDb).toEqual([...DEFAULT_LOUDNESS_RANGE_DB]);
    const withRange = port.deliver({ type: 'load', id: 2, model: { ...smallModel(), loudnessRangeDb: [-30, 5] } }) as { result: LoadResult };
    expect(withRange.result.loudnessRangeDb).toEqual([-30, 5]);
  });
});
