/**
 * Offline rendering and feature analysis.
 *
 * - {@link renderOffline}: the batch reference. Whole-clip features framed exactly as the engine frames them
 *   (same windows at the model's rate, zero history before the start, zeros after the end), then
 *   {@link resynthesize}: the same estimator run frame by frame and the batch synthesizer. Output aligned with the
 *   input (no latency) and complete to the last input sample. StreamingEngine output == this output delayed by
 *   latencySamples.
 * - {@link renderStream}: drives a StreamingEngine block by block (what the CLI and benchmarks do), flushes the
 *   latency and returns the aligned output with per-block timings.
 * - {@link analyseFeatures}: f0 / confidence / loudness per frame, with the engine's streaming tracker or the
 *   offline pYIN + Viterbi tracker (the `f0` command).
 *
 * @packageDocumentation
 */

import { resample } from '../dsp/resample';
import { YinTracker, PitchResult } from '../dsp/yin';
import { LoudnessMeter, loudnessAt, loudnessFrames } from '../dsp/loudness';
import { trackPitchOffline } from '../dsp/pyin';
import { SynthStream } from '../synth/graph';
import type { DDSPModel } from '../model/model-file';
import { LIMITS } from '../model/limits';
import { CONTROLS, ENGINE_CONTROL_NAMES } from '../modules/controls';
import { analysisWindowSize, windowStart, type AnalysisAlignment } from '../dsp/analysis-window';
import { batchFrameCount } from './framer';
import { FeatureHold, controlPlanFor, controlSynthOptions, makeTracker, planFor, synthOptions } from './frame-path';
import { resynthesize } from './resynthesis';
import { DEFAULT_CONTROLS, StreamingEngine, type EngineControls } from './streaming-engine';

/**
 * Control-mode features, one per tick of 128 samples at the context rate (tick j at sample 128·j, as the engine
 * samples them): f0 (Hz; ≤ 0 = unvoiced, held) and loudness (dB). {@link featuresAtFrameRate} samples a curve.
 */
export interface FrameFeatures {
  f0Hz: Float32Array;
  loudnessDb: Float32Array;
}

