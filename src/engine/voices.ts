/**
 * The note voices of a model: notes in (./note-events), up to `voices` of them sounding at once, each a
 * control-mode instrument of its own — its estimator state (a {@link PeekingEstimator}), oscillator phases, noise
 * and envelope — summed through the graph's one reverb (a voice runs the graph without its last IRReverb:
 * {@link voiceGraph}; the reverb is linear and the same for every voice).
 *
 * - **A note is the monophonic control mode.** A voice is control mode's path (the tick-rate synth with
 *   minimum-phase noise, the peeking estimator, pitchShift smoothed per tick) started afresh at its note-on
 *   sample: its tick j samples its features at 128·j samples after the note-on — f0 from the key and the
 *   channel's bend, loudness from the envelope ({@link NOTE_ENVELOPE}) plus pressure — and its output is control
 *   mode's, 64 samples of latency included. One note equals the monophonic control-mode render of that f0 and
 *   loudness curve, started at the note-on sample (tested to float rounding), so every figure measured for one
 *   voice holds.
 * - **Sample-accurate.** A note starts on the sample of its event; every event splits the quantum where it lands,
 *   so each tick's features see exactly the events before its sample.
 * - **Batched.** The ticks that fall in a stretch of the quantum are evaluated together (EstimatorRuntime.runBatch:
 *   one pass over the weights for all their rows).
 * - **Allocation** (as synthesizers do): a free voice; when `voices` notes sound, the oldest released note's voice,
 *   then the oldest one held only by the sustain pedal, then the oldest held. A stolen voice fades out over
 *   {@link VOICE_FADE_SECONDS} on a spare voice object while the new note starts at once (there are 2 × voices
 *   objects; if every spare is still fading, the one nearest its end is cut).
 * - **A voice whose release has ended costs nothing:** once its envelope has reached the floor it fades out over
 *   VOICE_FADE_SECONDS and is skipped entirely from then on.
 *
 * @packageDocumentation
 */

import type { EstimatorRuntime } from '../estimator/realtime';
import type { DDSPModel } from '../model/model-file';
import { CONTROLS } from '../modules/controls';
import { SynthStream, TailStream, voiceGraph, type SynthRenderOptions } from '../synth/graph';
import { QUANTUM, type FramePlan } from './framer';
import { controlPlanFor, controlSynthOptions } from './frame-path';
import {
  CC_ALL_NOTES_OFF, CC_ALL_SOUND_OFF, CC_SUSTAIN_OFF, EV_ALL_NOTES_OFF, EV_CHANNEL_PRESSURE, EV_CONTROL, EV_NOTE_OFF,
  EV_NOTE_ON, EV_PITCH_BEND, EV_POLY_PRESSURE, MidiChannels, NOTE_ENVELOPE, NoteEventQueue,
} from './note-events';
import { EVAL_A, EVAL_B, EVAL_COMMIT, PeekingEstimator } from './peeking-estimator';

/** Most voices an engine plays at once. */
export const MAX_VOICES = 64;
/** Voices when the option is not given. */
export const DEFAULT_VOICES = 8;
/** Fade of a stolen voice, and of a voice whose release has ended, seconds. */
export const VOICE_FADE_SECONDS = 0.005;
/** Voice object i draws noise from seed noiseSeed + i·VOICE_SEED_STRIDE (voices are not correlated). */
const VOICE_SEED_STRIDE = 1009;

// Voice states.
const FREE = 0;
const HELD = 1;
const SUSTAINED = 2;
const RELEASED = 3;
const FADING = 4;

/** Checks a voice count (1..MAX_VOICES). @throws RangeError naming `name` */
export function checkVoices(voices: unknown, name = 'voices'): number {
  if (!(typeof voices === 'number' && Number.isInteger(voices) && voices >= 1 && voices <= MAX_VOICES)) {
    throw new RangeError(`${name} must be an integer in [1, ${MAX_VOICES}], got ${String(voices)}`);
  }
  return voices;
}

