/**
 * One path of a model's pipeline (src/engine/model-pipeline.ts runs two and crossfades between them):
 *  - audio mode: analysis resampler → framer → YIN pitch + A-weighted loudness at the model's rate → estimator
 *    (in the quantum a frame's window completes, or spread over quanta) → synth graph at the context rate;
 *  - control mode: the caller's f0/loudness sampled once per render quantum (a "tick") → the estimator peeking from
 *    the GRU state committed at the model's last frame instant ({@link PeekingEstimator}) → a synth graph at the
 *    tick rate (hop 128, minimum-phase noise), so nothing waits for an analysis window.
 * Also the plans, trackers and synth options the batch reference (render.ts) shares with the paths.
 *
 * Timing (see framer.ts for the maths): a path's output at stream sample s is its batch render's sample
 * s − latencySamples (zeros before). Frame k is analysed (tick j sampled) as soon as it is available, estimated
 * (at once, or with a budget of frameMacs/spreadSamples multiply-accumulates per sample), and pushed to the
 * synthesizer just before the first sample that needs it.
 *
 * @packageDocumentation
 */

import { StreamResampler } from '../dsp/resample';
import { YinTracker, PitchResult } from '../dsp/yin';
import { LoudnessMeter } from '../dsp/loudness';
import { EstimatorRuntime } from '../estimator/realtime';
import { SynthStream, type SynthRenderOptions } from '../synth/graph';
import { modelAnalysis, type DDSPModel } from '../model/ddsp-model';
import { windowStart } from '../dsp/analysis-window';
import { CONTROLS } from '../modules/controls';
import {
  AnalysisRing, QUANTUM, identityProduction, makeFramePlan, measureProduction, type FramePlan, type ProductionMap,
} from './framer';
import type { ModelParts } from './model-pipeline';
import { PeekingEstimator } from './peeking-estimator';

/** f0 held before the first voiced frame (the seed's prev_f0). */
export const INITIAL_F0_HZ = 440;

/** Options of a model pipeline / {@link prepareModel}. */
export interface ModelPipelineOptions {
  /**
   * Seed of the noise source. When absent: the synth's default (0), and a StreamingEngine built with a noiseSeed
   * applies its own seed when the prepared model is swapped in.
   */
  noiseSeed?: number;
  /** Audio mode: quanta of 128 samples one frame's estimator work is spread over (default 0: in one quantum). */
  spreadQuanta?: number;
  /** Notes mode: most notes sounding at once, 1..64 (default 8). */
  voices?: number;
  /** Notes mode: loudness of a velocity-127 note, dB (default NOTE_ENVELOPE.peakDb, +10). */
  notePeakDb?: number;
  /** Audio mode: input channels of StreamingEngine.processChannels, one voice each (default 1: none). */
  inputChannels?: number;
  /** The model's costly, pure parts computed elsewhere ({@link modelParts}): used instead of computing them here. */
  parts?: ModelParts;
}

/**
 * Builds a model's audio-mode frame plan at `contextRate` (probing the analysis resampler when rates differ),
 * framed by the model's analysis window and alignment.
 * @param synth the model's synthesizer at `contextRate` (its framesNeeded() rule fixes when frames are needed)
 * @param spreadQuanta quanta of 128 samples a frame's estimator work is spread over (default 0)
 */
