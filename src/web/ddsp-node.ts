// DDSPNode: an AudioWorkletNode running the 'ddsp-stream' processor (worklet/processor.ts), with typed
// AudioParams, the engine's latency, and a promise-based port protocol (src/web/protocol.ts).
//
// Works with the browser's own contexts (AudioContext, OfflineAudioContext) and with standardized-audio-context's.
// The node returned by DDSPNode.create IS the AudioWorkletNode (of the matching flavour) with the members below
// added, so it connects like any other node.
import {
  AudioWorkletNode as SacAudioWorkletNode,
  type IAudioParam,
  type IAudioWorkletNode,
  type TContext,
} from 'standardized-audio-context';
import type { DDSPModel } from '../model/ddsp-model';
import type { BundledModelName } from './bundled-models';
import { DDSPError } from './errors';
import {
  MODE_PARAM,
  PROCESSOR_NAME,
  modeValue,
  type DDSPMode,
  type DDSPProcessorOptions,
  type DDSPReply,
  type DDSPRequest,
  type LoadResult,
} from './protocol';
import { MAX_VOICES } from '../engine/voices';
import { MAX_INPUT_CHANNELS } from '../engine/channel-voices';
import { PARAMETER_DESCRIPTORS, PARAM_NAMES } from './params';
import {
  NOW_FRAME,
  contextTimeOf,
  frameOf,
  pushAllNotesOff,
  pushMidi,
  pushNoteOff,
  pushNoteOn,
  type EventsMessage,
  type OutputTimestamp,
} from './event-messages';
import type { Load } from './prepare-load';
import { isNativeContext, registerWorklet, type AnyAudioContext } from './register-worklet';

/**
 * Where a model comes from: the name of a model shipped in the package (`'violin'`, `'flute'`, `'cello'`), a URL
 * (fetched), the model file's bytes, or an already-read model. A string without `/`, `.` or `:` is a name.
 * (`string & {}` keeps the names among an editor's suggestions.)
 */
export type DDSPModelSource = BundledModelName | (string & {}) | URL | ArrayBuffer | Uint8Array | DDSPModel;

/**
 * Options of DDSPNode.create. The node's channel layout follows from them (one input, one mono output:
 * numberOfInputs 1, numberOfOutputs 1, outputChannelCount [1]; channelCount `inputChannels`, channelCountMode
 * 'explicit'), so it is not among the options.
 */
export interface DDSPNodeOptions {
  /**
   * The model: a bundled model's name, a URL, model file bytes (copied, never detached), or a DDSPModel. Read and
   * validated on the page's thread (never on the render thread).
   */
  model: DDSPModelSource;
  /**
   * 'audio' (default): f0 and loudness analysed from the input; 'control': from the f0/loudness params; 'notes': the
   * notes (noteOn, midi…) play the node's voices.
   */
  mode?: DDSPMode;
  /** Initial pitch shift in semitones, −24..24; default 0. */
  pitchShift?: number;
  /** Initial harmonic gain, 0..2; default 1. */
  harmonicMix?: number;
  /** Initial noise gain, 0..2; default 1. */
  noiseMix?: number;
  /** Initial reverb wet share m, 0..1 (2·m·wet + 2·(1−m)·dry); default 0.5. */
  reverbMix?: number;
  /** Initial f0 in Hz for control mode; default 440. */
  f0?: number;
  /** Initial loudness for control mode in dB on the seed's scale (not dBFS; see `loudness`); default −80 (silence). */
  loudness?: number;
  /** Noise source seed; default the engine's. */
  noiseSeed?: number;
  /** How a multi-channel input is mixed down to mono; default 'speakers'. (With `inputChannels` > 1: 'discrete'.) */
  channelInterpretation?: ChannelInterpretation;
  /**
   * Notes sounding at once in 'notes' mode, 1–64; default 8. Each note (noteOn, midi) sounds on a voice of its
   * own; a note beyond this takes a free voice first, then the oldest released note's, then the oldest held only by
   * the sustain pedal, then the oldest held (faded out over 5 ms). A voice costs nothing once its release has ended.
   */
  voices?: number;
  /**
   * Input channels tracked as voices of their own in audio mode (a hexaphonic pickup, a multitrack, several
   * singers), 1–16 (independent of `voices`, which counts notes); default 1: the input mixed down to mono, one
   * voice. With N > 1 the node takes N channels as they come (channelCount N, channelInterpretation 'discrete': a
   * source with fewer channels leaves the others silent), each tracked and resynthesized on its own (audio mode's
   * latency), and their sum goes through the one reverb.
   */
  inputChannels?: number;
}

