import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run as trainCmd } from '../../src/cli/train';
import { run as prepareCmd } from '../../src/cli/prepare';
import { run as exportCmd } from '../../src/cli/export';
import { run as evalCmd } from '../../src/cli/eval';
import { audioDir, tinyOverrides, tmp } from './helpers';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); }, isTTY: false } };
}

describe('CLI commands', () => {
  it('train --cfg prints the composed config; config errors are clear', async () => {
    const c = io();
    expect(await trainCmd(['--cfg', 'synth=hpn', 'name=x', 'batch_size=4'], c.io)).toBe(0);
    const cfg = parseYaml(c.out.join(''));
    expect(cfg.batch_size).toBe(4);
    expect(cfg.synth.name).toBe('hpn');
    await expect(trainCmd(['trainer.max_step=5'], io().io)).rejects.toThrow(/unknown config key 'trainer.max_step' — did you mean 'trainer.max_steps'\?/);
    await expect(trainCmd(['optuna=optuna_sweep'], io().io)).rejects.toThrow(/-m/);
    await expect(trainCmd(['-m', 'name=x', 'batch_size=2,abc'], io().io)).rejects.toThrow(/sweep job 1 \(batch_size=abc\): config key 'batch_size' must be a number, got 'abc'/);
    await expect(trainCmd(['--bogus'], io().io)).rejects.toThrow(/unknown flag --bogus/);
  });

  it('prepare, a -m sweep with its table, export and eval', async () => {
    const raw = await audioDir(2, 0);
    const work = tmp('ddsp-cli-');
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const db = join(work, 'db');
      const p = io();
      expect(await prepareCmd([raw, db, 'sample_rate=16000', 'data.f0_range=[100,2000]', '--no-progress'], p.io)).toBe(0);
      expect(JSON.parse(p.out.join(''))).toMatchObject({ slices: 2, reused: false });
      const s = io();
      const code = await trainCmd(['-m', '--no-progress', ...tinyOverrides(raw, db, ['trainer.max_steps=2', 'batch_size=1', 'model.lr=1e-3,1e-2'])], s.io);
      expect(code).toBe(0);
      const table = s.out.join('');
      expect(table).toMatch(/#\s+model\.lr\s+val_0\/lsd\s+steps\s+run/);
      expect(table).toMatch(/\n0\s+1e-3\s+\d/);
      expect(table).toMatch(/\n1\s+1e-2\s+\d/);
      const sweepRoot = join(work, 'logs', 'tiny');
      const multirun = readdirSync(sweepRoot).find((d) => d.startsWith('multirun_'))!;
      expect(readdirSync(join(sweepRoot, multirun)).sort()).toEqual(['0', '1']);
      const ckpts = readdirSync(join(sweepRoot, multirun, '0', 'ckpts'));
      const ck = join(sweepRoot, multirun, '0', 'ckpts', ckpts[0]);
      const e = io();
      expect(await exportCmd([ck, 'cli_model', '--sounds', join(raw, 'violin.wav')], e.io)).toBe(0);
      expect(existsSync(join(work, 'exports', 'cli_model', 'model.onnx'))).toBe(true);
      expect(existsSync(join(work, 'exports', 'cli_model', 'violin.wav'))).toBe(true);
      const v = io();
      expect(await evalCmd(['--model', join(work, 'exports', 'cli_model', 'model.onnx'), '--audio', raw, '--json'], v.io)).toBe(0);
      const res = JSON.parse(v.out.join(''));
      expect(res.slices).toBe(2);
      expect(Object.keys(res.mean)).toEqual(['spec', 'lsd', 'sc', 'loud', 'mfcc_l1']);
      await expect(exportCmd([ck], io().io)).rejects.toThrow(/missing EXPORT_NAME/);
    } finally {
      process.chdir(cwd);
    }
  });
});
