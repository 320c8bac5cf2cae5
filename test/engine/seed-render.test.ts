// End to end against the PyTorch seed: converted seed checkpoints rendered by our engine vs the seed's own streaming
// renders (test/fixtures/seed-checkpoint, seed-trained; noise muted there, so noiseMix 0 here). Our alignment, pitch
// tracker and latency compensation differ by design (SEED-NOTES §1, §3), so the output is compared by log-spectral
// distance after aligning by cross-correlation, and the features approximately (the seed's window ends 64 samples
// earlier than our centred one). Also: stream == batch on a converted seed model ('seed' noise design, 1 s IR).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RealFFT } from '../../src/dsp/fft';
import { convertCheckpoint } from '../../src/model/ckpt';
import { decodeAudio } from '../../src/io/audio-file';
import { renderOffline } from '../../src/engine/render';
import { maxAbs, maxAbsDiff, smallModel, streamBlocks } from './helpers';

/** Mean |log10 power difference| over Hann-windowed frames (n = 2048, hop n/4). */
function logSpectralDistance(a: Float32Array, b: Float32Array, n = 2048): number {
  const fft = new RealFFT(n);
  const fa = new Float32Array(n);
  const fb = new Float32Array(n);
  const sa = new Float32Array(n + 2);
  const sb = new Float32Array(n + 2);
  let total = 0;
  let count = 0;
  for (let s = 0; s + n <= Math.min(a.length, b.length); s += n / 4) {
    for (let i = 0; i < n; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      fa[i] = a[s + i] * w;
      fb[i] = b[s + i] * w;
    }
    fft.forward(fa, sa);
    fft.forward(fb, sb);
    for (let k = 0; k <= n / 2; k++) {
      const pa = sa[2 * k] ** 2 + sa[2 * k + 1] ** 2;
      const pb = sb[2 * k] ** 2 + sb[2 * k + 1] ** 2;
      total += Math.abs(Math.log10(pa + 1e-7) - Math.log10(pb + 1e-7));
      count++;
    }
  }
  return total / count;
}

/** b advanced by the lag (in [0, maxLag]) that best correlates it with a. */
function align(a: Float32Array, b: Float32Array, maxLag: number): { lag: number; b: Float32Array } {
  let best = -Infinity;
  let lag = 0;
  const from = Math.floor(a.length / 4);
  const to = Math.floor((3 * a.length) / 4);
  for (let L = 0; L <= maxLag; L++) {
    let s = 0;
    for (let i = from; i < to; i++) s += a[i] * b[i + L];
    if (s > best) { best = s; lag = L; }
  }
  const out = new Float32Array(b.length);
  out.set(b.subarray(lag));
  return { lag, b: out };
}

const ckptDir = 'test/fixtures/seed-checkpoint';

