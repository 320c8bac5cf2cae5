// Shared helpers of the fidelity tests: fixtures of the seed's real checkpoints and renders, the converted models
// (through the model file, as a user gets them), frame alignment with the seed's streaming model, the seed's
// multi-scale spectral distance after the best alignment, and pitch comparisons in cents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio, downmix } from '../../src/io/audio-file';
import { convertCheckpoint } from '../../src/model/ckpt';
import { readModel, writeModel, type DDSPModel } from '../../src/model/model-file';
import { DEFAULT_FFT_SIZES, LOG_EPS, hannWindow, multiScaleSpectralLoss } from '../../src/dsp/spectral';
import { RealFFT } from '../../src/dsp/fft';
import { QUANTUM } from '../../src/engine/framer';
import { featuresAtFrameRate } from '../../src/engine/render';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const SR = 48000;
/** The seed's streaming model: hop 960, window 2048, and the input cache of window − hop = 1088 zeros. */
export const SEED_HOP = 960;
export const SEED_WINDOW = 2048;
/**
 * The seed's streaming frame j analyses input samples [960j − 1088, 960j + 960) (window centre 960j − 64);
 * our engine's frame k analyses [960k − 1024, 960k + 1024) (centre 960k). Delaying the input by this many samples
 * makes our frame j analyse exactly the seed's window j.
 */
export const SEED_WINDOW_SHIFT = (SEED_WINDOW - SEED_HOP) - SEED_WINDOW / 2; // 1088 − 1024 = 64 samples

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readJson<T = Record<string, unknown>>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixturePath(...parts), 'utf8')) as T;
}

/** A little-endian float32 file. */
export function readF32(...parts: string[]): Float32Array {
  const b = readFileSync(fixturePath(...parts));
  const out = new Float32Array(b.byteLength / 4);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

/** Decodes an audio fixture (FLAC/WAV) to mono. */
export async function readAudio(...parts: string[]): Promise<{ audio: Float32Array; sampleRate: number }> {
  const bytes = readFileSync(fixturePath(...parts));
  const dec = await decodeAudio(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), parts.join('/'));
  return { audio: downmix(dec.channels), sampleRate: dec.sampleRate };
}

/**
 * 16-bit samples decoded by decodeAudio back to the values torchaudio / libsndfile give (int / 32768), which the seed
 * processed. The FLAC decoder behind decodeAudio (audio-decode) divides 16-bit FLAC samples by 32767 instead, a
 * +0.00027 dB level offset; this undoes it (and is a no-op for a decoder that divides by 32768).
 * @returns the samples and the divisor the decoder used
 * @throws Error if the samples are not 16-bit values under either divisor
 */
export function asInt16Samples(x: Float32Array): { audio: Float32Array; decoderScale: number } {
  for (const scale of [32768, 32767]) {
    let ok = true;
    for (let i = 0; i < x.length && ok; i++) ok = Math.abs(x[i] * scale - Math.round(x[i] * scale)) < 1e-3;
    if (ok) return { audio: Float32Array.from(x, (v) => Math.round(v * scale) / 32768), decoderScale: scale };
  }
  throw new Error('not 16-bit samples');
}

const models = new Map<string, DDSPModel>();

/** The fixture checkpoint `dir/model.ckpt` converted, written to a model file and read back (cached). */
export function convertedModel(dir: 'seed-checkpoint' | 'seed-trained'): DDSPModel {
  let m = models.get(dir);
  if (!m) {
    const ckpt = readFileSync(fixturePath(dir, 'model.ckpt'));
    const converted = convertCheckpoint(new Uint8Array(ckpt.buffer, ckpt.byteOffset, ckpt.byteLength), { fileName: `${dir}/model.ckpt` });
    m = readModel(writeModel(converted));
    models.set(dir, m);
  }
  return m;
}

/** The seed's per-frame streaming features (features_*.json). */
export interface SeedFeatures { f0Hz: Float32Array; loudnessDb: Float32Array }

export function seedFeatures(dir: string, name: string): SeedFeatures {
  const j = readJson<{ f0_hz: number[]; loudness_db: number[] }>(dir, `features_${name}.json`);
  return { f0Hz: Float32Array.from(j.f0_hz), loudnessDb: Float32Array.from(j.loudness_db) };
}

/**
 * The seed's per-frame features (50 frames/s, frame j at j/50 s) as control mode takes them: one per tick of 128
 * samples at SR, loudness and f0 interpolated linearly in time between frames.
 */
export function perTick(f: SeedFeatures): SeedFeatures {
  const timeS = Float64Array.from({ length: f.f0Hz.length }, (_, j) => j / 50);
  const t = featuresAtFrameRate(timeS, f.f0Hz, f.loudnessDb, SR / QUANTUM);
  return { f0Hz: t.f0Hz, loudnessDb: t.loudnessDb };
}

