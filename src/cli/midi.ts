/**
 * MIDI files for `ddsp-stream render --midi`: {@link midiToNoteEvents} gives a file's channel messages at sample
 * times for the polyphonic engine (notes mode: the engine's voices, envelopes, bend and pedal rules, the default);
 * {@link midiToFeatures}, described below, the monophonic rule (`--voices 1`): per-frame f0 (Hz) and loudness (dB,
 * the seed's A-weighted scale) for control mode (StreamingEngine `setControlFeatures`). Both read the file and its
 * bend/RPN rules the same way (the engine's MidiChannels, src/engine/note-events.ts).
 *
 * ## What is read
 * - Standard MIDI Files, format 0 and 1 (format 2, independent patterns, is refused), parsed with `midi-file`.
 *   Time division in ticks per quarter note with the tempo map (Set Tempo meta events from any track; 120 BPM
 *   until the first), or SMPTE (frames per second × ticks per frame; 29 means 29.97 drop-frame; tempo events
 *   then do not apply). Non-`MTrk` chunks are skipped, as the SMF spec asks.
 * - Note on / note off (note on with velocity 0 is a note off). A note on for a key that is already held on the
 *   same channel restarts that note.
 * - Pitch bend per channel, ±2 semitones by default (`bendRangeSemitones`); Registered Parameter 0 (pitch bend
 *   sensitivity: CC101 = 0, CC100 = 0, then CC6 semitones — cents reset to 0 — and optionally CC38 cents) changes
 *   the range of its channel; an NRPN selection (CC99/98) or RPN null stops data entry from touching it. The
 *   14-bit value maps so that both extremes reach exactly ± the range (+8191 → +range, −8192 → −range); the
 *   channel's current range applies to its current value (a range change re-scales a held bend).
 *   Reset All Controllers (CC121) recentres the bend.
 * - Sustain pedal (CC64) is ignored — notes end at their note off — and a warning says so when the file uses it:
 *   on a monophonic instrument the pedal would only turn every pedalled phrase into overlapping notes.
 * - Channels: all 16 merged by default; `channel` (1–16, as DAWs number them) keeps one.
 *
 * ## Monophonic rule (newest note wins)
 * Held notes form a stack in note-on order. The sounding note is the newest held one. When it is released while
 * older notes are still held, the sound falls back to the newest of those (legato: no dip, the level moves to
 * that note's peak). Notes with
 * the same start tick are ordered as they appear in the file (track order, then event order), so the last
 * listed wins. Note offs at a tick are applied before note ons at the same tick (a note ending where the next
 * starts is detached, not overlapping).
 *
 * More than one note held for longer than {@link MIDI_DEFAULTS}.polyphonyMs (100 ms — longer than the few tens of
 * ms of overlap that legato keyboard playing produces) marks the file as polyphonic: the result carries a
 * warning saying so (the rendering still follows the rule above).
 *
 * ## Envelope (loudness)
 * Linear in dB, piecewise:
 * - A detached note (no other note held at its note on) starts at `floorDb` and rises to its peak in `attackMs`
 *   (restarting from the floor even if the previous note's release had not finished, so repeated notes are
 *   re-articulated).
 * - A legato note (another note still held), or the fall-back to an older held note, moves from the current level
 *   to its own peak in `attackMs` — no dip, as a slur.
 * - The level stays at the peak while the note is held (no decay: the training instruments are bowed and blown).
 * - When the last held note is released, the level falls from where it is to `floorDb` in `releaseMs`; it stays
 *   at `floorDb` in rests, and before the first note.
 * - Peak of a note = {@link velocityToDb}: `peakDb + 40·log10(velocity/127)`, not below `floorDb`. 40·log10 is
 *   the SoundFont 2.01 default velocity-to-attenuation curve (concave, 96 dB), i.e. the law that rendered the
 *   FluidR3 training audio, so velocities land where those recordings' dynamics were. With the defaults only
 *   velocities 1 and 2 reach the floor (velocity 1 would be −74 dB, 3 is −55 dB, 16 is −26 dB).
 *
 * Why these defaults: the seed's loudness is not normalised (0 dB is not full scale). Measured on this project's
 * training audio (FluidR3 renders, seed loudness at 50 frames/s): note frames lie between about −15 and +14 dB
 * (quality set: 10th percentile −11 dB, median +5 dB, 90th +11 dB, 95th +12 dB); rests of rendered audio sit
 * near −55 dB and digital silence is −80 dB. So `peakDb` = +10 dB (velocity 127 at the 90th percentile; 100 →
 * +5.8, 64 → −1.9, 32 → −14 dB) and `floorDb` = −60 dB (quiet, but inside what the models saw). Models trained on
 * audio at another level need another `peakDb`. Attack 30 ms and release 150 ms are short enough to keep fast
 * passages articulated at 50 frames/s (20 ms frames) and long enough not to read as clicks in the features.
 *
 * ## f0
 * Frame k (time k / frameRate s) gets the pitch of the sounding note — key plus its channel's current bend,
 * `440 · 2^((key + bend − 69)/12)` Hz (A4 = key 69 = 440 Hz). Through releases and rests it keeps following the
 * most recent note (the seed holds f0 through unvoiced frames in the same way); before the first note it is the
 * first note's pitch. It is never 0.
 *
 * ## Length
 * `durationSeconds` = end of the last note (its note off; notes never released end at the file's last event, with
 * a warning) + `tailSeconds` (default 1 s: the release and the model's reverb, 1 s in seed models). Leading
 * silence before the first note is kept (time 0 is the start of the file). `f0Hz.length` =
 * `ceil(durationSeconds · frameRate)` frames. Files longer than {@link MIDI_MAX_SECONDS} are refused.
 *
 * Errors in the file throw {@link MidiError} with a one-line message (empty, not a MIDI file, truncated, corrupt
 * track, SMPTE/format problems, no notes); bad options throw RangeError / TypeError.
 *
 * @packageDocumentation
 */

