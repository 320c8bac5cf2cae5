// Model file: write → read round trip, onnxruntime-web runs every written file and agrees with EstimatorRuntime,
// and readModel refuses bad files with a message naming the problem.
import { describe, expect, it } from 'vitest';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { ModelFormatError, modelAnalysis, readModel, writeModel } from '../../src/model/model-file';
import { INPUT_STATE } from '../../src/model/onnx-graph';
import { encodeModel } from '../../src/model/onnx-proto';
import { createEstimatorSession, runEstimatorOrt } from '../../src/model/ort';
import { maxAbsDiff } from '../estimator/helpers';
import { editOnnx, sequence, testModel } from './helpers';

describe('model file', () => {
  it('round-trips every field exactly', () => {
    const m = testModel(32);
    const back = readModel(writeModel(m));
    expect(back.formatVersion).toBe(1);
    expect(back.sampleRate).toBe(48000);
    expect(back.frameRate).toBe(50);
    expect(back.f0RangeHz).toEqual([40, 1500]);
    expect(back.synth).toEqual(m.synth);
    expect(back.name).toBe('test-32');
    expect(back.meta).toEqual({ author: 'tests' });
    expect(back.ir).toEqual(m.ir);
    const { weights, ...spec } = back.estimator;
    const { weights: w0, ...spec0 } = m.estimator;
    expect(spec).toEqual(spec0);
    for (const k of Object.keys(w0)) expect(weights[k]).toEqual(w0[k]);
    // also readable from an ArrayBuffer
    const bytes = writeModel(m);
    expect(readModel(bytes.slice().buffer).estimator.hiddenSize).toBe(32);
  });

  for (const hidden of [32, 512]) {
    it(`onnxruntime-web runs it and EstimatorRuntime matches ort within 1e-5 (hidden ${hidden}, batch 2)`, async () => {
      const m = testModel(hidden, 32, 62, hidden);
      const bytes = writeModel(m);
      const model = readModel(bytes);
      const T = 24;
      const a = sequence(T, 1);
      const b = sequence(T, 2);
      const f0 = new Float32Array([...a.f0, ...b.f0]);
      const loud = new Float32Array([...a.loud, ...b.loud]);
      const ort = await runEstimatorOrt(bytes, f0, loud, { batch: 2 });
      const P = model.estimator.outputSize;
      expect(ort.length).toBe(2 * T * P);
      for (const kernel of ['js', 'wasm'] as const) {
        const rt = new EstimatorRuntime(model.estimator, model.estimator.weights, { kernel });
        expect(maxAbsDiff(rt.runSequence(a.f0, a.loud), ort.subarray(0, T * P))).toBeLessThan(1e-5);
        rt.reset();
        expect(maxAbsDiff(rt.runSequence(b.f0, b.loud), ort.subarray(T * P))).toBeLessThan(1e-5);
      }
    });
  }

  it('float16 weights: half the size, loads in ort and in readModel, runtime == ort within 1e-5', async () => {
    const m = testModel(64);
    const f32 = writeModel(m);
    const f16 = writeModel(m, { float16: true });
    expect(f16.length).toBeLessThan(0.75 * f32.length);
    const back = readModel(f16);
    const w = back.estimator.weights['gru.weight_hh_l0'].data;
    const w0 = m.estimator.weights['gru.weight_hh_l0'].data;
    expect(maxAbsDiff(w, w0)).toBeLessThan(2e-4);
    expect(w).not.toEqual(w0);
    const { f0, loud } = sequence(16);
    const ort = await runEstimatorOrt(f16, f0, loud);
    const rt = new EstimatorRuntime(back.estimator, back.estimator.weights);
    expect(maxAbsDiff(rt.runSequence(f0, loud), ort)).toBeLessThan(1e-5);
    // float16 rounding changes outputs only a little
    const ref = new EstimatorRuntime(m.estimator, m.estimator.weights).runSequence(f0, loud);
    expect(maxAbsDiff(ref, ort)).toBeLessThan(5e-3);
  });

  it('GRU state I/O: two halves with the state passed on == one run == the runtime', async () => {
    const m = testModel(32);
    const bytes = writeModel(m, { stateIO: true });
    const back = readModel(bytes);
    const H = 32;
    const P = back.estimator.outputSize;
    const { f0, loud } = sequence(20);
    const s = await createEstimatorSession(bytes);
    try {
      expect(s.inputNames).toContain(INPUT_STATE);
      const whole = await s.run(f0, loud, 1, 20, new Float32Array(H));
      const first = await s.run(f0.subarray(0, 8), loud.subarray(0, 8), 1, 8, new Float32Array(H));
      const second = await s.run(f0.subarray(8), loud.subarray(8), 1, 12, first.state);
      expect(maxAbsDiff(whole.params.subarray(0, 8 * P), first.params)).toBeLessThan(1e-6);
      expect(maxAbsDiff(whole.params.subarray(8 * P), second.params)).toBeLessThan(1e-6);
      const rt = new EstimatorRuntime(back.estimator, back.estimator.weights);
      expect(maxAbsDiff(rt.runSequence(f0, loud), whole.params)).toBeLessThan(1e-5);
      expect(maxAbsDiff(rt.hiddenState, whole.state as Float32Array)).toBeLessThan(1e-5);
    } finally {
      await s.release();
    }
  });

  it('writeModel refuses inconsistent models with ModelFormatError naming the field', () => {
    const m = testModel(16);
    expect(() => writeModel({ ...m, estimator: { ...m.estimator, outputSize: 10 } })).toThrow(ModelFormatError);
    const bad = testModel(16);
    bad.estimator.weights['out.bias'].data[3] = NaN;
    expect(() => writeModel(bad)).toThrow(/tensor 'out.bias' contains a non-finite value/);
    expect(() => writeModel({ ...m, ir: new Float32Array(10) })).toThrow(/model.ir holds 10 samples/);
    expect(() => writeModel({ ...m, sampleRate: 0 })).toThrow(/model.sampleRate/);
    const big = testModel(16);
    big.estimator.weights['out.bias'].data[0] = 1e6;
    // past the weight limit (the float16 range, so both weight types store every legal model)
    expect(() => writeModel(big, { float16: true })).toThrow(/'out.bias' value 1000000 at flat index 0 is beyond the limit \|w\| ≤ 65504/);
    expect(() => writeModel(big)).toThrow(/beyond the limit \|w\| ≤ 65504/);
    expect(() => writeModel({ ...m, meta: { 'ddsp.x': 'y' } })).toThrow(/reserved/);
  });
});