export function planFor(model: DDSPModel, contextRate: number, synth: SynthStream, spreadQuanta?: number): FramePlan {
  checkRate('sampleRate', contextRate);
  checkRate('model.sampleRate', model.sampleRate);
  if (!(Number.isFinite(model.frameRate) && model.frameRate > 0)) {
    throw new RangeError(`model.frameRate must be a positive number of frames per second, got ${model.frameRate}`);
  }
  if (spreadQuanta !== undefined && !(Number.isInteger(spreadQuanta) && spreadQuanta >= 0 && spreadQuanta <= 64)) {
    throw new RangeError(`spreadQuanta must be an integer in [0, 64], got ${spreadQuanta}`);
  }
  const { window: windowSize, alignment } = modelAnalysis(model);
  const { resamplerLatency, production } = analysisResampling(contextRate, model.sampleRate, windowSize);
  const hopModel = model.sampleRate / model.frameRate;
  if (!(hopModel >= 1)) throw new RangeError(`model.sampleRate / model.frameRate must be ≥ 1, got ${hopModel}`);
  return makeFramePlan({
    contextRate, modelRate: model.sampleRate, frameRate: model.frameRate, windowSize, alignment,
    resamplerLatency, production, framesNeeded: (e) => synth.framesNeeded(e),
    spreadSamples: (spreadQuanta ?? 0) * QUANTUM,
  });
}

/** The analysis resampler's latency and production map of a rate pair and window, kept for the next model. */
const resampling = new Map<string, { resamplerLatency: number; production: ProductionMap }>();

function analysisResampling(contextRate: number, modelRate: number, windowSize: number): { resamplerLatency: number; production: ProductionMap } {
  if (contextRate === modelRate) return { resamplerLatency: 0, production: identityProduction };
  const key = `${contextRate}>${modelRate}:${windowSize}`;
  let r = resampling.get(key);
  if (r === undefined) {
    const probe = new StreamResampler(contextRate, modelRate, 1);
    const one = new Float32Array(1);
    const sink = new Float32Array(Math.max(8, probe.maxOutput(1)));
    r = {
      resamplerLatency: probe.latency,
      production: measureProduction(contextRate, modelRate, probe.latency + windowSize, () => probe.process(one, 0, 1, sink, 0)),
    };
    if (resampling.size >= 8) resampling.clear();
    resampling.set(key, r);
  }
  return r;
}

/**
 * A model's control-mode plan at `contextRate`: tick j (one per render quantum) is sampled when input sample
 * QUANTUM·j arrives; `synth` is the tick-rate synthesizer ({@link controlSynthOptions}).
 */
export function controlPlanFor(model: DDSPModel, contextRate: number, synth: SynthStream): FramePlan {
  checkRate('sampleRate', contextRate);
  return makeFramePlan({
    contextRate, modelRate: model.sampleRate, frameRate: contextRate / QUANTUM, windowSize: 0, resamplerLatency: 0,
    production: identityProduction, frameAvailable: (j) => QUANTUM * j + 1,
    framesNeeded: (e) => synth.framesNeeded(e), spreadSamples: 0,
  });
}

function checkRate(name: string, r: number): void {
  if (!(typeof r === 'number' && Number.isFinite(r) && r > 0)) {
    throw new RangeError(`${name} must be a positive finite number of Hz, got ${r}`);
  }
}

/**
 * The engine's pitch tracker for a model: YIN at the model's rate over the analysis window, searching the model's
 * f0 range (default 32–2000 Hz) clipped to what the window and rate allow.
 */
export function makeTracker(model: DDSPModel, windowSize: number): YinTracker {
  const sr = model.sampleRate;
  const range = model.f0RangeHz ?? [32, 2000];
  const lowest = Math.ceil((sr * Math.pow(2, 1 / 12)) / (windowSize - 3));
  const fMaxHz = Math.min(Number.isFinite(range[1]) ? range[1] : 2000, sr / 4 - 1);
  let fMinHz = Math.max(Number.isFinite(range[0]) ? range[0] : 32, lowest);
  if (!(fMinHz < fMaxHz / 2)) fMinHz = Math.max(lowest, fMaxHz / 8);
  return new YinTracker({ sampleRate: sr, windowSize, fMinHz, fMaxHz });
}

