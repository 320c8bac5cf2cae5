/**
 * One model's complete streaming pipeline, in three paths that share the estimator:
 *  - audio mode: analysis resampler → framer → YIN pitch + A-weighted loudness at the model's rate → estimator
 *    (in the quantum a frame's window completes, or spread over quanta) → synth graph at the context rate;
 *  - control mode: the caller's f0/loudness sampled once per render quantum (a "tick") → the estimator peeking from
 *    the GRU state committed at the model's last frame instant (PeekingEstimator) → a synth graph at the
 *    tick rate (hop 128, minimum-phase noise), so nothing waits for an analysis window;
 *  - notes mode: note events → up to `voices` control-mode voices, batched through the estimator, summed through the
 *    one reverb (VoiceBank, ./voices).
 * Switching modes crossfades over ~10 ms once the incoming path is warm. The StreamingEngine runs one pipeline,
 * two while it crossfades to a new model. A pipeline is what {@link prepareModel} builds (everything allocated up
 * front); `process()` allocates nothing and never throws.
 * The audio and control paths (class FramePath) are in ./frame-path.
 *
 * @packageDocumentation
 */

import type { Deferred, DeferTo } from '../dsp/deferred';
import { EstimatorRuntime } from '../estimator/realtime';
import type { DDSPModel } from '../model/model-file';
import { reverbParts, type ReverbParts } from '../modules/ir-reverb';
import { SynthStream, TailStream, voiceGraph } from '../synth/graph';
import { QUANTUM, type FramePlan } from './framer';
import { FramePath, controlPlanFor, controlSynthOptions, planFor, synthOptions, type ModelPipelineOptions } from './frame-path';
import type { NoteEventQueue } from './note-events';
import { DEFAULT_VOICES, VoiceBank, buildVoiceBank, checkVoices } from './voices';
import { ChannelVoices, checkInputChannels } from './channel-voices';

export type { ModelPipelineOptions };

/** The engine's modes: input analysed, f0/loudness controls, notes. */
export type EngineMode = 'audio' | 'control' | 'notes';

/** One path of a pipeline (FramePath: audio and control mode; VoiceBank: notes). */
type Path = FramePath | VoiceBank;

/** Crossfade length of a model swap or a mode switch, seconds. */
export const SWAP_FADE_SECONDS = 0.01;

/**
 * What building a model's pipeline spends most of its time on that is a pure function of the model (and the
 * context rate): computed by {@link modelParts} where time does not matter (a page), handed over as transferable
 * arrays to where it does (the worklet's render thread), so that there a load only wires things up.
 */
export interface ModelParts {
  /** The context rate the parts were computed for, Hz (parts for another rate are not used). */
  sampleRate: number;
  /** The estimator's laid-out weights (the `memoryImage` of an EstimatorRuntime built from it). */
  estimatorImage: Float32Array;
  /** The IRReverb nodes' IR at the context rate and its partition spectra, by node name (every path's synth). */
  reverbs: Record<string, ReverbParts>;
}

/** Computes a model's {@link ModelParts} at context rate `sampleRate` (allocates). */
export function modelParts(model: DDSPModel, sampleRate: number): ModelParts {
  const reverbs: Record<string, ReverbParts> = {};
  const o = synthOptions(model, sampleRate);
  for (const n of model.synth.nodes) {
    if (n.type === 'IRReverb' && model.ir !== undefined) {
      reverbs[n.name] = reverbParts({ sampleRate, ir: model.ir, modelSampleRate: o.modelSampleRate, reverbMix: o.reverbMix });
    }
  }
  return {
    sampleRate,
    estimatorImage: new EstimatorRuntime(model.estimator, model.estimator.weights, { kernel: 'js' }).memoryImage,
    reverbs,
  };
}

