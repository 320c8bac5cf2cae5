/**
 * Framing and scheduling maths of the streaming engine: where each analysis window sits, when a frame can be
 * analysed, when the synthesizer first needs it, and from those the engine's exact latency. Shared by the
 * StreamingEngine (src/engine/model-pipeline.ts) and the batch reference (src/engine/render.ts), so both frame the signal
 * identically.
 *
 * Timelines. The *batch* timeline starts at input sample 0 (silence before it). Analysis runs at the model's
 * sample rate `modelRate`: frame k's window of W samples (the model's analysisWindow) covers model-rate samples
 * [windowStart(k), windowStart(k) + W), zero before sample 0 — centred on k·hopModel as the seed's training
 * features are ([round(k·hopModel) − W/2, round(k·hopModel) + W/2)), or, for a causal model, ending there
 * ([round(k·hopModel) − W, round(k·hopModel))); src/dsp/analysis-window.ts places it for every user. Synthesis
 * runs at the context rate: frame k's controls sit at context sample k·hopContext + hopContext/2 − 0.5 (the seed's
 * align_corners=False alignment), so frame k is first needed at context sample
 * segmentStart(k − 1) = ceil((k − 0.5)·hopContext − 0.5) (earlier when a noise filter's advance reaches further
 * ahead: the linear-phase filter of N taps is read N/2 samples ahead).
 *
 * Latency budget, audio mode (defaults: 48 kHz model and context, frame rate 50 → hop 960, window W = 2048, no
 * resampling):
 *   - frame k's window ends at sample 960k + 1024 (exclusive): it is complete once input sample 960k + 1023 has
 *     arrived, which in a 1-sample block is the call that also emits output sample 960k + 1023;
 *   - the harmonic needs frame k from batch sample 960k − 480 (segmentStart(k − 1));
 *   - so exact stream == batch needs a delay of 1023 + 480 = 1503 samples (31.3 ms) with zero compute time;
 *   - the frame's estimator runs in the call that completes its window (~0.26 ms at hidden 512, within a quantum's
 *     budget): D = 1503 samples = 31.3 ms. An optional spread of E quanta (spreadSamples = 128·E) cuts one frame's
 *     work into slices, so no quantum carries a whole frame, and adds 128·E samples.
 * Causal (configs/exp/live.yaml: 250 frames/s → hop 192, W = 480, noise filter 256): frame k is complete once
 * input sample 192k − 1 has arrived; the harmonic needs it from 192k − 96 and the noise filter from 192k − 128, so
 * D = 127 samples (2.65 ms) — the controls' half hop plus the filter's advance past it; with a 512-tap filter 255.
 * The window's length costs nothing here: it only delays what the features describe (physical latency, measured
 * in docs/performance.md), not when they exist. Placing the controls at the end of their hop instead
 * ("interpolation from the previous frame") would move the same delay from D into the batch render's alignment:
 * the sound comes out at the same time.
 * When the context rate differs from the model rate, the analysis path goes through a StreamResampler and the
 * delay grows by its latency (converted to context samples, measured exactly from the resampler's behaviour):
 *   context 44.1 kHz: 1438 samples = 32.6 ms (incl. 64 model samples of resampler); 96 kHz: 3121 = 32.5 ms.
 *
 * Control mode has no window: "frame" j is a tick of one render quantum, sampled from the control features when
 * input sample 128j arrives (frameAvailable = 128j + 1), and the control-rate synth (hop 128, minimum-phase noise
 * with no advance) needs it from segmentStart(j − 1) = 128j − 64: D = 64 samples = 1.33 ms at any rate.
 *
 * @packageDocumentation
 */

import { analysisWindowSize, windowStart, type AnalysisAlignment } from '../dsp/analysis-window';

/** Render quantum of the Web Audio API: the estimator spread is counted in these, control mode ticks once per quantum. */
export const QUANTUM = 128;

/**
 * Double-written ring buffer of analysis samples: every sample is stored twice (at i mod C and i mod C + C), so
 * any window of up to C samples ending at or before the newest sample is one contiguous run of `data`.
 * Negative indices read as zeros until they are overwritten (zero history before the start).
 */