/** Per-frame feature state shared by the stream and the batch reference: unvoiced hold and pitch shift. */
export class FeatureHold {
  lastF0Hz = INITIAL_F0_HZ;
  /** Raw f0 (0 or non-finite = unvoiced) → held f0 in Hz. (ModelPipeline.analyse applies the same rule written out.) */
  hold(f0Hz: number): number {
    if (f0Hz > 0 && f0Hz < Infinity) this.lastF0Hz = f0Hz;
    return this.lastF0Hz;
  }

  reset(): void {
    this.lastF0Hz = INITIAL_F0_HZ;
  }
}

/**
 * One path of a pipeline: audio mode (`ticks` null: frames analysed from the input's windows, estimated at once or
 * spread over quanta, pushed to the frame-rate synth) or control mode (`ticks` set: the control features sampled
 * per tick, estimated at once by the peeking estimator, pushed to the tick-rate synth). Both keep the same queue of
 * frames and push each just before the first sample that needs it.
 */
export class FramePath {
  readonly plan: FramePlan;
  /** Output = this path's batch render delayed by this many context samples. */
  readonly latencySamples: number;
  readonly synth: SynthStream;

  private readonly ticks: PeekingEstimator | null;
  private readonly resampler: StreamResampler | null;
  private readonly resampled: Float32Array;
  private readonly zeros = new Float32Array(QUANTUM);
  private readonly frameParams: Float32Array;
  private readonly ring: AnalysisRing;
  private readonly yin: YinTracker | null;
  private readonly meter: LoudnessMeter | null;
  private readonly pitch = new PitchResult();
  /** f0 (Hz) and loudness (dB) of the frame being analysed, in a typed array, not passed as numbers (V8 boxing:
   *  docs/architecture.md, "Numbers on the audio path"). */
  private readonly features = new Float64Array(2);
  /** Control mode: the f0 (Hz) and loudness (dB) last set. */
  private readonly controlFeatures = new Float64Array([CONTROLS.f0.defaultValue, CONTROLS.loudness.defaultValue]);
  private readonly estimator: EstimatorRuntime;
  private readonly hold = new FeatureHold();
  private readonly nParams: number;
  private readonly macsPerSample: number;

  // Queue of frames (analysed features → estimated params), indexed by frame number modulo `cap`.
  private readonly cap: number;
  // f0 after hold and shift (what the estimator and oscillators get) and loudness, stored as float32 exactly as
  // the batch reference stores them, so both feed the estimator and the synth identical values.
  private readonly qF0: Float32Array;
  private readonly qLoud: Float32Array;
  private readonly qParams: Float32Array; // cap × nParams

  /** Next frame to analyse. */
  private nextAnalysed = 0;
  /** Next frame to hand to the estimator (begin()), and whether it is in progress. */
  private nextEstimated = 0;
  private estimating = false;
  private frameBudgetLeft = 0;
  private credit = 0;
  /** Next frame to push into the synth, and the first batch sample that needs it. */
  private nextPushed = 0;
  private nextNeed = 0;
  /** Context input samples consumed (= output samples produced). */
  inCount = 0;
  /** Model-rate samples the resampler has produced (stream index, including its latency). */
  private produced = 0;
  /** Frames whose features were missing when the synth needed them (never at the computed latency): diagnostics. */
  lateFrames = 0;
  /** Frames whose estimator work had to be finished at once because the spread budget had not (diagnostics). */
  forcedFrames = 0;

  // Pitch shift as applied per frame (set by the engine).
  private pitchShiftTarget = 0;
  private pitchShiftNow = 0;
  private pitchShiftFresh = true;
  private readonly pitchAlpha: number;