/** Frames the seed's streaming model produces for n input samples in blocks of 2048 (windows ending by the end). */
export function seedFrameCount(nSamples: number): number {
  return Math.floor((nSamples + (SEED_WINDOW - SEED_HOP) - SEED_WINDOW) / SEED_HOP) + 1;
}

/** `x` delayed by `d` samples (zeros first), same length + d. */
export function delayed(x: Float32Array, d: number): Float32Array {
  const y = new Float32Array(x.length + d);
  y.set(x, d);
  return y;
}

/** |1200·log2(a/b)|, Infinity when either is not positive. */
export function centsApart(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) return Infinity;
  return Math.abs(1200 * Math.log2(a / b));
}

/** Reads a `time_s,f0_hz` truth CSV. */
export function readTruth(...parts: string[]): { timeS: Float64Array; f0Hz: Float32Array } {
  const rows = readFileSync(fixturePath(...parts), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  return { timeS: Float64Array.from(rows.map((r) => r[0])), f0Hz: Float32Array.from(rows.map((r) => r[1])) };
}

/** Truth f0 at time t (nearest row within 5 ms; 0 = unscored). */
export function truthAt(truth: { timeS: Float64Array; f0Hz: Float32Array }, t: number): number {
  const { timeS, f0Hz } = truth;
  let lo = 0;
  let hi = timeS.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (timeS[mid] <= t) lo = mid; else hi = mid;
  }
  const i = Math.abs(timeS[lo] - t) <= Math.abs(timeS[hi] - t) ? lo : hi;
  return Math.abs(timeS[i] - t) <= 0.0051 ? f0Hz[i] : 0;
}

/** The seed's multi-scale spectral loss between two mono clips of equal length. */
export function spectralDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  return multiScaleSpectralLoss(a, b, 1, a.length);
}

/**
 * `ours` moved by `lag` samples onto the target's timeline: out[i] = ours[i − lag] (zero outside), length n.
 * `ours` may be longer than n (a rendered tail, for negative lags).
 */
export function shifted(ours: Float32Array, lag: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = i - lag;
    if (j >= 0 && j < ours.length) out[i] = ours[j];
  }
  return out;
}

/**
 * The seed's multi-scale spectral loss (hop n/4, periodic Hann, no centring, power, mean |ΔS| + mean |Δ ln(S + 1e-4)|,
 * summed over scales / (scales · 2)) against one fixed target whose spectrograms are computed once, for scanning
 * many alignments of a candidate quickly. The figures a test asserts are recomputed with src/dsp/spectral.ts
 * multiScaleSpectralLoss at the chosen lag (this class only picks the lag).
 */
export class SpectralScan {
  private readonly scales: { n: number; hop: number; frames: number; bins: number; window: Float32Array; fft: RealFFT;
    power: Float64Array; logPower: Float64Array; buf: Float32Array; spec: Float32Array }[];
  readonly n: number;

  constructor(readonly target: Float32Array, fftSizes: readonly number[] = DEFAULT_FFT_SIZES) {
    this.n = target.length;
    this.scales = fftSizes.map((n) => {
      const hop = n / 4;
      const frames = 1 + Math.floor((this.n - n) / hop);
      const bins = n / 2 + 1;
      const s = { n, hop, frames, bins, window: hannWindow(n, true), fft: new RealFFT(n),
        power: new Float64Array(frames * bins), logPower: new Float64Array(frames * bins),
        buf: new Float32Array(n), spec: new Float32Array(n + 2) };
      for (let t = 0; t < frames; t++) {
        this.frame(s, target, t * hop);
        for (let f = 0; f < bins; f++) {
          const p = s.spec[2 * f] * s.spec[2 * f] + s.spec[2 * f + 1] * s.spec[2 * f + 1];
          s.power[t * bins + f] = p;
          s.logPower[t * bins + f] = Math.log(p + LOG_EPS);
        }
      }
      return s;
    });
  }

  /** Windowed FFT of x[start .. start + n) (zeros outside) into s.spec. */
  private frame(s: SpectralScan['scales'][number], x: Float32Array, start: number): void {
    const { n, buf, window } = s;
    if (start >= 0 && start + n <= x.length) {
      for (let j = 0; j < n; j++) buf[j] = x[start + j] * window[j];
    } else {
      for (let j = 0; j < n; j++) {
        const i = start + j;
        buf[j] = i >= 0 && i < x.length ? x[i] * window[j] : 0;
      }
    }
    s.fft.forward(buf, s.spec);
  }