import { parseMidi, type MidiEvent } from 'midi-file';
import { MidiChannels, NOTE_ENVELOPE, keyToHz, velocityToDb } from '../engine/note-events';

export { keyToHz, velocityToDb };

/** A problem with the MIDI data itself (empty, truncated, corrupt, no notes). The message is one line. */
export class MidiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MidiError';
  }
}

/**
 * Defaults of {@link midiToFeatures} (see the module notes for why): the note envelope of the engine's voices
 * ({@link NOTE_ENVELOPE}: attackMs, releaseMs, floorDb, peakDb, bendRangeSemitones) and the file reader's own.
 */
export const MIDI_DEFAULTS = {
  attackMs: NOTE_ENVELOPE.attackMs,
  releaseMs: NOTE_ENVELOPE.releaseMs,
  floorDb: NOTE_ENVELOPE.floorDb,
  peakDb: NOTE_ENVELOPE.peakDb,
  bendRangeSemitones: NOTE_ENVELOPE.bendRangeSemitones,
  /** Silence rendered after the end of the last note, s. */
  tailSeconds: 1,
  /** Overlap longer than this (ms) counts as polyphony. */
  polyphonyMs: 100,
} as const;

/** Longest MIDI timeline accepted (s): one hour. */
export const MIDI_MAX_SECONDS = 3600;

/** Options of {@link midiToFeatures}. */
export interface MidiFeatureOptions {
  /** Frames per second of the output (`render --midi`: control mode's ticks, sampleRate / 128). */
  frameRate: number;
  /** Keep only this MIDI channel, 1–16 (as DAWs number them: status-byte channel + 1). Default: all merged. */
  channel?: number;
  /** Pitch bend range in semitones (0–96) until RPN 0 sets one; default 2. */
  bendRangeSemitones?: number;
  /** Attack time, ms (≥ 0; 0 = step). Default 30. */
  attackMs?: number;
  /** Release time, ms (≥ 0; 0 = step). Default 150. */
  releaseMs?: number;
  /** Seconds rendered after the end of the last note (≥ 0). Default 1. */
  tailSeconds?: number;
  /** Loudness in rests, dB. Default −60. */
  floorDb?: number;
  /** Loudness of a velocity-127 note, dB (must be above floorDb). Default +10. */
  peakDb?: number;
}

/** Result of {@link midiToFeatures}. */
export interface MidiFeatures {
  /** f0 per frame, Hz (always > 0; held through rests). Frame k is at k / frameRate s. */
  f0Hz: Float32Array;
  /** Loudness per frame, dB (the seed's A-weighted scale). */
  loudnessDb: Float32Array;
  /** Frames per second (as asked). */
  frameRate: number;
  /** End of the last note + tailSeconds, s. */
  durationSeconds: number;
  /** Human-readable notes about the file (polyphony, unreleased notes, ignored sustain, drums). */
  warnings: string[];
  /** Note ons rendered (after channel selection). */
  noteCount: number;
}