  /**
   * @param synth the path's synthesizer ({@link synthOptions}, control mode: {@link controlSynthOptions})
   * @param plan its frame plan ({@link planFor}, control mode: {@link controlPlanFor})
   */
  constructor(model: DDSPModel, sampleRate: number, estimator: EstimatorRuntime, synth: SynthStream, plan: FramePlan,
    control: boolean) {
    this.estimator = estimator;
    this.synth = synth;
    this.plan = plan;
    this.ticks = control ? new PeekingEstimator(estimator, sampleRate / model.frameRate) : null;
    this.latencySamples = plan.latencySamples;
    if (!control && sampleRate !== model.sampleRate) {
      this.resampler = new StreamResampler(sampleRate, model.sampleRate, QUANTUM);
      this.resampled = new Float32Array(this.resampler.maxOutput(QUANTUM) + 8);
    } else {
      this.resampler = null;
      this.resampled = new Float32Array(0);
    }
    const W = plan.windowSize;
    const perChunk = this.resampler ? this.resampled.length : QUANTUM;
    this.ring = new AnalysisRing(control ? 1 : W + plan.resamplerLatency + 2 * perChunk + 64);
    this.yin = control ? null : makeTracker(model, W);
    this.meter = control ? null : new LoudnessMeter(model.sampleRate, W);
    this.nParams = model.estimator.outputSize;
    // A whole number: small integers are never boxed. (Unused without a spread: frames are estimated at once.)
    this.macsPerSample = Math.ceil(estimator.frameMacs / Math.max(1, plan.spreadSamples));
    // Frames in flight: analysed ahead of need by at most (latency + one chunk) / hop, plus slack.
    this.cap = Math.ceil((plan.latencySamples + 2 * QUANTUM + W) / plan.hopContext) + 4;
    this.qF0 = new Float32Array(this.cap);
    this.qLoud = new Float32Array(this.cap);
    this.qParams = new Float32Array(this.cap * this.nParams);
    this.frameParams = new Float32Array(this.nParams);
    this.pitchAlpha = 1 - Math.exp(-1 / (CONTROLS.pitchShift.smoothing.seconds * plan.frameRate));
  }

  /** Sets pitch shift (values[0], per frame) and the mixes (values[1..3], per sample; see ModelPipeline). */
  setControls(values: Float64Array, immediate: boolean): void {
    this.pitchShiftTarget = values[0];
    this.synth.setControlsFrom(values, 1, immediate);
  }

  /** Control mode: the features of the ticks sampled from now on, values = [f0Hz, loudnessDb]. */
  setControlFeatures(values: Float64Array): void {
    this.controlFeatures[0] = values[0];
    this.controlFeatures[1] = values[1];
  }

  reset(): void {
    this.resampler?.reset();
    this.ring.reset();
    // The paths share one estimator runtime: the audio path's GRU state is the runtime's, the control path keeps
    // its own (and saves and restores the runtime's around each tick).
    if (this.ticks === null) this.estimator.reset();
    else this.ticks.reset();
    this.synth.reset();
    this.hold.reset();
    this.nextAnalysed = 0;
    this.nextEstimated = 0;
    this.estimating = false;
    this.frameBudgetLeft = 0;
    this.credit = 0;
    this.nextPushed = 0;
    this.nextNeed = 0;
    this.inCount = 0;
    this.produced = 0;
    this.lateFrames = 0;
    this.forcedFrames = 0;
    this.pitchShiftFresh = true;
  }

  /**
   * Processes one chunk of at most 128 samples: input (already sanitised, or null = silence) to output
   * (written, not added). Allocation-free.
   */
  process(input: Float32Array | null, inOffset: number, output: Float32Array, outOffset: number, n: number): void {
    if (this.ticks === null) this.feed(input, inOffset, n);
    this.inCount += n;
    this.analyse();
    this.work(n);
    this.render(output, outOffset, n);
  }

  /** Finishes a frame whose estimator work is in progress (before another path uses the shared estimator). */
  settle(): void {
    if (this.estimating) {
      this.forcedFrames++;
      this.estimator.step(Infinity);
      this.endFrame();
    }
  }