export class AnalysisRing {
  /** Backing store, 2·capacity samples. Windows are read directly from it. */
  readonly data: Float32Array;
  readonly capacity: number;
  /** Number of samples written so far (the stream index of the next sample). */
  written = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.data = new Float32Array(2 * capacity);
  }

  /** Appends x[offset .. offset+n). */
  write(x: Float32Array, offset: number, n: number): void {
    const c = this.capacity;
    const d = this.data;
    let p = this.written % c;
    for (let i = 0; i < n; i++) {
      const v = x[offset + i];
      d[p] = v;
      d[p + c] = v;
      if (++p === c) p = 0;
    }
    this.written += n;
  }

  /** Appends n zeros. */
  writeZeros(n: number): void {
    const c = this.capacity;
    const d = this.data;
    let p = this.written % c;
    for (let i = 0; i < n; i++) {
      d[p] = 0;
      d[p + c] = 0;
      if (++p === c) p = 0;
    }
    this.written += n;
  }

  /** Offset into `data` of the window [start, start + length) (length ≤ capacity; start may be negative). */
  offsetOf(start: number): number {
    const c = this.capacity;
    const r = start % c;
    return r < 0 ? r + c : r;
  }

  reset(): void {
    this.data.fill(0);
    this.written = 0;
  }
}

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  a = Math.abs(a); b = Math.abs(b);
  while (b) { const t = a % b; a = b; b = t; }
  return a;
}

/**
 * Maps a count of analysis-rate (model-rate) samples produced to the count of context-rate input samples that
 * must have been pushed for the producer to have produced them. Identity when no resampling is involved.
 */
export interface ProductionMap {
  /** Input samples needed before `produced` analysis samples exist (produced ≥ 0). */
  inputNeeded(produced: number): number;
}

/** Identity map (context rate == model rate). */
export const identityProduction: ProductionMap = { inputNeeded: (j) => j };

/**
 * Production map of a greedy rational-rate resampler, measured by feeding a fresh instance one sample at a time.
 * Beyond the measured start-up the behaviour is periodic: producing periodOut more samples takes periodIn more
 * input samples (periodOut = toRate/g, periodIn = fromRate/g, g = gcd). Allocates; construction only.
 * @param push pushes one input sample to the probe resampler and returns how many samples it produced
 */
export function measureProduction(fromRate: number, toRate: number, warmup: number,
  push: () => number): ProductionMap {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new RangeError(`resampled analysis needs integer sample rates, got ${fromRate} → ${toRate}`);
  }
  const g = gcd(fromRate, toRate);
  const periodOut = toRate / g;
  const periodIn = fromRate / g;
  const table = warmup + 2 * periodOut + 4;
  const need = new Float64Array(table + 1); // need[j] = inputs needed to have produced j samples
  let produced = 0;
  let pushed = 0;
  const limit = (table + 8) * Math.ceil(fromRate / toRate + 1) + 1_000_000;
  while (produced < table && pushed < limit) {
    const got = push();
    pushed++;
    for (let i = 0; i < got && produced < table; i++) need[++produced] = pushed;
  }
  if (produced < table) throw new Error('resampler probe produced too few samples');
  return {
    inputNeeded(j: number): number {
      if (j <= 0) return 0;
      if (j <= table) return need[j];
      const q = Math.ceil((j - table) / periodOut);
      return need[j - q * periodOut] + q * periodIn;
    },
  };
}

/** Everything fixed about how a model is framed and scheduled at a given context rate. */
export interface FramePlan {
  /** Context (output) sample rate, Hz. */
  contextRate: number;
  /** Model sample rate (analysis rate), Hz. */
  modelRate: number;
  /** Frames per second. */
  frameRate: number;
  /** Samples per frame at the model rate (analysis hop). */
  hopModel: number;
  /** Samples per frame at the context rate (synthesis hop; may be non-integer). */
  hopContext: number;
  /** Analysis window, model-rate samples. */
  windowSize: number;
  /** Where frame k's window sits on its instant (src/dsp/analysis-window.ts). */
  alignment: AnalysisAlignment;
  /** Latency of the analysis resampler in model-rate samples (0 without resampling). */
  resamplerLatency: number;
  /** Estimator spread, context samples. */
  spreadSamples: number;
  /** Exact engine latency, context samples: stream output = batch output delayed by this. */
  latencySamples: number;
  /** Context input samples needed before frame k can be analysed (frame k's window complete). */
  frameAvailable(k: number): number;
  /** First context-rate batch sample that needs frame k. */
  frameNeed(k: number): number;
}

/** Inputs of {@link makeFramePlan}. */
export interface FramePlanOptions {
  contextRate: number;
  modelRate: number;
  frameRate: number;
  /** Analysis window at the model rate (default {@link analysisWindowSize}(modelRate)). */
  windowSize?: number;
  /** Default 'centred'. */
  alignment?: AnalysisAlignment;
  /**
   * Input samples needed before frame k exists, when no analysis window decides it (control mode's ticks);
   * default: frame k's window complete (through `production`).
   */
  frameAvailable?: (k: number) => number;
  resamplerLatency: number;
  production: ProductionMap;
  /**
   * The synthesizer's look-ahead rule: how many frames must have been pushed for context samples [0, endSample)
   * to be final (SynthStream.framesNeeded). Non-decreasing in endSample.
   */
  framesNeeded: (endSample: number) => number;
  spreadSamples: number;
}