/** One voice: a control-mode path started at its note-on sample (see the module notes). */
class Voice {
  readonly synth: SynthStream;
  readonly ticks: PeekingEstimator;
  readonly out = new Float32Array(QUANTUM);
  state = FREE;
  channel = 0;
  key = 0;
  /** Note-on and release order (smaller = older). */
  order = 0;
  releaseOrder = 0;
  /** Bank time of the note-on; samples rendered since (the voice's stream position). */
  start = 0;
  pos = 0;
  /** Bank time at which the release reaches the floor. */
  releaseEnd = 0;
  /** Envelope segment (bank samples, dB): level(t) = l0 + (target − l0)·min(1, (t − t0)/dur). */
  t0 = 0;
  l0 = 0;
  target = 0;
  dur = 0;
  pressure = 0;
  /** Samples of fade left (FADING). */
  fadeLeft = 0;
  /** Ticks: next to sample (a planned one counts), next frame to push and the first batch sample that needs it. */
  nextTick = 0;
  nextPushed = 0;
  nextNeed = 0;
  /** True between planTick and finishTick. */
  planned = false;
  pitchShiftNow = 0;
  pitchShiftFresh = true;
  /** Features of the last two ticks (slot = tick % 2), float32 as control mode stores them, and their params. */
  readonly qF0 = new Float32Array(2);
  readonly qLoud = new Float32Array(2);
  readonly qParams: Float32Array;
  readonly frame: Float32Array;
  /** [pitchShift, harmonicMix, noiseMix (× CC74), reverbMix] handed to the synth. */
  readonly mixes = Float64Array.from([CONTROLS.pitchShift.defaultValue, CONTROLS.harmonicMix.defaultValue,
    CONTROLS.noiseMix.defaultValue, CONTROLS.reverbMix.defaultValue]);

  constructor(synth: SynthStream, ticks: PeekingEstimator, nParams: number) {
    this.synth = synth;
    this.ticks = ticks;
    this.qParams = new Float32Array(2 * nParams);
    this.frame = new Float32Array(nParams);
  }
}

/**
 * Builds the note voices one voice object's synth per step (~0.1 ms each; the whole bank in one go took 1–2 ms for
 * 8 voices, more than a render quantum's share: test/web/processor-load-time.test.ts), the last step returning them.
 * @param est the model's runtime, built with batchRows ≥ 2
 * @param reverb the reverb's parts computed elsewhere and where copying them is left (see SynthRenderOptions)
 */
export function* buildVoiceBank(model: DDSPModel, sampleRate: number, est: EstimatorRuntime, voices: number,
  noiseSeed?: number, peakDb?: number, reverb: Pick<SynthRenderOptions, 'parts' | 'defer'> = {}): Generator<void, VoiceBank, void> {
  const n = checkVoices(voices);
  const { voice } = voiceGraph(model.synth);
  const o = controlSynthOptions(model, sampleRate, noiseSeed);
  const seed = noiseSeed ?? 0;
  const synths: SynthStream[] = [];
  for (let i = 0; i < 2 * n; i++) {
    synths.push(new SynthStream(voice, { ...o, noiseSeed: seed + i * VOICE_SEED_STRIDE }));
    yield;
  }
  return new VoiceBank(model, sampleRate, est, synths, noiseSeed, peakDb, reverb);
}

/**
 * A model's note voices at one context rate (see the module notes): the third path of a ModelPipeline, with the
 * same interface as its audio and control paths (FramePath). Events come from the engine's per-quantum list
 * ({@link VoiceBank.setEvents}), with times counted from the start of the process() call.
 */
