import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { readCheckpoint } from '../../src/train/checkpoint';
import { shareIndices } from '../../src/train/step';
import { audioDir, tinyOverrides, tmp } from './helpers';

describe('data-parallel workers', () => {
  it('splits batches into shares', () => {
    expect(shareIndices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2, 3], [4, 5]]);
    expect(shareIndices([7], 2)).toEqual([[7]]);
  });

  it('trainer.devices=2 computes the same update as one thread (up to float rounding)', async () => {
    const raw = await audioDir(4);
    const work = tmp('ddsp-par-');
    const db = join(work, 'db');
    const quiet = { progress: false, cwd: work };
    const common = ['batch_size=3', 'trainer.max_steps=2', 'model.lr=1e-3', 'trainer.check_val_every_n_epoch=100'];
    const one = await train({ ...quiet, log: () => {}, composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, [...common, 'hydra.run.dir=runs/one']) }) });
    const logs: string[] = [];
    const two = await train({ ...quiet, log: (l) => logs.push(l), composed: composeConfig({ cwd: work, overrides: tinyOverrides(raw, db, [...common, 'hydra.run.dir=runs/two', 'trainer.devices=2']) }) });
    expect(logs.some((l) => /devices: 2 threads/.test(l))).toBe(true);
    const A = readCheckpoint(one.checkpoints[one.checkpoints.length - 1]);
    const B = readCheckpoint(two.checkpoints[two.checkpoints.length - 1]);
    let maxDiff = 0;
    let maxMove = 0;
    for (const k of Object.keys(A.weights)) {
      const a = A.weights[k].data;
      const b = B.weights[k].data;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
    for (const k of Object.keys(A.adam!.m)) for (const v of A.adam!.m[k].data) maxMove = Math.max(maxMove, Math.abs(v));
    expect(maxMove).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Math.abs(one.metrics['train/total'] - two.metrics['train/total'])).toBeLessThan(1e-4 * Math.abs(one.metrics['train/total']));
  });

  const bin = resolve('dist/cli.js');
  it.skipIf(!existsSync(bin))('the built package starts its workers (dist/cli.js train trainer.devices=2)', async () => {
    const raw = await audioDir(2);
    const work = tmp('ddsp-par-dist-');
    const r = spawnSync(process.execPath, [bin, 'train', ...tinyOverrides(raw, join(work, 'db'), ['batch_size=2', 'trainer.max_steps=1',
      'trainer.devices=2', `hydra.run.dir=${join(work, 'run')}`])], { encoding: 'utf8', cwd: work });
    expect(r.stderr).toMatch(/devices: 2 threads/);
    expect(r.stderr).not.toMatch(/training on one thread/);
    expect(r.status).toBe(0);
  }, 120_000);
});
