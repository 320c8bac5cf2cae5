import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { readCheckpoint } from '../../src/train/checkpoint';
import { exportModel, loudnessRange } from '../../src/train/export';
import { SliceStore } from '../../src/train/dataset';
import { evaluateModel } from '../../src/train/evaluate';
import { readModel } from '../../src/model/model-file';
import { decodeAudio } from '../../src/io/audio-file';
import { renderOffline } from '../../src/engine/render';
import { readLightningCheckpoint } from '../../src/model/ckpt';
import { FIXTURE, audioDir, tinyOverrides, tmp } from './helpers';

describe('export and eval', () => {
  it('exports model.onnx and reconstruction samples that the engine renders', async () => {
    const raw = await audioDir(2, 1);
    const work = tmp('ddsp-export-');
    const r = await train({ progress: false, log: () => {}, cwd: work,
      composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, join(work, 'db'), ['trainer.max_steps=3', 'batch_size=1']) }) });
    const ck = r.checkpoints[r.checkpoints.length - 1];
    const e = await exportModel({ ckpt: ck, name: 'tiny', cwd: work, sounds: [FIXTURE], log: () => {} });
    expect(e.dir).toBe(join(work, 'exports', 'tiny'));
    const model = readModel(readFileSync(e.modelPath));
    const state = readCheckpoint(ck);
    expect(model.sampleRate).toBe(16000);
    expect(model.estimator.hiddenSize).toBe(32);
    expect(model.synth.nodes.find((n) => n.type === 'FilteredNoise')).toMatchObject({ design: 'linear-phase', filterSize: 64 });
    expect(model.estimator.weights['gru.weight_hh_l0'].data).toEqual(state.weights['estimator.gru.weight_hh_l0'].data);
    expect(model.ir).toEqual(state.weights['synth.processors.3.ir'].data);
    // the working loudness range: 5th and 95th percentile of the loudness frames of the run's database
    const store = SliceStore.open(join(work, 'db'));
    const frames: number[] = [];
    for (let i = 0; i < store.count; i++) frames.push(...store.get(i).loudnessDb);
    await store.close();
    frames.sort((a, b) => a - b);
    const at = (q: number) => Math.round(10 * frames[Math.floor(q * frames.length)]) / 10;
    expect(model.loudnessRangeDb).toEqual([at(0.05), at(0.95)]);
    expect(model.loudnessRangeDb![0]).toBeLessThan(model.loudnessRangeDb![1]);
    // sample: the fixture (4 s at 24 kHz) + the IR tail, rendered from a fresh engine, latency compensated
    expect(e.samples).toEqual([join(e.dir, 'violin-4s-24k.wav')]);
    expect(existsSync(join(e.dir, 'violin-4s-24k.input.wav'))).toBe(true);
    const out = await decodeAudio(readFileSync(e.samples[0]));
    expect(out.sampleRate).toBe(24000);
    expect(out.channels[0].length).toBe(4 * 24000 + Math.ceil((1599 / 16000) * 24000));
    const input = await decodeAudio(readFileSync(FIXTURE));
    const padded = new Float32Array(out.channels[0].length);
    padded.set(input.channels[0]);
    const ref = renderOffline(model, padded, { sampleRate: 24000 }).audio;
    let err = 0;
    let pow = 0;
    for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(ref[i] - out.channels[0][i])); pow += ref[i] * ref[i]; }
    expect(pow).toBeGreaterThan(0);
    expect(err).toBeLessThan(1e-3);

    // eval: the five seed metrics over 1 s slices, from the checkpoint and from the exported file alike
    const m1 = await evaluateModel(model, { audio: raw });
    expect(m1.slices).toBe(2);
    for (const k of ['spec', 'lsd', 'sc', 'loud', 'mfcc_l1'] as const) expect(Number.isFinite(m1.mean[k])).toBe(true);
  });

  it('loudnessRange: the 5th and 95th percentiles, to 0.1 dB', () => {
    const frames = Float32Array.from({ length: 200 }, (_, i) => -60 + (i * 70) / 199); // −60 … +10 dB
    expect(loudnessRange(frames)).toEqual([-56.5, 6.8]); // frames 10 and 190: −60 + 70·k/199
  });

  it('fine-tunes from a seed Lightning checkpoint (weights, Adam state, step)', async () => {
    const seedCkpt = join(__dirname, '..', 'fixtures', 'seed-trained', 'model.ckpt');
    const seed = readLightningCheckpoint(new Uint8Array(readFileSync(seedCkpt)));
    const raw = await audioDir(1, 1);
    const work = tmp('ddsp-finetune-');
    const overrides = ['exp=seed', 'name=ft', `data.raw_dir=${raw}`, `data.db_path=${join(work, 'db')}`, 'model.estimator.hidden_size=256',
      'synth.dag.harmonic.config.n_harmonics=64', 'batch_size=1', `trainer.max_steps=${seed.globalStep + 1}`, `ckpt=${seedCkpt}`];
    const logs: string[] = [];
    const r = await train({ progress: false, log: (l) => logs.push(l), cwd: work, composed: composeConfig({ cwd: work, overrides }) });
    expect(r.step).toBe(seed.globalStep + 1);
    expect(logs.some((l) => /seed Lightning checkpoint .*weights, Adam state, step 30000/.test(l))).toBe(true);
    const s = readCheckpoint(r.checkpoints[r.checkpoints.length - 1]);
    const seedAdamStep = Math.max(...Object.values(seed.optimizerState!.state).map((p) => p.step));
    expect(s.adam!.step).toBe(seedAdamStep + 1);
    const a = s.weights['estimator.out.weight'].data;
    const b = seed.stateDict['estimator.out.weight'].data;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(2e-3); // one Adam step of lr 1e-4 from the seed's moments

    // a seed checkpoint of another shape is refused with the difference
    await expect(train({ progress: false, log: () => {}, cwd: work, composed: composeConfig({ cwd: work, overrides: [...overrides.slice(0, -1), `ckpt=${seedCkpt}`, 'model.estimator.hidden_size=128'] }) }))
      .rejects.toThrow(/seed checkpoint .* does not match the config: 'estimator\.mlp_0\.linear\.0\.0\.weight' is \[256,2\] in the checkpoint, \[128,2\] in the config/);
  });
});
