/**
 * StreamingEngine — the one realtime DDSP engine every host drives (AudioWorklet, offline render, CLI, tests).
 *
 * Input blocks of any size at the context's sample rate go through: analysis at the model's rate (resampled when
 * the rates differ) → YIN pitch + A-weighted loudness → estimator (work spread over several 128-sample quanta) →
 * params split and scaled → harmonic + filtered noise → mix → IR reverb, at the context rate. Controls (see
 * {@link CONTROLS}): pitchShift (semitones, applied to the estimator's f0 input and the oscillators), harmonicMix,
 * noiseMix, reverbMix. In control mode f0 and loudness come from {@link StreamingEngine.setControlFeatures}.
 *
 * Notes: {@link StreamingEngine.noteOn}, {@link StreamingEngine.noteOff}, {@link StreamingEngine.allNotesOff} and
 * {@link StreamingEngine.midi} (raw MIDI bytes: Web MIDI's messages, MPE included) queue note events at a sample
 * time ({@link StreamingEngine.sampleTime}); in 'notes' mode they play up to `voices` notes at once (default 8),
 * each a control-mode voice of its own — its own estimator state, oscillators, noise and envelope — summed through
 * the model's one reverb (src/engine/voices.ts). How notes and modes meet:
 *  - 'audio' analyses the input (one channel), 'control' plays the f0/loudness controls (one voice: exactly the
 *    monophonic engine, whatever `voices` is), 'notes' plays the notes; setMode() crossfades between them.
 *  - Note events are queued in every mode; outside 'notes' their channel state (bend, RPN ranges, MPE zones,
 *    pressure, CC74, pedals) is kept and note-ons are ignored (counted in diagnostics.ignoredNotes), so a
 *    controller's setup survives a switch. Leaving 'notes' fades its voices out with the mode crossfade.
 *  - One note equals the monophonic control-mode render of its f0/loudness curve started at the note-on sample.
 *
 * Output is exactly `renderOffline(model, input).audio` delayed by {@link StreamingEngine.latencySamples}, for any
 * block size (audio mode: 1503 samples = 31.3 ms at the defaults; control mode: 64 samples = 1.33 ms; budget in
 * framer.ts). `process()` allocates nothing,
 * sanitises NaN/Inf input to 0, clips output at ±LIMITS.output.maxAbsSample and never throws. `setModel()` swaps models with a ~10 ms crossfade.
 *
 * Threads: the constructor and prepareModel() allocate (main thread, or the worklet's message handler);
 * process(), setMode(), setControlFeatures(), setModel(), reset() and the note calls are cheap and allocation-free
 * (render thread).
 *
 * @packageDocumentation
 */

import { LIMITS } from '../model/limits';
import type { DDSPModel } from '../model/model-file';
import { CONTROLS, ENGINE_CONTROL_NAMES, type EngineControlName } from '../modules/controls';
import { QUANTUM, type FramePlan } from './framer';
import { ModelPipeline, SWAP_FADE_SECONDS, buildPipeline, type EngineMode, type ModelPipelineOptions } from './model-pipeline';
import { EV_ALL_NOTES_OFF, EV_NOTE_OFF, EV_NOTE_ON, NoteEventQueue, parseMidiBytes } from './note-events';
import { DEFAULT_VOICES, checkVoices } from './voices';

export type { EngineMode };

const OUTPUT_PEAK = LIMITS.output.maxAbsSample;