describe('readModel refuses bad files', () => {
  const good = writeModel(testModel(16));
  const refuse = (bytes: Uint8Array, re: RegExp): void => {
    let err: unknown;
    try {
      readModel(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(re);
  };

  it('a truncated file', () => {
    for (const frac of [0.1, 0.5, 0.9, 0.999]) refuse(good.subarray(0, Math.floor(good.length * frac)), /truncated/);
    refuse(new Uint8Array(0), /empty file/);
  });

  it('a file that is not ONNX', () => {
    refuse(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), /not an ONNX model: this is a zip archive/);
    refuse(new TextEncoder().encode('{"weights": []}'), /looks like JSON/);
    refuse(new Uint8Array(64).map((_, i) => (i * 97 + 13) & 255), /not an ONNX|truncated or corrupt/);
    // a valid ONNX model that is not one of ours
    const foreign = encodeModel({ irVersion: 8, graph: { name: 'g' } });
    refuse(foreign, /not a ddsp-stream model file: metadata 'ddsp.format_version' is missing/);
  });

  it('a loudness range that is not [low, high] dB', () => {
    const withRange = writeModel({ ...testModel(16), loudnessRangeDb: [-38.3, 9.7] });
    expect(readModel(withRange).loudnessRangeDb).toEqual([-38.3, 9.7]);
    expect(readModel(good).loudnessRangeDb).toBeUndefined();
    const setRange = (v: string): Uint8Array => editOnnx(withRange, (m) => {
      for (const p of m.metadataProps ?? []) if (p.key === 'ddsp.loudness_range_db') p.value = v;
    });
    refuse(setRange('[10,-10]'), /metadata 'ddsp.loudness_range_db' must be \[low, high\] dB with −120 ≤ low < high ≤ 120, got \[10,-10\]/);
    refuse(setRange('[-500,0]'), /'ddsp.loudness_range_db' must be \[low, high\] dB/);
    refuse(setRange('"loud"'), /'ddsp.loudness_range_db' must be \[low, high\] dB/);
    refuse(setRange('[-1,'), /metadata 'ddsp.loudness_range_db' is not valid JSON/);
    expect(() => writeModel({ ...testModel(16), loudnessRangeDb: [0, Number.NaN] })).toThrow(
      /model.loudnessRangeDb must be \[low, high\] dB/,
    );
  });

  it('an analysis window or alignment out of bounds; absent keys mean 2048 centred, and write nothing', () => {
    const live = writeModel({ ...testModel(16), analysisWindow: 480, analysisAlignment: 'causal' });
    const back = readModel(live);
    expect([back.analysisWindow, back.analysisAlignment]).toEqual([480, 'causal']);
    expect(modelAnalysis(back)).toEqual({ window: 480, alignment: 'causal' });
    const plain = readModel(good);
    expect('analysisWindow' in plain || 'analysisAlignment' in plain).toBe(false);
    expect(modelAnalysis(plain)).toEqual({ window: 2048, alignment: 'centred' });
    expect(modelAnalysis({ sampleRate: 96000 })).toEqual({ window: 4096, alignment: 'centred' });
    const keys = (b: Uint8Array) => {
      let n = 0;
      editOnnx(b, (m) => { n = (m.metadataProps ?? []).filter((p) => /^ddsp\.analysis_/.test(p.key ?? '')).length; });
      return n;
    };
    expect(keys(good)).toBe(0);
    expect(keys(live)).toBe(2);
    const set = (key: string, v: string): Uint8Array => editOnnx(live, (m) => {
      for (const p of m.metadataProps ?? []) if (p.key === key) p.value = v;
    });
    refuse(set('ddsp.analysis_window', '481'), /metadata 'ddsp.analysis_window' must be an even number of samples in \[64, 32768\], got 481/);
    refuse(set('ddsp.analysis_window', '65536'), /'ddsp.analysis_window' must be an even number of samples in \[64, 32768\], got 65536/);
    refuse(set('ddsp.analysis_window', '4e2'), /'ddsp.analysis_window' must be an even number of samples in \[64, 32768\], got "4e2"/);
    refuse(set('ddsp.analysis_alignment', 'ahead'), /metadata 'ddsp.analysis_alignment' must be one of centred, causal, got "ahead"/);
    expect(() => writeModel({ ...testModel(16), analysisWindow: 32 })).toThrow(/model.analysisWindow must be an even number of samples in \[64, 32768\], got 32/);
    expect(() => writeModel({ ...testModel(16), analysisAlignment: 'left' as never })).toThrow(/model.analysisAlignment must be one of centred, causal, got "left"/);
  });

  it('an unknown or newer format version, saying which versions we read', () => {
    const setVersion = (v: string): Uint8Array => editOnnx(good, (m) => {
      for (const p of m.metadataProps!) if (p.key === 'ddsp.format_version') p.value = v;
    });
    refuse(setVersion('2'), /format version 2 is newer than this ddsp-stream reads \(it reads version 1\)/);
    refuse(setVersion('banana'), /unknown model format version 'banana' \(this ddsp-stream reads version 1\)/);
  });

  it('an op the engine does not run', () => {
    refuse(editOnnx(good, (m) => { m.graph!.node![20].opType = 'Conv'; }), /op 'Conv' is not run by ddsp-stream's engine/);
    refuse(editOnnx(good, (m) => { m.graph!.node![3].domain = 'com.microsoft'; }), /is not run by ddsp-stream's engine/);
  });

  it('a graph that is not the estimator graph', () => {
    refuse(editOnnx(good, (m) => { m.graph!.node![6].input = ['input/x', 'input/x']; }), /graph node 6 .*inputs \[input\/x, input\/x\], expected/);
    refuse(editOnnx(good, (m) => { m.graph!.node!.pop(); }), /the graph has \d+ nodes/);
    refuse(editOnnx(good, (m) => {
      for (const n of m.graph!.node!) if (n.opType === 'LayerNormalization') n.attribute![1].f = 1e-3;
    }), /attribute epsilon/);
    refuse(editOnnx(good, (m) => { m.opsetImport![0].version = 18; }), /opset 17/);
  });

  it('shapes that do not match the metadata', () => {
    const meta = (key: string, f: (v: string) => string): Uint8Array => editOnnx(good, (m) => {
      for (const p of m.metadataProps!) if (p.key === key) p.value = f(p.value ?? '');
    });
    refuse(meta('ddsp.estimator', (v) => v.replace('"hiddenSize":16', '"hiddenSize":32')), /shape mismatch: .*hiddenSize 16.*metadata 'ddsp.estimator' says hiddenSize 32/);
    refuse(meta('ddsp.synth', (v) => v.replace('"nHarmonics":16', '"nHarmonics":17')), /shape mismatch: the estimator has 33 outputs but the synth graph takes 34 parameters \(AMP 1 \+ HARM 17 \+ FREQRES 16\)/);
    refuse(meta('ddsp.synth', (v) => v.replace('"irLength":1000', '"irLength":1001')), /'ddsp.reverb_ir' holds 999 samples, IRReverb 'irreverb' has irLength 1001/);
    refuse(meta('ddsp.synth', (v) => v.replace('"type":"IRReverb"', '"type":"DecayReverb"')), /'DecayReverb' is not a module the engine runs/);
    refuse(meta('ddsp.estimator', (v) => v.replace('"f0NormHz":[32,2000]', '"f0NormHz":[30,2000]')), /'ddsp.f0_norm_min' = 32 does not match the metadata/);
    const dims = (d: number[]): Uint8Array => editOnnx(good, (m) => {
      m.graph!.initializer!.find((i) => i.name === 'gru.weight_hh_l0')!.dims = d;
    });
    refuse(dims([24, 32]), /shape mismatch: tensor 'gru.weight_hh_l0' is \[24,32\], expected \[48,16\] for hiddenSize 16/);
    refuse(dims([48, 17]), /tensor 'gru.weight_hh_l0' holds 3072 bytes, its shape \[48,17\] needs 3264/);
  });

  it('NaN/Inf weights', () => {
    const nan = editOnnx(good, (m) => {
      const t = m.graph!.initializer!.find((i) => i.name === 'mlp_1.linear.1.0.weight')!;
      const raw = new Uint8Array(t.rawData as Uint8Array);
      new DataView(raw.buffer).setFloat32(40, NaN, true);
      t.rawData = raw;
    });
    refuse(nan, /tensor 'mlp_1.linear.1.0.weight' contains a non-finite value \(NaN\) at flat index 10/);
    const inf = editOnnx(good, (m) => {
      const t = m.graph!.initializer!.find((i) => i.name === 'ddsp.reverb_ir')!;
      const raw = new Uint8Array(t.rawData as Uint8Array);
      new DataView(raw.buffer).setFloat32(0, Infinity, true);
      t.rawData = raw;
    });
    refuse(inf, /'ddsp.reverb_ir' contains a non-finite value \(Infinity\) at index 0/);
  });

  it('a missing tensor', () => {
    const drop = (name: string): Uint8Array => editOnnx(good, (m) => {
      m.graph!.initializer = m.graph!.initializer!.filter((t) => t.name !== name);
    });
    refuse(drop('gru.bias_hh_l0'), /missing tensor 'gru.bias_hh_l0'/);
    refuse(drop('ddsp.reverb_ir'), /missing tensor 'ddsp.reverb_ir'/);
    refuse(drop('ddsp.db_range'), /missing tensor 'ddsp.db_range'/);
  });
});