/** Options of {@link renderOffline}. */
export interface RenderOfflineOptions {
  /** Sample rate of `input` and of the output (the engine's context rate), Hz. */
  sampleRate: number;
  /** Constant controls (defaults and ranges: {@link CONTROLS}; out-of-range values are clamped). */
  controls?: Partial<EngineControls>;
  /** Control mode: features per tick instead of analysing `input` (ticks past the end hold the last). */
  features?: FrameFeatures;
  /** Noise seed (same default as the engine). */
  noiseSeed?: number;
  /** Extra samples rendered after the input (e.g. the reverb tail), default 0. */
  tailSamples?: number;
  /** Audio mode: estimator spread of the engine this should match (only changes the reported latency). */
  spreadQuanta?: number;
  /** Called as frames are estimated (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Result of {@link renderOffline}. */
export interface RenderOfflineResult {
  /** Output, input.length + tailSamples samples at the context rate, aligned with the input. */
  audio: Float32Array;
  /** The latency a StreamingEngine with the same model and rate adds (context samples). */
  latencySamples: number;
  /** Frames used (model frame rate; control mode: ticks), and their features as fed to the estimator (held,
   *  pitch-shifted f0). */
  nFrames: number;
  f0Hz: Float32Array;
  loudnessDb: Float32Array;
}

/**
 * The controls of a render option, defaults filled in and clamped to the ranges of {@link CONTROLS}.
 * @throws RangeError for a value that is not a finite number
 */
function clampControls(c: Partial<EngineControls> | undefined): EngineControls {
  const out = { ...DEFAULT_CONTROLS };
  for (const name of ENGINE_CONTROL_NAMES) {
    const v = c?.[name];
    if (v === undefined) continue;
    const { min, max } = CONTROLS[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`controls.${name} must be a number in [${min}, ${max}], got ${v}`);
    out[name] = v < min ? min : v > max ? max : v;
  }
  return out;
}

/**
 * Model-rate analysis signal of a context-rate clip, zero before sample 0 and after the end, `nModel` samples:
 * resample() of the zero-extended clip (the engine's StreamResampler computes the very same sums, delayed by
 * its latency, which the engine removes), or the clip itself when the rates agree.
 */
function analysisSignal(input: Float32Array, contextRate: number, modelRate: number, nModel: number): Float32Array {
  const out = new Float32Array(nModel);
  if (contextRate === modelRate) {
    out.set(input.subarray(0, Math.min(input.length, nModel)));
    return out;
  }
  const nIn = Math.max(input.length, Math.ceil((nModel * contextRate) / modelRate) + 2);
  const x = new Float32Array(nIn);
  x.set(input);
  const y = resample(x, contextRate, modelRate);
  out.set(y.subarray(0, Math.min(y.length, nModel)));
  return out;
}

/**
 * Batch reference render of `input` (mono, at opts.sampleRate) through `model`.
 * @throws RangeError / TypeError for bad arguments or a model the engine cannot run.
 */
export function renderOffline(model: DDSPModel, input: Float32Array, opts: RenderOfflineOptions): RenderOfflineResult {
  if (!(input instanceof Float32Array)) throw new TypeError('input must be a Float32Array (mono samples)');
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object with sampleRate');
  const sr = opts.sampleRate;
  if (!(typeof sr === 'number' && Number.isFinite(sr) && sr > 0)) {
    throw new RangeError(`opts.sampleRate must be a positive finite number of Hz, got ${sr}`);
  }
  const tail = opts.tailSamples ?? 0;
  if (!(Number.isInteger(tail) && tail >= 0)) throw new RangeError(`opts.tailSamples must be a non-negative integer, got ${tail}`);
  const controls = clampControls(opts.controls);
  const plan = opts.features
    ? controlPlanFor(model, sr, new SynthStream(model.synth, controlSynthOptions(model, sr)))
    : planFor(model, sr, new SynthStream(model.synth, synthOptions(model, sr)), opts.spreadQuanta);
  const nOut = input.length + tail;
  const { nFrames, nSynth } = batchFrameCount(plan, Math.max(1, nOut));

  // Features per frame (f0 held and shifted as the engine does).
  const f0 = new Float32Array(nFrames);
  const loud = new Float32Array(nFrames);
  const hold = new FeatureHold();
  const ratio = Math.pow(2, controls.pitchShift / 12);
  if (opts.features) {
    const { f0Hz, loudnessDb } = opts.features;
    if (!(f0Hz instanceof Float32Array) || !(loudnessDb instanceof Float32Array) || f0Hz.length !== loudnessDb.length) {
      throw new TypeError('opts.features must hold Float32Arrays f0Hz and loudnessDb of equal length');
    }
    // As the engine takes them: no frames = the defaults, a non-finite loudness keeps the last.
    const n = f0Hz.length;
    let lastLoud: number = CONTROLS.loudness.defaultValue;
    for (let k = 0; k < nFrames; k++) {
      let l = k < n ? loudnessDb[k] : n > 0 ? loudnessDb[n - 1] : lastLoud;
      if (!Number.isFinite(l)) l = lastLoud;
      lastLoud = l;
      loud[k] = l;
      f0[k] = hold.hold(k < n ? f0Hz[k] : n > 0 ? f0Hz[n - 1] : CONTROLS.f0.defaultValue) * ratio;
    }
  } else {
    const W = plan.windowSize;
    const lastEnd = windowStart(nFrames - 1, plan.hopModel, W, plan.alignment) + W;
    const x = sanitised(input);
    const xm = analysisSignal(x, sr, model.sampleRate, Math.max(0, lastEnd));
    const padded = new Float32Array(W + xm.length);
    padded.set(xm, W); // W zeros before sample 0 (every window starts at ≥ −W)
    const yin = makeTracker(model, W);
    const meter = new LoudnessMeter(model.sampleRate, W);
    const est = new PitchResult();
    for (let k = 0; k < nFrames; k++) {
      const off = windowStart(k, plan.hopModel, W, plan.alignment) + W;
      yin.detect(padded, off, est);
      let l = meter.measure(padded, off);
      if (!(l > -1e9 && l < 1e9)) l = -80;
      loud[k] = l;
      f0[k] = hold.hold(est.f0Hz) * ratio;
    }
  }

  const audio = resynthesize(model, f0, loud, nSynth,
    { sampleRate: sr, noiseSeed: opts.noiseSeed, controls, onProgress: opts.onProgress, ticks: opts.features !== undefined });
  const result = audio.length === nOut ? audio : audio.slice(0, nOut);
  for (let i = 0; i < result.length; i++) if (!Number.isFinite(result[i])) result[i] = 0;
  return { audio: result, latencySamples: plan.latencySamples, nFrames, f0Hz: f0, loudnessDb: loud };
}

function sanitised(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const y = Float32Array.from(x);
      for (let j = i; j < y.length; j++) if (!Number.isFinite(y[j])) y[j] = 0;
      return y;
    }
  }
  return x;
}

