import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/train/config';
import { initBackend } from '../../src/train/backend';
import { TrainSession } from '../../src/train/session';
import { LossCurves, TRAIN_COLOUR, VAL_COLOUR, plotLossCurves } from '../../src/train/loss-plot';
import { StepTimer, formatDuration } from '../../src/train/progress';
import { encodePngRgb } from '../../src/train/tensorboard';
import { decodePngRgb, pixelsOf } from './png';
import { tinyOverrides } from './helpers';

/** Mean row of a colour's pixels in column x (NaN if none). */
const meanRow = (rows: number[][], x: number) => rows[x].length ? rows[x].reduce((a, b) => a + b) / rows[x].length : NaN;

describe('training progress', () => {
  it('plots falling losses falling, validation points where their steps are, in both panels', () => {
    const curves = new LossCurves('val_0/spec');
    for (let s = 1; s <= 200; s++) curves.addTrain(s, 3 * s, 20 * Math.exp(-s / 50) + 2);
    for (const s of [50, 100, 150, 200]) curves.addValidation(s, 3 * s + 1, 20 * Math.exp(-s / 50) + 2.5);
    curves.addTrain(201, 604, NaN); // a non-finite point is left out, not drawn as a spike
    const img = decodePngRgb(encodePngRgb(curves.plot().rgb, 720, 520));
    expect([img.width, img.height]).toEqual([720, 520]);
    for (const [y0, y1] of [[30, 226], [290, 486]]) { // the plot areas of the two panels (below the legends)
      const train = pixelsOf(img, TRAIN_COLOUR, y0, y1);
      const val = pixelsOf(img, VAL_COLOUR, y0, y1);
      // step 1 → x 69.2, step 200 (or 600 s of 603) → x 702: the curve covers the axis, and falls
      expect(Math.min(...train.columns)).toBeLessThanOrEqual(71);
      expect(Math.max(...train.columns)).toBeGreaterThanOrEqual(698);
      expect(train.columns.size).toBeGreaterThan(600);
      expect(meanRow(train.rows, 75)).toBeLessThan(meanRow(train.rows, 300));
      expect(meanRow(train.rows, 300)).toBeLessThan(meanRow(train.rows, 690));
      // four 7×7 markers and the segments between them
      expect(val.count).toBeGreaterThan(4 * 49);
      expect(Math.max(...val.columns) - Math.min(...val.columns)).toBeGreaterThan(450);
    }
    // the validation loss sits above the training loss at the same step (2.5 vs 2 plus the same term)
    const t = pixelsOf(img, TRAIN_COLOUR, 30, 226);
    const v = pixelsOf(img, VAL_COLOUR, 30, 226);
    const x = 66 + Math.round((150 / 201) * 636);
    expect(meanRow(v.rows, x)).toBeLessThan(meanRow(t.rows, x) - 3);
  });

  it('plots any number of named curves per panel, each where its points are (recipe comparisons)', () => {
    const RED = [214, 39, 40] as const;
    const steps = [100, 200, 300, 400, 500];
    const img = plotLossCurves([{ xName: 'STEP', series: [
      { name: 'A', colour: TRAIN_COLOUR, dense: false, x: steps, y: steps.map((s) => 4 / Math.sqrt(s)) },
      { name: 'B', colour: VAL_COLOUR, dense: false, x: steps, y: steps.map((s) => 2 / Math.sqrt(s)) },
      { name: 'C', colour: RED, dense: false, x: steps.slice(0, 2), y: [0.5, 0.2] },
    ] }]);
    expect([img.width, img.height]).toEqual([720, 260]);
    const a = pixelsOf(img, TRAIN_COLOUR, 30, 226);
    const b = pixelsOf(img, VAL_COLOUR, 30, 226);
    const c = pixelsOf(img, RED, 30, 226);
    for (const p of [a, b]) expect(Math.max(...p.columns)).toBeGreaterThanOrEqual(698); // step 500 at the right edge
    expect(Math.max(...c.columns)).toBeLessThan(66 + Math.round((200 / 500) * 636) + 5); // C stops at step 200
    const x = 66 + Math.round((300 / 500) * 636);
    expect(meanRow(a.rows, x)).toBeLessThan(meanRow(b.rows, x) - 10); // A (twice B) plots higher
  });

  it('plots an empty run, a single point and constant losses without failing', () => {
    for (const fill of [(c: LossCurves) => c, (c: LossCurves) => c.addTrain(1, 0.5, 3), (c: LossCurves) => { c.addTrain(1, 1, 2); c.addTrain(2, 2, 2); c.addValidation(2, 2, 2); }]) {
      const c = new LossCurves('val_0/spec');
      fill(c);
      const img = c.plot();
      expect(img.rgb.length).toBe(720 * 520 * 3);
    }
  });

  it('formats durations and measures the rate over the last 100 steps', () => {
    expect([NaN, Infinity, 0, 44.6, 185, 7620, 3 * 86400 + 4 * 3600 + 59].map(formatDuration)).toEqual(['?', '?', '0s', '45s', '3m 05s', '2h 07m', '3d 04h']);
    const t = new StepTimer(10);
    expect(t.secondsPerStep).toBeNaN();
    t.tick(12);
    expect(t.secondsPerStep).toBe(2);
    for (let s = 2; s <= 100; s++) t.tick(10 + 2 * s);
    expect(t.secondsPerStep).toBe(2);
    for (let s = 1; s <= 100; s++) t.tick(210 + 0.5 * s); // the window now holds only the faster steps
    expect(t.secondsPerStep).toBe(0.5);
    t.tick(260.5 + 50); // one slow step (a validation) moves the mean by 50/100
    expect(t.secondsPerStep).toBeCloseTo(1, 12);
  });

  it('the time left ends with max_steps, max_epochs or max_time, whichever comes first', async () => {
    const { tf } = await initBackend('cpu');
    const session = async (extra: string[]) => TrainSession.create(tf, composeConfig({ overrides: tinyOverrides('-', '-', ['batch_size=2', ...extra]) }).config, 21);
    // 21 slices: 18 train → 9 batches per epoch
    const bySteps = await session(['trainer.max_steps=100']);
    expect(bySteps.secondsLeft(0, 0.5)).toBe(50);
    bySteps.loop.step = 40;
    expect(bySteps.secondsLeft(1e6, 0.5)).toBe(30);
    const byEpochs = await session(['trainer.max_steps=-1', 'trainer.max_epochs=3']);
    Object.assign(byEpochs.loop, { step: 12, epoch: 1, batchInEpoch: 3 });
    expect(byEpochs.secondsLeft(0, 2)).toBe(2 * (27 - 12));
    const byTime = await session(['trainer.max_steps=100', 'trainer.max_time=00:00:01:00']);
    expect(byTime.secondsLeft(20, 0.1)).toBe(10);
    expect(byTime.secondsLeft(20, 1)).toBe(40);
    expect(byTime.secondsLeft(70, 1)).toBe(0);
    const unbounded = await session(['trainer.max_steps=-1', 'trainer.max_epochs=null']);
    expect(unbounded.secondsLeft(5, 1)).toBe(Infinity);
    for (const s of [bySteps, byEpochs, byTime, unbounded]) s.dispose();
  });
});
