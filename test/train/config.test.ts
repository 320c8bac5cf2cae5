import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, composeConfig, lossWeight, maxTimeSeconds } from '../../src/train/config';
import { parseValue } from '../../src/train/overrides';
import { expandSweep } from '../../src/train/sweep';

const cwd = '/tmp/ddsp-cwd';
const compose = (...overrides: string[]) => composeConfig({ overrides, cwd, now: new Date(2024, 0, 2, 3, 4, 5) });
const fails = (...overrides: string[]): string => {
  try { compose(...overrides); } catch (e) { expect(e).toBeInstanceOf(ConfigError); return (e as Error).message; }
  throw new Error(`expected ${overrides.join(' ')} to fail`);
};

describe('config composition', () => {
  it('has the seed defaults but the learning-rate recipe; exp=seed restores the seed\'s', () => {
    const { config: c, resolved } = compose('name=x');
    expect(c.sample_rate).toBe(48000);
    expect(c.batch_size).toBe(16);
    expect(c.model.lr).toBe(2e-3);
    expect(c.model.lr_schedule).toEqual({ kind: 'cosine', warmup_steps: 100, decay_steps: null, floor: 1e-5 });
    const seed = compose('name=x', 'exp=seed').config;
    expect(seed.model.lr).toBe(1e-4);
    expect(seed.model.lr_schedule.kind).toBe('constant');
    expect(seed.model.lr_schedule.warmup_steps).toBe(0);
    expect(seed.batch_size).toBe(16);
    expect(c.model.estimator.hidden_size).toBe(512);
    expect(c.trainer.max_steps).toBe(100000);
    expect(c.trainer.check_val_every_n_epoch).toBe(10);
    expect(c.ckpt_nsteps).toBe(10000);
    expect(c.data.f0_range).toEqual([32, 2000]);
    expect(c.data.f0_viterbi).toBe(true);
    expect([c.data.analysis_window, c.data.analysis_alignment]).toEqual([2048, 'centred']);
    expect(c.data.sample_rate).toBe(48000); // ${sample_rate}
    expect(c.synth.name).toBe('hpnir');
    expect(Object.keys(c.synth.dag)).toEqual(['harmonic', 'filtnoise', 'add', 'irreverb']);
    expect((c.synth.dag.harmonic.config as Record<string, unknown>).n_harmonics).toBe(256);
    expect(c.loss.losses.spec.fft_sizes).toEqual([64, 128, 256, 512, 1024, 2048]);
    expect(c.monitor).toBe('val_0/lsd');
    expect((resolved.hydra as any).run.dir).toBe('logs/x/2024-01-02_03-04-05');
  });

  it('picks groups, overrides values and interpolates', () => {
    const { config: c } = compose('synth=hpn', 'sample_rate=16000', 'data.raw_dir=audio/v', 'data.db_path=${data.raw_dir}/../db',
      'synth.dag.harmonic.config.n_harmonics=16', 'name=${synth.name}_run');
    expect(Object.keys(c.synth.dag)).toEqual(['harmonic', 'filtnoise', 'add']);
    expect(c.data.sample_rate).toBe(16000);
    expect(c.model.sample_rate).toBe(16000);
    expect((c.synth.dag.harmonic.config as Record<string, unknown>).sample_rate).toBe(16000);
    expect(c.data.raw_dir).toBe('/tmp/ddsp-cwd/audio/v'); // resolved against the start directory
    expect(c.data.db_path).toBe('/tmp/ddsp-cwd/audio/db');
    expect(c.name).toBe('hpn_run');
  });

  it('defaults a null name clearly (never logs/None)', () => {
    const r = compose('data.raw_dir=sounds/flute');
    expect(r.config.name).toBe('flute');
    expect((r.resolved.hydra as any).run.dir).toMatch(/^logs\/flute\//);
    expect(r.notes[0]).toMatch(/name is not set: using name=flute/);
  });

  it('accepts every seed key, acknowledging the ones without effect in one line', () => {
    const r = compose('name=a', 'trainer.gpus=0', 'num_workers=0', 'trainer.benchmark=true', 'trainer.num_nodes=1',
      'ckpt_nepochs=5', 'trainer.log_every_n_steps=10', 'trainer.max_time=00:01:00:00', 'trainer.auto_lr_find=true',
      'trainer.overfit_batches=0', 'trainer.limit_train_batches=0.5', 'trainer.min_epochs=2', 'trainer.gradient_clip_val=1',
      'trainer.max_epochs=3', 'monitor=val_0/spec', 'seed=3', 'hydra.job.chdir=false', 'ckpt=null', 'data.f0_viterbi=false');
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/trainer\.benchmark=true/);
    expect(r.notes[0]).toMatch(/trainer\.auto_lr_find/);
    expect(r.notes[0]).not.toMatch(/gpus/);
    // the shipped defaults (gpus: 1, num_workers: 8, hydra.job.chdir: true, as the seed's) are not the user's doing
    expect(compose('name=a').notes).toEqual([]);
    expect(compose('name=a', 'trainer.gpus=2', 'num_workers=4').notes).toEqual([
      'accepted, no effect here: trainer.gpus=2 (training runs on the CPU with tfjs); num_workers=4 (data loads in-process; trainer.devices=2 uses a second core)',
    ]);
  });

  it('refuses unknown keys with the nearest valid key', () => {
    expect(fails('trainer.max_step=5')).toMatch(/unknown config key 'trainer.max_step'.*did you mean 'trainer.max_steps'/);
    expect(fails('batch_sise=4')).toMatch(/did you mean 'batch_size'/);
    expect(fails('data.f0_rnge=[50,1000]')).toMatch(/did you mean 'data.f0_range'/);
    expect(fails('synth=hpnx')).toMatch(/no config 'hpnx' in group 'synth' — did you mean 'hpn'/);
  });

  it('refuses bad values naming the key', () => {
    expect(fails('batch_size=abc')).toMatch(/config key 'batch_size' must be a number, got 'abc'/);
    expect(fails('batch_size=0')).toMatch(/config key 'batch_size' must be > 0/);
    expect(fails('model.lr=-1')).toMatch(/config key 'model.lr'/);
    expect(fails('data.f0_viterbi=maybe')).toMatch(/config key 'data.f0_viterbi' must be true or false/);
    expect(fails('data.f0_range=[2000,32]')).toMatch(/data.f0_range/);
    expect(fails('data.frame_rate=7')).toMatch(/data.frame_rate.*whole hop/);
    expect(fails('monitor=val_0/lds')).toMatch(/config key 'monitor' must be one of/);
    expect(fails('data.sample_rate=44100')).toMatch(/set sample_rate=44100/);
    expect(fails('loss.sched.spec={type: linear, start: 0}')).toMatch(/loss.sched.spec/);
  });

  it('refuses, at composition, what the trainer does not implement', () => {
    expect(fails('loss.losses.spec.hop_lengths=[16,32,64,128,256,512]')).toBe("config key 'loss.losses.spec.hop_lengths': only null (hop = fft size / 4) is supported");
    expect(fails('loss.losses.spec.win_lengths=[64,128,256,512,1024,2048]')).toBe("config key 'loss.losses.spec.win_lengths': only null (window = fft size) is supported");
    expect(fails('+loss.losses.spec.fro_w=1')).toBe("config key 'loss.losses.spec.fro_w': only 0 is supported");
    expect(fails('loss.losses.spec.mag_w=2')).toBe("config key 'loss.losses.spec.mag_w' (2) must equal log_mag_w (1): the loss weighs both terms equally");
    expect(fails('trainer.max_time=1:x')).toBe(`config key 'trainer.max_time' must be "DD:HH:MM:SS", got '1:x'`);
    expect(fails('trainer.max_time={weeks: 1}')).toBe("config key 'trainer.max_time.weeks' is unknown (days, hours, minutes, seconds)");
    expect(fails('+synth.dag.reverb2={config: {_target_: diffsynth.modules.reverb.IRReverb}, connections: {audio: irreverb}}'))
      .toBe("config key 'synth.dag': at most one IRReverb module can be trained");
    expect(fails('synth.dag.add.connections.signal_b=nothing')).toMatch(/^config key 'synth\.dag': \S/);
  });

  it('refuses bad interpolations', () => {
    expect(fails('data.db_path=${data.raw_dr}/db')).toMatch(/config key 'data.db_path': interpolation '\$\{data.raw_dr\}' refers to 'data.raw_dr', which does not exist \(did you mean 'data.raw_dir'\?\)/);
    expect(fails('name=${name}')).toMatch(/cycle/);
    expect(fails('name=${foo:bar}')).toMatch(/unknown resolver 'foo'/);
    expect(fails('name=${oc.env:DDSP_SURELY_UNSET_VAR}')).toMatch(/environment variable 'DDSP_SURELY_UNSET_VAR' is not set/);
  });

  it('refuses the optuna sweeper, pointing at -m', () => {
    expect(fails('optuna=optuna_sweep')).toMatch(/optuna sweeper is not supported.*-m/);
    expect(fails('hydra/sweeper=optuna')).toMatch(/optuna sweeper is not supported/);
  });

  it('asks for -m when a value is a list of alternatives', () => {
    expect(fails('batch_size=8,16')).toMatch(/sweep, add -m/);
  });

  it('exp=live frames for low latency; the analysis keys are bounded and must hold the f0 range', () => {
    const { config: c } = compose('exp=live', 'name=x');
    expect([c.data.frame_rate, c.data.analysis_window, c.data.analysis_alignment]).toEqual([250, 480, 'causal']);
    expect(c.data.f0_range).toEqual([150, 2000]);
    expect((c.synth.dag.filtnoise.config as Record<string, unknown>).filter_size).toBe(256);
    expect(fails('data.analysis_window=481', 'name=x')).toMatch(/config key 'data.analysis_window' must be an even number of samples in \[64, 32768\], got 481/);
    expect(fails('data.analysis_window=65536', 'name=x')).toMatch(/'data.analysis_window' must be an even number of samples in \[64, 32768\]/);
    expect(fails('data.analysis_alignment=ahead', 'name=x')).toMatch(/data.analysis_alignment/);
    // 480 samples hold lags up to 477: a period and a semitone of 107 Hz at 48 kHz
    expect(fails('exp=live', 'data.f0_range=[100,2000]', 'name=x')).toMatch(
      /config key 'data.f0_range' low end \(100 Hz\) is below what a 480-sample analysis window tracks at 48000 Hz \(107 Hz.*raise data.f0_range to \[107, 2000\] or data.analysis_window to 512/);
    expect(compose('exp=live', 'data.f0_range=[107,2000]', 'name=x').config.data.f0_range[0]).toBe(107);
  });

  it('reads user config folders and exp groups with @package _global_', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddsp-cfg-'));
    mkdirSync(join(dir, 'exp'));
    writeFileSync(join(dir, 'exp', 'small.yaml'), '# @package _global_\ndefaults:\n  - override /synth: hpn\nbatch_size: 4\nmodel:\n  estimator:\n    hidden_size: 64\n');
    const r = composeConfig({ overrides: ['exp=small', 'name=s'], configDir: dir, cwd });
    expect(r.config.batch_size).toBe(4);
    expect(r.config.model.estimator.hidden_size).toBe(64);
    expect(r.config.synth.name).toBe('hpn');
    writeFileSync(join(dir, 'exp', 'typo.yaml'), '# @package _global_\ntrainer:\n  max_stepz: 4\n');
    expect(() => composeConfig({ overrides: ['exp=typo', 'name=s'], configDir: dir, cwd })).toThrow(/unknown config key 'trainer.max_stepz' — did you mean 'trainer.max_steps'/);
  });
});

