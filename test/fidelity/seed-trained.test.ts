// Fidelity of a model the seed's own training code trained (issue 8, item 2): the checkpoint fixture
// test/fixtures/seed-trained/model.ckpt (stored as a real run stores it), converted and read back from the model
// file, against what the seed's streaming model computed on ~6 s of two dev clips (violin from 1 s, cello from
// 2 s of data/pitch/*.flac, 48 kHz, blocks of 2048, knobs neutral, noise muted):
//  - per-frame loudness of the engine's analysis path == features_*.json within 0.05 dB (same windows);
//  - f0 == the seed's where the seed's tracker is right (truth where scored, else our offline pYIN);
//  - rendered in control mode from the seed's own features (noiseMix 0, reverbMix 0.5, harmonicMix 1), the output
//    is within the seed's multi-scale spectral distance 0.35 of render_*.json after the best lag within ±50 ms;
//  - modules we cannot run are refused by name.
// Figures are printed; docs/fidelity.md records them.
import { unzipSync, zipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyseFeatures, renderOffline, renderStream } from '../../src/engine/render';
import { EstimatorRuntime } from '../../src/estimator/realtime';
import { CheckpointError, convertCheckpoint } from '../../src/model/ckpt';
import type { DDSPModel } from '../../src/model/model-file';
import {
  SR, SEED_WINDOW_SHIFT, absDiffStats, asInt16Samples, bestAlignedDistance, centsApart, convertedModel, delayed, fixturePath,
  readAudio, readF32, readJson, readTruth, replacePickleString, perTick, seedFeatures, seedFrameCount, seedFrameTime,
  seedRightFrames, spectralDistance, truthAt, type SeedFeatures,
} from './helpers';

const DIR = 'seed-trained';
/** ±50 ms at 48 kHz. */
const MAX_LAG = Math.round(0.05 * SR);
const CONTROLS = { pitchShift: 0, harmonicMix: 1, noiseMix: 0, reverbMix: 0.5 };
/** Also run the slower record-only comparisons. */
const FULL = !!process.env.DDSP_FIDELITY_FULL;

interface Clip {
  name: string;
  startS: number;
  /** The seed's input: the 16-bit clip as int / 32768. */
  input: Float32Array;
  /** Divisor decodeAudio used for the 16-bit FLAC (see asInt16Samples). */
  decoderScale: number;
  seed: Float32Array;
  features: SeedFeatures;
}

interface RenderHeader {
  sample_rate: number; block: number; n_samples: number;
  output: { file: string };
  input: { file: string; start_s: number; sum: number; sum_abs: number };
}

const clips: Clip[] = [];
let model: DDSPModel;

beforeAll(async () => {
  model = convertedModel(DIR);
  for (const name of ['dev_violin', 'dev_cello']) {
    const h = readJson<RenderHeader>(DIR, `render_${name}.json`);
    const decoded = await readAudio(DIR, h.input.file);
    expect(decoded.sampleRate).toBe(h.sample_rate);
    const { audio, decoderScale } = asInt16Samples(decoded.audio);
    clips.push({ name, startS: h.input.start_s, input: audio, decoderScale, seed: readF32(DIR, h.output.file), features: seedFeatures(DIR, name) });
  }
});

describe('seed-trained: the converted checkpoint', () => {
  it('is the trained run (hidden 256, hpnir 64 harmonics / filter 512 / 1 s IR, 48 kHz, 50 frames/s, seed noise design)', () => {
    expect(model.sampleRate).toBe(48000);
    expect(model.frameRate).toBe(50);
    expect(model.estimator.hiddenSize).toBe(256);
    expect(model.synth.nodes.map((n) => n.type)).toEqual(['Harmonic', 'FilteredNoise', 'Add', 'IRReverb']);
    const noise = model.synth.nodes[1] as { filterSize: number; design: string };
    expect([noise.filterSize, noise.design]).toEqual([512, 'seed']);
    expect(model.ir?.length).toBe(47999);
  });

  it('reproduces estimator_io.json within 1e-4 (the engine estimator, from the model file)', () => {
    const io = readJson<{ f0_hz: number[]; loudness_db: number[]; params: number[] }>(DIR, 'estimator_io.json');
    const est = new EstimatorRuntime(model.estimator, model.estimator.weights);
    const P = model.estimator.outputSize;
    const out = new Float32Array(P);
    let max = 0;
    for (let k = 0; k < io.f0_hz.length; k++) {
      est.runFrame(io.f0_hz[k], io.loudness_db[k], out);
      for (let i = 0; i < P; i++) max = Math.max(max, Math.abs(out[i] - io.params[k * P + i]));
    }
    console.log(`[fidelity] seed-trained estimator_io: max |Δ| = ${max.toExponential(2)} over ${io.f0_hz.length} frames × ${P}`);
    expect(io.params.length).toBe(io.f0_hz.length * P);
    expect(max).toBeLessThanOrEqual(1e-4);
  });
});