describe('converted seed checkpoint vs the seed renders', () => {
  const model = convertCheckpoint(new Uint8Array(readFileSync(`${ckptDir}/model.ckpt`)), { fileName: 'model.ckpt' });

  for (const name of ['test_lead_mono', '339357-mono']) {
    it(`${name}: spectrum matches the seed's render, features close to the seed's`, () => {
      const d = JSON.parse(readFileSync(`${ckptDir}/render_${name}.json`, 'utf8')) as { input: number[]; output: number[] };
      const feats = JSON.parse(readFileSync(`${ckptDir}/features_${name}.json`, 'utf8')) as { f0_hz: number[]; loudness_db: number[] };
      const input = Float32Array.from(d.input);
      const seed = Float32Array.from(d.output);
      const ours = renderOffline(model, input, { sampleRate: 48000, controls: { noiseMix: 0 } });
      const { lag, b } = align(ours.audio, seed, 4000);
      expect(lag).toBeGreaterThan(2000); // the seed's stream lags its own batch timeline by ~50 ms (reported as 0)
      const end = seed.length - 4096;
      const dist = logSpectralDistance(ours.audio.subarray(4096, end), b.subarray(4096, end));
      const other = renderOffline(smallModel(3), input, { sampleRate: 48000, controls: { noiseMix: 0 } }).audio;
      const distOther = logSpectralDistance(other.subarray(4096, end), b.subarray(4096, end));
      expect(dist).toBeLessThan(1.2);
      expect(dist).toBeLessThan(0.3 * distOther);
      // Loudness: same formula, windows 64 samples apart.
      const n = Math.min(feats.loudness_db.length, ours.nFrames);
      let dl = 0;
      for (let k = 2; k < n; k++) dl += Math.abs(feats.loudness_db[k] - ours.loudnessDb[k]);
      expect(dl / (n - 2)).toBeLessThan(1);
      // Pitch: a different tracker by design; where the seed's is in its reliable range they agree to a semitone.
      const cents: number[] = [];
      for (let k = 2; k < n; k++) {
        const s = feats.f0_hz[k];
        if (s > 60 && s < 1500) cents.push(Math.abs(1200 * Math.log2(ours.f0Hz[k] / s)));
      }
      cents.sort((x, y) => x - y);
      expect(cents[Math.floor(cents.length / 2)]).toBeLessThan(50);
    });
  }

  it('stream == batch on the converted seed model at 48 and 44.1 kHz', () => {
    const d = JSON.parse(readFileSync(`${ckptDir}/render_test_lead_mono.json`, 'utf8')) as { input: number[] };
    for (const sr of [48000, 44100]) {
      const input = Float32Array.from(d.input.slice(0, Math.round(0.5 * sr)));
      const ref = renderOffline(model, input, { sampleRate: sr });
      for (const block of [7, 128]) {
        const { out, engine } = streamBlocks(model, input, block, { sampleRate: sr }, ref.latencySamples);
        const diff = maxAbsDiff(out.subarray(engine.latencySamples), ref.audio);
        expect(diff.max, `${sr} Hz block ${block}`).toBeLessThanOrEqual(1e-5 * maxAbs(ref.audio));
      }
    }
  });
});

const trainedDir = 'test/fixtures/seed-trained';
const haveTrained = ['model.ckpt', 'render_dev_violin.json', 'render_dev_violin.output.f32'].every((f) => existsSync(`${trainedDir}/${f}`)) &&
  existsSync('test/fixtures/audio/dev_violin_48k.flac');

describe('seed-trained model (a real training run) vs the seed render', () => {
  // A trained model on violin: our pitch tracker and frame timing differ from the seed's by design, and a random
  // model fed the same features already shares the harmonic structure, hence the looser ratio than above.
  it.skipIf(!haveTrained)('dev_violin: the converted model renders the seed spectrum', async () => {
    const dir = trainedDir;
    const model = convertCheckpoint(new Uint8Array(readFileSync(`${dir}/model.ckpt`)), { fileName: 'model.ckpt' });
    const meta = JSON.parse(readFileSync(`${dir}/render_dev_violin.json`, 'utf8')) as { n_samples: number };
    const raw = readFileSync(`${dir}/render_dev_violin.output.f32`);
    const seed = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const dec = await decodeAudio(readFileSync('test/fixtures/audio/dev_violin_48k.flac'), 'dev_violin_48k.flac');
    const input = dec.channels[0].subarray(0, meta.n_samples);
    expect(dec.sampleRate).toBe(48000);
    const ours = renderOffline(model, input, { sampleRate: 48000, controls: { noiseMix: 0 } });
    const { b } = align(ours.audio, seed, 4000);
    const end = seed.length - 4096;
    const dist = logSpectralDistance(ours.audio.subarray(4096, end), b.subarray(4096, end));
    const other = renderOffline(smallModel(5), input, { sampleRate: 48000, controls: { noiseMix: 0 } }).audio;
    const distOther = logSpectralDistance(other.subarray(4096, end), b.subarray(4096, end));
    expect(dist).toBeLessThan(0.45 * distOther);
    expect(dist).toBeLessThan(0.8);
  });
});