// ---------------------------------------------------------------------------------------------------------------
// Container: chunks, header, tracks.

interface SmfLayout {
  format: number;
  /** Ticks per quarter note (PPQ) or, for SMPTE, 0. */
  ppq: number;
  /** SMPTE: seconds per tick; PPQ: 0. */
  smpteSecondsPerTick: number;
  /** Each MTrk chunk's data. */
  tracks: Uint8Array[];
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}

function printable(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? `"${s}"` : `bytes ${Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ')}`;
}

/** Walks the chunk structure (checking every length against the bytes present) before any parsing. */
function readLayout(bytes: Uint8Array): SmfLayout {
  const n = bytes.length;
  if (n === 0) throw new MidiError('empty file (0 bytes): not a MIDI file');
  const magic = 'MThd';
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(4, n)));
  if (head !== magic.slice(0, head.length)) {
    throw new MidiError(`not a MIDI file: expected "MThd" at byte 0, found ${printable(head)}`);
  }
  if (n < 14) throw new MidiError(`truncated MIDI file: the 14-byte header is cut off after ${n} bytes`);
  const headerLength = u32(bytes, 4);
  if (headerLength < 6) throw new MidiError(`corrupt MIDI header: its length is ${headerLength} bytes, at least 6 expected`);
  if (8 + headerLength > n) {
    throw new MidiError(`truncated MIDI file: the header declares ${headerLength} bytes but only ${n - 8} follow`);
  }
  const format = (bytes[8] << 8) | bytes[9];
  const nTracks = (bytes[10] << 8) | bytes[11];
  const division = (bytes[12] << 8) | bytes[13];
  if (format > 2) throw new MidiError(`unsupported MIDI file format ${format} (0, 1 or 2 expected)`);
  if (format === 2) {
    throw new MidiError('MIDI file format 2 (independent patterns) is not supported: save it as format 0 or 1');
  }
  let ppq = 0;
  let smpteSecondsPerTick = 0;
  if (division & 0x8000) {
    const fpsCode = 256 - (division >> 8);
    const ticksPerFrame = division & 0xff;
    const fps = fpsCode === 29 ? 30000 / 1001 : fpsCode;
    if (![24, 25, 29, 30].includes(fpsCode) || ticksPerFrame === 0) {
      throw new MidiError(`unsupported SMPTE time division: ${fpsCode} frames/s × ${ticksPerFrame} ticks/frame ` +
        '(24, 25, 29 or 30 frames/s and at least 1 tick per frame expected)');
    }
    smpteSecondsPerTick = 1 / (fps * ticksPerFrame);
  } else {
    ppq = division;
    if (ppq === 0) throw new MidiError('corrupt MIDI header: time division of 0 ticks per quarter note');
  }

  const tracks: Uint8Array[] = [];
  let pos = 8 + headerLength;
  while (tracks.length < nTracks) {
    if (pos >= n) {
      throw new MidiError(`truncated MIDI file: the header announces ${nTracks} track${nTracks === 1 ? '' : 's'} ` +
        `but the file ends after ${tracks.length}`);
    }
    if (pos + 8 > n) {
      throw new MidiError(`truncated MIDI file: the chunk header at byte ${pos} is cut off (file ends at byte ${n})`);
    }
    const id = ascii(bytes, pos);
    const len = u32(bytes, pos + 4);
    if (pos + 8 + len > n) {
      const what = id === 'MTrk' ? `track ${tracks.length + 1}` : `chunk ${printable(id)}`;
      throw new MidiError(`truncated MIDI file: ${what} declares ${len} bytes but only ${n - pos - 8} remain`);
    }
    if (id === 'MTrk') tracks.push(bytes.subarray(pos + 8, pos + 8 + len));
    else if (!/^[\x20-\x7e]{4}$/.test(id)) {
      throw new MidiError(`corrupt MIDI file: expected a track chunk ("MTrk") at byte ${pos}, found ${printable(id)}`);
    }
    // Other printable chunk ids are alien chunks: skipped (SMF 1.0).
    pos += 8 + len;
  }
  return { format, ppq, smpteSecondsPerTick, tracks };
}

