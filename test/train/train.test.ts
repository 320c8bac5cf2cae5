import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { train } from '../../src/train/trainer';
import { readEventFile } from '../../src/train/tensorboard';
import { audioDir, tinyOverrides, tmp } from './helpers';

function scalars(runDir: string, tag: string): Array<{ step: number; value: number }> {
  const f = readdirSync(runDir).find((n) => n.startsWith('events.out.tfevents'))!;
  const out: Array<{ step: number; value: number }> = [];
  for (const e of readEventFile(join(runDir, f))) for (const v of e.values ?? []) if (v.tag === tag && 'simpleValue' in v) out.push({ step: e.step, value: v.simpleValue });
  return out;
}

describe('training loop', () => {
  it('the loss falls over 50 steps on one slice; logs the seed metrics', async () => {
    const raw = await audioDir(1, 1);
    const work = tmp('ddsp-train-');
    const composed = composeConfig({
      cwd: work,
      overrides: tinyOverrides(raw, join(work, 'db'), ['batch_size=1', 'model.lr=2e-3', 'trainer.max_steps=50', 'trainer.log_every_n_steps=1',
        'trainer.check_val_every_n_epoch=25', 'ckpt_nsteps=null']),
    });
    const logs: string[] = [];
    const r = await train({ composed, cwd: work, progress: false, log: (l) => logs.push(l) });
    expect(r.step).toBe(50);
    const loss = scalars(r.runDir, 'train/total_step').map((s) => s.value);
    expect(loss).toHaveLength(50);
    const first = loss.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = loss.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first * 0.8);
    for (const k of ['val_0/spec', 'val_0/lsd', 'val_0/sc', 'val_0/loud', 'val_0/mfcc_l1', 'train/spec', 'train/total']) {
      expect(Number.isFinite(r.metrics[k]), k).toBe(true);
    }
    expect(scalars(r.runDir, 'val_0/lsd').map((s) => s.step)).toEqual([25, 50]);
    expect(readdirSync(r.runDir)).toContain('config.yaml');
    expect(r.checkpoints).toHaveLength(1);
    expect(logs.some((l) => /one slice only/.test(l))).toBe(true);
  });
});