/** The members DDSPNode adds to its AudioWorkletNode. `P` is the AudioParam type of the context's flavour. */
export interface DDSPNodeMembers<P> {
  /** Pitch shift in semitones, −24..24 (default 0). k-rate. */
  readonly pitchShift: P;
  /** Harmonic (oscillator) gain, 0..2 (default 1). k-rate. */
  readonly harmonicMix: P;
  /** Filtered-noise gain, 0..2 (default 1). k-rate. */
  readonly noiseMix: P;
  /** Reverb wet share, 0..1 (default 0.5, as in training). k-rate. */
  readonly reverbMix: P;
  /** Fundamental frequency in Hz used in control mode (default 440). k-rate. */
  readonly f0: P;
  /**
   * Loudness used in control mode (default −80: silence), in dB on the seed's A-weighted scale, which is NOT dBFS:
   * 0 dB is a medium note, not full scale. The model plays well inside `modelInfo.loudnessRangeDb` (the bundled
   * violin: −38.3…+9.7 dB), goes quiet below it, and −80 is silence. To set it without knowing the scale, use
   * {@link DDSPNodeMembers.levelToLoudness}. k-rate.
   */
  readonly loudness: P;
  /** Latency of the node in seconds: its output is the offline render delayed by this. Updated by loadModel. */
  readonly latency: number;
  /** The same latency in samples at the context's sample rate. */
  readonly latencySamples: number;
  /** The current mode. */
  readonly mode: DDSPMode;
  /** What the processor reported for the current model. */
  readonly modelInfo: LoadResult;
  /**
   * Replaces the model (crossfaded, click-free). Resolves once the processor runs the new model; rejects with a
   * DDSPError ('FETCH', 'MODEL_FORMAT', 'MODEL_LOAD') and keeps the old model when the new one is refused.
   */
  loadModel(model: DDSPModelSource): Promise<LoadResult>;
  /**
   * Switches between 'audio' (analyse the input), 'control' (f0/loudness params) and 'notes' (the notes play the
   * voices; leaving it fades them out), crossfaded over ~10 ms, from the next render quantum:
   * called before rendering starts, from the first sample. Synchronous (the mode travels as an AudioParam value, not
   * as a message that could arrive after the first quanta).
   */
  setMode(mode: DDSPMode): void;
  /**
   * The loudness (dB, the `loudness` param's scale) for a level that needs no knowledge of that scale: 0 is
   * silence (−80 dB); (0, 1] maps linearly in dB onto the model's working range `modelInfo.loudnessRangeDb`, from
   * its quietest (just above 0) to its loudest typical note (1). A MIDI velocity v is the level v/127.
   *
   * @example
   * ```ts
   * const ctx = new AudioContext();
   * const node = await DDSPNode.create(ctx, { model: 'violin', mode: 'control' });
   * node.connect(ctx.destination);
   * node.f0.setValueAtTime(440, ctx.currentTime);
   * node.loudness.setTargetAtTime(node.levelToLoudness(100 / 127), ctx.currentTime, 0.02); // note on, velocity 100
   * node.loudness.setTargetAtTime(node.levelToLoudness(0), ctx.currentTime + 1, 0.05); // note off
   * ```
   */
  levelToLoudness(level: number): number;
  /**
   * Starts note `key` (MIDI key 0–127, 69 = A4 = 440 Hz) at MIDI velocity 1–127 (default 100) on a voice of its own,
   * at context time `time` in seconds (`currentTime`'s clock; default: now, the first sample the processor renders
   * after the call). The note lands on its sample, not on a render quantum, and sounds the node's `latency` later.
   * Notes play in 'notes' mode (elsewhere note-ons are ignored). A note is the engine's control mode on a curve of
   * its own: attack 30 ms from −60 dB, release 150 ms, peak `+10 dB + 40·log10(velocity/127)` on the seed's loudness
   * scale (engine/note-events.ts, NOTE_ENVELOPE). Throws a RangeError for an argument out of range.
   */
  noteOn(key: number, velocity?: number, time?: number): void;
  /** Releases note `key` at context time `time` (default now); the sustain pedal (CC64 through midi) holds it. */
  noteOff(key: number, time?: number): void;
  /** Releases every note at context time `time` (default now), whether the sustain pedal holds it or not. */
  allNotesOff(time?: number): void;
  /**
   * Plays raw MIDI bytes: one channel message or several (running status allowed), as a Web MIDI input delivers
   * them — `input.onmidimessage = (e) => node.midi(e.data, e.timeStamp)`. Note on/off with velocity, pitch bend
   * (per channel, range from RPN 0), channel pressure and poly aftertouch (loudness), CC64 sustain, CC74 (the
   * note's noise mix × value/64), CC120/121/123, and MPE (zones from the configuration message, a channel per note)
   * are played as the engine reads them (engine/note-events.ts); system messages are skipped. Throws a RangeError
   * for a value that is not a byte.
   *
   * `timestamp` is a performance time in ms (performance.now()'s clock, as MIDIMessageEvent.timeStamp); default
   * now. It becomes context time through one `getOutputTimestamp()` reading: the time of the sample the device
   * plays at that instant. That sample was rendered an output latency ago, so a timestamp up to now lands on the
   * next sample rendered (as soon as possible); `e.timeStamp + d`, d above the output latency plus the delivery
   * jitter, plays every event d late and exactly spaced. A timestamp needs a realtime AudioContext (a TypeError
   * otherwise): use {@link DDSPNodeMembers.midiAt} with an OfflineAudioContext.
   */
  midi(data: ArrayLike<number>, timestamp?: number): void;
  /** {@link DDSPNodeMembers.midi} at context time `time` in seconds (`currentTime`'s clock); default now. */
  midiAt(data: ArrayLike<number>, time?: number): void;
  /**
   * Resolves once the processor has every note and MIDI event sent before the call. Events travel as port messages,
   * which an OfflineAudioContext does not wait for: await this before `startRendering()`.
   */
  sync(): Promise<void>;
  /** Clears the engine's state (analysis buffers, oscillator phases, reverb tail) and the events not yet due. */
  reset(): Promise<void>;
  /** Disconnects the node and closes its port; pending requests reject. */
  dispose(): void;
  /**
   * Called with an ErrorEvent (`event.error` is a DDSPError) for errors no promise reports: the processor
   * throwing while rendering ('PROCESSOR_ERROR'). The same event is dispatched as 'error' on the node.
   */
  onerror: ((event: ErrorEvent) => void) | null;
}