/** Options of {@link renderStream}. */
export interface RenderStreamOptions {
  /** Sample rate of the input and output (engine context rate), Hz. */
  sampleRate: number;
  /** Block size handed to process(), default 128. */
  block?: number;
  controls?: Partial<EngineControls>;
  /** Control mode features per tick (then `input` only sets the length, and may be null with nSamples). */
  features?: FrameFeatures;
  /** Notes mode: MIDI channel messages at their sample times, played by `voices` voices (input null, nSamples). */
  notes?: NoteMessages;
  /**
   * Audio mode, one voice per channel (StreamingEngine.processChannels): the input's channels (then `input` is
   * null; the output length is the longest channel's).
   */
  channels?: Float32Array[];
  /** Notes mode: voices and the loudness of a velocity-127 note (EngineOptions.voices, notePeakDb). */
  voices?: number;
  notePeakDb?: number;
  /** Output length when input is null (control mode). */
  nSamples?: number;
  noiseSeed?: number;
  /** Record the wall time of every process() call (default false). */
  timeBlocks?: boolean;
  /** The engine's warm-up before the first block (EngineOptions.warmUpQuanta, default 0). */
  warmUpQuanta?: number;
  /** Called every ~1 s of audio (done, total samples). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * MIDI channel messages at engine sample times (non-decreasing): message i is status[i] and length[i] (1 or 2)
 * data bytes data1[i], data2[i], at sample time[i].
 */
export interface NoteMessages {
  time: Float64Array;
  status: Uint8Array;
  data1: Uint8Array;
  data2: Uint8Array;
  length: Uint8Array;
}

/** Result of {@link renderStream}. */
export interface RenderStreamResult {
  /** Output aligned with the input (latency removed), input length. */
  audio: Float32Array;
  latencySamples: number;
  /** Wall time of each process() call in ms (when timeBlocks), over input and flush blocks. */
  blockMs?: Float64Array;
  /** Sum of the process() times, seconds (when timeBlocks). */
  engineSeconds?: number;
}

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

/**
 * Renders through a StreamingEngine block by block, flushes its latency with silence, and returns the output
 * aligned with the input (equal to renderOffline's output up to float rounding).
 */
export function renderStream(model: DDSPModel, input: Float32Array | null, opts: RenderStreamOptions): RenderStreamResult {
  const sr = opts.sampleRate;
  const block = opts.block ?? 128;
  if (!(Number.isInteger(block) && block >= 1)) throw new RangeError(`block must be a positive integer, got ${block}`);
  const controls = clampControls(opts.controls);
  const notes = opts.notes;
  const control = opts.features !== undefined || notes !== undefined;
  const engine = new StreamingEngine(model, { sampleRate: sr, noiseSeed: opts.noiseSeed,
    mode: notes ? 'notes' : control ? 'control' : 'audio', controls, warmUpQuanta: opts.warmUpQuanta, voices: opts.voices,
    notePeakDb: opts.notePeakDb, inputChannels: opts.channels?.length });
  const chans = opts.channels;
  const chanBlocks = chans?.map(() => new Float32Array(block));
  const message2 = [0, 0, 0];
  const message1 = [0, 0];
  let nextNote = 0;
  const N = input ? input.length : chans ? Math.max(0, ...chans.map((c) => c.length)) : opts.nSamples ?? 0;
  if (!(Number.isInteger(N) && N >= 0)) throw new RangeError(`nSamples must be a non-negative integer, got ${N}`);
  const D = engine.latencySamples;
  const total = N + D;
  const outAll = new Float32Array(total);
  const inBlock = new Float32Array(block);
  const nBlocks = Math.ceil(total / block);
  const times = opts.timeBlocks ? new Float64Array(nBlocks) : undefined;
  let engineMs = 0;
  const feats = opts.features;
  let nextFrame = 0;
  let lastProgress = 0;
  for (let b = 0, pos = 0; pos < total; b++, pos += block) {
    const m = Math.min(block, total - pos);
    let src: Float32Array | null = null;
    if (input && !control) {
      inBlock.fill(0);
      if (pos < N) inBlock.set(input.subarray(pos, Math.min(N, pos + m)));
      src = inBlock;
    }
    if (notes) {
      // The messages due before the block's end, each at its sample.
      while (nextNote < notes.time.length && notes.time[nextNote] < pos + m) {
        const msg = notes.length[nextNote] === 1 ? message1 : message2;
        msg[0] = notes.status[nextNote];
        msg[1] = notes.data1[nextNote];
        if (msg.length === 3) msg[2] = notes.data2[nextNote];
        engine.midi(msg, notes.time[nextNote]);
        nextNote++;
      }
    }
    if (chans && chanBlocks) {
      for (let c = 0; c < chans.length; c++) {
        chanBlocks[c].fill(0);
        if (pos < chans[c].length) chanBlocks[c].set(chans[c].subarray(pos, Math.min(chans[c].length, pos + m)));
      }
      const t0 = now();
      engine.processChannels(chanBlocks, outAll, m, 0, pos);
      const t = now() - t0;
      if (times) times[b] = t;
      engineMs += t;
    } else if (feats) {
      // Split the block where ticks are sampled, so each tick gets its own features.
      let done = 0;
      let t = 0;
      while (done < m) {
        const avail = engine.frameAvailableAt(nextFrame);
        const k = Math.min(nextFrame, feats.f0Hz.length - 1);
        if (k >= 0) engine.setControlFeatures(feats.f0Hz, feats.loudnessDb, k);
        const stop = Math.min(m, Math.max(done + 1, avail - pos));
        const t0 = now();
        engine.process(null, outAll, stop - done, 0, pos + done);
        t += now() - t0;
        while (engine.frameAvailableAt(nextFrame) <= pos + stop) nextFrame++;
        done = stop;
      }
      if (times) times[b] = t;
      engineMs += t;
    } else {
      const t0 = now();
      engine.process(src, outAll, m, 0, pos);
      const t = now() - t0;
      if (times) times[b] = t;
      engineMs += t;
    }
    if (opts.onProgress && pos - lastProgress >= sr) { lastProgress = pos; opts.onProgress(Math.min(pos, N), N); }
  }
  opts.onProgress?.(N, N);
  return { audio: outAll.slice(D, D + N), latencySamples: D, blockMs: times, engineSeconds: times ? engineMs / 1000 : undefined };
}

/** Options of {@link analyseFeatures}. */
export interface AnalyseOptions {
  /** Frames per second (default 100). */
  frameRate?: number;
  /** 'stream': the engine's YIN + A-weighted loudness; 'offline': pYIN + Viterbi. Default 'stream'. */
  mode?: 'stream' | 'offline';
  /** Rate the audio is analysed at, Hz (default 48000, the models' rate). */
  analysisRate?: number;
  /** Analysis window, samples at analysisRate (default 2048 at 48 kHz, scaled with the rate: analysisWindowSize). */
  analysisWindow?: number;
  /** Where frame k's window sits on its instant k/frameRate (default 'centred'; 'causal': ending there, as a
   *  low-latency model's engine hears it). */
  alignment?: AnalysisAlignment;
  fMinHz?: number;
  fMaxHz?: number;
  /** Called as frames are analysed (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Per-frame features; frame k's instant is timeS[k] = k / frameRate (its window centred there, or ending there). */
export interface AnalysedFeatures {
  frameRate: number;
  analysisRate: number;
  timeS: Float64Array;
  /** Hz, 0 when unvoiced. */
  f0Hz: Float32Array;
  /** [0, 1]. */
  confidence: Float32Array;
  /** A-weighted loudness, dB. */
  loudnessDb: Float32Array;
}

/**
 * Tracks f0 and loudness of a mono clip, one frame per 1/frameRate s (floor(duration·frameRate) frames, at
 * least 1 for a non-empty clip).
 * @throws RangeError for bad options
 */
export function analyseFeatures(audio: Float32Array, sampleRate: number, o: AnalyseOptions = {}): AnalysedFeatures {
  if (!(audio instanceof Float32Array)) throw new TypeError('audio must be a Float32Array');
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`sampleRate must be a positive number of Hz, got ${sampleRate}`);
  const frameRate = o.frameRate ?? 100;
  const rate = o.analysisRate ?? 48000;
  const mode = o.mode ?? 'stream';
  if (!(Number.isFinite(frameRate) && frameRate > 0 && frameRate <= rate / 2)) {
    throw new RangeError(`frameRate must be in (0, ${rate / 2}] frames per second, got ${frameRate}`);
  }
  if (!(Number.isInteger(rate) && rate >= 8000 && rate <= 384000)) {
    throw new RangeError(`analysisRate must be an integer in [8000, 384000] Hz, got ${rate}`);
  }
  if (mode !== 'stream' && mode !== 'offline') throw new RangeError(`mode must be 'stream' or 'offline', got ${String(mode)}`);
  const x0 = sanitised(audio);
  const x = rate === sampleRate ? x0 : resample(x0, sampleRate, rate);
  const W = o.analysisWindow ?? analysisWindowSize(rate);
  const [wLo, wHi] = LIMITS.model.analysisWindow;
  if (!(Number.isInteger(W) && W % 2 === 0 && W >= wLo && W <= wHi)) {
    throw new RangeError(`analysisWindow must be an even number of samples in [${wLo}, ${wHi}], got ${W}`);
  }
  const alignment = o.alignment ?? 'centred';
  if (alignment !== 'centred' && alignment !== 'causal') throw new RangeError(`alignment must be 'centred' or 'causal', got ${String(alignment)}`);
  const hop = rate / frameRate;
  const nFrames = x.length === 0 ? 0 : Math.max(1, Math.floor((x.length / rate) * frameRate));
  const fMinHz = o.fMinHz ?? 32;
  const fMaxHz = o.fMaxHz ?? 2000;
  const f0 = new Float32Array(nFrames);
  const conf = new Float32Array(nFrames);
  let loud = new Float32Array(nFrames);
  if (mode === 'stream') {
    const padded = new Float32Array(x.length + 2 * W + Math.ceil(hop));
    padded.set(x, W);
    const yin = new YinTracker({ sampleRate: rate, windowSize: W, fMinHz, fMaxHz });
    const meter = new LoudnessMeter(rate, W);
    const est = new PitchResult();
    const every = Math.max(1, Math.floor(nFrames / 100));
    for (let k = 0; k < nFrames; k++) {
      const off = windowStart(k, hop, W, alignment) + W;
      yin.detect(padded, off, est);
      f0[k] = est.f0Hz;
      conf[k] = est.confidence;
      loud[k] = meter.measure(padded, off);
      if (o.onProgress && ((k + 1) % every === 0 || k === nFrames - 1)) o.onProgress(k + 1, nFrames);
    }
  } else {
    const tr = trackPitchOffline(x, rate, { frameRate, fMinHz, fMaxHz, viterbi: true, windowSize: o.analysisWindow, alignment,
      lookAhead: alignment === 'centred' });
    const n = Math.min(nFrames, tr.f0Hz.length);
    for (let k = 0; k < nFrames; k++) {
      const j = k < n ? k : n - 1;
      const voiced = j >= 0 && tr.voiced[j] !== 0;
      f0[k] = voiced ? tr.f0Hz[j] : 0;
      conf[k] = j >= 0 ? tr.confidence[j] : 0;
    }
    o.onProgress?.(Math.floor(nFrames / 2), nFrames);
    const lf = alignment === 'centred' ? loudnessFrames(x, rate, frameRate, W) : loudnessAt(x, rate, hop, nFrames, W, alignment);
    loud = new Float32Array(nFrames);
    for (let k = 0; k < nFrames; k++) loud[k] = lf.length ? lf[Math.min(k, lf.length - 1)] : -80;
    o.onProgress?.(nFrames, nFrames);
  }
  const timeS = new Float64Array(nFrames);
  for (let k = 0; k < nFrames; k++) timeS[k] = k / frameRate;
  return { frameRate, analysisRate: rate, timeS, f0Hz: f0, confidence: conf, loudnessDb: loud };
}

/**
 * Resamples a feature curve (rows at arbitrary times, e.g. read from the `f0` command's CSV) to a frame rate
 * (control mode's ticks: sampleRate / 128): frame k (time k/frameRate) takes the loudness linearly interpolated in time and the f0 of the nearer row
 * (interpolated when both neighbours are voiced; 0 = unvoiced).
 * @returns per-frame features and the duration they cover (last row time + one row spacing), seconds
 */
export function featuresAtFrameRate(timeS: Float64Array, f0Hz: Float32Array, loudnessDb: Float32Array,
  frameRate: number): FrameFeatures & { durationS: number } {
  const n = timeS.length;
  if (n === 0) throw new RangeError('the feature curve has no rows');
  if (f0Hz.length !== n || loudnessDb.length !== n) throw new RangeError('timeS, f0Hz and loudnessDb must have equal lengths');
  const spacing = n > 1 ? (timeS[n - 1] - timeS[0]) / (n - 1) : 1 / frameRate;
  const durationS = timeS[n - 1] + spacing;
  const nFrames = Math.max(1, Math.round(durationS * frameRate));
  const f = new Float32Array(nFrames);
  const l = new Float32Array(nFrames);
  let j = 0;
  for (let k = 0; k < nFrames; k++) {
    const t = k / frameRate;
    while (j + 1 < n && timeS[j + 1] <= t) j++;
    if (t <= timeS[0] || j + 1 >= n) {
      const i = t <= timeS[0] ? 0 : n - 1;
      f[k] = f0Hz[i];
      l[k] = loudnessDb[i];
      continue;
    }
    const w = (t - timeS[j]) / (timeS[j + 1] - timeS[j]);
    l[k] = loudnessDb[j] + (loudnessDb[j + 1] - loudnessDb[j]) * w;
    const a = f0Hz[j];
    const b = f0Hz[j + 1];
    f[k] = a > 0 && b > 0 ? a + (b - a) * w : w < 0.5 ? a : b;
  }
  return { f0Hz: f, loudnessDb: l, durationS };
}