  /** Distance between the target and `ours` moved by `lag` (out[i] = ours[i − lag], zeros outside). */
  distance(ours: Float32Array, lag: number, scaleIndices?: readonly number[]): number {
    let total = 0;
    const use = scaleIndices ?? this.scales.map((_, i) => i);
    for (const si of use) {
      const s = this.scales[si];
      const { bins, spec, power, logPower } = s;
      let lin = 0;
      let lg = 0;
      for (let t = 0; t < s.frames; t++) {
        // out[i] = ours[i − lag] for i < n (the target's length), zero beyond
        const start = t * s.hop - lag;
        this.frame(s, ours, start);
        const base = t * bins;
        for (let f = 0; f < bins; f++) {
          const re = spec[2 * f];
          const im = spec[2 * f + 1];
          const p = re * re + im * im;
          lin += Math.abs(p - power[base + f]);
          lg += Math.abs(Math.log(p + LOG_EPS) - logPower[base + f]);
        }
      }
      total += (lin + lg) / (s.frames * bins);
    }
    return total / (use.length * 2);
  }
}

/**
 * Best alignment of `ours` with `target` within ±maxLag samples by the seed's spectral distance: a scan every
 * `coarse` samples over the whole range and every coarse/5 samples around its best, on three of the six scales
 * (128, 512, 2048), then a refinement to one sample with all six scales by halving steps. Any lag found bounds the true minimum from above, so an
 * assertion on the returned distance is never looser than one on the exact best alignment.
 * @returns the best lag (positive: the target is later than ours), the seed's loss there computed by
 *   multiScaleSpectralLoss (src/dsp/spectral.ts), and the number of lags evaluated. `ours` should hold
 *   target.length + maxLag samples (the tail is used by negative lags).
 */
export function bestAlignedDistance(ours: Float32Array, target: Float32Array, maxLag: number, coarse = 240):
  { lag: number; distance: number; scanned: number } {
  const scan = new SpectralScan(target);
  const coarseScales = [1, 3, 5];
  let scanned = 0;
  const sweep = (from: number, to: number, step: number, centre: number): number => {
    let best = centre;
    let bestD = Infinity;
    for (let lag = Math.max(-maxLag, from); lag <= Math.min(maxLag, to); lag += step) {
      const d = scan.distance(ours, lag, coarseScales);
      scanned++;
      if (d < bestD) { bestD = d; best = lag; }
    }
    return best;
  };
  let best = sweep(-maxLag, maxLag, coarse, 0);
  const fine = Math.max(1, Math.round(coarse / 5));
  best = sweep(best - coarse, best + coarse, fine, best);
  const memo = new Map<number, number>();
  const at = (lag: number): number => {
    let d = memo.get(lag);
    if (d === undefined) { d = scan.distance(ours, lag); memo.set(lag, d); scanned++; }
    return d;
  };
  let step = fine;
  while (step > 1) {
    step = Math.max(1, Math.floor(step / 2));
    const c = best;
    for (const lag of [c - step, c + step]) if (lag >= -maxLag && lag <= maxLag && at(lag) < at(best)) best = lag;
  }
  const distance = spectralDistance(shifted(ours, best, target.length), target);
  return { lag: best, distance, scanned };
}

/** Summary statistics of absolute differences. */
export function absDiffStats(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)):
  { max: number; mean: number; at: number } {
  let max = 0;
  let sum = 0;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) { max = d; at = i; }
  }
  return { max, mean: n ? sum / n : 0, at };
}

/** Seconds at which the seed's streaming frame j's window is centred (clip time): (960j − 64) / 48000. */
export function seedFrameTime(j: number): number {
  return (SEED_HOP * j - SEED_WINDOW_SHIFT) / SR;
}

/**
 * Where the seed's tracker is right: per frame, the reference is the truth where the truth is scored (> 0), else
 * our offline pYIN estimate where it is voiced; the seed is right when within 50 cents of that reference.
 * @returns per frame: 1 right, 0 wrong, −1 no reference
 */
export function seedRightFrames(seedF0Hz: Float32Array, pyinF0Hz: Float32Array, truthF0Hz?: Float32Array): Int8Array {
  const out = new Int8Array(seedF0Hz.length);
  for (let j = 0; j < seedF0Hz.length; j++) {
    const t = truthF0Hz ? truthF0Hz[j] : 0;
    const ref = t > 0 ? t : pyinF0Hz[j] > 0 ? pyinF0Hz[j] : 0;
    out[j] = ref > 0 ? (centsApart(seedF0Hz[j], ref) <= 50 ? 1 : 0) : -1;
  }
  return out;
}

/** Rewrites every BINUNICODE string `from` as `to` in a protocol-2 pickle (length prefixes adjusted). */
export function replacePickleString(pkl: Uint8Array, from: string, to: string): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
  const fb = enc.encode(from);
  const tb = enc.encode(to);
  const f = [0x58, ...u32(fb.length), ...fb];
  const t = [0x58, ...u32(tb.length), ...tb];
  const out: number[] = [];
  let hits = 0;
  for (let i = 0; i < pkl.length;) {
    let match = pkl[i] === 0x58;
    for (let k = 1; match && k < f.length; k++) match = pkl[i + k] === f[k];
    if (match) { out.push(...t); i += f.length; hits++; } else out.push(pkl[i++]);
  }
  if (!hits) throw new Error(`'${from}' is not in the pickle`);
  return Uint8Array.from(out);
}