/** The array buffers of a model's parts (to transfer them). */
export function partsBuffers(parts: ModelParts): ArrayBuffer[] {
  const arrays = [parts.estimatorImage, ...Object.values(parts.reverbs).flatMap((r) => [r.ir, r.spectra])];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * Floats of memory one build step copies or zeroes (64 KB: ~0.04 ms where the memory is fresh, the page faults
 * included). Small, because the memory a step moves evicts from the caches what the playing model's next frame
 * reads (its estimator's weights, megabytes): with 256 KB steps the slowest quantum of a seed-size load at 44.1 kHz
 * (test/web/processor-load-time.test.ts) took 1.02–1.09 ms, with 64 KB 0.91–1.04 ms (three runs each).
 */
const FLOATS_PER_STEP = 1 << 14;

/**
 * Builds a model's pipeline in steps, one per `next()`, the last returning it (what prepareModel runs to the end).
 * With the model's parts at this rate ({@link modelParts}) no step computes much: each builds one piece (the
 * estimator, a path's synth, its frame plan, the path, the note voices, a channel's path) or copies or zeroes 64 KB
 * of an estimator's weights or a reverb's spectra and state, so that the worklet can build a model between render quanta
 * without holding the render thread for more than a fraction of a millisecond at a time.
 * @throws (from `next()`) RangeError / TypeError for a model the engine cannot run at this rate.
 */
export function* buildPipeline(model: DDSPModel, sampleRate: number, options: ModelPipelineOptions = {}): Generator<void, ModelPipeline, void> {
  if (model === null || typeof model !== 'object') throw new TypeError('model must be a DDSPModel object');
  const voices = checkVoices(options.voices ?? DEFAULT_VOICES, 'voices');
  const inputChannels = options.inputChannels ?? 1;
  if (inputChannels !== 1) checkInputChannels(inputChannels);
  const parts = options.parts?.sampleRate === sampleRate ? options.parts : undefined;
  const queue: Deferred[] = [];
  const defer: DeferTo = (work) => {
    queue.push(work);
  };
  const image = parts?.estimatorImage;
  // Batch rows: up to two evaluations per tick of each voice object (2 × voices of them), at most 64 per pass.
  const estimator = new EstimatorRuntime(model.estimator, model.estimator.weights, { batchRows: Math.min(64, 4 * voices), image, defer });
  yield* drain(queue);
  const paths: FramePath[] = [];
  for (const control of [false, true]) {
    const o = control ? controlSynthOptions(model, sampleRate, options.noiseSeed) : synthOptions(model, sampleRate, options.noiseSeed);
    const synth = new SynthStream(model.synth, { ...o, parts: parts?.reverbs, defer });
    yield* drain(queue);
    const plan = control ? controlPlanFor(model, sampleRate, synth) : planFor(model, sampleRate, synth, options.spreadQuanta);
    yield;
    paths.push(new FramePath(model, sampleRate, estimator, synth, plan, control));
    yield;
  }
  const notes = yield* buildVoiceBank(model, sampleRate, estimator, voices, options.noiseSeed, options.notePeakDb, { parts: parts?.reverbs, defer });
  yield* drain(queue);
  let channels: ChannelVoices | null = null;
  if (inputChannels !== 1) {
    // One audio-mode path per channel running the graph's voice part, each with its own estimator (its GRU state),
    // summed through the graph's one reverb.
    const { voice, tail } = voiceGraph(model.synth);
    const o = { ...synthOptions(model, sampleRate, options.noiseSeed), parts: parts?.reverbs, defer };
    const channelPaths: FramePath[] = [];
    for (let c = 0; c < inputChannels; c++) {
      const est = new EstimatorRuntime(model.estimator, model.estimator.weights, { image, defer });
      yield* drain(queue);
      const synth = new SynthStream(voice, o);
      yield* drain(queue);
      channelPaths.push(new FramePath(model, sampleRate, est, synth, planFor(model, sampleRate, synth, options.spreadQuanta), false));
      yield;
    }
    const tailStream = tail === null ? null : new TailStream(model.synth, tail, o);
    yield* drain(queue);
    channels = new ChannelVoices(channelPaths, tailStream);
  }
  return new ModelPipeline(model, sampleRate, paths[0], paths[1], notes, channels, options.noiseSeed !== undefined);
}

/** Yields, then does the queued work one piece per step, and yields again. */
function* drain(queue: Deferred[]): Generator<void, void, void> {
  for (const work of queue) {
    do yield; while (!work(FLOATS_PER_STEP));
  }
  queue.length = 0;
  yield;
}

/**
 * A prepared model: the whole pipeline for one model at one context rate, both modes. Build with prepareModel()
 * (allocates; off the audio thread) or in steps with {@link buildPipeline}; hand it to StreamingEngine.setModel().
 */
export class ModelPipeline {
  readonly model: DDSPModel;
  readonly sampleRate: number;
  /** True if the noise seed was given to prepareModel (then a swap keeps it). */
  readonly hasNoiseSeed: boolean;

  private readonly audio: FramePath;
  private readonly control: FramePath;
  /** The note voices (notes mode). */
  readonly notes: VoiceBank;
  /** Audio mode's voices per input channel (StreamingEngine.processChannels), when inputChannels ≥ 2. */
  readonly channels: ChannelVoices | null;
  /** The path playing, and the one fading in after a mode switch (null when none). */
  private active: Path;
  private incoming: Path | null = null;
  /** Pipeline input count at which the incoming path's fade starts; fade length, samples. */
  private fadeStart = 0;
  private readonly fadeLength: number;
  private readonly faded = new Float32Array(QUANTUM);
  /** Context input samples consumed since construction / reset. */
  private inCount = 0;

  /**
   * The audio and control paths and the note voices share one estimator, the channel voices have their own (see
   * {@link buildPipeline}); `hasNoiseSeed`: the synths were given a noise seed.
   */
  constructor(model: DDSPModel, sampleRate: number, audio: FramePath, control: FramePath, notes: VoiceBank,
    channels: ChannelVoices | null, hasNoiseSeed: boolean) {
    this.model = model;
    this.sampleRate = sampleRate;
    this.hasNoiseSeed = hasNoiseSeed;
    this.audio = audio;
    this.control = control;
    this.notes = notes;
    this.channels = channels;
    this.active = this.audio;
    this.fadeLength = Math.max(1, Math.round(SWAP_FADE_SECONDS * sampleRate));
  }

  /** The frame plan of the mode in effect (the one fading in during a switch). */
  get plan(): FramePlan {
    return (this.incoming ?? this.active).plan;
  }

  /** Output = the batch render of the mode in effect delayed by this many context samples. */
  get latencySamples(): number {
    return (this.incoming ?? this.active).latencySamples;
  }

  /** Scheduling diagnostics summed over the paths (see StreamingEngine.diagnostics). */
  get forcedFrames(): number { return this.audio.forcedFrames + this.control.forcedFrames; }
  get lateFrames(): number { return this.audio.lateFrames + this.control.lateFrames + this.notes.lateFrames; }

  /** Output samples produced so far (stream index). */
  get position(): number {
    return this.inCount;
  }

  /** Pipeline input count after which the mode in effect analyses its frame (control mode: tick) k. */
  frameAvailable(k: number): number {
    const p = this.incoming ?? this.active;
    return this.inCount - p.inCount + p.plan.frameAvailable(k);
  }

  /**
   * Sets the controls read per frame (pitch shift) and per sample (mix gains, smoothed by the synth over 5 ms, or
   * at once if `immediate`): values = [pitchShift, harmonicMix, noiseMix, reverbMix] (clamped by the engine).
   */
  setControls(values: Float64Array, immediate: boolean): void {
    this.audio.setControls(values, immediate);
    this.control.setControls(values, immediate);
    this.notes.setControls(values, immediate);
    this.channels?.setControls(values, immediate);
  }

  /** Switches the synths' noise seed (see SynthStream.setNoiseSeed); allocation-free. */
  setNoiseSeed(noiseSeed: number): void {
    this.audio.synth.setNoiseSeed(noiseSeed);
    this.control.synth.setNoiseSeed(noiseSeed);
    this.notes.setNoiseSeed(noiseSeed);
  }

  /** The engine's list of each quantum's note events (read by the voices; see VoiceBank.setEvents). */
  setEvents(events: NoteEventQueue): void {
    this.notes.setEvents(events);
  }

  /**
   * 'control' mode takes f0/loudness from setControlFeatures() instead of the input, 'notes' plays the note voices.
   * Before any output, at once; later the incoming mode's path starts from its reset state and, once warm (its
   * latency plus three of its frames), crossfades in over ~10 ms. Switching back during the switch reverses it
   * without a jump.
   */
  setMode(mode: EngineMode): void {
    const target = mode === 'control' ? this.control : mode === 'notes' ? this.notes : this.audio;
    if (target === (this.incoming ?? this.active)) return;
    if (this.inCount === 0) {
      this.active = target;
      this.incoming = null;
      return;
    }
    const inc = this.incoming;
    if (inc !== null) {
      // Back to the path still playing: before the fade, drop the incoming one; during it, run the fade backwards.
      const t = this.inCount - this.fadeStart;
      if (t > 0) {
        this.incoming = this.active;
        this.active = inc;
        this.fadeStart = this.inCount - (this.fadeLength - t);
      } else {
        this.incoming = null;
      }
      return;
    }
    target.reset();
    this.incoming = target;
    this.fadeStart = this.inCount + target.latencySamples + Math.ceil(3 * target.plan.hopContext);
  }

  /** Control mode: the features of the ticks sampled from now on, values = [f0Hz, loudnessDb]. */
  setControlFeatures(values: Float64Array): void {
    this.control.setControlFeatures(values);
  }

  /** Back to the start state in the mode in effect: silence before, fresh GRU state, oscillator phase, reverb tail. */
  reset(): void {
    if (this.incoming !== null) this.active = this.incoming;
    this.incoming = null;
    this.audio.reset();
    this.control.reset();
    this.notes.reset();
    this.notes.channels.reset();
    this.channels?.reset();
    this.inCount = 0;
  }

  /**
   * Processes one chunk of at most 128 samples: input (already sanitised, or null = silence) to output
   * (written, not added). Allocation-free.
   */
  process(input: Float32Array | null, inOffset: number, output: Float32Array, outOffset: number, n: number): void {
    const a = this.active;
    a.process(input, inOffset, output, outOffset, n);
    const inc = this.incoming;
    if (a !== this.notes && inc !== this.notes) this.notes.idle(n);
    if (inc !== null) {
      a.settle();
      const b = this.faded;
      inc.process(input, inOffset, b, 0, n);
      inc.settle();
      const L = this.fadeLength;
      for (let i = 0; i < n; i++) {
        const t = this.inCount + i - this.fadeStart;
        if (t >= 0) {
          const g = t >= L ? 1 : (t + 0.5) / L;
          output[outOffset + i] += (b[i] - output[outOffset + i]) * g;
        }
      }
      if (this.inCount + n - this.fadeStart >= L) {
        this.active = inc;
        this.incoming = null;
      }
    }
    this.inCount += n;
  }
}