  /** Pushes input into the analysis ring (through the resampler when rates differ). */
  private feed(input: Float32Array | null, inOffset: number, n: number): void {
    const ring = this.ring;
    if (this.resampler === null) {
      if (input === null) ring.writeZeros(n);
      else ring.write(input, inOffset, n);
      this.produced = ring.written;
      return;
    }
    const got = input === null
      ? this.resampler.process(this.zeros, 0, n, this.resampled, 0)
      : this.resampler.process(input, inOffset, n, this.resampled, 0);
    // The resampler's first `latency` outputs belong to negative batch time: keep them zero (silence before).
    const lat = this.plan.resamplerLatency;
    let skip = 0;
    if (this.produced < lat) skip = Math.min(got, lat - this.produced);
    if (skip > 0) ring.writeZeros(skip);
    if (got > skip) ring.write(this.resampled, skip, got - skip);
    this.produced += got;
  }

  /** Analyses every frame whose window is complete (control mode: samples the control features per tick). */
  private analyse(): void {
    const plan = this.plan;
    const W = plan.windowSize;
    const lat = plan.resamplerLatency;
    while (this.inCount >= plan.frameAvailable(this.nextAnalysed)) {
      const k = this.nextAnalysed;
      if (k - this.nextPushed >= this.cap) break; // queue full (cannot happen with the sizing above)
      const feat = this.features;
      if (this.yin === null || this.meter === null) {
        feat[0] = this.controlFeatures[0];
        feat[1] = this.controlFeatures[1];
      } else {
        const start = windowStart(k, plan.hopModel, W, plan.alignment) + lat;
        const off = this.ring.offsetOf(start);
        this.yin.detect(this.ring.data, off, this.pitch);
        feat[0] = this.pitch.f0Hz;
        this.meter.measureInto(this.ring.data, off, feat, 1);
      }
      let loud = feat[1];
      if (!(loud > -1e9 && loud < 1e9)) loud = -80;
      // FeatureHold.hold(), written out: called once per frame it would not be inlined, and box its numbers.
      const hold = this.hold;
      const f0 = feat[0];
      if (f0 > 0 && f0 < Infinity) hold.lastF0Hz = f0;
      const held = hold.lastF0Hz;
      if (this.pitchShiftFresh) {
        this.pitchShiftNow = this.pitchShiftTarget;
        this.pitchShiftFresh = false;
      } else {
        this.pitchShiftNow += (this.pitchShiftTarget - this.pitchShiftNow) * this.pitchAlpha;
      }
      const slot = k % this.cap;
      this.qF0[slot] = held * Math.pow(2, this.pitchShiftNow / 12);
      this.qLoud[slot] = loud;
      this.nextAnalysed = k + 1;
      if (this.ticks !== null) {
        this.ticks.tickFrom(this.qF0, this.qLoud, slot);
        this.storeParams(slot, this.ticks.output);
        this.nextEstimated = k + 1;
      }
    }
  }

  /** Spends this chunk's estimator budget (without a spread: estimates every analysed frame now). */
  private work(n: number): void {
    if (!this.estimating && this.nextEstimated >= this.nextAnalysed) {
      this.credit = 0;
      return;
    }
    if (this.plan.spreadSamples === 0) {
      while (this.nextEstimated < this.nextAnalysed) {
        this.beginFrame();
        this.estimator.step(Infinity);
        this.endFrame();
      }
      return;
    }
    this.credit += n * this.macsPerSample;
    while (this.credit > 0) {
      if (!this.estimating) {
        if (this.nextEstimated >= this.nextAnalysed) { this.credit = 0; return; }
        this.beginFrame();
      }
      const budget = Math.min(this.credit, Math.max(1, this.frameBudgetLeft));
      this.credit -= budget;
      this.frameBudgetLeft -= budget;
      if (this.estimator.step(budget)) this.endFrame();
    }
  }

  private beginFrame(): void {
    const slot = this.nextEstimated % this.cap;
    this.estimator.beginFrom(this.qF0, this.qLoud, slot);
    this.estimating = true;
    this.frameBudgetLeft = this.estimator.frameMacs;
  }

