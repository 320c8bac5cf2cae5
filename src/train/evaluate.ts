/**
 * Evaluation (`ddsp-stream eval`): the seed's five validation metrics (spectral loss, LSD, spectral convergence,
 * loudness error, MFCC L1) of a model over 1 s slices of audio, as its validation_step computes them: each slice
 * re-synthesised from its own f0 and loudness, estimator from a fresh state, at the model's sample rate.
 *
 * Features come from a features file (shaped like `quality/*.features.json`: per slice `f0_hz` and
 * `loudness_db` frames) or are computed as training preparation does (offline tracker, unvoiced f0 held,
 * the seed's loudness per slice).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { EstimatorRuntime } from '../estimator/realtime';
import { resynthesize } from '../engine/resynthesis';
import { validationMetrics, type ValidationMetrics } from '../dsp/spectral';
import { modelAnalysis, type DDSPModel } from '../model/model-file';
import { findAudioFiles, sliceAudio } from './prepare';
import { PREP_VERSION, type Slice } from './dataset';

/** A features file: per-slice frames. */
export interface FeaturesFile {
  sample_rate?: number;
  frame_rate?: number;
  slice_seconds?: number;
  slices?: number;
  f0_hz: number[][];
  loudness_db: number[][];
}

/** Per-slice and mean metrics. */
export interface EvalResult {
  slices: number;
  mean: ValidationMetrics;
  perSlice: ValidationMetrics[];
  files: string[];
}

/** Options of evaluateModel. */
export interface EvalOptions {
  /** Audio file or folder (searched recursively). */
  audio: string;
  /** Features file (JSON); default: computed. */
  features?: string;
  /** Slice length in seconds (default 1). */
  sliceSeconds?: number;
  /** f0 range of the tracker when features are computed (default: the model's f0RangeHz). */
  f0RangeHz?: [number, number];
  /** Noise seed of the synth (default 0). */
  noiseSeed?: number;
  log?: (line: string) => void;
}

/**
 * Evaluates `model` on the slices of `o.audio`.
 * @throws Error naming the file when audio or features cannot be used
 */
export async function evaluateModel(model: DDSPModel, o: EvalOptions): Promise<EvalResult> {
  const { readAudioFile, downmix } = await import('../io/audio-file');
  const { resample } = await import('../dsp/resample');
  const sr = model.sampleRate;
  const analysis = modelAnalysis(model);
  const sliceSeconds = o.sliceSeconds ?? 1;
  const nSamples = Math.round(sliceSeconds * sr);
  const nFrames = Math.round(sliceSeconds * model.frameRate);
  const path = resolve(o.audio);
  if (!existsSync(path)) throw new Error(`--audio ${o.audio} does not exist`);
  const files = statSync(path).isDirectory() ? findAudioFiles(path) : [path];
  if (files.length === 0) throw new Error(`no audio files under ${o.audio}`);
  let features: FeaturesFile | null = null;
  if (o.features) {
    try { features = JSON.parse(readFileSync(o.features, 'utf8')) as FeaturesFile; } catch (e) {
      throw new Error(`--features ${o.features}: cannot read JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (!Array.isArray(features.f0_hz) || !Array.isArray(features.loudness_db)) throw new Error(`--features ${o.features}: needs f0_hz and loudness_db lists per slice`);
    if (features.sample_rate !== undefined && features.sample_rate !== sr) {
      throw new Error(`--features ${o.features} is at ${features.sample_rate} Hz but the model runs at ${sr} Hz`);
    }
    if (features.frame_rate !== undefined && features.frame_rate !== model.frameRate) {
      throw new Error(`--features ${o.features} has ${features.frame_rate} frames/s but the model uses ${model.frameRate}`);
    }
  }

  const slices: Slice[] = [];
  for (const f of files) {
    const d = await readAudioFile(f);
    let audio = downmix(d.channels);
    if (d.sampleRate !== sr) audio = resample(audio, d.sampleRate, sr);
    if (features) {
      const n = Math.floor(audio.length / nSamples);
      for (let s = 0; s < n; s++) {
        slices.push({ audio: audio.slice(s * nSamples, (s + 1) * nSamples), f0Hz: new Float32Array(nFrames), loudnessDb: new Float32Array(nFrames) });
      }
    } else {
      const r = sliceAudio(audio, { version: PREP_VERSION, sampleRate: sr, lengthSeconds: sliceSeconds, frameRate: model.frameRate,
        f0RangeHz: o.f0RangeHz ?? model.f0RangeHz, f0Viterbi: true, f0Tracker: 'offline',
        analysisWindow: analysis.window, analysisAlignment: analysis.alignment });
      slices.push(...r.slices);
    }
  }
  if (features) {
    if (features.f0_hz.length < slices.length) {
      throw new Error(`--features ${o.features} holds ${features.f0_hz.length} slices but the audio has ${slices.length}`);
    }
    slices.forEach((s, i) => {
      const f = features!.f0_hz[i];
      const l = features!.loudness_db[i];
      if (!f || !l || f.length < nFrames || l.length < nFrames) throw new Error(`--features ${o.features}: slice ${i} has fewer than ${nFrames} frames`);
      for (let k = 0; k < nFrames; k++) { s.f0Hz[k] = f[k]; s.loudnessDb[k] = l[k]; }
    });
  }
  if (slices.length === 0) throw new Error(`no usable ${sliceSeconds} s slices in ${o.audio} (silent or unpitched)`);

  const estimator = new EstimatorRuntime(model.estimator, model.estimator.weights);
  const perSlice: ValidationMetrics[] = [];
  for (const s of slices) {
    const resyn = resynthesize(model, s.f0Hz, s.loudnessDb, nSamples, { sampleRate: sr, noiseSeed: o.noiseSeed, estimator });
    perSlice.push(validationMetrics(resyn, s.audio, 1, nSamples, sr, model.frameRate));
  }
  const mean = { spec: 0, lsd: 0, sc: 0, loud: 0, mfcc_l1: 0 } as ValidationMetrics;
  for (const m of perSlice) for (const k of Object.keys(mean) as (keyof ValidationMetrics)[]) mean[k] += m[k] / perSlice.length;
  return { slices: slices.length, mean, perSlice, files };
}