/** Construction options. */
export interface EngineOptions {
  /** Context (input and output) sample rate, Hz. */
  sampleRate: number;
  /**
   * 'audio' (default): f0 and loudness analysed from the input; 'control': from setControlFeatures(); 'notes': the
   * note events (noteOn(), midi()…) play the note voices.
   */
  mode?: EngineMode;
  /**
   * Audio mode: input channels of {@link StreamingEngine.processChannels}, each tracked and resynthesised as a voice
   * of its own, summed through the model's one reverb (an integer in 1..16; default 1: process() only).
   */
  inputChannels?: number;
  /** Notes mode: most notes sounding at once, an integer in 1..64 (default 8). */
  voices?: number;
  /** Notes mode: loudness of a velocity-127 note in dB on the seed's scale (default +10; velocity v gives
   *  notePeakDb + 40·log10(v/127)); lower it for models trained on quieter audio. */
  notePeakDb?: number;
  /**
   * Seed of the noise source (the synth's default when absent), also given to models swapped in with setModel()
   * unless prepareModel() was given its own. Same seed ⇒ same noise as renderOffline.
   */
  noiseSeed?: number;
  /**
   * Audio mode: quanta of 128 samples one frame's estimator work is spread over (adds 128 samples of latency per
   * quantum). Default 0: a frame is estimated in the quantum its window completes.
   */
  spreadQuanta?: number;
  /** Initial controls (the synth starts at these without a smoothing ramp; default {@link DEFAULT_CONTROLS}). */
  controls?: Partial<EngineControls>;
  /**
   * Quanta of a synthetic glide the constructor runs through the engine before resetting it (default 0: none;
   * {@link WARMUP_QUANTA} is what the CLI uses), so that V8 compiles the realtime path before the first real
   * quantum instead of during the stream's first second. The output does not change. Not the default: code V8
   * optimises on the warm-up's type feedback can keep boxing one number per analysis frame afterwards (measured
   * ~2.5 bytes per quantum in test/engine/alloc.test.ts), and in a worklet the warm-up would lengthen the message
   * that loads the model on the render thread.
   */
  warmUpQuanta?: number;
}

/** Scheduling and input diagnostics ({@link StreamingEngine.diagnostics}). */
export interface EngineDiagnostics {
  /** Frames whose estimator work had to be finished in one go (the spread budget fell short; 0 with blocks ≤ 128). */
  forcedFrames: number;
  /** Frames whose features were missing when needed (always 0 at the computed latency). */
  lateFrames: number;
  /** Note events dropped because the queue ({@link EVENT_CAPACITY} events) was full. */
  droppedEvents: number;
  /** Malformed MIDI messages given to midi(). */
  malformedMidi: number;
  /** Note-ons received outside notes mode (not played). */
  ignoredNotes: number;
}

/** A note call's time → the queue's: whole samples (rounded); none = −1, i.e. the start of the next call. */
function eventTime(time: number | undefined): number {
  return time === undefined || !(time - time === 0) ? -1 : Math.round(time);
}

function checkNote(name: string, v: number, lo: number, hi: number): void {
  if (!(typeof v === 'number' && v >= lo && v <= hi)) throw new RangeError(`${name} must be a number in [${lo}, ${hi}], got ${v}`);
}

export { EVENT_CAPACITY } from './note-events';
export { MAX_VOICES, DEFAULT_VOICES, VOICE_FADE_SECONDS } from './voices';

/** The warm-up the CLI's render and bench use: 128 quanta (0.34 s at 48 kHz, ~30 ms of CPU at construction). */
export const WARMUP_QUANTA = 128;

/**
 * User controls (unit, range, default and smoothing of each: {@link CONTROLS}). Plain fields, read on every
 * process() call; out-of-range values are clamped, non-finite ones ignored (the last value stays).
 */
export interface EngineControls {
  /** Pitch shift in semitones (smoothed per frame). */
  pitchShift: number;
  /** Gain of the harmonic part (smoothed per sample). */
  harmonicMix: number;
  /** Gain of the noise part (smoothed per sample). */
  noiseMix: number;
  /** Reverb wet share m: output = 2·m·wet + 2·(1 − m)·dry (smoothed per sample). */
  reverbMix: number;
}

/** The controls' defaults (equal to training), from {@link CONTROLS}. */
export const DEFAULT_CONTROLS: Readonly<EngineControls> = Object.freeze({
  pitchShift: CONTROLS.pitchShift.defaultValue,
  harmonicMix: CONTROLS.harmonicMix.defaultValue,
  noiseMix: CONTROLS.noiseMix.defaultValue,
  reverbMix: CONTROLS.reverbMix.defaultValue,
} satisfies Record<EngineControlName, number>);

/** A model prepared for a StreamingEngine at one context rate (opaque). */
export type PreparedModel = ModelPipeline;

export { SWAP_FADE_SECONDS };