export class VoiceBank {
  /** The control-mode plan every voice runs (tick rate, latency). */
  readonly plan: FramePlan;
  readonly latencySamples: number;
  /** Most notes sounding at once. */
  readonly maxVoices: number;
  /** MIDI's channel state (bends, ranges, pressure, CC74, pedals, MPE zones). */
  readonly channels = new MidiChannels();
  /** Bank input count (samples since reset). */
  inCount = 0;
  /** Frames a voice needed before they were estimated (never, by construction), and never-forced frames. */
  lateFrames = 0;
  readonly forcedFrames = 0;
  /** Note-ons while another mode played (ignored), since construction. */
  ignoredNotes = 0;

  private readonly voices: Voice[];
  private readonly est: EstimatorRuntime;
  private readonly tail: TailStream | null;
  private readonly mix = new Float32Array(QUANTUM);
  private readonly wet = new Float32Array(QUANTUM);
  private readonly nParams: number;
  private readonly attack: number;
  private readonly release: number;
  private readonly fadeLength: number;
  private readonly pitchAlpha: number;
  /** Loudness of a velocity-127 note, dB. */
  private readonly peakDb: number;
  private readonly applied = Float64Array.from([CONTROLS.pitchShift.defaultValue, CONTROLS.harmonicMix.defaultValue,
    CONTROLS.noiseMix.defaultValue, CONTROLS.reverbMix.defaultValue]);
  private events: NoteEventQueue | null = null;
  private order = 0;
  /** Batch rows in flight: the voice and evaluation of each. */
  private readonly rowVoice: Int32Array;
  private readonly rowWhich: Int32Array;
  private rows = 0;

  /**
   * Build it with {@link buildVoiceBank}.
   * @param est the model's runtime, built with batchRows ≥ 2 (any count works; more rows, fewer passes)
   * @param synths the voice objects' synths (2 × voices of them)
   * @param reverb the reverb's parts computed elsewhere and where copying them is left (see SynthRenderOptions)
   */
  constructor(model: DDSPModel, sampleRate: number, est: EstimatorRuntime, synths: SynthStream[], noiseSeed?: number,
    peakDb: number = NOTE_ENVELOPE.peakDb, reverb: Pick<SynthRenderOptions, 'parts' | 'defer'> = {}) {
    this.maxVoices = checkVoices(synths.length / 2);
    if (!(typeof peakDb === 'number' && peakDb > NOTE_ENVELOPE.floorDb && peakDb <= 100)) {
      throw new RangeError(`notePeakDb must be a number in (${NOTE_ENVELOPE.floorDb}, 100] dB, got ${peakDb}`);
    }
    this.peakDb = peakDb;
    if (est.batchRows < 1) throw new RangeError('VoiceBank needs an EstimatorRuntime built with batchRows ≥ 1');
    this.est = est;
    const { tail } = voiceGraph(model.synth);
    const o = controlSynthOptions(model, sampleRate, noiseSeed);
    const hop = sampleRate / model.frameRate;
    this.nParams = model.estimator.outputSize;
    this.voices = synths.map((synth) => new Voice(synth, new PeekingEstimator(est, hop), this.nParams));
    this.tail = tail === null ? null : new TailStream(model.synth, tail, { ...o, ...reverb });
    this.plan = controlPlanFor(model, sampleRate, this.voices[0].synth);
    this.latencySamples = this.plan.latencySamples;
    this.attack = (NOTE_ENVELOPE.attackMs / 1000) * sampleRate;
    this.release = (NOTE_ENVELOPE.releaseMs / 1000) * sampleRate;
    this.fadeLength = Math.max(1, Math.round(VOICE_FADE_SECONDS * sampleRate));
    this.pitchAlpha = 1 - Math.exp(-1 / (CONTROLS.pitchShift.smoothing.seconds * this.plan.frameRate));
    this.rowVoice = new Int32Array(est.batchRows);
    this.rowWhich = new Int32Array(est.batchRows);
  }

  /** The engine's list of this quantum's events (times = offsets in the process() call). */
  setEvents(events: NoteEventQueue): void {
    this.events = events;
  }

