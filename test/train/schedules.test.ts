import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { ConfigError } from '../../src/train/overrides';
import { learningRate, learningRateAt } from '../../src/train/schedules';
import type { LrSchedule } from '../../src/train/config-schema';

const cosine: LrSchedule = { kind: 'cosine', warmup_steps: 100, decay_steps: null, floor: 1e-5 };
const at = (s: LrSchedule, step: number) => learningRateAt(s, 1e-3, 1000, step);

describe('learning-rate schedule', () => {
  it('warms up linearly to the peak over warmup_steps updates', () => {
    expect(at(cosine, 0)).toBeCloseTo(1e-5, 15); // the first update: peak / warmup_steps
    expect(at(cosine, 49)).toBeCloseTo(5e-4, 15);
    expect(at(cosine, 99)).toBeCloseTo(1e-3, 15);
    expect(at({ ...cosine, kind: 'exponential' }, 49)).toBeCloseTo(5e-4, 15);
    expect(at({ ...cosine, kind: 'constant', warmup_steps: 10 }, 4)).toBeCloseTo(5e-4, 15);
  });

  it('cosine: half a cosine from the peak to the floor at the decay end, the floor after it', () => {
    expect(at(cosine, 100)).toBeCloseTo(1e-3, 15);
    expect(at(cosine, 325)).toBeCloseTo(1e-5 + 0.99e-3 * 0.5 * (1 + Math.SQRT1_2), 15); // a quarter of the way
    expect(at(cosine, 550)).toBeCloseTo(5.05e-4, 15); // half way: the mean of peak and floor
    expect(at(cosine, 999)).toBeCloseTo(1e-5 + 0.99e-3 * 0.5 * (1 + Math.cos(Math.PI * 899 / 900)), 15);
    expect(at(cosine, 1000)).toBeCloseTo(1e-5, 15);
    expect(at(cosine, 5000)).toBeCloseTo(1e-5, 15);
  });

  it('exponential: geometric from the peak to the floor', () => {
    const e: LrSchedule = { ...cosine, kind: 'exponential' };
    expect(at(e, 100)).toBeCloseTo(1e-3, 15);
    expect(at(e, 550)).toBeCloseTo(1e-4, 15); // half way in log: √(1e-3 · 1e-5)
    expect(at(e, 1000)).toBeCloseTo(1e-5, 15);
    expect(at(e, 3000)).toBeCloseTo(1e-5, 15);
  });

  it('constant without warm-up is the seed\'s fixed rate', () => {
    const s: LrSchedule = { kind: 'constant', warmup_steps: 0, decay_steps: null, floor: 1e-5 };
    for (const step of [0, 1, 999, 1e6]) expect(learningRateAt(s, 1e-4, 1000, step)).toBe(1e-4);
  });

  it('decays over the run\'s steps unless decay_steps is set', () => {
    const c = composeConfig({ overrides: ['name=x', 'model.lr=1e-3', 'model.lr_schedule.kind=cosine', 'model.lr_schedule.warmup_steps=10'] }).config;
    expect(learningRate(c, 60, 110)).toBeCloseTo(5.05e-4, 15);
    expect(learningRate(c, 110, 110)).toBeCloseTo(1e-5, 15);
    const d = composeConfig({ overrides: ['name=x', 'model.lr=1e-3', 'model.lr_schedule.kind=cosine', 'model.lr_schedule.warmup_steps=10',
      'model.lr_schedule.decay_steps=210'] }).config;
    expect(learningRate(d, 110, 110)).toBeCloseTo(5.05e-4, 15);
  });

  it('refuses schedules without an end or with the floor above the peak, naming the key', () => {
    const fails = (...o: string[]) => {
      try { composeConfig({ overrides: ['name=x', ...o] }); } catch (e) { expect(e).toBeInstanceOf(ConfigError); return (e as Error).message; }
      throw new Error('expected a ConfigError');
    };
    expect(fails('model.lr_schedule.kind=cosine', 'trainer.max_steps=-1', 'trainer.max_time=00:00:10:00'))
      .toBe("config key 'model.lr_schedule.decay_steps' must be set when neither trainer.max_steps nor trainer.max_epochs bounds the run: the cosine decay needs an end");
    expect(() => composeConfig({ overrides: ['name=x', 'model.lr_schedule.kind=cosine', 'trainer.max_steps=-1', 'trainer.max_epochs=5'] })).not.toThrow();
    expect(fails('model.lr_schedule.kind=exponential', 'model.lr=1e-4', 'model.lr_schedule.floor=1e-3'))
      .toBe("config key 'model.lr_schedule.floor' (0.001) must not exceed model.lr (0.0001), the peak it decays from");
    expect(fails('model.lr_schedule.kind=cosine', 'model.lr_schedule.warmup_steps=200', 'trainer.max_steps=100'))
      .toBe("config key 'model.lr_schedule.warmup_steps' (200) must not exceed the decay's end (100 steps)");
    expect(fails('model.lr_schedule.kind=linear')).toMatch(/config key 'model\.lr_schedule\.kind' must be one of 'constant', 'cosine', 'exponential', got 'linear'/);
    expect(fails('model.lr_schedule.floor=0')).toMatch(/config key 'model\.lr_schedule\.floor' must be > 0, got 0/);
  });
});
