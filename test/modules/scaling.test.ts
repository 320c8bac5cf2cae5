import { describe, expect, it } from 'vitest';
import { expSigmoidScale, hzToMidi, scaleArray, scaleValue, unitToHz } from '../../src/modules/scaling';

describe('scaling (seed processor.scale_params)', () => {
  it('exp_sigmoid = max·x^ln(10) + 1e-7 + min', () => {
    expect(expSigmoidScale(0, 0, 1)).toBe(1e-7);
    expect(expSigmoidScale(1, 0, 2)).toBeCloseTo(2 + 1e-7, 12);
    expect(expSigmoidScale(0.5, 0, 1)).toBeCloseTo(Math.pow(0.5, Math.log(10)) + 1e-7, 12);
    expect(scaleValue(0.5, 'exp_sigmoid', [0, 2])).toBeCloseTo(2 * 0.5 ** Math.LN10 + 1e-7, 12);
    expect(scaleValue(0.5, 'exp_sigmoid', [0.25, 2])).toBeCloseTo(2 * 0.5 ** Math.LN10 + 1e-7 + 0.25, 12);
  });
  it('freq_sigmoid = unit_to_hz in MIDI space (hz_to_midi with +1e-5)', () => {
    expect(unitToHz(0, 32, 2000)).toBeCloseTo(32 + 1e-5, 6);
    expect(unitToHz(1, 32, 2000)).toBeCloseTo(2000 + 1e-5, 4);
    // halfway in MIDI = geometric mean (up to the 1e-5 offsets)
    expect(unitToHz(0.5, 32, 2000)).toBeCloseTo(Math.sqrt(32 * 2000), 3);
    expect(hzToMidi(440)).toBeCloseTo(69, 6);
  });
  it('sigmoid and raw', () => {
    expect(scaleValue(0.25, 'sigmoid', [-1, 3])).toBe(0);
    expect(scaleValue(0.3, 'raw', [-1, 3])).toBe(0.3);
    const a = scaleArray(Float32Array.of(0, 0.5, 1), 'sigmoid', [0, 10]);
    expect(Array.from(a)).toEqual([0, 5, 10]);
  });
});
