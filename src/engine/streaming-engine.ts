/**
 * StreamingEngine — the one realtime DDSP engine every host drives (AudioWorklet, offline render, CLI, tests).
 *
 * Input blocks of any size at the context's sample rate go through: analysis at the model's rate (resampled when
 * the rates differ) → YIN pitch + A-weighted loudness → estimator (work spread over several 128-sample quanta) →
 * params split and scaled → harmonic + filtered noise → mix → IR reverb, at the context rate. Controls:
 * pitchShift (semitones, applied to the estimator's f0 input and the oscillators), harmonicMix, noiseMix,
 * reverbMix (smoothed). In control mode f0 and loudness come from {@link StreamingEngine.setControlFeatures}.
 *
 * Output is exactly `renderOffline(model, input).audio` delayed by {@link StreamingEngine.latencySamples}, for any
 * block size (2143 samples = 44.65 ms at the defaults; budget in framer.ts). `process()` allocates nothing,
 * sanitises NaN/Inf input to 0, clips output at ±LIMITS.output.maxAbsSample and never throws. `setModel()` swaps models with a ~10 ms crossfade.
 *
 * Threads: the constructor and prepareModel() allocate (main thread, or the worklet's message handler);
 * process(), setMode(), setControlFeatures(), setModel() and reset() are cheap and allocation-free (render thread).
 *
 * @packageDocumentation
 */

import { LIMITS } from '../model/limits';
import type { DDSPModel } from '../model/model-file';
import { QUANTUM, type FramePlan } from './framer';
import { Voice, type VoiceOptions } from './voice';

const OUTPUT_PEAK = LIMITS.output.maxAbsSample;

/** Construction options. */
export interface EngineOptions {
  /** Context (input and output) sample rate, Hz. */
  sampleRate: number;
  /** Largest block the host passes; larger calls are split internally (default 2048; any size is accepted). */
  maxBlock?: number;
  /** 'audio' (default): f0 and loudness analysed from the input; 'control': from setControlFeatures(). */
  mode?: 'audio' | 'control';
  /**
   * Seed of the noise source (the synth's default when absent), also given to models swapped in with setModel()
   * unless prepareModel() was given its own. Same seed ⇒ same noise as renderOffline.
   */
  noiseSeed?: number;
  /**
   * Quanta of 128 samples one frame's estimator work is spread over (changes the latency). Default: 5, or fewer
   * when needed to keep the latency within 45 ms (4 at 44.1 kHz).
   */
  spreadQuanta?: number;
  /** Initial controls (the synth starts at these without a smoothing ramp; default {@link DEFAULT_CONTROLS}). */
  controls?: Partial<EngineControls>;
}

/** User controls. Plain fields, read on every process() call; out-of-range values are clamped, NaN ignored. */
export interface EngineControls {
  /** Pitch shift in semitones, continuous, clamped to ±24 (smoothed per frame). */
  pitchShift: number;
  /** Gain of the harmonic part, 0..2, default 1 (smoothed per sample). */
  harmonicMix: number;
  /** Gain of the noise part, 0..2, default 1 (smoothed per sample). */
  noiseMix: number;
  /** Reverb wet share m, 0..1, default 0.5: output = 2·m·wet + 2·(1 − m)·dry (the seed's law). */
  reverbMix: number;
}

/** The controls' defaults (equal to training). */
export const DEFAULT_CONTROLS: Readonly<EngineControls> = Object.freeze({
  pitchShift: 0, harmonicMix: 1, noiseMix: 1, reverbMix: 0.5,
});

/** A model prepared for a StreamingEngine at one context rate (opaque). */
export type PreparedModel = Voice;

/** Crossfade length of a model swap, seconds. */
export const SWAP_FADE_SECONDS = 0.01;

/**
 * Builds everything a model needs to run at `sampleRate` (allocates; call off the audio thread, then pass the
 * result to {@link StreamingEngine.setModel}).
 * @throws RangeError / TypeError for a model the engine cannot run at this rate.
 */