/** Parses one track's data with midi-file (via a one-track file), turning its string throws into MidiError. */
function parseTrack(data: Uint8Array, index: number): MidiEvent[] {
  const file = new Uint8Array(22 + data.length);
  file.set([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b]);
  const len = data.length;
  file.set([(len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff], 18);
  file.set(data, 22);
  let events: MidiEvent[];
  try {
    const parsed = parseMidi(file);
    events = parsed.tracks[0] ?? [];
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new MidiError(`corrupt MIDI file: track ${index + 1}: ${why.split('\n')[0]}`);
  }
  // midi-file reads past the end of a track as `undefined` instead of failing: check every value it produced.
  let tick = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const bad = badEvent(e);
    if (bad !== null) {
      const last = i === events.length - 1;
      throw new MidiError(last && bad === 'incomplete'
        ? `truncated MIDI data: track ${index + 1} ends in the middle of an event (event ${i + 1}, tick ${tick})`
        : `corrupt MIDI file: track ${index + 1}, event ${i + 1} (tick ${tick}): ${bad === 'incomplete' ? 'incomplete event' : bad}`);
    }
    tick += e.deltaTime;
  }
  return events;
}

const isByte7 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 127;

/** null when the event is well formed; 'incomplete' when values are missing; else what is wrong. */
function badEvent(e: MidiEvent): string | null {
  if (!(Number.isInteger(e.deltaTime) && e.deltaTime >= 0)) return 'incomplete';
  const r = e as unknown as Record<string, unknown>;
  const missing = (...keys: string[]): boolean => keys.some((k) => r[k] === undefined || Number.isNaN(r[k]));
  switch (e.type) {
    case 'noteOn': case 'noteOff':
      if (missing('noteNumber', 'velocity')) return 'incomplete';
      if (!isByte7(e.noteNumber) || !isByte7(e.velocity)) return 'a note value above 127 (a status byte where data was expected)';
      return null;
    case 'controller':
      if (missing('controllerType', 'value')) return 'incomplete';
      if (!isByte7(e.controllerType) || !isByte7(e.value)) return 'a controller value above 127';
      return null;
    case 'pitchBend':
      if (missing('value')) return 'incomplete';
      if (!(Number.isInteger(e.value) && e.value >= -8192 && e.value <= 8191)) return 'a pitch bend value out of range';
      return null;
    case 'noteAftertouch':
      return missing('noteNumber', 'amount') ? 'incomplete' : null;
    case 'programChange':
      return missing('programNumber') ? 'incomplete' : null;
    case 'channelAftertouch':
      return missing('amount') ? 'incomplete' : null;
    case 'setTempo':
      if (missing('microsecondsPerBeat')) return 'incomplete';
      if (!(e.microsecondsPerBeat > 0)) return 'a set-tempo event of 0 µs per quarter note';
      return null;
    case 'unknownMeta':
      return missing('metatypeByte') ? 'incomplete' : null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Timeline.

type Kind = 'tempo' | 'control' | 'bend' | 'pressure' | 'polyPressure' | 'off' | 'on';

interface TimedEvent {
  tick: number;
  /** Sort class at equal ticks: tempo, controllers/bend, note offs, note ons. */
  cls: number;
  track: number;
  index: number;
  kind: Kind;
  channel: number;
  a: number;
  b: number;
  timeS: number;
}

function collectEvents(tracks: MidiEvent[][]): { events: TimedEvent[]; lastTick: number } {
  const events: TimedEvent[] = [];
  let lastTick = 0;
  for (let t = 0; t < tracks.length; t++) {
    let tick = 0;
    const tr = tracks[t];
    for (let i = 0; i < tr.length; i++) {
      const e = tr[i];
      tick += e.deltaTime;
      const base = { tick, track: t, index: i, timeS: 0 };
      switch (e.type) {
        case 'setTempo':
          events.push({ ...base, cls: 0, kind: 'tempo', channel: -1, a: e.microsecondsPerBeat, b: 0 });
          break;
        case 'controller':
          events.push({ ...base, cls: 1, kind: 'control', channel: e.channel, a: e.controllerType, b: e.value });
          break;
        case 'pitchBend':
          events.push({ ...base, cls: 1, kind: 'bend', channel: e.channel, a: e.value, b: 0 });
          break;
        case 'channelAftertouch':
          events.push({ ...base, cls: 1, kind: 'pressure', channel: e.channel, a: e.amount, b: 0 });
          break;
        case 'noteAftertouch':
          events.push({ ...base, cls: 1, kind: 'polyPressure', channel: e.channel, a: e.noteNumber, b: e.amount });
          break;
        case 'noteOff':
          events.push({ ...base, cls: 2, kind: 'off', channel: e.channel, a: e.noteNumber, b: 0 });
          break;
        case 'noteOn':
          if (e.velocity === 0) events.push({ ...base, cls: 2, kind: 'off', channel: e.channel, a: e.noteNumber, b: 0 });
          else events.push({ ...base, cls: 3, kind: 'on', channel: e.channel, a: e.noteNumber, b: e.velocity });
          break;
        default:
          break;
      }
    }
    if (tick > lastTick) lastTick = tick;
  }
  events.sort((x, y) => x.tick - y.tick || x.cls - y.cls || x.track - y.track || x.index - y.index);
  return { events, lastTick };
}

/** Fills timeS of every event (events sorted by tick) and returns the time of `lastTick`. */
function applyTempoMap(events: TimedEvent[], lastTick: number, layout: SmfLayout): number {
  if (layout.ppq === 0) {
    for (const e of events) e.timeS = e.tick * layout.smpteSecondsPerTick;
    return lastTick * layout.smpteSecondsPerTick;
  }
  let usPerBeat = 500000;
  let refTick = 0;
  let refS = 0;
  const at = (tick: number): number => refS + ((tick - refTick) * usPerBeat) / (1e6 * layout.ppq);
  for (const e of events) {
    e.timeS = at(e.tick);
    if (e.kind === 'tempo') {
      refS = e.timeS;
      refTick = e.tick;
      usPerBeat = e.a;
    }
  }
  return at(lastTick);
}

// ---------------------------------------------------------------------------------------------------------------
// Features.

function checkNumber(name: string, v: unknown, lo: number, hi: number, integer = false): void {
  if (typeof v !== 'number') throw new TypeError(`opts.${name} must be a number, got ${typeof v}`);
  if (!(Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v)))) {
    throw new RangeError(`opts.${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${v}`);
  }
}

