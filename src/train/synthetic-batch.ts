// Training batches made in memory, for measurements that must run anywhere (`ddsp-stream bench`): no audio files,
// no database.
import type { TrainConfig } from './config';
import type { Batch } from './slices';

/**
 * A deterministic synthetic batch (what readBatch returns for a prepared database): item i is a harmonic tone
 * gliding up a fifth from 110·2^((i mod 24)/12) Hz with a slow loudness swell; f0 and loudness per frame match it.
 */
export function syntheticBatch(c: TrainConfig, indices: readonly number[]): Batch {
  const sr = c.sample_rate;
  const nSamples = Math.round(c.data.length * sr);
  const nFrames = Math.round(c.data.length * c.data.frame_rate);
  const B = indices.length;
  const audio = new Float32Array(B * nSamples);
  const f0Hz = new Float32Array(B * nFrames);
  const loudnessDb = new Float32Array(B * nFrames);
  indices.forEach((idx, b) => {
    const fA = 110 * Math.pow(2, (idx % 24) / 12);
    const fB = 1.5 * fA;
    const env = (t: number): number => 0.3 + 0.2 * Math.sin(Math.PI * t);
    let phase = 0;
    for (let n = 0; n < nSamples; n++) {
      const t = n / nSamples;
      phase += (2 * Math.PI * (fA + (fB - fA) * t)) / sr;
      let v = 0;
      for (let k = 1; k <= 6; k++) v += Math.sin(k * phase) / k;
      audio[b * nSamples + n] = 0.5 * env(t) * v;
    }
    for (let k = 0; k < nFrames; k++) {
      const t = (k + 0.5) / nFrames;
      f0Hz[b * nFrames + k] = fA + (fB - fA) * t;
      loudnessDb[b * nFrames + k] = 20 * Math.log10(0.5 * env(t)) - 6;
    }
  });
  return { size: B, nSamples, nFrames, audio, f0Hz, loudnessDb, indices: [...indices] };
}