/** AudioParam type matching the context's flavour. */
export type DDSPParamFor<T extends AnyAudioContext> = T extends TContext ? IAudioParam : AudioParam;
/** AudioWorkletNode type matching the context's flavour. */
export type DDSPBaseNodeFor<T extends AnyAudioContext> = T extends TContext ? IAudioWorkletNode<T> : AudioWorkletNode;

/**
 * A DDSP synthesizer node: for a native context an AudioWorkletNode, for a standardized-audio-context context
 * an IAudioWorkletNode, in both cases with the DDSPNodeMembers. Mono in, mono out.
 */
export type DDSPNode<T extends AnyAudioContext = AnyAudioContext> = DDSPBaseNodeFor<T> &
  DDSPNodeMembers<DDSPParamFor<T>>;

function checkNumber(name: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number') throw new TypeError(`options.${name} must be a number, got ${typeof v}`);
  if (!(v >= min && v <= max)) {
    throw new RangeError(`options.${name} must be a number in [${min}, ${max}], got ${String(v)}`);
  }
}

function isMode(mode: unknown): mode is DDSPMode {
  return mode === 'audio' || mode === 'control' || mode === 'notes';
}

function checkInteger(name: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`options.${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

function checkBytes(data: unknown): void {
  if (data === null || typeof data !== 'object' || typeof (data as { length?: unknown }).length !== 'number') {
    throw new TypeError('data must be MIDI bytes: a Uint8Array (MIDIMessageEvent.data) or an array of numbers');
  }
}

let warnedSuspended = false;

/**
 * Warns once per page when a node is created on a realtime context that is not running: browsers start an
 * AudioContext 'suspended' until a user gesture (autoplay policy), and a suspended context renders nothing, silently.
 */
function warnIfSuspended(context: AnyAudioContext): void {
  const offline = typeof (context as { startRendering?: unknown }).startRendering === 'function';
  if (offline || context.state !== 'suspended' || warnedSuspended) return;
  warnedSuspended = true;
  console.warn(
    "ddsp-stream: DDSPNode created on a suspended AudioContext: it stays silent until the context runs. Browsers " +
      'suspend a new context until a user gesture: call `ctx.resume()` in a click (or keydown) handler.',
  );
}

/** Level 0 of levelToLoudness: the `loudness` param's default, silence. */
const SILENT_DB = PARAMETER_DESCRIPTORS.find((d) => d.name === 'loudness')!.defaultValue;

/** Node state kept off the public type. */
interface Internals {
  nextId: number;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
  info: LoadResult;
  mode: DDSPMode;
  onerror: ((event: ErrorEvent) => void) | null;
  /** Note and MIDI events of this task, sent together in a microtask (event-messages.ts). */
  events: number[];
  flushQueued: boolean;
}

type RawNode = (AudioWorkletNode | IAudioWorkletNode<TContext>) & { port: MessagePort };

/**
 * The page's part of a model load (src/web/prepare-load.ts: fetch, read and validate the file, compute its parts), in
 * a chunk of its own that the page loads with its first model: the model-file reader and the engine code modelParts
 * runs are not part of a page that only imports DDSPNode.
 */
async function prepareLoad(model: DDSPModelSource, sampleRate: number): Promise<Load> {
  return (await import('./prepare-load')).prepareLoad(model, sampleRate);
}

async function create<T extends AnyAudioContext>(context: T, options: DDSPNodeOptions): Promise<DDSPNode<T>> {
  if (context === null || typeof context !== 'object' || typeof (context as { sampleRate?: unknown }).sampleRate !== 'number') {
    throw new TypeError('context must be an AudioContext or OfflineAudioContext (native or standardized-audio-context)');
  }
  if (options === null || typeof options !== 'object' || options.model === undefined || options.model === null) {
    throw new TypeError('options.model is required: a URL, the model file bytes, or a DDSPModel');
  }
  if (options.mode !== undefined && !isMode(options.mode)) {
    throw new RangeError(`options.mode must be 'audio', 'control' or 'notes', got ${String(options.mode)}`);
  }
  for (const d of PARAMETER_DESCRIPTORS) checkNumber(d.name, options[d.name], d.minValue, d.maxValue);
  checkInteger('voices', options.voices, 1, MAX_VOICES);
  checkInteger('inputChannels', options.inputChannels, 1, MAX_INPUT_CHANNELS);

  // both at once; a model that cannot load is the error reported first (whichever failed first in time)
  const [loaded, registered] = await Promise.allSettled([prepareLoad(options.model, context.sampleRate), registerWorklet(context)]);
  if (loaded.status === 'rejected') throw loaded.reason;
  if (registered.status === 'rejected') throw registered.reason;
  const resolved = loaded.value;

  const parameterData: Record<string, number> = {};
  for (const name of PARAM_NAMES) {
    const v = options[name];
    if (v !== undefined) parameterData[name] = v;
  }
  parameterData[MODE_PARAM.name] = modeValue(options.mode ?? 'audio');
  const processorOptions: DDSPProcessorOptions = {};
  if (options.noiseSeed !== undefined) processorOptions.noiseSeed = options.noiseSeed;
  if (options.voices !== undefined) processorOptions.voices = options.voices;
  const inputChannels = options.inputChannels ?? 1;
  if (inputChannels > 1) processorOptions.inputChannels = inputChannels;
  const nodeOptions = {
    channelInterpretation: inputChannels > 1 ? ('discrete' as const) : (options.channelInterpretation ?? 'speakers'),
    // the layout, spread last so nothing overrides it
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCount: inputChannels,
    channelCountMode: 'explicit' as const,
    parameterData,
    processorOptions,
  };

  if (!isNativeContext(context) && SacAudioWorkletNode === undefined) {
    throw new DDSPError('NOT_REGISTERED', 'AudioWorklet is not supported in this browser');
  }
  let node: RawNode;
  try {
    node = isNativeContext(context)
      ? new AudioWorkletNode(context, PROCESSOR_NAME, nodeOptions)
      : new SacAudioWorkletNode!(context as TContext, PROCESSOR_NAME, nodeOptions);
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'InvalidStateError' || name === 'NotSupportedError') {
      throw new DDSPError(
        'NOT_REGISTERED',
        `the '${PROCESSOR_NAME}' processor is not registered in this context: the worklet module failed to ` +
          `evaluate (see the browser console). ${(e as Error).message}`,
      );
    }
    throw e;
  }

  const st: Internals = {
    nextId: 1,
    pending: new Map(),
    info: { latencySamples: 0, sampleRate: context.sampleRate, modelSampleRate: 0, loudnessRangeDb: [-80, -80] },
    mode: options.mode ?? 'audio',
    onerror: null,
    events: [],
    flushQueued: false,
  };

  const flushEvents = (): void => {
    st.flushQueued = false;
    if (st.events.length === 0) return;
    const data = Float64Array.from(st.events);
    st.events.length = 0;
    const msg: EventsMessage = { type: 'events', data };
    node.port.postMessage(msg, [data.buffer]);
  };
  /** Runs `push` (which appends events or throws, appending none) and sends its events at the end of the task. */
  const addEvents = (push: (events: number[]) => void): void => {
    const length = st.events.length;
    try {
      push(st.events);
    } catch (e) {
      st.events.length = length;
      throw e;
    }
    if (!st.flushQueued && st.events.length > length) {
      st.flushQueued = true;
      queueMicrotask(flushEvents);
    }
  };
  const rate = context.sampleRate;
  const outputTimestamp = (context as { getOutputTimestamp?: () => OutputTimestamp }).getOutputTimestamp;

  const fail = (err: DDSPError): void => {
    const ev = new ErrorEvent('error', { message: err.message, error: err });
    node.dispatchEvent(ev);
  };

  const request = (msg: DDSPRequest, transfer: Transferable[] = []): Promise<unknown> =>
    new Promise((resolve, reject) => {
      st.pending.set(msg.id, { resolve, reject });
      try {
        flushEvents(); // events sent before a request reach the processor before it
        node.port.postMessage(msg, transfer);
      } catch (e) {
        st.pending.delete(msg.id);
        reject(e);
      }
    });

  node.port.onmessage = (ev: MessageEvent) => {
    const msg = ev.data as DDSPReply;
    if (typeof msg?.id === 'number' && msg.id >= 0) {
      const p = st.pending.get(msg.id);
      if (p === undefined) return;
      st.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(DDSPError.fromWire(msg.error));
      else p.resolve(msg.result);
    } else if (msg?.type === 'error') {
      fail(DDSPError.fromWire(msg.error));
    } else if (msg?.type === 'loaded') {
      st.info = msg.result;
    }
  };

  node.addEventListener('processorerror', () => {
    const err = new DDSPError('PROCESSOR_ERROR', 'the processor threw while rendering and stopped');
    for (const p of st.pending.values()) p.reject(err);
    st.pending.clear();
    fail(err);
  });
  node.addEventListener('error', (ev: Event) => st.onerror?.(ev as ErrorEvent));

  const param = (name: string) => {
    const p = (node.parameters as unknown as Map<string, unknown>).get(name);
    if (p === undefined) throw new DDSPError('INTERNAL', `the processor has no AudioParam '${name}'`);
    return p;
  };

  const sendLoad = async (r: Load): Promise<LoadResult> => {
    const loaded = request({ type: 'load', id: st.nextId++, model: r.model, parts: r.parts }, r.transfer);
    // The processor builds the model in steps, one per 'step' request and one per render quantum that follows none:
    // stepping it from here, one request at a time, keeps the steps out of the quanta and completes the load where
    // no quanta run (an OfflineAudioContext before startRendering(), a suspended AudioContext) without queueing work
    // ahead of the quanta where they do.
    let building = true;
    loaded.then(() => (building = false), () => (building = false));
    while (building && ((await request({ type: 'step', id: st.nextId++ })) as boolean)) { /* next step */ }
    const info = (await loaded) as LoadResult;
    st.info = info;
    return info;
  };

  const members = {
    async loadModel(model: DDSPModelSource): Promise<LoadResult> {
      return sendLoad(await prepareLoad(model, context.sampleRate));
    },
    setMode(mode: DDSPMode): void {
      if (!isMode(mode)) {
        throw new RangeError(`mode must be 'audio', 'control' or 'notes', got ${String(mode)}`);
      }
      (param(MODE_PARAM.name) as AudioParam).value = modeValue(mode);
      st.mode = mode;
    },
    levelToLoudness(level: number): number {
      if (typeof level !== 'number' || !(level >= 0 && level <= 1)) {
        throw new RangeError(`level must be a number in [0, 1], got ${String(level)}`);
      }
      const [low, high] = st.info.loudnessRangeDb;
      return level === 0 ? SILENT_DB : low + (high - low) * level;
    },
    noteOn(key: number, velocity = 100, time?: number): void {
      addEvents((ev) => pushNoteOn(ev, key, velocity, frameOf(time, rate)));
    },
    noteOff(key: number, time?: number): void {
      addEvents((ev) => pushNoteOff(ev, key, frameOf(time, rate)));
    },
    allNotesOff(time?: number): void {
      addEvents((ev) => pushAllNotesOff(ev, frameOf(time, rate)));
    },
    midi(data: ArrayLike<number>, timestamp?: number): void {
      let frame = NOW_FRAME;
      if (timestamp !== undefined) {
        if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
          throw new RangeError(`timestamp must be a performance time in ms (a finite number), got ${String(timestamp)}`);
        }
        if (typeof outputTimestamp !== 'function') {
          throw new TypeError(
            'midi(data, timestamp) needs a realtime AudioContext (getOutputTimestamp): an OfflineAudioContext has no ' +
              'performance clock; use midiAt(data, time) with a context time',
          );
        }
        const t = contextTimeOf(timestamp, outputTimestamp.call(context));
        if (t !== null) frame = t > 0 ? Math.round(t * rate) : 0;
      }
      checkBytes(data);
      addEvents((ev) => pushMidi(ev, data, frame));
    },
    midiAt(data: ArrayLike<number>, time?: number): void {
      const frame = frameOf(time, rate);
      checkBytes(data);
      addEvents((ev) => pushMidi(ev, data, frame));
    },
    async sync(): Promise<void> {
      await request({ type: 'sync', id: st.nextId++ });
    },
    async reset(): Promise<void> {
      await request({ type: 'reset', id: st.nextId++ });
    },
    dispose(): void {
      node.disconnect();
      node.port.onmessage = null;
      node.port.close();
      const err = new DDSPError('INTERNAL', 'the node was disposed');
      for (const p of st.pending.values()) p.reject(err);
      st.pending.clear();
    },
  };
  const props: PropertyDescriptorMap = {
    latency: { get: () => st.info.latencySamples / context.sampleRate, enumerable: true },
    latencySamples: { get: () => st.info.latencySamples, enumerable: true },
    mode: { get: () => st.mode, enumerable: true },
    modelInfo: { get: () => st.info, enumerable: true },
    onerror: {
      get: () => st.onerror,
      set: (h: ((event: ErrorEvent) => void) | null) => {
        st.onerror = typeof h === 'function' ? h : null;
      },
      enumerable: true,
    },
  };
  for (const name of PARAM_NAMES) props[name] = { value: param(name), enumerable: true };
  for (const [k, v] of Object.entries(members)) props[k] = { value: v, enumerable: false };
  Object.defineProperties(node, props);

  const ddsp = node as unknown as DDSPNode<T>;
  try {
    await sendLoad(resolved);
  } catch (e) {
    ddsp.dispose();
    throw e;
  }
  warnIfSuspended(context);
  return ddsp;
}

/**
 * Creates DDSP nodes.
 *
 * @example
 * ```ts
 * const ctx = new AudioContext();
 * const mic = ctx.createMediaStreamSource(await navigator.mediaDevices.getUserMedia({ audio: true }));
 * const node = await DDSPNode.create(ctx, { model: 'violin' }); // a bundled model, or a URL
 * mic.connect(node).connect(ctx.destination);
 * document.addEventListener('click', () => ctx.resume()); // browsers start a context suspended until a gesture
 * node.pitchShift.value = 12;            // one octave up
 * console.log(`latency ${node.latency * 1000} ms`);
 * ```
 */
export const DDSPNode = {
  /** Name of the AudioWorkletProcessor ('ddsp-stream'). */
  processorName: PROCESSOR_NAME,
  /**
   * Registers the worklet in `context` (once per context), creates the node and loads the model.
   * Resolves once the processor runs the model; rejects with a DDSPError ('FETCH', 'MODEL_FORMAT',
   * 'MODEL_LOAD', 'NOT_REGISTERED') or a TypeError/RangeError for bad options.
   *
   * @param context a native AudioContext/OfflineAudioContext or a standardized-audio-context one.
   */
  create,
  /** Adds the worklet module to a context ahead of time (create does it too). */
  register: registerWorklet,
} as const;