function fmtS(s: number): string {
  return `${Math.round(s * 1000) / 1000} s`;
}

interface HeldNote { channel: number; key: number; velocity: number }

/** A file's channel events in time order, and what the renderers need to know of them. */
interface Timeline {
  events: TimedEvent[];
  /** End of the last note (notes never released end with the file) + the tail, s. */
  durationSeconds: number;
  noteCount: number;
  /** Notes never released, and the time of the file's last event. */
  unreleased: number;
  fileEndS: number;
  /** The channel kept (0–15), or −1 for all. */
  wanted: number;
  channelsWithNotes: Set<number>;
  listChannels: () => string;
}

/** Reads a file's timeline (one channel, 1–16, or all) and its length. @throws MidiError */
function readTimeline(bytes: Uint8Array, channel: number | undefined, tailS: number): Timeline {
  const layout = readLayout(bytes);
  const parsed = layout.tracks.map((t, i) => parseTrack(t, i));
  const { events: all, lastTick } = collectEvents(parsed);
  const fileEndS = applyTempoMap(all, lastTick, layout);

  const wanted = channel === undefined ? -1 : channel - 1;
  const channelsWithNotes = new Set<number>();
  for (const e of all) if (e.kind === 'on') channelsWithNotes.add(e.channel);
  const listChannels = (): string => [...channelsWithNotes].sort((a, b) => a - b).map((c) => c + 1).join(', ');
  const events = wanted < 0 ? all : all.filter((e) => e.channel === wanted || e.kind === 'tempo');
  const noteCount = events.reduce((n, e) => n + (e.kind === 'on' ? 1 : 0), 0);
  if (noteCount === 0) {
    if (wanted >= 0 && channelsWithNotes.size > 0) {
      throw new MidiError(`no notes on MIDI channel ${wanted + 1} (channels with notes: ${listChannels()})`);
    }
    throw new MidiError('no notes in the MIDI file (nothing to render)');
  }

  // End of the last note (notes never released end with the file) → length.
  const heldKeys = new Map<number, number>();
  let lastNoteEndS = 0;
  for (const e of events) {
    if (e.kind === 'on') {
      heldKeys.set(e.channel * 128 + e.a, 1);
      lastNoteEndS = Math.max(lastNoteEndS, e.timeS);
    } else if (e.kind === 'off' && heldKeys.delete(e.channel * 128 + e.a)) {
      lastNoteEndS = Math.max(lastNoteEndS, e.timeS);
    }
  }
  const unreleased = heldKeys.size;
  if (unreleased > 0) lastNoteEndS = Math.max(lastNoteEndS, fileEndS);
  const durationSeconds = lastNoteEndS + tailS;
  if (!(durationSeconds <= MIDI_MAX_SECONDS)) {
    throw new MidiError(`the MIDI file lasts ${fmtS(durationSeconds)}, longer than the ${MIDI_MAX_SECONDS} s limit`);
  }
  return { events, durationSeconds, noteCount, unreleased, fileEndS, wanted, channelsWithNotes, listChannels };
}