  /** Notes sounding (held, sustained or releasing; not the fading). */
  get sounding(): number {
    let k = 0;
    for (let i = 0; i < this.voices.length; i++) {
      const s = this.voices[i].state;
      if (s === HELD || s === SUSTAINED || s === RELEASED) k++;
    }
    return k;
  }

  /** Voice objects rendering (sounding or fading). */
  get active(): number {
    let k = 0;
    for (let i = 0; i < this.voices.length; i++) if (this.voices[i].state !== FREE) k++;
    return k;
  }

  /** As FramePath.setControls: values = [pitchShift, harmonicMix, noiseMix, reverbMix]. */
  setControls(values: Float64Array, immediate: boolean): void {
    for (let j = 0; j < 4; j++) this.applied[j] = values[j];
    for (let i = 0; i < this.voices.length; i++) this.updateMixes(this.voices[i], immediate);
    this.tail?.setControlsFrom(values, 1, immediate);
  }

  /** Switches the noise seeds (voice object i: noiseSeed + i·1009). */
  setNoiseSeed(noiseSeed: number): void {
    for (let i = 0; i < this.voices.length; i++) this.voices[i].synth.setNoiseSeed(noiseSeed + i * VOICE_SEED_STRIDE);
  }

  /** Nothing to settle: the voices' estimator work is never left half done. */
  settle(): void {}

  /** Silence: every voice freed, the reverb tail cleared (the channel state stays; MidiChannels.reset() clears it). */
  reset(): void {
    for (let i = 0; i < this.voices.length; i++) this.voices[i].state = FREE;
    this.tail?.reset();
    this.inCount = 0;
    this.lateFrames = 0;
    this.rows = 0;
  }

  /** While another mode plays: this quantum's events change the channel state; note-ons are counted, not played. */
  idle(n: number): void {
    const ev = this.events;
    if (ev !== null) {
      for (let k = 0; k < ev.length; k++) {
        const at = (ev.first + k) % ev.time.length;
        if (ev.kind[at] === EV_NOTE_ON) this.ignoredNotes++;
        else if (ev.kind[at] !== EV_NOTE_OFF) this.apply(at, this.inCount);
      }
    }
    this.inCount += n;
  }

  /** Renders n ≤ 128 samples (the input is not used) to output[outOffset ..) (written, not added). */
  process(_input: Float32Array | null, _inOffset: number, output: Float32Array, outOffset: number, n: number): void {
    const mix = this.mix;
    mix.fill(0, 0, n);
    const ev = this.events;
    let k = 0;
    const count = ev === null ? 0 : ev.length;
    let s = 0;
    while (s < n) {
      // Event times here are offsets in the call (0..n−1): small integers, read as such (V8 boxing).
      while (ev !== null && k < count && (ev.time[(ev.first + k) % ev.time.length] | 0) <= s) {
        this.apply((ev.first + k) % ev.time.length, this.inCount + s);
        k++;
      }
      let e = n;
      if (ev !== null && k < count) {
        const t = ev.time[(ev.first + k) % ev.time.length] | 0;
        if (t < e) e = t;
      }
      this.segment(s, e);
      s = e;
    }
    if (ev !== null) {
      for (; k < count; k++) this.apply((ev.first + k) % ev.time.length, this.inCount + n - 1);
    }
    if (this.tail !== null) {
      this.tail.process(mix, this.wet, n);
      for (let i = 0; i < n; i++) output[outOffset + i] = this.wet[i];
    } else {
      for (let i = 0; i < n; i++) output[outOffset + i] = mix[i];
    }
    this.inCount += n;
  }