/**
 * Builds the frame plan and the exact latency: D = max over frames k of
 * (frameAvailable(k) − 1 − frameNeed(k)) + spreadSamples, the smallest delay at which every frame is analysed
 * (in a 1-sample block stream) and estimated (spread over `spreadSamples`) before the synthesizer needs it.
 * The maximum is taken over enough frames to cover every rounding pattern of the rates.
 */
export function makeFramePlan(o: FramePlanOptions): FramePlan {
  const hopModel = o.modelRate / o.frameRate;
  const hopContext = o.contextRate / o.frameRate;
  const windowSize = o.windowSize ?? analysisWindowSize(o.modelRate);
  const alignment = o.alignment ?? 'centred';
  if (!(hopModel >= 1)) throw new RangeError(`model sampleRate / frameRate must be ≥ 1 sample, got ${hopModel}`);
  if (!(hopContext >= 1)) throw new RangeError(`context sampleRate / frameRate must be ≥ 1 sample, got ${hopContext}`);
  const frameAvailable = o.frameAvailable ?? ((k: number) =>
    o.production.inputNeeded(windowStart(k, hopModel, windowSize, alignment) + windowSize + o.resamplerLatency));
  // First sample e whose rendering needs frame k: the smallest e with framesNeeded(e + 1) > k (binary search).
  const searchNeed = (k: number) => {
    if (o.framesNeeded(1) > k) return 0;
    let lo = 0; // framesNeeded(lo + 1) <= k
    let hi = Math.max(1, Math.ceil((k + 1) * hopContext));
    while (o.framesNeeded(hi + 1) <= k) { lo = hi; hi *= 2; }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (o.framesNeeded(mid + 1) > k) hi = mid; else lo = mid;
    }
    return hi;
  };
  const frameNeed = periodicNeed(searchNeed, hopContext);
  // Rounding patterns repeat after lcm-like periods; 2000 frames (40 s at 50 Hz) plus the start cover them for
  // every rate pair in use, and the start-up frames are included.
  let worst = -Infinity;
  const K = 2000;
  for (let k = 0; k < K; k++) {
    const v = frameAvailable(k) - 1 - frameNeed(k);
    if (v > worst) worst = v;
  }
  const latencySamples = Math.max(0, worst + o.spreadSamples);
  return {
    contextRate: o.contextRate, modelRate: o.modelRate, frameRate: o.frameRate, hopModel, hopContext, windowSize, alignment,
    resamplerLatency: o.resamplerLatency, spreadSamples: o.spreadSamples,
    latencySamples, frameAvailable, frameNeed,
  };
}

/**
 * Tabulates a frame → sample map that is periodic after a start-up: f(k + K) = f(k) + K·hop, K the smallest frame
 * count with K·hop an integer. Returns an allocation-free lookup (the per-frame need points are then computed
 * without calling into the synthesizer on the audio thread). Falls back to `f` itself if the map is not periodic.
 */
function periodicNeed(f: (k: number) => number, hop: number): (k: number) => number {
  let K = 1;
  while (K < 100000 && Math.abs(K * hop - Math.round(K * hop)) > 1e-9) K++;
  if (K >= 100000) return f;
  const step = Math.round(K * hop);
  const start = 64; // frames of start-up (clamping at sample 0, long filters) tabulated directly
  const T = start + 2 * K;
  const table = new Int32Array(T);
  for (let k = 0; k < T; k++) {
    const v = f(k);
    if (!(v >= 0 && v < 2 ** 31)) return f;
    table[k] = v;
  }
  for (let k = start; k < T - K; k++) if (table[k + K] - table[k] !== step) return f;
  const base = T - K;
  return (k: number): number => {
    if (k < T) return table[k];
    const q = Math.floor((k - base) / K);
    return table[k - q * K] + q * step;
  };
}

/**
 * Number of frames a batch render of `nSamples` context samples needs: every frame whose need point lies before
 * nSamples, rounded up so that nFrames·hopContext is an integer (the batch synthesizer's nSamples).
 * @returns nFrames and the synth render length nSynth = nFrames·hopContext (≥ nSamples)
 */
export function batchFrameCount(plan: FramePlan, nSamples: number): { nFrames: number; nSynth: number } {
  let k = 1;
  while (plan.frameNeed(k) < nSamples) k++;
  // k frames (0..k−1) cover [0, nSamples). Round up so that k·hopContext is an integer.
  for (let extra = 0; extra < 100000; extra++) {
    const n = (k + extra) * plan.hopContext;
    const r = Math.round(n);
    if (Math.abs(n - r) < 1e-9 && r >= nSamples) return { nFrames: k + extra, nSynth: r };
  }
  throw new RangeError(`the context hop ${plan.hopContext} is not a rational number of samples`);
}
