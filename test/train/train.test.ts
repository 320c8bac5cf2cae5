import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { RUN_FILES, train } from '../../src/train/trainer';
import { TRAIN_COLOUR, VAL_COLOUR } from '../../src/train/loss-plot';
import { decodePngRgb, pixelsOf } from './png';
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

    // progress: a line at each validation (to the log and train.log): time per step, steps/s, time left, validation loss
    const line = /^step (\d+)\/50 \(epoch (\d+)\) \| (\d+\.\d{3}) s\/step, (\d+\.\d{2}) steps\/s \| ETA (\d+)s \| val_0\/spec (\d+\.\d{4})$/;
    const lines = logs.filter((l) => l.startsWith('step '));
    expect(lines).toHaveLength(2);
    const fields = lines.map((l) => {
      const m = line.exec(l);
      expect(m, l).not.toBeNull();
      return { step: Number(m![1]), epoch: Number(m![2]), sps: Number(m![3]), rate: Number(m![4]), eta: Number(m![5]), val: Number(m![6]) };
    });
    expect(fields.map((f) => [f.step, f.epoch])).toEqual([[25, 25], [50, 50]]);
    for (const f of fields) {
      expect(f.sps).toBeGreaterThan(0);
      expect(f.sps).toBeLessThan(30);
      expect(Math.abs(f.rate - 1 / f.sps)).toBeLessThan(0.006 + 0.0006 / f.sps ** 2); // both rounded
    }
    expect(Math.abs(fields[0].eta - 25 * fields[0].sps)).toBeLessThanOrEqual(0.5 + 25 * 0.0005);
    expect(fields[1].eta).toBe(0);
    expect(fields[1].val).toBeCloseTo(r.metrics['val_0/spec'], 4);
    expect(fields[0].val).toBeCloseTo(scalars(r.runDir, 'val_0/spec')[0].value, 3);
    const file = readFileSync(join(r.runDir, RUN_FILES.log), 'utf8');
    for (const l of lines) expect(file).toContain(`${l}\n`);
    expect(file).toMatch(/^done: trainer\.max_steps=50 reached; 50 steps in \d+(m \d\d)?s; checkpoint /m);

    // TensorBoard: the rate and the time left at every logged step, consistent with each other
    const sps = scalars(r.runDir, 'time/seconds_per_step');
    const rate = scalars(r.runDir, 'time/steps_per_second');
    const eta = scalars(r.runDir, 'time/eta_seconds');
    expect(sps.map((s) => s.step)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (let i = 0; i < 50; i++) {
      expect(sps[i].value).toBeGreaterThan(0);
      expect(rate[i].value * sps[i].value).toBeCloseTo(1, 5);
      expect(eta[i].value / ((50 - sps[i].step) * sps[i].value) || 1).toBeCloseTo(1, 5);
    }

    // loss.png beside the event file: the training and validation curves in the plot area of the step panel
    expect(readdirSync(r.runDir).filter((f) => f === RUN_FILES.lossPlot || f.startsWith(`${RUN_FILES.lossPlot}.tmp`))).toEqual([RUN_FILES.lossPlot]);
    const png = decodePngRgb(new Uint8Array(readFileSync(join(r.runDir, RUN_FILES.lossPlot))));
    expect([png.width, png.height]).toEqual([720, 520]);
    const trainPx = pixelsOf(png, TRAIN_COLOUR, 30, 226);
    const valPx = pixelsOf(png, VAL_COLOUR, 30, 226);
    // step 1 at x 78.7, step 25 at 384, step 50 at 702; here the validation slice is the training slice, so the
    // validation line (drawn last) covers the training line from step 25 on
    expect(Math.min(...trainPx.columns)).toBeLessThanOrEqual(80);
    expect(trainPx.columns.size).toBeGreaterThan(280);
    expect(new Set([...trainPx.columns, ...valPx.columns]).size).toBeGreaterThan(600);
    expect(valPx.count).toBeGreaterThanOrEqual(2 * 49); // a 7×7 marker at steps 25 and 50
  });
});