  /** Bank samples [inCount + s, inCount + e): the voices' ticks in it (batched), then their output. */
  private segment(s: number, e: number): void {
    const now = this.inCount + s;
    const end = this.inCount + e;
    const voices = this.voices;
    // Ends: a release that has reached the floor fades out; a finished fade frees its voice.
    for (let i = 0; i < voices.length; i++) {
      const v = voices[i];
      if (v.state === RELEASED && now >= v.releaseEnd) this.fade(v);
      else if (v.state === FADING && v.fadeLeft <= 0) v.state = FREE;
    }
    const plan = this.plan;
    for (let i = 0; i < voices.length; i++) {
      const v = voices[i];
      if (v.state === FREE) continue;
      while (plan.frameAvailable(v.nextTick) <= end - v.start) {
        if (v.planned) this.flush();
        this.planTick(v, i);
      }
    }
    this.flush();
    const mix = this.mix;
    for (let i = 0; i < voices.length; i++) {
      const v = voices[i];
      if (v.state === FREE) continue;
      this.render(v, e - s);
      const o = v.out;
      if (v.state === FADING) {
        const L = this.fadeLength;
        for (let j = 0; j < e - s; j++) {
          const left = v.fadeLeft - j;
          if (left > 0) mix[s + j] += (o[j] * left) / L;
        }
        v.fadeLeft -= e - s;
      } else {
        for (let j = 0; j < e - s; j++) mix[s + j] += o[j];
      }
    }
  }

  /** Samples tick v.nextTick's features and plans its evaluations as batch rows. */
  private planTick(v: Voice, index: number): void {
    const j = v.nextTick;
    const t = v.start + QUANTUM * j; // bank time of the tick's sample
    // Loudness: the envelope at t, plus pressure.
    let level = v.target;
    if (v.dur > 0 && t - v.t0 < v.dur) {
      const w = t > v.t0 ? (t - v.t0) / v.dur : 0;
      level = v.l0 + (v.target - v.l0) * w;
    }
    const loud = level + (NOTE_ENVELOPE.pressureDb * v.pressure) / 127;
    // f0: the key and its channel's bend (plus its MPE zone master's).
    const ch = v.channel;
    const m = this.channels.master[ch];
    const bend = this.channels.bendSemitones[ch] + (m >= 0 ? this.channels.bendSemitones[m] : 0);
    const f0 = 440 * Math.pow(2, (v.key + bend - 69) / 12);
    if (v.pitchShiftFresh) {
      v.pitchShiftNow = this.applied[0];
      v.pitchShiftFresh = false;
    } else {
      v.pitchShiftNow += (this.applied[0] - v.pitchShiftNow) * this.pitchAlpha;
    }
    const slot = j & 1;
    v.qF0[slot] = f0 * Math.pow(2, v.pitchShiftNow / 12);
    v.qLoud[slot] = loud;
    const need = v.ticks.planTick(v.qF0, v.qLoud, slot);
    v.planned = true;
    v.nextTick = j + 1;
    for (let which = EVAL_COMMIT; which <= EVAL_B; which <<= 1) {
      if ((need & which) === 0) continue;
      if (this.rows >= this.rowVoice.length) this.runRows();
      const r = this.rows++;
      this.est.batchStates[r].set(v.ticks.stateFor(which));
      this.est.batchF0[r] = v.qF0[slot];
      this.est.batchLoudness[r] = v.qLoud[slot];
      this.rowVoice[r] = index;
      this.rowWhich[r] = which;
    }
  }

  /** Evaluates the rows in flight and hands each result to its voice. */
  private runRows(): void {
    const n = this.rows;
    if (n === 0) return;
    this.est.runBatch(n);
    for (let r = 0; r < n; r++) {
      this.voices[this.rowVoice[r]].ticks.take(this.rowWhich[r], this.est.batchOutputs[r], this.est.batchStates[r]);
    }
    this.rows = 0;
  }

  /** Completes every planned tick: runs the rows, then stores each voice's params for its synth. */
  private flush(): void {
    this.runRows();
    const P = this.nParams;
    for (let i = 0; i < this.voices.length; i++) {
      const v = this.voices[i];
      if (!v.planned) continue;
      v.ticks.finishTick();
      const src = v.ticks.output;
      const base = ((v.nextTick - 1) & 1) * P;
      for (let p = 0; p < P; p++) v.qParams[base + p] = src[p];
      v.planned = false;
    }
  }

