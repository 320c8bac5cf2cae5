// Parity runner for 'filtered_noise_*' cases: the seed's util.fir_filter (its 'seed' noise-filter design) on given
// noise, via the FilteredNoise module's batch form (src/modules/filtered-noise.ts, design 'seed', the given noise).
// Shapes come from the case: noise [1, N], freq_response [1, F, N_filter/2 + 1]; config.filter_size (else derived
// from the bin count as 2·(bins − 1)). Max abs ≤ 1e-4 (fixtures README).
import { expect } from 'vitest';
import { filteredNoiseBatch } from '../../../src/modules/filtered-noise';
import { diffStats, f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'filtered_noise_',
  run(c: ParityCase) {
    const fr = c.inputs.freq_response;
    const [, nFrames, nBins] = fr.shape;
    const filterSize = c.config.filter_size !== undefined ? Number(c.config.filter_size) : 2 * (nBins - 1);
    expect(Math.floor(filterSize / 2) + 1).toBe(nBins);
    const noise = f32(c.inputs.noise);
    const nSamples = noise.length;
    expect(nSamples % nFrames).toBe(0); // the seed cuts the noise into equal frames
    const audio = filteredNoiseBatch(f32(fr), nFrames, nSamples,
      { sampleRate: Number(c.config.sample_rate ?? nSamples), frameRate: (Number(c.config.sample_rate ?? nSamples) * nFrames) / nSamples, filterSize, design: 'seed' },
      noise);
    const { max } = diffStats(audio, c.outputs.audio.data);
    expect(max).toBeLessThanOrEqual(1e-4);
  },
};
export default kind;