/**
 * Builds everything a model needs to run at `sampleRate` (allocates; call off the audio thread, then pass the
 * result to {@link StreamingEngine.setModel}).
 * @throws RangeError / TypeError for a model the engine cannot run at this rate.
 */
export function prepareModel(model: DDSPModel, sampleRate: number, options: ModelPipelineOptions = {}): PreparedModel {
  if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
  }
  const steps = buildPipeline(model, sampleRate, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * The engine's `controls` object: a class with numeric initialisers rather than an object literal, so its fields
 * stay doubles written in place (V8 boxing: docs/architecture.md, "Numbers on the audio path").
 */
class Controls implements EngineControls {
  pitchShift = 0;
  harmonicMix = 0;
  noiseMix = 0;
  reverbMix = 0;
  constructor(c: EngineControls) {
    this.pitchShift = c.pitchShift;
    this.harmonicMix = c.harmonicMix;
    this.noiseMix = c.noiseMix;
    this.reverbMix = c.reverbMix;
  }
}

/** Bounds of the applied controls, in ENGINE_CONTROL_NAMES order (that of StreamingEngine.applied). */
const CONTROL_MIN = Float64Array.from(ENGINE_CONTROL_NAMES, (name) => CONTROLS[name].min);
const CONTROL_MAX = Float64Array.from(ENGINE_CONTROL_NAMES, (name) => CONTROLS[name].max);

/** The streaming engine. See the module documentation. */
export class StreamingEngine {
  /** Context sample rate, Hz. */
  readonly sampleRate: number;
  /** Controls, read on every process() call. */
  controls: EngineControls;

  private pipeline: ModelPipeline;
  private incoming: ModelPipeline | null = null;
  private pending: ModelPipeline | null = null;
  /** Stream position (engine output samples) at which the incoming pipeline's crossfade starts. */
  private fadeStart = 0;
  private readonly fadeLength: number;
  private mode: EngineMode;
  private readonly voices: number;
  private readonly notePeakDb: number | undefined;
  private readonly inputChannels: number | undefined;
  /** Per-channel sanitised input chunks (processChannels). */
  private readonly channelBufs: Float32Array[];
  private readonly channelViews: (Float32Array | null)[];
  /** Note events waiting for their sample, and those of the quantum being processed (times = offsets in it). */
  private readonly events = new NoteEventQueue();
  private readonly quantumEvents = new NoteEventQueue();
  /** Malformed MIDI messages given to midi() since construction / reset. */
  private malformedMidi = 0;
  /** Control-mode features last set: f0 (Hz), loudness (dB). */
  private readonly features = new Float64Array([CONTROLS.f0.defaultValue, CONTROLS.loudness.defaultValue]);
  private readonly noiseSeed: number | undefined;
  private readonly spreadQuanta: number | undefined;
  private position = 0;

  private readonly inBuf = new Float32Array(QUANTUM);
  private readonly outA = new Float32Array(QUANTUM);
  private readonly outB = new Float32Array(QUANTUM);
  /**
   * Last applied (clamped) controls, in ENGINE_CONTROL_NAMES order; handed to the pipelines as an array, not as
   * numbers (V8 boxing: docs/architecture.md, "Numbers on the audio path").
   */
  private readonly applied = Float64Array.from(ENGINE_CONTROL_NAMES, (name) => CONTROLS[name].defaultValue);

  /**
   * @param model   the model to run (see src/model/model-file.ts), or it prepared for `options.sampleRate`
   *   ({@link prepareModel}, {@link buildPipeline}: given the engine's noise seed unless it has its own)
   * @param options context sample rate and options
   * @throws RangeError / TypeError for bad options or a model the engine cannot run
   */
  constructor(model: DDSPModel | PreparedModel, options: EngineOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an EngineOptions object');
    const { sampleRate } = options;
    if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
      throw new RangeError(`options.sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
    }
    if (options.mode !== undefined && options.mode !== 'audio' && options.mode !== 'control' && options.mode !== 'notes') {
      throw new RangeError(`options.mode must be 'audio', 'control' or 'notes', got ${String(options.mode)}`);
    }
    this.voices = checkVoices(options.voices ?? DEFAULT_VOICES, 'options.voices');
    this.notePeakDb = options.notePeakDb;
    this.inputChannels = options.inputChannels;
    const nc = options.inputChannels ?? 1;
    this.channelBufs = Array.from({ length: nc }, () => new Float32Array(QUANTUM));
    this.channelViews = this.channelBufs.map(() => null);
    this.sampleRate = sampleRate;
    this.noiseSeed = options.noiseSeed;
    this.spreadQuanta = options.spreadQuanta;
    this.mode = options.mode ?? 'audio';
    // The initial controls go through the one clamping path (readControls) and then read as applied.
    const c = new Controls(DEFAULT_CONTROLS);
    for (const name of ENGINE_CONTROL_NAMES) c[name] = options.controls?.[name] ?? c[name];
    this.controls = c;
    this.readControls();
    for (let j = 0; j < ENGINE_CONTROL_NAMES.length; j++) c[ENGINE_CONTROL_NAMES[j]] = this.applied[j];
    this.fadeLength = Math.max(1, Math.round(SWAP_FADE_SECONDS * sampleRate));
    if (model instanceof ModelPipeline) {
      this.checkRate(model);
      if (this.noiseSeed !== undefined && !model.hasNoiseSeed) model.setNoiseSeed(this.noiseSeed);
      this.pipeline = model;
    } else {
      this.pipeline = prepareModel(model, sampleRate, this.pipelineOptions());
    }
    this.installPipeline(this.pipeline);
    const warm = options.warmUpQuanta ?? 0;
    if (!(Number.isInteger(warm) && warm >= 0 && warm <= 1 << 16)) {
      throw new RangeError(`options.warmUpQuanta must be an integer in [0, 65536], got ${warm}`);
    }
    if (warm > 0) this.warmUp(warm);
  }

  /**
   * Runs `quanta` quanta of synthetic input through process(), then reset(): V8 compiles the realtime path and
   * tiers up the wasm kernels here, at construction, instead of in the stream's first second (docs/performance.md,
   * "The first second of a fresh engine"). The input visits every branch real audio takes, since a branch the
   * optimised code has no type feedback for deoptimises it when first taken (measured with --trace-deopt on
   * recordings after a glide-only warm-up: YIN's silent-window exit and the noise ring's first segment after a
   * reset): a harmonic glide (110 → 880 Hz) interrupted every 40 quanta by 40 quanta of silence (several analysis
   * windows) and 16 of white noise, with a reset() after each such cycle and every 8 quanta of the glide (the
   * first quanta after a reset take branches of their own). The state after the final reset is the state after construction, so the output
   * does not change.
   */
  private warmUp(quanta: number): void {
    const x = new Float32Array(QUANTUM);
    const out = new Float32Array(QUANTUM);
    const f = this.features;
    const [f0Before, loudnessBefore] = f;
    const n = quanta * QUANTUM;
    let phase = 0;
    let noise = 1;
    for (let q = 0; q < quanta; q++) {
      const part = q % 96;
      const hz = 110 + (770 * q) / quanta;
      for (let i = 0; i < QUANTUM; i++) {
        phase += (2 * Math.PI * (110 + (770 * (q * QUANTUM + i)) / n)) / this.sampleRate;
        if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
        noise = (Math.imul(noise, 1664525) + 1013904223) | 0;
        x[i] = part < 40 ? 0.3 * Math.sin(phase) + 0.1 * Math.sin(2 * phase) + 0.05 * Math.sin(3 * phase)
          : part < 80 ? 0 : 0.1 * (noise / 2147483648);
      }
      // control mode: the same course as features (a note, silence, an unvoiced hiss)
      f[0] = part < 80 ? hz : 0;
      f[1] = part < 40 ? 0 : part < 80 ? -80 : -30;
      this.pipeline.setControlFeatures(f);
      this.process(x, out, QUANTUM);
      if (part === 95 || (part < 40 && part % 8 === 7)) this.reset();
    }
    f[0] = f0Before;
    f[1] = loudnessBefore;
    this.pipeline.setControlFeatures(f);
    this.reset();
  }

  /**
   * Exact latency in context samples of the mode in effect: output = renderOffline(input) delayed by this. During
   * a model swap or a mode switch, the latency of the model or mode being faded in.
   */
  get latencySamples(): number {
    return (this.pending ?? this.incoming ?? this.pipeline).latencySamples;
  }

  /** The model currently playing (the incoming one once a swap's fade has completed). */
  get model(): DDSPModel {
    return this.pipeline.model;
  }

  /**
   * Engine input count (samples since construction / reset) after which the current model analyses its frame k
   * (in control mode: samples the features last set for its tick k, once per 128-sample quantum): features set
   * before the process() call that reaches this count apply to tick k.
   */
  frameAvailableAt(k: number): number {
    return this.position - this.pipeline.position + this.pipeline.frameAvailable(k);
  }

  /** The current model's frame plan in the mode in effect (rates, hops, window, latency; see framer.ts). */
  get plan(): FramePlan {
    return this.pipeline.plan;
  }

  /**
   * Scheduling diagnostics of the current model since construction / reset: frames whose estimator work had to be
   * finished in one go (the spread budget fell short; 0 with blocks ≤ 128) and frames whose features were missing
   * when needed (always 0 at the computed latency).
   */
  get diagnostics(): EngineDiagnostics {
    return {
      forcedFrames: this.pipeline.forcedFrames, lateFrames: this.pipeline.lateFrames,
      droppedEvents: this.events.dropped, malformedMidi: this.malformedMidi, ignoredNotes: this.pipeline.notes.ignoredNotes,
    };
  }

  /** Current mode. */
  getMode(): EngineMode {
    return this.mode;
  }

  /** Samples processed since construction / reset: the clock of the note calls' `time`. */
  get sampleTime(): number {
    return this.position;
  }

  /** Notes sounding now (held, sustained or releasing) in notes mode. */
  get notesSounding(): number {
    return this.pipeline.notes.sounding;
  }

  /**
   * Starts a note (notes mode; see the module notes).
   * @param key MIDI key, 0–127; fractional keys are microtones (440·2^((key − 69)/12) Hz)
   * @param velocity 1–127 (fractional allowed); 0 is a note off, as in MIDI
   * @param time engine sample time ({@link sampleTime}) of the note-on: default, or a time in the past, the start of
   *   the next process() call; a time within a call lands on its sample
   * @param channel MIDI channel 0–15 (default 0): its bend, pressure, CC74, pedal and MPE zone apply
   * @throws RangeError naming the argument when a value is out of range or not finite
   */
  noteOn(key: number, velocity: number, time?: number, channel = 0): void {
    checkNote('key', key, 0, 127);
    checkNote('velocity', velocity, 0, 127);
    this.queue(velocity > 0 ? EV_NOTE_ON : EV_NOTE_OFF, channel, key, velocity, time);
  }

  /** Ends the note `key` of `channel` at `time` (as noteOn; the key must equal the note-on's). @throws RangeError */
  noteOff(key: number, time?: number, channel = 0): void {
    checkNote('key', key, 0, 127);
    this.queue(EV_NOTE_OFF, channel, key, 0, time);
  }

  /** Releases every note of every channel at `time` (as noteOn; notes held by a pedal too). @throws RangeError */
  allNotesOff(time?: number): void {
    this.queue(EV_ALL_NOTES_OFF, 0, 0, 0, time);
  }

  /**
   * Raw MIDI: one or more complete messages (Web MIDI's MIDIMessageEvent.data; running status allowed) at `time`
   * (as noteOn). Note on/off, pitch bend, channel pressure, poly aftertouch, CC64 sustain, CC74, CC120/123, CC121,
   * RPN 0 (bend range) and RPN 6 (MPE configuration) act; SysEx and other messages are ignored; malformed ones are
   * counted in diagnostics.malformedMidi. Never throws for any bytes. Allocation-free.
   */
  midi(bytes: ArrayLike<number>, time?: number): void {
    if (bytes === null || bytes === undefined || typeof bytes.length !== 'number') { this.malformedMidi++; return; }
    this.malformedMidi += parseMidiBytes(bytes, eventTime(time), this.events);
  }

  private queue(kind: number, channel: number, a: number, b: number, time: number | undefined): void {
    if (!(Number.isInteger(channel) && channel >= 0 && channel <= 15)) {
      throw new RangeError(`channel must be an integer in [0, 15], got ${channel}`);
    }
    if (time !== undefined && !(typeof time === 'number' && Number.isFinite(time))) {
      throw new RangeError(`time must be a finite engine sample time, got ${time}`);
    }
    this.events.push(eventTime(time), kind, channel, a, b);
  }

  /**
   * Switches between analysing the input ('audio') and taking features from setControlFeatures() ('control'). The
   * incoming mode's path starts at once and crossfades in over ~10 ms when warm (its latency plus three of its
   * frames: ~20 ms into control mode, ~100 ms into audio mode at 50 frames/s); latencySamples is then that mode's.
   */
  setMode(mode: EngineMode): void {
    if (mode !== 'audio' && mode !== 'control' && mode !== 'notes') return;
    this.mode = mode;
    this.pipeline.setMode(mode);
    this.incoming?.setMode(mode);
    this.pending?.setMode(mode);
  }

  /**
   * Control mode: the features of the ticks sampled from now on (one per 128-sample quantum, see
   * frameAvailableAt), f0 = `f0Hz[index]` (Hz; 0 or less = unvoiced,
   * the last voiced f0 is held) and loudness = `loudnessDb[index]` (dB); non-finite values are ignored. Read from
   * arrays (an AudioParam's values, a feature curve) so that no number is boxed on the render thread (V8 boxing:
   * docs/architecture.md, "Numbers on the audio path").
   */
  setControlFeatures(f0Hz: Float32Array | Float64Array, loudnessDb: Float32Array | Float64Array, index = 0): void {
    const f = this.features;
    const f0 = f0Hz[index];
    const loudness = loudnessDb[index];
    if (f0 - f0 === 0) f[0] = f0;
    if (loudness - loudness === 0) f[1] = loudness;
    this.pipeline.setControlFeatures(f);
    this.incoming?.setControlFeatures(f);
  }

  /**
   * Prepares `model` for this engine: its sample rate, noise seed and `spreadQuanta` (so a swapped-in model has the
   * latency the engine was built for). Allocates: call it off the render path, then pass the result to setModel().
   * @throws RangeError / TypeError for a model the engine cannot run at this rate.
   */
  prepare(model: DDSPModel): PreparedModel {
    return prepareModel(model, this.sampleRate, this.pipelineOptions());
  }

  private pipelineOptions(): ModelPipelineOptions {
    return {
      noiseSeed: this.noiseSeed, spreadQuanta: this.spreadQuanta, voices: this.voices, notePeakDb: this.notePeakDb,
      inputChannels: this.inputChannels,
    };
  }

  /**
   * Swaps in a prepared model. The new model starts listening at once; once its pipeline is warm (its latency plus
   * three frames) the output crossfades to it over ~10 ms. A swap requested during another swap's warm-up
   * replaces it; during a fade it waits for the fade to finish. An engine built with a noiseSeed gives it to the
   * model unless prepareModel() was given one.
   * @throws RangeError if `prepared` was built for another sample rate
   */
  setModel(prepared: PreparedModel): void {
    if (!(prepared instanceof ModelPipeline)) throw new TypeError('setModel expects the result of prepareModel()');
    this.checkRate(prepared);
    if (prepared === this.pipeline || prepared === this.incoming) return;
    if (this.noiseSeed !== undefined && !prepared.hasNoiseSeed) prepared.setNoiseSeed(this.noiseSeed);
    if (this.incoming !== null && this.position >= this.fadeStart) {
      this.pending = prepared;
      return;
    }
    this.startIncoming(prepared, this.position);
  }

  /** @throws RangeError if `prepared` was built for another sample rate */
  private checkRate(prepared: PreparedModel): void {
    if (prepared.sampleRate !== this.sampleRate) {
      throw new RangeError(`the model was prepared for ${prepared.sampleRate} Hz, the engine runs at ${this.sampleRate} Hz`);
    }
  }

  /** Starts feeding `p` from stream position `position`; its fade begins once its pipeline is warm. */
  private startIncoming(p: ModelPipeline, position: number): void {
    p.reset();
    this.installPipeline(p);
    this.incoming = p;
    this.fadeStart = position + p.latencySamples + Math.ceil(3 * p.plan.hopContext);
  }

  /** Brings `p` to the engine's mode, features and current controls (at once: no control ramp). */
  private installPipeline(p: ModelPipeline): void {
    this.readControls();
    if (p !== this.pipeline) p.notes.channels.copyFrom(this.pipeline.notes.channels);
    p.setEvents(this.quantumEvents);
    p.setMode(this.mode);
    p.setControlFeatures(this.features);
    p.setControls(this.applied, true);
  }

  /**
   * Clears all state (as if silence came before); a swap in progress completes at once. The controls stay as they
   * are, with no smoothing ramp after the reset.
   */
  reset(): void {
    if (this.pending) { this.pipeline = this.pending; this.pending = null; this.incoming = null; }
    else if (this.incoming) { this.pipeline = this.incoming; this.incoming = null; }
    this.pipeline.reset();
    this.installPipeline(this.pipeline);
    this.position = 0;
    this.events.clear();
    this.quantumEvents.clear();
    this.malformedMidi = 0;
  }

  /**
   * Processes n samples: input[inOffset .. +n) → output[outOffset .. +n) (written, not added).
   * `input` may be null (silence; control mode needs none). Any n ≥ 0; never throws, never allocates;
   * NaN/Inf input samples count as 0 and the output is always finite.
   */
  process(input: Float32Array | null, output: Float32Array, n: number, inOffset = 0, outOffset = 0): void {
    try {
      if (!(n > 0) || output === null || output === undefined) return;
      n = Math.floor(n);
      if (!(outOffset >= 0)) outOffset = 0;
      if (outOffset + n > output.length) n = output.length - outOffset;
      if (!(inOffset >= 0)) inOffset = 0;
      if (n <= 0) return;
      this.syncControls();
      let done = 0;
      while (done < n) {
        const m = n - done < QUANTUM ? n - done : QUANTUM;
        this.chunk(input, inOffset + done, output, outOffset + done, m);
        done += m;
      }
    } catch {
      // Never throw on the audio thread: output silence for this call.
      try { output.fill(0, outOffset, outOffset + Math.max(0, n | 0)); } catch { /* nothing sane left to do */ }
    }
  }

  /**
   * Audio mode with one voice per input channel (EngineOptions.inputChannels ≥ 2): n samples of each channel
   * inputs[c][inOffset ..) (null or missing = silence) are tracked and resynthesised each as its own voice, summed
   * through the model's one reverb, into output[outOffset .. +n). Channel c alone equals process() of that channel.
   * The latency is audio mode's. A model swap in progress completes at once here (no crossfade). Never throws,
   * never allocates; without inputChannels ≥ 2 it processes inputs[0] as process() does.
   */
  processChannels(inputs: readonly (Float32Array | null)[], output: Float32Array, n: number, inOffset = 0, outOffset = 0): void {
    try {
      if (this.pipeline.channels === null) {
        this.process(inputs.length > 0 ? inputs[0] : null, output, n, inOffset, outOffset);
        return;
      }
      if (!(n > 0) || output === null || output === undefined) return;
      n = Math.floor(n);
      if (!(outOffset >= 0)) outOffset = 0;
      if (outOffset + n > output.length) n = output.length - outOffset;
      if (!(inOffset >= 0)) inOffset = 0;
      if (n <= 0) return;
      if (this.incoming !== null) {
        // A swap completes at once: the new model's channel voices start from silence.
        this.pipeline = this.pending ?? this.incoming;
        this.incoming = null;
        this.pending = null;
      }
      this.syncControls();
      const ch = this.pipeline.channels;
      if (ch === null) return;
      let done = 0;
      while (done < n) {
        const m = n - done < QUANTUM ? n - done : QUANTUM;
        for (let c = 0; c < this.channelBufs.length; c++) {
          const src = c < inputs.length ? inputs[c] : null;
          if (src === null || src === undefined) { this.channelViews[c] = null; continue; }
          const x = this.channelBufs[c];
          const avail = src.length - inOffset - done;
          for (let i = 0; i < m; i++) {
            const v = i < avail ? src[inOffset + done + i] : 0;
            x[i] = v - v === 0 ? v : 0;
          }
          this.channelViews[c] = x;
        }
        ch.process(this.channelViews, 0, output, outOffset + done, m);
        for (let i = 0; i < m; i++) {
          const v = output[outOffset + done + i];
          output[outOffset + done + i] = v - v === 0 ? (v > OUTPUT_PEAK ? OUTPUT_PEAK : v < -OUTPUT_PEAK ? -OUTPUT_PEAK : v) : 0;
        }
        this.position += m;
        done += m;
      }
    } catch {
      try { output.fill(0, outOffset, outOffset + Math.max(0, n | 0)); } catch { /* nothing sane left to do */ }
    }
  }

  /**
   * Reads `controls` into `applied`, clamped to the ranges of {@link CONTROLS} (a non-finite value keeps the last):
   * the engine's one clamping path. True if anything changed.
   */
  private readControls(): boolean {
    const c = this.controls;
    const a = this.applied;
    if (c.pitchShift === a[0] && c.harmonicMix === a[1] && c.noiseMix === a[2] && c.reverbMix === a[3]) return false;
    let changed = false;
    for (let j = 0; j < 4; j++) {
      // Named loads in ENGINE_CONTROL_NAMES order (a keyed load c[name] would be slower on this path).
      const v = j === 0 ? c.pitchShift : j === 1 ? c.harmonicMix : j === 2 ? c.noiseMix : c.reverbMix;
      if (!(v - v === 0)) continue; // NaN or ±Infinity: the last value stays
      const lo = CONTROL_MIN[j];
      const hi = CONTROL_MAX[j];
      const x = v < lo ? lo : v > hi ? hi : v;
      if (x !== a[j]) {
        a[j] = x;
        changed = true;
      }
    }
    return changed;
  }

  private syncControls(): void {
    if (!this.readControls()) return;
    this.pipeline.setControls(this.applied, false);
    this.incoming?.setControls(this.applied, false);
  }

  private chunk(input: Float32Array | null, inOffset: number, output: Float32Array, outOffset: number, m: number): void {
    // This quantum's note events, their times as offsets in it (past ones at 0).
    const ev = this.events;
    const q = this.quantumEvents;
    q.clear();
    const end = this.position + m;
    while (ev.length > 0 && ev.time[ev.first] < end) {
      const at = ev.first;
      // The offset in this quantum (0..m−1) as a small integer (V8 boxing: docs/architecture.md).
      let off = (ev.time[at] - this.position) | 0;
      if (off < 0) off = 0;
      q.push(off, ev.kind[at], ev.channel[at], ev.a[at], ev.b[at]);
      ev.shift();
    }
    // Sanitised copy of the input (missing samples = 0).
    const x = this.inBuf;
    let src: Float32Array | null = null;
    if (input !== null && input !== undefined) {
      const avail = input.length - inOffset;
      for (let i = 0; i < m; i++) {
        const v = i < avail ? input[inOffset + i] : 0;
        x[i] = v - v === 0 ? v : 0;
      }
      src = x;
    }
    const a = this.outA;
    this.pipeline.process(src, 0, a, 0, m);
    const inc = this.incoming;
    if (inc !== null) {
      const b = this.outB;
      inc.process(src, 0, b, 0, m);
      const L = this.fadeLength;
      for (let i = 0; i < m; i++) {
        const t = this.position + i - this.fadeStart;
        if (t >= 0) {
          const g = t >= L ? 1 : (t + 0.5) / L;
          a[i] += (b[i] - a[i]) * g;
        }
      }
      if (this.position + m - this.fadeStart >= L) {
        // Fade complete: the incoming pipeline takes over.
        this.pipeline = inc;
        this.incoming = null;
        if (this.pending !== null) {
          const p = this.pending;
          this.pending = null;
          this.startIncoming(p, this.position + m);
        }
      }
    }
    // NaN/Inf → 0, and the safety clip at ±LIMITS.output.maxAbsSample (+24 dBFS, beyond any sane model's output)
    for (let i = 0; i < m; i++) {
      const v = a[i];
      output[outOffset + i] = v - v === 0 ? (v > OUTPUT_PEAK ? OUTPUT_PEAK : v < -OUTPUT_PEAK ? -OUTPUT_PEAK : v) : 0;
    }
    this.position += m;
  }
}