/** A file's channel messages at engine sample times, for a polyphonic engine (StreamingEngine.midi). */
export interface MidiNoteEvents {
  /** Engine sample time of each message (time · sampleRate, rounded), non-decreasing. */
  time: Float64Array;
  /** Each message's bytes (status with channel, one or two data bytes; 0 when unused). */
  status: Uint8Array;
  data1: Uint8Array;
  data2: Uint8Array;
  /** Data bytes of each message (1 or 2). */
  length: Uint8Array;
  /** End of the last note + tailSeconds, s. */
  durationSeconds: number;
  /** Human-readable notes about the file (unreleased notes, more notes at once than voices, drums). */
  warnings: string[];
  noteCount: number;
  /** Most notes held at once (by their note on/off, the sustain pedal aside). */
  maxHeld: number;
}

/**
 * A Standard MIDI File as the channel messages a polyphonic engine plays (`render --midi --voices N`): note on/off,
 * pitch bend, controllers (sustain, RPN, CC74…), channel and polyphonic pressure, at their sample times. Their
 * meaning — voices, envelopes, bend ranges, pedal — is the engine's (src/engine/voices.ts, note-events.ts), the same
 * state machine a live MIDI input drives. Length: as {@link midiToFeatures}.
 * @throws MidiError as midiToFeatures; RangeError / TypeError for bad options
 */
export function midiToNoteEvents(bytes: Uint8Array | ArrayBuffer,
  opts: { sampleRate: number; channel?: number; tailSeconds?: number; voices?: number }): MidiNoteEvents {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array (the contents of a .mid file)');
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object with sampleRate');
  checkNumber('sampleRate', opts.sampleRate, 1, 1e6);
  if (opts.channel !== undefined) checkNumber('channel', opts.channel, 1, 16, true);
  const tailS = opts.tailSeconds ?? MIDI_DEFAULTS.tailSeconds;
  checkNumber('tailSeconds', tailS, 0, 600);
  const tl = readTimeline(bytes, opts.channel, tailS);
  const msgs = tl.events.filter((e) => e.kind !== 'tempo');
  const n = msgs.length;
  const out: MidiNoteEvents = {
    time: new Float64Array(n), status: new Uint8Array(n), data1: new Uint8Array(n), data2: new Uint8Array(n),
    length: new Uint8Array(n), durationSeconds: tl.durationSeconds, warnings: [], noteCount: tl.noteCount, maxHeld: 0,
  };
  const held = new Set<number>();
  msgs.forEach((e, i) => {
    out.time[i] = Math.round(e.timeS * opts.sampleRate);
    const ch = e.channel;
    let st = 0x80;
    let d1 = e.a;
    let d2 = e.b;
    let len = 2;
    switch (e.kind) {
      case 'on': st = 0x90; held.add(ch * 128 + e.a); out.maxHeld = Math.max(out.maxHeld, held.size); break;
      case 'off': st = 0x80; d2 = 0; held.delete(ch * 128 + e.a); break;
      case 'control': st = 0xb0; break;
      case 'bend': st = 0xe0; d1 = (e.a + 8192) & 0x7f; d2 = ((e.a + 8192) >> 7) & 0x7f; break;
      case 'pressure': st = 0xd0; d2 = 0; len = 1; break;
      case 'polyPressure': st = 0xa0; break;
      default: break;
    }
    out.status[i] = st | ch;
    out.data1[i] = d1;
    out.data2[i] = d2;
    out.length[i] = len;
  });
  if (tl.unreleased > 0) {
    out.warnings.push(`${tl.unreleased} note${tl.unreleased === 1 ? ' was' : 's were'} never released; ` +
      `${tl.unreleased === 1 ? 'it is' : 'they are'} released at the end of the file (${fmtS(tl.fileEndS)})`);
    const end = Math.round(tl.fileEndS * opts.sampleRate);
    // Note offs for them at the file's end (the engine's All Notes Off of every channel).
    const extra = [...held];
    const grow = (a: Float64Array | Uint8Array, v: number[]): void => v.forEach((x, j) => { a[n + j] = x; });
    const t2 = new Float64Array(n + extra.length); t2.set(out.time); grow(t2, extra.map(() => end));
    const s2 = new Uint8Array(n + extra.length); s2.set(out.status); grow(s2, extra.map((k) => 0x80 | (k >> 7)));
    const a2 = new Uint8Array(n + extra.length); a2.set(out.data1); grow(a2, extra.map((k) => k & 127));
    const b2 = new Uint8Array(n + extra.length); b2.set(out.data2);
    const l2 = new Uint8Array(n + extra.length).fill(2); l2.set(out.length);
    Object.assign(out, { time: t2, status: s2, data1: a2, data2: b2, length: l2 });
  }
  if (opts.voices !== undefined && out.maxHeld > opts.voices) {
    out.warnings.push(`up to ${out.maxHeld} notes are held at once, more than the ${opts.voices} voices: the oldest ` +
      'are taken over (raise --voices)');
  }
  if (tl.wanted < 0 && tl.channelsWithNotes.has(9)) {
    out.warnings.push('channel 10 (General MIDI percussion) has notes; they are rendered as pitches — pick another channel with the channel option');
  }
  return out;
}