  /** Renders v's next n samples into v.out (zeros for the latency, then its synth), as FramePath.render. */
  private render(v: Voice, n: number): void {
    const D = this.latencySamples;
    let s = v.pos;
    const end = s + n;
    let offset = 0;
    if (s < D) {
      const z = Math.min(end, D) - s;
      v.out.fill(0, 0, z);
      offset += z;
      s += z;
    }
    while (s < end) {
      if (v.nextNeed <= s - D) {
        this.pushFrame(v);
        continue;
      }
      const m = Math.min(end, v.nextNeed + D) - s;
      v.synth.render(v.out, offset, m);
      offset += m;
      s += m;
    }
    v.pos = end;
  }

  private pushFrame(v: Voice): void {
    const k = v.nextPushed;
    let slot = k & 1;
    if (k >= v.nextTick) {
      // Not estimated in time (cannot happen: a tick is sampled in the segment its frame is first needed).
      this.lateFrames++;
      slot = (k + 1) & 1;
    }
    const P = this.nParams;
    const base = slot * P;
    for (let p = 0; p < P; p++) v.frame[p] = v.qParams[base + p];
    v.synth.pushFrameFrom(v.frame, v.qF0, slot);
    v.nextPushed = k + 1;
    v.nextNeed = this.plan.frameNeed(k + 1);
  }

  private updateMixes(v: Voice, immediate: boolean): void {
    const a = this.applied;
    const mx = v.mixes;
    mx[1] = a[1];
    // Clamped in the array, not in a variable merged with a constant (V8 boxing: docs/architecture.md).
    mx[2] = (a[2] * this.channels.timbre[v.channel]) / 64;
    if (mx[2] > CONTROLS.noiseMix.max) mx[2] = CONTROLS.noiseMix.max;
    mx[3] = a[3];
    v.synth.setControlsFrom(mx, 1, immediate);
  }

  /** Applies event `at` of the quantum's list at bank time t. */
  private apply(at: number, t: number): void {
    const ev = this.events as NoteEventQueue;
    const ch = ev.channel[at];
    const kind = ev.kind[at];
    const a = ev.a[at];
    const b = ev.b[at];
    const voices = this.voices;
    switch (kind) {
      case EV_NOTE_ON:
        if (b > 0) this.noteOn(ch, a, b, t);
        else this.noteOff(ch, a, t);
        return;
      case EV_NOTE_OFF:
        this.noteOff(ch, a, t);
        return;
      case EV_POLY_PRESSURE:
        for (let i = 0; i < voices.length; i++) {
          const v = voices[i];
          if (v.state !== FREE && v.state !== FADING && v.channel === ch && v.key === a) v.pressure = b;
        }
        return;
      case EV_CHANNEL_PRESSURE:
        this.channels.pressure[ch] = a;
        for (let i = 0; i < voices.length; i++) {
          const v = voices[i];
          if (v.state !== FREE && v.state !== FADING && v.channel === ch) v.pressure = a;
        }
        return;
      case EV_PITCH_BEND:
        this.channels.pitchBend(ch, a);
        return;
      case EV_CONTROL: {
        const what = this.channels.controlChange(ch, a, b);
        if (a === 74 || a === 121) {
          for (let i = 0; i < voices.length; i++) if (voices[i].channel === ch && voices[i].state !== FREE) this.updateMixes(voices[i], false);
        }
        if (what === CC_SUSTAIN_OFF) {
          for (let i = 0; i < voices.length; i++) {
            const v = voices[i];
            if (v.state === SUSTAINED && !this.channels.sustained(v.channel)) this.releaseVoice(v, t);
          }
        } else if (what === CC_ALL_NOTES_OFF) {
          for (let i = 0; i < voices.length; i++) {
            const v = voices[i];
            if ((v.state === HELD || v.state === SUSTAINED) && v.channel === ch) this.releaseVoice(v, t);
          }
        } else if (what === CC_ALL_SOUND_OFF) {
          for (let i = 0; i < voices.length; i++) if (voices[i].channel === ch && voices[i].state !== FREE) this.fade(voices[i]);
        }
        return;
      }
      case EV_ALL_NOTES_OFF:
        for (let i = 0; i < voices.length; i++) {
          const v = voices[i];
          if (v.state === HELD || v.state === SUSTAINED) this.releaseVoice(v, t);
        }
        return;
      default:
        return;
    }
  }