describe('override values and sweeps', () => {
  it('types values as hydra does', () => {
    expect(parseValue('1e-4')).toBe(1e-4);
    expect(parseValue('16')).toBe(16);
    expect(parseValue('null')).toBe(null);
    expect(parseValue('True')).toBe(true);
    expect(parseValue('[32, 2000]')).toEqual([32, 2000]);
    expect(parseValue("'a,b'")).toBe('a,b');
    expect(parseValue('{type: linear, start: 0}')).toEqual({ type: 'linear', start: 0 });
    expect(parseValue('logs/${name}')).toBe('logs/${name}');
  });

  it('expands comma lists, choice() and range() into every combination', () => {
    const jobs = expandSweep(['model.lr=1e-4,1e-3', 'batch_size=choice(4,8)', 'seed=range(2)', 'name=s']);
    expect(jobs).toHaveLength(8);
    expect(jobs[0].overrides).toEqual(['model.lr=1e-4', 'batch_size=4', 'seed=0', 'name=s']);
    expect(jobs[7].swept).toEqual({ 'model.lr': '1e-3', batch_size: '8', seed: '1' });
    expect(expandSweep(['data.f0_range=[50,1000]'])).toHaveLength(1);
  });
});

describe('schedules and times', () => {
  it('anneals loss weights linearly as the seed does', () => {
    const s = { type: 'linear' as const, start: 100, warm: 200, start_v: 0, end_v: 1 };
    expect(lossWeight(s, 0)).toBe(0);
    expect(lossWeight(s, 100)).toBe(0);
    expect(lossWeight(s, 200)).toBeCloseTo(0.5);
    expect(lossWeight(s, 300)).toBe(1);
    expect(lossWeight(s, 1000)).toBe(1);
    expect(lossWeight({ ...s, warm: 0 }, 100)).toBe(1);
    expect(lossWeight(0.5, 7)).toBe(0.5);
  });
  it('reads trainer.max_time', () => {
    expect(maxTimeSeconds('00:12:00:00')).toBe(12 * 3600);
    expect(maxTimeSeconds({ hours: 1, minutes: 30 })).toBe(5400);
    expect(maxTimeSeconds(null)).toBe(null);
  });
});