export function prepareModel(model: DDSPModel, sampleRate: number, options: VoiceOptions = {}): PreparedModel {
  if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
  }
  return new Voice(model, sampleRate, options);
}

function clamp(v: number, lo: number, hi: number, fallback: number): number {
  if (!(v === v)) return fallback; // NaN
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The engine's `controls` object. A class rather than an object literal: it gets its own V8 hidden class, so its
 * fields stay plain doubles written in place (a literal shares its hidden class with every other object of the
 * same keys, whose fields may have been widened to hold anything, and then each store of a fraction allocates).
 */
class Controls implements EngineControls {
  // Numeric initialisers: a field declared without one starts as `undefined`, V8 then types it "any value", and
  // every store of a fractional number into it allocates.
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

/** Bounds of the applied controls, in the order of StreamingEngine.applied. */
const CONTROL_MIN = [-24, 0, 0, 0] as const;
const CONTROL_MAX = [24, 2, 2, 1] as const;

/** The streaming engine. See the module documentation. */
export class StreamingEngine {
  /** Context sample rate, Hz. */
  readonly sampleRate: number;
  /** Controls, read on every process() call. */
  controls: EngineControls;

  private voice: Voice;
  private incoming: Voice | null = null;
  private pending: Voice | null = null;
  /** Stream position (engine output samples) at which the incoming voice's crossfade starts. */
  private fadeStart = 0;
  private readonly fadeLength: number;
  private mode: 'audio' | 'control';
  /** Control-mode features last set: f0 (Hz), loudness (dB). */
  private readonly features = new Float64Array([0, -80]);
  private readonly noiseSeed: number | undefined;
  private readonly spreadQuanta: number | undefined;
  private position = 0;

  private readonly inBuf = new Float32Array(QUANTUM);
  private readonly outA = new Float32Array(QUANTUM);
  private readonly outB = new Float32Array(QUANTUM);
  /**
   * Last applied (clamped) controls: pitchShift, harmonicMix, noiseMix, reverbMix. Numbers handed to the voices
   * travel in typed arrays like this one: V8 boxes (allocates) a fractional number passed to a function it does
   * not inline.
   */
  private readonly applied = new Float64Array([0, 1, 1, 0.5]);

  /**
   * @param model   the model to run (see src/model/model-file.ts)
   * @param options context sample rate and options
   * @throws RangeError / TypeError for bad options or a model the engine cannot run
   */
  constructor(model: DDSPModel, options: EngineOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an EngineOptions object');
    const { sampleRate } = options;
    if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
      throw new RangeError(`options.sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
    }
    if (options.maxBlock !== undefined && !(Number.isInteger(options.maxBlock) && options.maxBlock >= 1)) {
      throw new RangeError(`options.maxBlock must be a positive integer, got ${options.maxBlock}`);
    }
    if (options.mode !== undefined && options.mode !== 'audio' && options.mode !== 'control') {
      throw new RangeError(`options.mode must be 'audio' or 'control', got ${String(options.mode)}`);
    }
    this.sampleRate = sampleRate;
    this.noiseSeed = options.noiseSeed;
    this.spreadQuanta = options.spreadQuanta;
    this.mode = options.mode ?? 'audio';
    const c0 = options.controls ?? {};
    this.controls = new Controls({
      pitchShift: clamp(c0.pitchShift ?? DEFAULT_CONTROLS.pitchShift, -24, 24, DEFAULT_CONTROLS.pitchShift),
      harmonicMix: clamp(c0.harmonicMix ?? DEFAULT_CONTROLS.harmonicMix, 0, 2, DEFAULT_CONTROLS.harmonicMix),
      noiseMix: clamp(c0.noiseMix ?? DEFAULT_CONTROLS.noiseMix, 0, 2, DEFAULT_CONTROLS.noiseMix),
      reverbMix: clamp(c0.reverbMix ?? DEFAULT_CONTROLS.reverbMix, 0, 1, DEFAULT_CONTROLS.reverbMix),
    });
    this.fadeLength = Math.max(1, Math.round(SWAP_FADE_SECONDS * sampleRate));
    this.voice = prepareModel(model, sampleRate, {
      noiseSeed: this.noiseSeed, spreadQuanta: this.spreadQuanta,
      controls: { harmonicGain: this.controls.harmonicMix, noiseGain: this.controls.noiseMix, reverbMix: this.controls.reverbMix },
    });
    this.installVoice(this.voice);
  }

  /**
   * Exact latency in context samples: output = renderOffline(input) delayed by this. During a model swap, the
   * latency of the model being faded in.
   */
  get latencySamples(): number {
    return (this.pending ?? this.incoming ?? this.voice).latencySamples;
  }

  /** The model currently playing (the incoming one once a swap's fade has completed). */
  get model(): DDSPModel {
    return this.voice.model;
  }

  /**
   * Engine input count (samples since construction / reset) after which the current model analyses its frame k
   * (and, in control mode, samples the features last set): features set before the process() call that
   * reaches this count apply to frame k.
   */
  frameAvailableAt(k: number): number {
    return this.position - this.voice.position + this.voice.plan.frameAvailable(k);
  }

  /** The current model's frame plan (rates, hops, window, latency; see framer.ts). */
  get plan(): FramePlan {
    return this.voice.plan;
  }

  /**
   * Scheduling diagnostics of the current model since construction / reset: frames whose estimator work had to be
   * finished in one go (the spread budget fell short; 0 with blocks ≤ 128) and frames whose features were missing
   * when needed (always 0 at the computed latency).
   */
  get diagnostics(): { forcedFrames: number; lateFrames: number } {
    return { forcedFrames: this.voice.forcedFrames, lateFrames: this.voice.lateFrames };
  }

  /** Current mode. */
  getMode(): 'audio' | 'control' {
    return this.mode;
  }

  /** Switches between analysing the input ('audio') and taking features from setControlFeatures() ('control'). */
  setMode(mode: 'audio' | 'control'): void {
    if (mode !== 'audio' && mode !== 'control') return;
    this.mode = mode;
    const on = mode === 'control';
    this.voice.setControlMode(on);
    this.incoming?.setControlMode(on);
    this.pending?.setControlMode(on);
  }

  /**
   * Control mode: f0 (Hz; 0 or less = unvoiced, the last voiced f0 is held) and loudness (dB) for the frames
   * analysed from now on. Non-finite values are ignored.
   */
  setControlFeatures(f0Hz: number, loudnessDb: number): void {
    const f = this.features;
    if (f0Hz - f0Hz === 0) f[0] = f0Hz;
    if (loudnessDb - loudnessDb === 0) f[1] = loudnessDb;
    this.shareFeatures();
  }

  /**
   * {@link setControlFeatures} with f0 (Hz) and loudness (dB) read from values[offset] and values[offset + 1]
   * (non-finite values are ignored). The form for a render-thread caller: in V8 a fractional number passed to a
   * function that is not inlined is boxed (allocated) on every call, one read from a typed array is not.
   */
  setControlFeaturesFrom(values: Float32Array | Float64Array, offset = 0): void {
    const f = this.features;
    const f0Hz = values[offset];
    const loudnessDb = values[offset + 1];
    if (f0Hz - f0Hz === 0) f[0] = f0Hz;
    if (loudnessDb - loudnessDb === 0) f[1] = loudnessDb;
    this.shareFeatures();
  }

  private shareFeatures(): void {
    this.voice.setControlFeatures(this.features);
    this.incoming?.setControlFeatures(this.features);
  }

  /**
   * Prepares `model` for this engine: its sample rate, noise seed and `spreadQuanta` (so a swapped-in model has the
   * latency the engine was built for). Allocates: call it off the render path, then pass the result to setModel().
   * @throws RangeError / TypeError for a model the engine cannot run at this rate.
   */
  prepare(model: DDSPModel): PreparedModel {
    return prepareModel(model, this.sampleRate, { noiseSeed: this.noiseSeed, spreadQuanta: this.spreadQuanta });
  }

  /**
   * Swaps in a prepared model. The new model starts listening at once; once its pipeline is warm (its latency plus
   * three frames) the output crossfades to it over ~10 ms. A swap requested during another swap's warm-up
   * replaces it; during a fade it waits for the fade to finish. An engine built with a noiseSeed gives it to the
   * model unless prepareModel() was given one.
   * @throws RangeError if `prepared` was built for another sample rate
   */
  setModel(prepared: PreparedModel): void {
    if (!(prepared instanceof Voice)) throw new TypeError('setModel expects the result of prepareModel()');
    if (prepared.sampleRate !== this.sampleRate) {
      throw new RangeError(`the model was prepared for ${prepared.sampleRate} Hz, the engine runs at ${this.sampleRate} Hz`);
    }
    if (prepared === this.voice || prepared === this.incoming) return;
    if (this.noiseSeed !== undefined && !prepared.hasNoiseSeed) prepared.setNoiseSeed(this.noiseSeed);
    if (this.incoming !== null && this.position >= this.fadeStart) {
      this.pending = prepared;
      return;
    }
    this.startIncoming(prepared, this.position);
  }

  /** Starts feeding `v` from stream position `position`; its fade begins once its pipeline is warm. */
  private startIncoming(v: Voice, position: number): void {
    v.reset();
    this.installVoice(v);
    this.incoming = v;
    this.fadeStart = position + v.latencySamples + Math.ceil(3 * v.plan.hopContext);
  }

  /** Brings `v` to the engine's mode, features and current controls (at once: no control ramp). */
  private installVoice(v: Voice): void {
    this.readControls();
    v.setControlMode(this.mode === 'control');
    v.setControlFeatures(this.features);
    v.setControls(this.applied, true);
  }

  /**
   * Clears all state (as if silence came before); a swap in progress completes at once. The controls stay as they
   * are, with no smoothing ramp after the reset.
   */
  reset(): void {
    if (this.pending) { this.voice = this.pending; this.pending = null; this.incoming = null; }
    else if (this.incoming) { this.voice = this.incoming; this.incoming = null; }
    this.voice.reset();
    this.installVoice(this.voice);
    this.position = 0;
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

  /** Reads `controls` (clamped; NaN keeps the last value) into `applied`; true if anything changed. */
  private readControls(): boolean {
    const c = this.controls;
    const a = this.applied;
    if (c.pitchShift === a[0] && c.harmonicMix === a[1] && c.noiseMix === a[2] && c.reverbMix === a[3]) return false;
    let changed = false;
    for (let j = 0; j < 4; j++) {
      const v = j === 0 ? c.pitchShift : j === 1 ? c.harmonicMix : j === 2 ? c.noiseMix : c.reverbMix;
      if (!(v === v)) continue; // NaN keeps the last value
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
    this.voice.setControls(this.applied, false);
    this.incoming?.setControls(this.applied, false);
  }

  private chunk(input: Float32Array | null, inOffset: number, output: Float32Array, outOffset: number, m: number): void {
    // Sanitised copy of the input (missing samples = 0).
    const x = this.inBuf;
    let src: Float32Array | null = null;
    if (input !== null && input !== undefined && this.mode === 'audio') {
      const avail = input.length - inOffset;
      for (let i = 0; i < m; i++) {
        const v = i < avail ? input[inOffset + i] : 0;
        x[i] = v - v === 0 ? v : 0;
      }
      src = x;
    }
    const a = this.outA;
    this.voice.process(src, 0, a, 0, m);
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
        // Fade complete: the incoming voice takes over.
        this.voice = inc;
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
