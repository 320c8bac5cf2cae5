import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { readCheckpoint } from '../../src/train/checkpoint';
import { readEventFile } from '../../src/train/tensorboard';
import { audioDir, tinyOverrides, tmp } from './helpers';

function scalarsAfter(runDir: string, tag: string, step: number): number[] {
  const f = readdirSync(runDir).find((n) => n.startsWith('events.out.tfevents'))!;
  const out: number[] = [];
  for (const e of readEventFile(join(runDir, f))) for (const v of e.values ?? []) if (v.tag === tag && 'simpleValue' in v && e.step > step) out.push(v.simpleValue);
  return out;
}

/** Trains 6 steps uninterrupted, and killed after 4 and resumed from the checkpoint of step 3; returns both runs. */
async function resumeEqualsUninterrupted(extra: string[]) {
  const raw = await audioDir(4);
  const work = tmp('ddsp-resume-');
  const db = join(work, 'db');
  const common = ['batch_size=2', 'model.lr=1e-3', 'trainer.max_steps=6', 'ckpt_nsteps=3', 'trainer.check_val_every_n_epoch=1',
    'trainer.log_every_n_steps=1', 'trainer.gradient_clip_val=0.5', ...extra];
  const quiet = { progress: false, log: () => {}, cwd: work };
  const a = await train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, [...common, 'hydra.run.dir=runs/a']) }) });
  const b = await train({ ...quiet, killAfterSteps: 4, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, [...common, 'hydra.run.dir=runs/b']) }) });
  expect(b.step).toBe(4);
  const mid = b.checkpoints.find((p) => /step=3\.ckpt$/.test(p))!;
  expect(mid).toBeTruthy();
  const c = await train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, [...common, 'hydra.run.dir=runs/c', `ckpt=${mid}`]) }) });
  expect(c.step).toBe(6);
  const A = readCheckpoint(a.checkpoints[a.checkpoints.length - 1]);
  const C = readCheckpoint(c.checkpoints[c.checkpoints.length - 1]);
  expect(C.step).toBe(A.step);
  expect(C.epoch).toBe(A.epoch);
  expect(C.batchInEpoch).toBe(A.batchInEpoch);
  expect(Object.keys(C.weights)).toEqual(Object.keys(A.weights));
  for (const k of Object.keys(A.weights)) expect(C.weights[k].data, k).toEqual(A.weights[k].data);
  for (const k of Object.keys(A.adam!.m)) {
    expect(C.adam!.m[k].data, k).toEqual(A.adam!.m[k].data);
    expect(C.adam!.v[k].data, k).toEqual(A.adam!.v[k].data);
  }
  expect(C.adam!.step).toBe(6);
  // the per-step losses after the resume point match too
  expect(scalarsAfter(c.runDir, 'train/total_step', 3)).toEqual(scalarsAfter(a.runDir, 'train/total_step', 3));
  expect(scalarsAfter(c.runDir, 'train/total', 3)).toEqual(scalarsAfter(a.runDir, 'train/total', 3));
  return { a, c };
}

describe('checkpoints', () => {
  it('a killed-and-resumed run equals an uninterrupted one, bit for bit', async () => {
    const { a } = await resumeEqualsUninterrupted([]);
    expect(scalarsAfter(a.runDir, 'lr-Adam', 0)).toEqual(Array(6).fill(Math.fround(1e-3))); // float32 scalars
  });

  it('resumed mid-schedule (warm-up, then cosine decay), it equals an uninterrupted run, bit for bit', async () => {
    const { a, c } = await resumeEqualsUninterrupted(['model.lr_schedule.kind=cosine', 'model.lr_schedule.warmup_steps=2',
      'model.lr_schedule.floor=1e-4']);
    // updates 1-2 warm up (peak / 2, peak), 3-6 follow the cosine from the peak to the floor at step 6
    const want = [5e-4, 1e-3, ...[0, 1, 2, 3].map((k) => 1e-4 + 0.9e-3 * 0.5 * (1 + Math.cos(Math.PI * k / 4)))];
    const got = scalarsAfter(a.runDir, 'lr-Adam', 0);
    expect(got.length).toBe(6);
    got.forEach((v, i) => expect(v).toBe(Math.fround(want[i])));
    expect(scalarsAfter(c.runDir, 'lr-Adam', 3)).toEqual(got.slice(3));
  });

  it('refuses a checkpoint whose graph does not match the config, naming the difference', async () => {
    const raw = await audioDir(1, 1);
    const work = tmp('ddsp-mismatch-');
    const db = join(work, 'db');
    const quiet = { progress: false, log: () => {}, cwd: work };
    const a = await train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, ['trainer.max_steps=1', 'batch_size=1']) }) });
    const ck = a.checkpoints[0];
    await expect(train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, ['trainer.max_steps=2', 'batch_size=1', `ckpt=${ck}`, 'model.estimator.hidden_size=16']) }) }))
      .rejects.toThrow(/does not match the config: model\.estimator\.hidden_size: checkpoint 32, config 16/);
    await expect(train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, ['trainer.max_steps=2', 'batch_size=1', `ckpt=${ck}`, 'synth.dag.harmonic.config.n_harmonics=8']) }) }))
      .rejects.toThrow(/synth harmonic\.nHarmonics: checkpoint 16, config 8/);
    await expect(train({ ...quiet, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, ['trainer.max_steps=2', `ckpt=${join(work, 'nope.ckpt')}`]) }) }))
      .rejects.toThrow(/cannot read .*nope\.ckpt/);
  });
});