describe.each(['dev_violin', 'dev_cello'])('seed-trained %s', (name) => {
  const clip = (): Clip => clips.find((c) => c.name === name) as Clip;

  it('input clip is the seed render\'s input, sample for sample (checksums)', () => {
    const c = clip();
    const h = readJson<RenderHeader>(DIR, `render_${name}.json`);
    let sum = 0;
    let sumAbs = 0;
    for (const v of c.input) { sum += v; sumAbs += Math.abs(v); }
    expect(c.input.length).toBe(h.n_samples);
    expect(c.seed.length).toBe(h.n_samples);
    console.log(`[fidelity] ${name}: decodeAudio divides the 16-bit FLAC by ${c.decoderScale} (torchaudio: 32768)`);
    expect(sum).toBeCloseTo(h.input.sum, 6);
    expect(sumAbs).toBeCloseTo(h.input.sum_abs, 6);
    expect(c.features.f0Hz.length).toBe(seedFrameCount(h.n_samples));
  });

  it('per-frame loudness of the engine analysis == the seed\'s streaming loudness within 0.05 dB', () => {
    const c = clip();
    const F = c.features.loudnessDb.length;
    // The seed's frame j analyses input [960j − 1088, 960j + 960); ours [960k − 1024, 960k + 1024): delaying the
    // input by 64 samples makes our frame j read exactly the seed's window j.
    const r = renderOffline(model, delayed(c.input, SEED_WINDOW_SHIFT), { sampleRate: SR });
    expect(r.nFrames).toBeGreaterThanOrEqual(F);
    const aligned = absDiffStats(r.loudnessDb, c.features.loudnessDb, F);
    // For scale: without the 64-sample shift (our own framing, 1.3 ms later) the frames differ by up to ~1.5 dB.
    const own = absDiffStats(renderOffline(model, c.input, { sampleRate: SR }).loudnessDb, c.features.loudnessDb, F);
    console.log(`[fidelity] ${name} loudness over ${F} frames: max |Δ| ${aligned.max.toFixed(5)} dB, mean ${aligned.mean.toFixed(5)} dB ` +
      `(unshifted framing: max ${own.max.toFixed(3)} dB, mean ${own.mean.toFixed(3)} dB)`);
    expect(aligned.max).toBeLessThanOrEqual(0.05);
  });

  it('the streaming engine (blocks of 2048) renders what the analysed features above drive (== renderOffline)', () => {
    const c = clip();
    const stream = renderStream(model, c.input, { sampleRate: SR, block: 2048, controls: CONTROLS }).audio;
    const batch = renderOffline(model, c.input, { sampleRate: SR, controls: CONTROLS }).audio;
    const d = absDiffStats(stream, batch);
    console.log(`[fidelity] ${name} audio mode: StreamingEngine vs renderOffline max |Δ| ${d.max.toExponential(2)}`);
    expect(d.max).toBeLessThanOrEqual(1e-4);
  });

  it('f0 of the engine analysis == the seed\'s where the seed\'s tracker is right (±50 cents)', () => {
    const c = clip();
    const F = c.features.f0Hz.length;
    const x = delayed(c.input, SEED_WINDOW_SHIFT);
    const ours = renderOffline(model, x, { sampleRate: SR }).f0Hz; // held as the seed holds (440 Hz before voicing)
    const pyin = analyseFeatures(x, SR, { frameRate: 50, mode: 'offline' }).f0Hz;
    const truthRows = readTruth(DIR, `truth_${name}.f0.csv`);
    const truth = Float32Array.from({ length: F }, (_, j) => truthAt(truthRows, c.startS + seedFrameTime(j)));
    const right = seedRightFrames(c.features.f0Hz, pyin, truth);
    let nRight = 0;
    let agree = 0;
    let scored = 0;
    let seedTruth = 0;
    let oursTruth = 0;
    const misses: string[] = [];
    for (let j = 0; j < F; j++) {
      if (right[j] === 1) {
        nRight++;
        if (centsApart(ours[j], c.features.f0Hz[j]) <= 50) agree++;
        else misses.push(`frame ${j}: seed ${c.features.f0Hz[j].toFixed(1)} Hz, ours ${ours[j].toFixed(1)} Hz`);
      }
      if (truth[j] > 0) {
        scored++;
        if (centsApart(c.features.f0Hz[j], truth[j]) <= 50) seedTruth++;
        if (centsApart(ours[j], truth[j]) <= 50) oursTruth++;
      }
    }
    console.log(`[fidelity] ${name} f0: seed right on ${nRight}/${F} frames, ours within 50 cents of the seed on ` +
      `${agree}/${nRight}; against the truth (${scored} scored frames): seed ${(seedTruth / scored).toFixed(3)}, ` +
      `ours ${(oursTruth / scored).toFixed(3)}${misses.length ? `; misses: ${misses.slice(0, 5).join(', ')}` : ''}`);
    expect(nRight).toBeGreaterThan(0.8 * F);
    expect(agree / nRight).toBeGreaterThanOrEqual(0.98);
    expect(oursTruth).toBeGreaterThanOrEqual(seedTruth);
  });

  it('control mode from the seed\'s features, noise muted: within spectral distance 0.35 of the seed\'s render', () => {
    const c = clip();
    const N = c.seed.length;
    // The StreamingEngine in control mode, blocks of 2048 as the seed rendered, features set per frame (renderStream
    // calls setControlFeatures before each frame is sampled); MAX_LAG extra samples for negative lags.
    const ours = renderStream(model, null, { sampleRate: SR, block: 2048, features: perTick(c.features), nSamples: N + MAX_LAG,
      controls: CONTROLS }).audio;
    const best = bestAlignedDistance(ours, c.seed, MAX_LAG);
    const unaligned = spectralDistance(ours.subarray(0, N), c.seed);
    const silence = spectralDistance(new Float32Array(N), c.seed);
    console.log(`[fidelity] ${name} control mode: spectral distance ${best.distance.toFixed(4)} at lag ` +
      `${best.lag} samples (${((1000 * best.lag) / SR).toFixed(1)} ms, ${best.scanned} lags scanned); at lag 0 ` +
      `${unaligned.toFixed(4)}; seed render vs silence ${silence.toFixed(4)}`);
    expect(Math.abs(best.lag)).toBeLessThanOrEqual(MAX_LAG);
    expect(best.distance).toBeLessThanOrEqual(0.35);
    if (name === 'dev_violin') expect(silence).toBeCloseTo(1.18, 2); // the metric's scale, as the issue states it
  });

  it.runIf(FULL)('audio mode (our own tracker and framing), for the record (DDSP_FIDELITY_FULL=1)', () => {
    const c = clip();
    const N = c.seed.length;
    const ours = renderOffline(model, c.input, { sampleRate: SR, controls: CONTROLS, tailSamples: MAX_LAG }).audio;
    const best = bestAlignedDistance(ours, c.seed, MAX_LAG);
    console.log(`[fidelity] ${name} audio mode: spectral distance ${best.distance.toFixed(4)} at lag ${best.lag} samples ` +
      '(differs from control mode where the two YIN trackers disagree)');
    expect(best.distance).toBeLessThan(spectralDistance(new Float32Array(N), c.seed));
  });
});

describe('seed-trained: modules we cannot run are refused by name', () => {
  const ckpt = readFileSync(fixturePath(DIR, 'model.ckpt'));
  const bytes = new Uint8Array(ckpt.buffer, ckpt.byteOffset, ckpt.byteLength);

  it.each(['WaveShaper', 'DecayReverb', 'VCA', 'SawOscillator', 'SineOscillator', 'IRReverbMix'])('%s', (cls) => {
    const files = unzipSync(bytes);
    files['archive/data.pkl'] = replacePickleString(files['archive/data.pkl'], 'diffsynth.modules.reverb.IRReverb',
      `diffsynth.modules.reverb.${cls}`);
    const edited = zipSync(files, { level: 0 });
    let err: unknown;
    try {
      convertCheckpoint(edited, { fileName: 'model.ckpt' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(new RegExp(`\\b${cls}\\b.*not supported`));
  });
});
