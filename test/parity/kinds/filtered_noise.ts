// Parity runner for 'filtered_noise_*' cases: the seed's util.fir_filter (its 'seed' noise-filter design) on given
// noise, via src/dsp/fir.ts (FIRDesigner('seed') per frame + seedFrameFilter with groupDelay(N, 'seed')).
// Shapes come from the case: noise [1, N], freq_response [1, F, N_filter/2 + 1]; config.filter_size (else derived
// from the bin count as 2·(bins − 1)). Max abs ≤ 1e-4 (fixtures README).
import { expect } from 'vitest';
import { FIRDesigner, groupDelay, seedFrameFilter } from '../../../src/dsp/fir';
import { diffStats, f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'filtered_noise_',
  run(c: ParityCase) {
    const fr = c.inputs.freq_response;
    const [, nFrames, nBins] = fr.shape;
    const filterSize = c.config.filter_size !== undefined ? Number(c.config.filter_size) : 2 * (nBins - 1);
    expect(Math.floor(filterSize / 2) + 1).toBe(nBins);
    const noise = f32(c.inputs.noise);
    const mags = f32(fr);
    const designer = new FIRDesigner(filterSize, 'seed');
    const taps = new Float32Array(nFrames * filterSize);
    for (let k = 0; k < nFrames; k++) {
      designer.design(mags.subarray(k * nBins, (k + 1) * nBins), taps.subarray(k * filterSize, (k + 1) * filterSize));
    }
    const audio = seedFrameFilter(noise, taps, nFrames, filterSize, groupDelay(filterSize, 'seed'));
    const { max } = diffStats(audio, c.outputs.audio.data);
    expect(max).toBeLessThanOrEqual(1e-4);
  },
};
export default kind;
