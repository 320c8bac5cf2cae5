// Parity runner for 'yin*' cases: single frames through the seed's YIN (torchyin port: integer lag, reports
// sampleRate/(τ + τmin + 1), 0 = no pitch) against YinTracker from src/dsp/yin.ts, configured from the case:
// sample_rate, pitch_min, pitch_max, threshold, window = frames.shape[1]; each row's true content from
// config.truth_hz (a frequency in Hz, 'noise', or null when unknown; a case without it knows no truth).
//
// What "matching the reference where it is right" means here, per row:
//  - reference 0 (no dip below the threshold: noise, a real-audio frame the seed calls unvoiced, or a pitch above
//    the seed's shortest lag, which it cannot hear — 1777.8 Hz at 48 kHz): ours must be
//    unvoiced (f0 = 0, not NaN) at the case's threshold, unless the row's truth is a frequency and ours is within
//    0.5 % of it (then ours is right where the reference is not);
//  - reference > 0: ours within 0.5 % of it, or — the seed's integer lag is coarse at high pitch (1760 Hz reads
//    1777.8) — within one lag sample of the reference's lag (the reference's own quantisation) AND within 0.5 % of
//    the true frequency when the row's truth is known;
//  - rows with a known true frequency: within 0.5 % of it; rows known to be noise: unvoiced at our DEFAULT
//    threshold too.
import { expect } from 'vitest';
import { YinTracker, type PitchEstimate } from '../../../src/dsp/yin';
import { f32, type ParityCase, type ParityKind } from '../case';

/** A row's true content: a frequency in Hz, 'noise', or null (unknown). */
type Truth = number | 'noise' | null;

/** config.truth_hz of a case, one entry per row (all null when the case has none). */
function truthOf(c: ParityCase, nRows: number): Truth[] {
  const t = c.config.truth_hz;
  if (t === undefined) return new Array<Truth>(nRows).fill(null);
  if (!Array.isArray(t) || t.length !== nRows || !t.every((v) => v === null || v === 'noise' || (typeof v === 'number' && v > 0))) {
    throw new Error(`case '${c.case}': config.truth_hz must list ${nRows} entries, each a frequency in Hz, 'noise' or null`);
  }
  return t as Truth[];
}

const kind: ParityKind = {
  prefix: 'yin',
  run(c: ParityCase) {
    const sampleRate = Number(c.config.sample_rate);
    const [nRows, windowSize] = c.inputs.frames.shape;
    const frames = f32(c.inputs.frames);
    const ref = c.outputs.f0_hz.data;
    const opts = {
      sampleRate,
      windowSize,
      fMinHz: Number(c.config.pitch_min ?? 50),
      fMaxHz: Number(c.config.pitch_max ?? 2000),
    };
    const tracker = new YinTracker({ ...opts, threshold: Number(c.config.threshold ?? 0.1) });
    const byDefault = new YinTracker({ ...opts });
    const truths = truthOf(c, nRows);
    const est: PitchEstimate = { f0Hz: 0, confidence: 0 };
    const failures: string[] = [];
    for (let r = 0; r < nRows; r++) {
      tracker.detect(frames, r * windowSize, est);
      const ours = est.f0Hz;
      const truth = truths[r];
      const label = `row ${r}: ours ${ours.toFixed(3)} Hz, reference ${ref[r].toFixed(3)} Hz${typeof truth === 'number' ? `, truth ${truth} Hz` : ''}`;
      if (!Number.isFinite(ours) || !Number.isFinite(est.confidence)) { failures.push(`${label}: not finite`); continue; }
      const onTruth = typeof truth === 'number' && Math.abs(ours / truth - 1) <= 0.005;
      if (ref[r] === 0) {
        if (ours !== 0 && !onTruth) failures.push(`${label}: reference unvoiced, ours voiced`);
      } else {
        const rel = Math.abs(ours / ref[r] - 1);
        const lagDiff = Math.abs(sampleRate / ours - sampleRate / ref[r]);
        const withinQuantisation = ours > 0 && lagDiff <= 1 && typeof truth === 'number';
        if (!(rel <= 0.005 || withinQuantisation)) failures.push(`${label}: off the reference by ${(rel * 100).toFixed(2)} %`);
      }
      if (typeof truth === 'number' && !onTruth) {
        failures.push(`${label}: off the truth by ${(Math.abs(ours / truth - 1) * 100).toFixed(2)} %`);
      }
      if (truth === 'noise') {
        byDefault.detect(frames, r * windowSize, est);
        if (est.f0Hz !== 0) failures.push(`row ${r} (noise): voiced at the default threshold (${est.f0Hz} Hz)`);
      }
    }
    expect(failures).toEqual([]);
  },
};
export default kind;