/**
 * Turns a Standard MIDI File into per-frame control features (see the module notes for every rule).
 * @param bytes the .mid file's bytes
 * @returns f0Hz and loudnessDb (ceil(durationSeconds·frameRate) frames), durationSeconds, warnings, noteCount
 * @throws MidiError for an empty, truncated or corrupt file, SMF format 2, or a file (or channel) with no notes
 * @throws RangeError / TypeError for bad options
 */
export function midiToFeatures(bytes: Uint8Array | ArrayBuffer, opts: MidiFeatureOptions): MidiFeatures {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array (the contents of a .mid file)');
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object with frameRate');
  checkNumber('frameRate', opts.frameRate, 1e-3, 10000);
  if (opts.channel !== undefined) checkNumber('channel', opts.channel, 1, 16, true);
  const D = MIDI_DEFAULTS;
  const bendRange = opts.bendRangeSemitones ?? D.bendRangeSemitones;
  checkNumber('bendRangeSemitones', bendRange, 0, 96);
  const attackS = (opts.attackMs ?? D.attackMs) / 1000;
  checkNumber('attackMs', attackS * 1000, 0, 10000);
  const releaseS = (opts.releaseMs ?? D.releaseMs) / 1000;
  checkNumber('releaseMs', releaseS * 1000, 0, 10000);
  const tailS = opts.tailSeconds ?? D.tailSeconds;
  checkNumber('tailSeconds', tailS, 0, 600);
  const floorDb = opts.floorDb ?? D.floorDb;
  checkNumber('floorDb', floorDb, -200, 100);
  const peakDb = opts.peakDb ?? D.peakDb;
  checkNumber('peakDb', peakDb, -200, 100);
  if (!(peakDb > floorDb)) throw new RangeError(`opts.peakDb (${peakDb}) must be above opts.floorDb (${floorDb})`);
  const frameRate = opts.frameRate;

  const { events, durationSeconds, noteCount, unreleased, fileEndS, wanted, channelsWithNotes, listChannels } =
    readTimeline(bytes, opts.channel, tailS);
  const nFrames = Math.max(1, Math.ceil(durationSeconds * frameRate - 1e-9));

  // Pass 2: simulate at the frame times.
  const f0Hz = new Float32Array(nFrames);
  const loudnessDb = new Float32Array(nFrames);
  // Bend, its range and the RPN rules: the engine's channel state machine (src/engine/note-events.ts).
  const channels = new MidiChannels(bendRange);
  const held: HeldNote[] = [];
  let pitchNote: HeldNote = (() => {
    const first = events.find((e) => e.kind === 'on') as TimedEvent;
    return { channel: first.channel, key: first.a, velocity: first.b };
  })();
  // Envelope segment: level(t) = l0 + (target − l0)·min(1, (t − t0)/dur).
  let t0 = 0;
  let l0 = floorDb;
  let target = floorDb;
  let dur = 0;
  const level = (t: number): number => {
    if (dur <= 0 || t - t0 >= dur) return target;
    const w = t > t0 ? (t - t0) / dur : 0;
    return l0 + (target - l0) * w;
  };
  // Polyphony bookkeeping.
  const polyS = D.polyphonyMs / 1000;
  let maxHeld = 0;
  let overlapStart = -1;
  let overlapMax = 0;
  let longOverlaps = 0;
  let firstLongOverlapS = -1;
  let sustainUsed = false;
  const endOverlap = (t: number): void => {
    if (overlapStart >= 0 && t - overlapStart > polyS) {
      if (longOverlaps === 0) firstLongOverlapS = overlapStart;
      longOverlaps++;
      maxHeld = Math.max(maxHeld, overlapMax);
    }
    overlapStart = -1;
    overlapMax = 0;
  };

  const apply = (e: TimedEvent): void => {
    const t = e.timeS;
    const ch = e.channel;
    switch (e.kind) {
      case 'tempo':
        return;
      case 'bend':
        channels.pitchBend(ch, e.a);
        return;
      case 'control':
        if (e.a === 64 && e.b >= 64) sustainUsed = true;
        channels.controlChange(ch, e.a, e.b);
        return;
      case 'pressure': case 'polyPressure':
        return;
      case 'on': {
        const now = level(t);
        const i = held.findIndex((h) => h.channel === ch && h.key === e.a);
        if (i >= 0) held.splice(i, 1); // re-struck while held: restart it as the newest
        const legato = held.length > 0;
        const note = { channel: ch, key: e.a, velocity: e.b };
        held.push(note);
        pitchNote = note;
        t0 = t; l0 = legato ? now : floorDb; target = velocityToDb(e.b, peakDb, floorDb); dur = attackS;
        if (held.length >= 2) {
          if (overlapStart < 0) overlapStart = t;
          overlapMax = Math.max(overlapMax, held.length);
        }
        return;
      }
      case 'off': {
        const i = held.findIndex((h) => h.channel === ch && h.key === e.a);
        if (i < 0) return; // stray note off
        const wasSounding = i === held.length - 1;
        held.splice(i, 1);
        if (held.length < 2) endOverlap(t);
        if (!wasSounding) return;
        const now = level(t);
        t0 = t; l0 = now; dur = held.length > 0 ? attackS : releaseS;
        if (held.length > 0) {
          const top = held[held.length - 1];
          pitchNote = top;
          target = velocityToDb(top.velocity, peakDb, floorDb);
        } else {
          target = floorDb;
        }
        return;
      }
    }
  };

  let next = 0;
  const eps = 1e-9;
  for (let k = 0; k < nFrames; k++) {
    const t = k / frameRate;
    while (next < events.length && events[next].timeS <= t + eps) apply(events[next++]);
    if (unreleased > 0 && t + eps >= fileEndS && held.length > 0) {
      // Notes never released end with the file.
      const now = level(fileEndS);
      endOverlap(fileEndS);
      held.length = 0;
      t0 = fileEndS; l0 = now; target = floorDb; dur = releaseS;
    }
    f0Hz[k] = keyToHz(pitchNote.key + channels.bendSemitones[pitchNote.channel]);
    loudnessDb[k] = level(t);
  }
  while (next < events.length) apply(events[next++]);
  endOverlap(durationSeconds);

  const warnings: string[] = [];
  if (longOverlaps > 0) {
    const chans = wanted < 0 && channelsWithNotes.size > 1
      ? `; notes on channels ${listChannels()} are merged — pick one with the channel option` : '';
    warnings.push(`polyphonic MIDI: up to ${maxHeld} notes sound at once (${longOverlaps} overlap${longOverlaps === 1 ? '' : 's'} ` +
      `longer than ${D.polyphonyMs} ms, the first at ${fmtS(firstLongOverlapS)}); the model is monophonic, ` +
      `so the newest note wins${chans}`);
  }
  if (unreleased > 0) {
    warnings.push(`${unreleased} note${unreleased === 1 ? ' was' : 's were'} never released; ` +
      `${unreleased === 1 ? 'it ends' : 'they end'} at the end of the file (${fmtS(fileEndS)})`);
  }
  if (sustainUsed) warnings.push('sustain pedal (CC64) ignored: notes end at their note off');
  if (wanted < 0 && channelsWithNotes.has(9)) {
    warnings.push('channel 10 (General MIDI percussion) has notes; they are rendered as pitches — pick another channel with the channel option');
  }
  return { f0Hz, loudnessDb, frameRate, durationSeconds, warnings, noteCount };
}