  private endFrame(): void {
    this.storeParams(this.nextEstimated % this.cap, this.estimator.output);
    this.estimating = false;
    this.nextEstimated++;
  }

  private storeParams(slot: number, src: Float32Array): void {
    const dst = this.qParams;
    const P = this.nParams;
    const base = slot * P;
    for (let i = 0; i < P; i++) dst[base + i] = src[i];
  }

  /** Makes sure frame k's params exist (finishing the estimator now if needed). False if not analysed yet. */
  private ensureEstimated(k: number): boolean {
    while (this.nextEstimated <= k) {
      if (!this.estimating) {
        if (this.nextEstimated >= this.nextAnalysed) return false;
        this.beginFrame();
      }
      this.forcedFrames++;
      this.estimator.step(Infinity);
      this.endFrame();
    }
    return true;
  }

  /** Renders output stream samples [inCount − n, inCount): zeros for the latency, then the synth. */
  private render(out: Float32Array, offset: number, n: number): void {
    const D = this.latencySamples;
    let s = this.inCount - n; // stream index of out[offset]
    const end = this.inCount;
    if (s < D) {
      const z = Math.min(end, D) - s;
      out.fill(0, offset, offset + z);
      offset += z;
      s += z;
    }
    while (s < end) {
      const b = s - D; // batch index
      const need = this.nextNeed;
      if (need <= b) {
        this.pushFrame(this.nextPushed);
        continue;
      }
      const m = Math.min(end, need + D) - s;
      this.synth.render(out, offset, m);
      offset += m;
      s += m;
    }
  }

  private pushFrame(k: number): void {
    const P = this.nParams;
    let slot: number;
    if (this.ensureEstimated(k)) {
      slot = k % this.cap;
    } else {
      // Not analysed in time (cannot happen at the computed latency): repeat the previous frame.
      this.lateFrames++;
      slot = (k + this.cap - 1) % this.cap;
      this.nextAnalysed = k + 1;
      this.nextEstimated = k + 1;
      this.qF0[k % this.cap] = this.qF0[slot];
      this.qLoud[k % this.cap] = this.qLoud[slot];
    }
    const src = this.qParams;
    const dst = this.frameParams;
    const base = slot * P;
    for (let i = 0; i < P; i++) dst[i] = src[base + i];
    if (slot !== k % this.cap) for (let i = 0; i < P; i++) src[(k % this.cap) * P + i] = dst[i];
    this.synth.pushFrameFrom(dst, this.qF0, slot);
    this.nextPushed = k + 1;
    this.nextNeed = this.plan.frameNeed(k + 1);
  }
}

/** The synth options of a model at a context rate (shared by the stream and the batch reference). */
export function synthOptions(model: DDSPModel, sampleRate: number, noiseSeed?: number,
  gains?: { harmonicMix?: number; noiseMix?: number; reverbMix?: number }): SynthRenderOptions {
  return {
    sampleRate,
    frameRate: model.frameRate,
    ir: model.ir,
    modelSampleRate: model.sampleRate,
    noiseSeed,
    harmonicMix: gains?.harmonicMix ?? CONTROLS.harmonicMix.defaultValue,
    noiseMix: gains?.noiseMix ?? CONTROLS.noiseMix.defaultValue,
    reverbMix: gains?.reverbMix ?? CONTROLS.reverbMix.defaultValue,
  };
}

/**
 * Control mode's synth options: one frame per render quantum (the ticks) and minimum-phase noise, whose filter
 * needs no look-ahead (a linear-phase one would need N/2 = 256 samples, four times the harmonic's 64).
 */
export function controlSynthOptions(model: DDSPModel, sampleRate: number, noiseSeed?: number,
  gains?: { harmonicMix?: number; noiseMix?: number; reverbMix?: number }): SynthRenderOptions {
  return { ...synthOptions(model, sampleRate, noiseSeed, gains), frameRate: sampleRate / QUANTUM, minimumPhaseNoise: true };
}