  private noteOn(ch: number, key: number, velocity: number, t: number): void {
    // A key struck again while held releases its previous note (which then rings out as any released note).
    this.noteOff(ch, key, t, true);
    const v = this.allocate();
    v.synth.reset();
    v.ticks.reset();
    v.state = HELD;
    v.channel = ch;
    v.key = key;
    v.order = ++this.order;
    v.start = t;
    v.pos = 0;
    v.t0 = t;
    v.l0 = NOTE_ENVELOPE.floorDb;
    const vel = velocity < 1 ? 1 : velocity > 127 ? 127 : velocity;
    v.target = Math.max(NOTE_ENVELOPE.floorDb, this.peakDb + 40 * Math.log10(vel / 127));
    v.dur = this.attack;
    v.pressure = this.channels.pressure[ch];
    v.nextTick = 0;
    v.nextPushed = 0;
    v.nextNeed = this.plan.frameNeed(0);
    v.planned = false;
    v.pitchShiftFresh = true;
    this.updateMixes(v, true);
  }

  private noteOff(ch: number, key: number, t: number, retrigger = false): void {
    for (let i = 0; i < this.voices.length; i++) {
      const v = this.voices[i];
      if (v.channel !== ch || v.key !== key) continue;
      if (v.state === HELD) {
        if (!retrigger && this.channels.sustained(ch)) v.state = SUSTAINED;
        else this.releaseVoice(v, t);
      } else if (retrigger && v.state === SUSTAINED) {
        this.releaseVoice(v, t);
      }
    }
  }

  private releaseVoice(v: Voice, t: number): void {
    let level = v.target;
    if (v.dur > 0 && t - v.t0 < v.dur) {
      const w = t > v.t0 ? (t - v.t0) / v.dur : 0;
      level = v.l0 + (v.target - v.l0) * w;
    }
    v.t0 = t;
    v.l0 = level;
    v.target = NOTE_ENVELOPE.floorDb;
    v.dur = this.release;
    v.releaseEnd = t + Math.ceil(this.release);
    v.state = RELEASED;
    v.releaseOrder = ++this.order;
  }

  private fade(v: Voice): void {
    if (v.state === FREE || v.state === FADING) return;
    v.state = FADING;
    v.fadeLeft = this.fadeLength;
  }

  /** A voice for a new note (see the module notes: free, then steal the oldest released, sustained, held). */
  private allocate(): Voice {
    const voices = this.voices;
    if (this.sounding >= this.maxVoices) {
      let victim: Voice | null = null;
      for (let c = 0; c < 3; c++) {
        const state = c === 0 ? RELEASED : c === 1 ? SUSTAINED : HELD;
        for (let i = 0; i < voices.length; i++) {
          const v = voices[i];
          if (v.state !== state) continue;
          const age = state === RELEASED ? v.releaseOrder : v.order;
          if (victim === null || age < (state === RELEASED ? victim.releaseOrder : victim.order)) victim = v;
        }
        if (victim !== null) break;
      }
      if (victim !== null) this.fade(victim);
    }
    let free: Voice | null = null;
    let nearest: Voice | null = null;
    for (let i = 0; i < voices.length; i++) {
      const v = voices[i];
      if (v.state === FREE) { free = v; break; }
      if (v.state === FADING && (nearest === null || v.fadeLeft < nearest.fadeLeft)) nearest = v;
    }
    return free ?? (nearest as Voice);
  }
}
