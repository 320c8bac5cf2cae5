// Seed Lightning checkpoints → model: both fixtures reproduce the seed's estimator outputs through the realtime
// runtime and through onnxruntime-web; the checkpoint's config and Adam state come back resolved; bad input is
// refused with a message naming the problem.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { estimatorSpec, initWeights, weightNames } from '../../src/estimator/network';
import { CheckpointError, convertCheckpoint, modelFromCheckpoint, readLightningCheckpoint } from '../../src/model/ckpt';
import { convertCheckpointFile } from '../../src/model/convert-node';
import { readModel, writeModel } from '../../src/model/model-file';
import { runEstimatorOrt } from '../../src/model/ort';
import { TorchTensor, loadTorchZip } from '../../src/model/torch-zip';
import { loadEstimatorIO, maxAbsDiff } from '../estimator/helpers';
import { editZip, patchAfter, readFixture, replacePickleString } from './helpers';

const SEED = readFixture('seed-checkpoint/model.ckpt'); // folder model/, storages on cpu, H 64
const TRAINED = readFixture('seed-trained/model.ckpt'); // folder archive/, cuda:0, mfcc buffers, Adam, parents, H 256

describe('convertCheckpoint', () => {
  for (const [dir, bytes, hidden] of [['seed-checkpoint', SEED, 64], ['seed-trained', TRAINED, 256]] as const) {
    it(`${dir}: reproduces estimator_io.json within 1e-4 (EstimatorRuntime and onnxruntime-web)`, async () => {
      const m = convertCheckpoint(bytes, { fileName: `${dir}/model.ckpt` });
      expect(m.estimator.hiddenSize).toBe(hidden);
      expect(m.estimator.outputSize).toBe(1 + 64 + 257);
      expect(m.estimator.f0Norm).toEqual([32, 2000]);
      expect(m.estimator.dbRange).toBe(80);
      expect(m.sampleRate).toBe(48000);
      expect(m.frameRate).toBe(50);
      expect(m.synth.name).toBe('hpnir');
      expect(m.synth.nodes.map((n) => n.type)).toEqual(['Harmonic', 'FilteredNoise', 'Add', 'IRReverb']);
      expect(m.synth.nodes[1]).toMatchObject({ filterSize: 512, amplitude: 1, design: 'seed' });
      expect(m.synth.nodes[3]).toMatchObject({ irLength: 48000 });
      expect(m.ir?.length).toBe(47999);
      const io = loadEstimatorIO(dir);
      for (const kernel of ['js', 'wasm'] as const) {
        const rt = new EstimatorRuntime(m.estimator, m.estimator.weights, { kernel });
        expect(maxAbsDiff(rt.runSequence(io.f0Hz, io.loudnessDb), io.params)).toBeLessThan(1e-4);
      }
      const file = writeModel(m);
      const back = readModel(file);
      expect(back.ir).toEqual(m.ir);
      const ort = await runEstimatorOrt(file, io.f0Hz, io.loudnessDb);
      expect(maxAbsDiff(ort, io.params)).toBeLessThan(1e-4);
    });
  }

  it('seed-trained: resolves ${sample_rate} through the parent chain and reads the run config', () => {
    const ck = readLightningCheckpoint(TRAINED);
    expect(ck.globalStep).toBe(30000);
    expect(ck.epoch).toBe(3332);
    expect(ck.lightningVersion).toBe('1.6.5');
    const hp = ck.hyperParameters as Record<string, Record<string, any>>;
    expect(hp.model_cfg.sample_rate).toBe(48000); // '${sample_rate}' in the file
    expect(hp.model_cfg.estimator).toEqual({ _target_: 'diffsynth.estimator.EstimatorFL', hidden_size: 256 });
    expect(hp.synth_cfg.dag.harmonic.config.sample_rate).toBe(48000);
    expect(hp.synth_cfg.conditioned).toEqual(['f0']);
    expect(hp.losses_cfg.losses.spec.fft_sizes).toEqual([64, 128, 256, 512, 1024, 2048]);
    expect(ck.runConfig?.name).toBe('violin_run');
    expect((ck.runConfig?.data as Record<string, unknown>).frame_rate).toBe(50);
    expect((ck.runConfig?.data as Record<string, unknown>).sample_rate).toBe(48000);
    expect(Object.keys(ck.stateDict).some((k) => k.startsWith('mfcc.'))).toBe(false);
    expect(ck.stateDict['synth.processors.3.ir'].shape).toEqual([47999]);
  });

  it('seed-trained: Adam state per parameter, keyed like the state_dict', () => {
    const ck = readLightningCheckpoint(TRAINED);
    const opt = ck.optimizerState!;
    expect(opt.lr).toBe(1e-4);
    expect(opt.betas).toEqual([0.9, 0.999]);
    expect(opt.eps).toBe(1e-8);
    const names = [...weightNames({ hiddenSize: 256, outputSize: 322 }).map((n) => `estimator.${n}`), 'synth.processors.3.ir'];
    expect(Object.keys(opt.state)).toEqual(names);
    for (const n of names) {
      const s = opt.state[n];
      expect(s.expAvg.shape).toEqual(ck.stateDict[n].shape);
      expect(s.expAvgSq.shape).toEqual(ck.stateDict[n].shape);
      expect(s.expAvgSq.data.every((v) => v >= 0)).toBe(true);
      expect(s.step).toBe(1); // what this fixture stores (a real run stores its step count)
    }
  });

  it('seed-checkpoint: fills what the checkpoint lacks with the seed defaults and says so', () => {
    const m = convertCheckpoint(SEED);
    expect(m.f0RangeHz).toEqual([32, 2000]);
    expect(m.meta?.['convert.assumed']).toBe('frame_rate=50, f0_range=[32,2000]');
    expect(m.name).toBe('seed-hpnir');
    expect(convertCheckpoint(TRAINED).name).toBe('violin_run');
  });

  it('any zip folder name', () => {
    const renamed = editZip(SEED, (f) => {
      for (const k of Object.keys(f)) { f[k.replace(/^model\//, 'my-run.ckpt/')] = f[k]; delete f[k]; }
    });
    expect(convertCheckpoint(renamed).estimator.hiddenSize).toBe(64);
  });

  it('hpn and hpnir graphs with any n_harmonics / filter_size / hidden size, class defaults where keys are absent', () => {
    const dag = (nHarm: number | undefined, filter: number | undefined, reverb: boolean): Record<string, unknown> => ({
      harmonic: { config: { _target_: 'diffsynth.modules.generators.Harmonic', sample_rate: 48000, ...(nHarm ? { n_harmonics: nHarm } : {}) },
        connections: { amplitudes: 'AMP', harmonic_distribution: 'HARM', f0_hz: 'f0' } },
      filtnoise: { config: { _target_: 'diffsynth.modules.generators.FilteredNoise', ...(filter ? { filter_size: filter } : {}) },
        connections: { freq_response: 'FREQRES' } },
      add: { config: { _target_: 'diffsynth.processor.Add' }, connections: { signal_a: 'harmonic', signal_b: 'filtnoise' } },
      ...(reverb ? { irreverb: { config: { _target_: 'diffsynth.modules.reverb.IRReverb', ir_s: 0.25, sr: 16000 }, connections: { audio: 'add' } } } : {}),
    });
    const cases = [[100, 64, 48, false], [undefined, 512, 16, true], [8, 30, 7, true]] as const;
    for (const [nHarm, filter, hidden, reverb] of cases) {
      const P = 1 + (nHarm ?? 256) + Math.floor((filter ?? 257) / 2) + 1;
      const spec = estimatorSpec(P, hidden);
      const stateDict: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [k, t] of Object.entries(initWeights(spec, hidden))) stateDict[`estimator.${k}`] = t;
      if (reverb) stateDict['synth.processors.3.ir'] = { shape: [3999], data: new Float32Array(3999).fill(0.01) };
      const m = modelFromCheckpoint({
        stateDict, globalStep: 5,
        hyperParameters: { model_cfg: { sample_rate: 48000 }, synth_cfg: { name: reverb ? 'hpnir' : 'hpn', dag: dag(nHarm, filter, reverb), conditioned: ['f0'] } },
      });
      expect(m.estimator.outputSize).toBe(P);
      expect(m.estimator.hiddenSize).toBe(hidden);
      expect(m.synth.nodes[0]).toMatchObject({ type: 'Harmonic', nHarmonics: nHarm ?? 256, normalizeBelowNyquist: true });
      expect(m.synth.nodes[1]).toMatchObject({ type: 'FilteredNoise', filterSize: filter ?? 257, amplitude: 1, design: 'seed' });
      expect(m.synth.nodes.length).toBe(reverb ? 4 : 3);
      if (reverb) expect(m.synth.nodes[3]).toMatchObject({ irLength: 4000 }); // ir_s · sr
      expect(m.ir?.length).toBe(reverb ? 3999 : undefined);
      expect(readModel(writeModel(m)).synth).toEqual(m.synth);
    }
    // Harmonic without sample_rate: the class default 16000 differs from the model's 48000 → refused, explained
    const d = dag(8, 30, false);
    delete ((d.harmonic as Record<string, Record<string, unknown>>).config).sample_rate;
    const spec = estimatorSpec(1 + 8 + 16, 8);
    const stateDict: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(initWeights(spec))) stateDict[`estimator.${k}`] = t;
    expect(() => modelFromCheckpoint({ stateDict, globalStep: 0, hyperParameters: { model_cfg: { sample_rate: 48000 }, synth_cfg: { name: 'hpn', dag: d, conditioned: ['f0'] } } }))
      .toThrow(/Harmonic 'harmonic' runs at sample_rate 16000 but the model at 48000/);
    // FilteredNoise without filter_size: the class default 257 is odd, which no noise filter here can run → refused
    const odd = dag(8, undefined, false);
    const spec2 = estimatorSpec(1 + 8 + 129, 8);
    const stateDict2: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(initWeights(spec2))) stateDict2[`estimator.${k}`] = t;
    expect(() => modelFromCheckpoint({ stateDict: stateDict2, globalStep: 0, hyperParameters: { model_cfg: { sample_rate: 48000 }, synth_cfg: { name: 'hpn', dag: odd, conditioned: ['f0'] } } }))
      .toThrow(/FilteredNoise 'filtnoise' filter_size must be an even integer in \[2, 65536\], got 257 \(the seed class default 257/);
  });

  it('convertCheckpointFile writes a model file that loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddsp-convert-'));
    try {
      const out = join(dir, 'violin.onnx');
      const { model, bytesWritten } = await convertCheckpointFile(join(__dirname, '..', 'fixtures', 'seed-trained', 'model.ckpt'), out, { float16: true });
      expect(model.name).toBe('violin_run');
      const bytes = new Uint8Array(readFileSync(out));
      expect(bytes.length).toBe(bytesWritten);
      const back = readModel(bytes);
      expect(back.synth).toEqual(model.synth);
      const io = loadEstimatorIO('seed-trained');
      const rt = new EstimatorRuntime(back.estimator, back.estimator.weights);
      expect(maxAbsDiff(rt.runSequence(io.f0Hz, io.loudnessDb), io.params)).toBeLessThan(5e-3); // float16 weights
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('convertCheckpoint refuses bad input', () => {
  const refuse = (bytes: Uint8Array, re: RegExp): void => {
    let err: unknown;
    try {
      convertCheckpoint(bytes, { fileName: 'model.ckpt' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(re);
  };
  const editPickle = (f: (pkl: Uint8Array) => Uint8Array): Uint8Array =>
    editZip(SEED, (files) => { files['model/data.pkl'] = f(files['model/data.pkl']); });
  const storageOf = (key: string): string => {
    const sd = (loadTorchZip(SEED).root as Map<string, Map<string, TorchTensor>>).get('state_dict')!;
    return sd.get(key)!.storage.path;
  };

  it('a truncated zip', () => {
    refuse(SEED.subarray(0, SEED.length >> 1), /model\.ckpt is truncated or not a valid zip archive/);
    refuse(TRAINED.subarray(0, TRAINED.length - 10), /truncated or not a valid zip/);
  });

  it('a file that is not a zip', () => {
    refuse(new TextEncoder().encode('{"state_dict": {}}'), /model\.ckpt is not a PyTorch checkpoint: not a zip archive/);
    refuse(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), /legacy \(pre-1\.6, non-zip\) torch\.save file/);
    refuse(editZip(SEED, (f) => { f['other/readme.txt'] = f['model/data.pkl']; delete f['model/data.pkl']; }), /no '<folder>\/data\.pkl' entry/);
  });

  it('an unknown pickle opcode, named with its offset and file', () => {
    refuse(editPickle((p) => { const q = p.slice(); q[2] = 0xfe; return q; }), /model\.ckpt: unknown pickle opcode 0xfe at byte 2 of model\/data\.pkl/);
  });

  it('unsupported synth modules, by name', () => {
    for (const cls of ['WaveShaper', 'DecayReverb', 'VCA', 'SawOscillator', 'SineOscillator', 'IRReverbMix']) {
      refuse(editPickle((p) => replacePickleString(p, 'diffsynth.modules.reverb.IRReverb', `diffsynth.modules.x.${cls}`)),
        new RegExp(`synth module ${cls} \\(DAG node 'irreverb'\\) is not supported by ddsp-stream`));
    }
    refuse(editPickle((p) => replacePickleString(p, 'diffsynth.processor.Add', 'diffsynth.processor.Multiply')),
      /synth module 'Multiply' \(DAG node 'add'\) is not supported/);
  });

  it('a missing tensor (key absent, or its storage absent from the zip)', () => {
    refuse(editPickle((p) => replacePickleString(p, 'estimator.out.bias', 'estimator.out.biax')), /missing tensor 'estimator.out.bias'/);
    refuse(editPickle((p) => replacePickleString(p, 'synth.processors.3.ir', 'synth.processors.9.ir')),
      /missing tensor 'synth.processors.3.ir' \(the learned IR of IRReverb 'irreverb', DAG position 3\)/);
    const path = storageOf('estimator.gru.weight_hh_l0');
    refuse(editZip(SEED, (f) => { delete f[path]; }),
      new RegExp(`missing tensor data: 'estimator.gru.weight_hh_l0' refers to storage '${path}', which is not in the checkpoint zip`));
  });

  it('a wrong shape', () => {
    // gru.weight_hh_l0 size (192, 64) → (191, 64)
    refuse(editPickle((p) => patchAfter(p, 'estimator.gru.weight_hh_l0', [0x4b, 0xc0], [0x4b, 0xbf])),
      /wrong weights: tensor 'estimator.gru.weight_hh_l0' has shape \[191,64\], expected \[192,64\]/);
    // out.weight rows 322 → 321: no longer the synth's parameter count
    refuse(editPickle((p) => patchAfter(p, 'estimator.out.weight', [0x4d, 0x42, 0x01], [0x4d, 0x41, 0x01])),
      /wrong shape: tensor 'estimator.out.weight' is \[321,64\] but the synth graph 'hpnir' takes 322 parameters \(AMP 1 \+ HARM 64 \+ FREQRES 257\)/);
    // IR tensor size 47999 → 23935 (the 2nd 47999 after the key: the first is the storage's numel)
    refuse(editPickle((p) => patchAfter(p, 'synth.processors.3.ir', [0x4d, 0x7f, 0xbb], [0x4d, 0x7f, 0x5d], 1)),
      /wrong shape: tensor 'synth.processors.3.ir' is \[23935\] but IRReverb 'irreverb' \(irLength 48000 = ir_s · sr\) needs \[47999\]/);
  });

  it('NaN weights', () => {
    const path = storageOf('estimator.mlp_1.linear.0.1.bias');
    refuse(editZip(SEED, (f) => {
      const d = f[path].slice();
      new DataView(d.buffer).setFloat32(8, NaN, true);
      f[path] = d;
    }), /tensor 'estimator.mlp_1.linear.0.1.bias' contains a non-finite value \(NaN\) at flat index 2/);
  });

  it('a checkpoint that is not a seed EstimatorSynth', () => {
    refuse(editPickle((p) => replacePickleString(p, 'synth_cfg', 'other_cfg')), /hyper_parameters has no synth_cfg/);
  });
});

it('the fixture zips hold what the tests assume', () => {
  expect(Object.keys(unzipSync(SEED)).some((k) => k.startsWith('model/data/'))).toBe(true);
  expect(Object.keys(unzipSync(TRAINED)).some((k) => k.startsWith('archive/data/'))).toBe(true);
});
