/**
 * Notes in: the envelope law of a note, MIDI's per-channel state (pitch bend and its range, pressure, CC74,
 * sustain, MPE zones) and the engine's bounded, time-ordered queue of note events with the realtime parser of raw
 * MIDI bytes that fills it. Shared by the polyphonic engine (./voices) and the MIDI-file reader of `render --midi`
 * (src/cli/midi.ts), so the RPN and bend rules live here once. Allocation-free after construction.
 *
 * ## Per-channel state ({@link MidiChannels})
 * - Pitch bend: 14-bit, mapped so that both extremes reach exactly ± the range (+8191 → +range, −8192 → −range);
 *   the channel's current range applies to its current value (a range change re-scales a held bend).
 * - Registered Parameter 0 (pitch bend sensitivity: CC101 = 0, CC100 = 0, then CC6 semitones — cents reset to 0 —
 *   and optionally CC38 cents) sets its channel's range (default 2 semitones); an NRPN selection (CC99/98) or RPN
 *   null stops data entry from touching it. Reset All Controllers (CC121) recentres the bend, clears pressure,
 *   sets CC74 to 64, lifts the sustain pedal and deselects the RPN.
 * - MPE (MIDI Polyphonic Expression): the MPE Configuration Message (RPN 6 on channel 1 or 16, CC6 = member
 *   channels, 0 = zone off) sets up the lower zone (master channel 1, members 2…) or the upper one (master 16,
 *   members 15 downwards); member channels' bend range becomes 48 semitones and the master's 2, as the MPE
 *   specification says. A note on a member channel bends by its channel's bend plus its zone master's, and the
 *   master channel's sustain pedal holds the whole zone.
 * - Channel pressure and polyphonic aftertouch (0–127) add up to {@link NOTE_ENVELOPE}.pressureDb dB to the loudness of the
 *   notes they address (a channel's notes / one key); CC74 (MPE's "timbre", 64 = neutral) scales the note's
 *   noiseMix by value/64 (clamped to the control's range): the breath of a bowed or blown note, the one part of a DDSP
 *   voice that reads as brightness without leaving what the model was trained on.
 *
 * ## Envelope ({@link NOTE_ENVELOPE}, the law `render --midi` documents, per voice)
 * Loudness in dB, linear in dB, piecewise: a note starts at floorDb and rises to its peak ({@link velocityToDb})
 * in attackMs; it stays there while held (no decay: the training instruments are bowed and blown); at its release
 * it falls from where it is to floorDb in releaseMs.
 *
 * ## The queue ({@link NoteEventQueue})
 * {@link EVENT_CAPACITY} events, ordered by time (an event pushed with an earlier time than queued ones is
 * inserted before them; equal times keep their order). When full, a new event is dropped and counted.
 *
 * @packageDocumentation
 */

/** The note envelope and expression defaults (the ones `render --midi` has always used; see the module notes). */
export const NOTE_ENVELOPE = {
  /** Attack: floor → peak, linear in dB, ms. */
  attackMs: 30,
  /** Release: current level → floor, linear in dB, ms. */
  releaseMs: 150,
  /** Loudness of rests and of the start of an attack, dB. */
  floorDb: -60,
  /** Loudness of a velocity-127 note, dB (the seed's scale). */
  peakDb: 10,
  /** Pitch bend range until an RPN 0 message sets one, semitones. */
  bendRangeSemitones: 2,
  /** Bend range of MPE member channels once a zone is configured, semitones (MPE's default). */
  mpeBendRangeSemitones: 48,
  /** Loudness added by full pressure (channel pressure or poly aftertouch 127), dB. */
  pressureDb: 12,
} as const;

/**
 * Peak loudness of a note of `velocity` (1–127): `peakDb + 40·log10(velocity/127)` dB, not below `floorDb`
 * (the SoundFont 2 default velocity curve, amplitude ∝ velocity²: the law that rendered the training audio).
 */
export function velocityToDb(velocity: number, peakDb: number = NOTE_ENVELOPE.peakDb,
  floorDb: number = NOTE_ENVELOPE.floorDb): number {
  const v = Math.min(127, Math.max(1, velocity));
  return Math.max(floorDb, peakDb + 40 * Math.log10(v / 127));
}

/** Pitch of MIDI key `key` (fractional allowed) in Hz, A4 = 69 = 440 Hz. */
export function keyToHz(key: number): number {
  return 440 * Math.pow(2, (key - 69) / 12);
}

/** What a controller change asks of the notes (besides the channel state it changes). */
export const CC_NONE = 0;
/** Sustain pedal lifted (CC64 < 64): release the notes it held. */
export const CC_SUSTAIN_OFF = 1;
/** All Notes Off (CC123, also sent by CC124–127): release every note of the channel. */
export const CC_ALL_NOTES_OFF = 2;
/** All Sound Off (CC120): silence the channel's notes at once (a short fade). */
export const CC_ALL_SOUND_OFF = 3;

/** MIDI's per-channel state (see the module notes). Read the typed arrays; change them through the methods. */
export class MidiChannels {
  /** Pitch bend of each channel, semitones (current raw value × current range). */
  readonly bendSemitones = new Float64Array(16);
  /** Pitch bend range, semitones. */
  readonly bendRange = new Float64Array(16);
  /** Raw 14-bit bend, −8192..8191. */
  readonly bendRaw = new Int16Array(16);
  /** Channel pressure, 0–127. */
  readonly pressure = new Uint8Array(16);
  /** CC74, 0–127 (64 = neutral). */
  readonly timbre = new Uint8Array(16);
  /** Sustain pedal down (CC64 ≥ 64). */
  readonly sustain = new Uint8Array(16);
  /** Per channel, its MPE zone's master channel, or −1 (not a member of a zone). */
  readonly master = new Int8Array(16);
  private readonly rpnMsb = new Int16Array(16);
  private readonly rpnLsb = new Int16Array(16);
  private readonly defaultRange: number;

  /** @param bendRangeSemitones range until RPN 0 sets one (default 2) */
  constructor(bendRangeSemitones: number = NOTE_ENVELOPE.bendRangeSemitones) {
    this.defaultRange = bendRangeSemitones;
    this.reset();
  }

  /** Power-on state: no bend, default ranges, no pressure, CC74 = 64, pedals up, no MPE zone, no RPN selected. */
  reset(): void {
    this.bendSemitones.fill(0);
    this.bendRange.fill(this.defaultRange);
    this.bendRaw.fill(0);
    this.pressure.fill(0);
    this.timbre.fill(64);
    this.sustain.fill(0);
    this.master.fill(-1);
    this.rpnMsb.fill(127);
    this.rpnLsb.fill(127);
  }

  /** Pitch bend of channel `ch`: raw value −8192..8191 (centre 0). */
  pitchBend(ch: number, raw: number): void {
    this.bendRaw[ch] = raw;
    this.updateBend(ch);
  }

  private updateBend(ch: number): void {
    const b = this.bendRaw[ch];
    this.bendSemitones[ch] = (b >= 0 ? b / 8191 : b / 8192) * this.bendRange[ch];
  }

  /** Controller `cc` = `v` on channel `ch`; returns what it asks of the notes (CC_*). */
  controlChange(ch: number, cc: number, v: number): number {
    const rpn0 = this.rpnMsb[ch] === 0 && this.rpnLsb[ch] === 0;
    switch (cc) {
      case 101: this.rpnMsb[ch] = v; return CC_NONE;
      case 100: this.rpnLsb[ch] = v; return CC_NONE;
      case 99: case 98: this.rpnMsb[ch] = 127; this.rpnLsb[ch] = 127; return CC_NONE; // NRPN selected: RPN off
      case 6:
        if (rpn0) { this.bendRange[ch] = v; this.updateBend(ch); } // semitones (cents reset)
        else if (this.rpnMsb[ch] === 0 && this.rpnLsb[ch] === 6 && (ch === 0 || ch === 15)) this.configureZone(ch, v);
        return CC_NONE;
      case 38:
        if (rpn0) { this.bendRange[ch] = Math.floor(this.bendRange[ch]) + Math.min(v, 99) / 100; this.updateBend(ch); }
        return CC_NONE;
      case 64: {
        const down = v >= 64 ? 1 : 0;
        const was = this.sustain[ch];
        this.sustain[ch] = down;
        return was === 1 && down === 0 ? CC_SUSTAIN_OFF : CC_NONE;
      }
      case 74: this.timbre[ch] = v; return CC_NONE;
      case 120: return CC_ALL_SOUND_OFF;
      case 121: {
        this.bendRaw[ch] = 0;
        this.updateBend(ch);
        this.rpnMsb[ch] = 127;
        this.rpnLsb[ch] = 127;
        this.pressure[ch] = 0;
        this.timbre[ch] = 64;
        const was = this.sustain[ch];
        this.sustain[ch] = 0;
        return was === 1 ? CC_SUSTAIN_OFF : CC_NONE;
      }
      case 123: case 124: case 125: case 126: case 127: return CC_ALL_NOTES_OFF;
      default: return CC_NONE;
    }
  }

  /** The MPE Configuration Message on master channel `ch` (0: lower zone, 15: upper): `members` channels, 0 = off. */
  private configureZone(ch: number, members: number): void {
    const m = Math.min(15, members);
    // The zone's old members leave it; the other zone shrinks if the two would overlap.
    for (let c = 0; c < 16; c++) if (this.master[c] === ch) this.master[c] = -1;
    if (m === 0) return;
    for (let k = 1; k <= m; k++) {
      const c = ch === 0 ? k : 15 - k;
      this.master[c] = ch;
      this.bendRange[c] = NOTE_ENVELOPE.mpeBendRangeSemitones;
      this.updateBend(c);
    }
    this.master[ch] = -1;
    this.bendRange[ch] = NOTE_ENVELOPE.bendRangeSemitones;
    this.updateBend(ch);
  }

  /** Copies another machine's state (a model swapped in keeps the controller's setup). */
  copyFrom(o: MidiChannels): void {
    this.bendSemitones.set(o.bendSemitones);
    this.bendRange.set(o.bendRange);
    this.bendRaw.set(o.bendRaw);
    this.pressure.set(o.pressure);
    this.timbre.set(o.timbre);
    this.sustain.set(o.sustain);
    this.master.set(o.master);
    this.rpnMsb.set(o.rpnMsb);
    this.rpnLsb.set(o.rpnLsb);
  }

  /** The sustain pedal that holds a note of channel `ch` (its zone master's for an MPE member) is down. */
  sustained(ch: number): boolean {
    const m = this.master[ch];
    return this.sustain[ch] === 1 || (m >= 0 && this.sustain[m] === 1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The queue.

/** Events the queue holds; more are dropped and counted (NoteEventQueue.dropped). */
export const EVENT_CAPACITY = 1024;

/** Event kinds (the MIDI status nibble of a channel message, plus the engine's own). */
export const EV_NOTE_OFF = 0x80;
export const EV_NOTE_ON = 0x90;
export const EV_POLY_PRESSURE = 0xa0;
export const EV_CONTROL = 0xb0;
export const EV_CHANNEL_PRESSURE = 0xd0;
export const EV_PITCH_BEND = 0xe0;
/** allNotesOff(): every note of every channel released. */
export const EV_ALL_NOTES_OFF = 0x100;

/**
 * A bounded queue of note events ordered by time (engine sample time): kind (EV_*), channel, and two values (a key
 * and a velocity, a controller and its value, a raw bend…). Preallocated; push() never allocates.
 */
export class NoteEventQueue {
  readonly time = new Float64Array(EVENT_CAPACITY);
  readonly kind = new Int32Array(EVENT_CAPACITY);
  readonly channel = new Int32Array(EVENT_CAPACITY);
  readonly a = new Float64Array(EVENT_CAPACITY);
  readonly b = new Float64Array(EVENT_CAPACITY);
  /** Events dropped because the queue was full, since construction / clear(). */
  dropped = 0;
  /** Index of the first event and the number queued (a ring). */
  private head = 0;
  private count = 0;

  get length(): number { return this.count; }

  /** Queues an event; false (and counted in `dropped`) when the queue is full. */
  push(time: number, kind: number, channel: number, a: number, b: number): boolean {
    if (this.count >= EVENT_CAPACITY) {
      this.dropped++;
      return false;
    }
    // Insert after the last event not later than `time` (usually at the end).
    let i = this.count;
    while (i > 0 && this.time[(this.head + i - 1) % EVENT_CAPACITY] > time) {
      const from = (this.head + i - 1) % EVENT_CAPACITY;
      const to = (this.head + i) % EVENT_CAPACITY;
      this.time[to] = this.time[from];
      this.kind[to] = this.kind[from];
      this.channel[to] = this.channel[from];
      this.a[to] = this.a[from];
      this.b[to] = this.b[from];
      i--;
    }
    const at = (this.head + i) % EVENT_CAPACITY;
    this.time[at] = time;
    this.kind[at] = kind;
    this.channel[at] = channel;
    this.a[at] = a;
    this.b[at] = b;
    this.count++;
    return true;
  }

  /** Slot of the first event (valid while length > 0). */
  get first(): number { return this.head; }

  /** Removes the first event. */
  shift(): void {
    if (this.count === 0) return;
    this.head = (this.head + 1) % EVENT_CAPACITY;
    this.count--;
  }

  /** Empties the queue (and zeroes `dropped`). */
  clear(): void {
    this.head = 0;
    this.count = 0;
    this.dropped = 0;
  }
}

/**
 * Parses raw MIDI bytes (one or more complete messages, running status allowed within the call: Web MIDI's
 * MIDIMessageEvent.data, or a file's events) into `queue` at `time`. Channel messages are queued (program change
 * is ignored); SysEx, system common and realtime messages are skipped. Returns the number of malformed messages
 * (a data byte with no status, a message cut short); never throws, never allocates.
 */
export function parseMidiBytes(bytes: ArrayLike<number>, time: number, queue: NoteEventQueue): number {
  let malformed = 0;
  let status = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const s = bytes[i] & 0xff;
    if (s >= 0xf8) { i++; continue; } // realtime: may appear anywhere
    if (s === 0xf0) { // SysEx: skip to its end
      i++;
      while (i < n && (bytes[i] & 0xff) !== 0xf7) i++;
      i++;
      status = 0;
      continue;
    }
    if (s >= 0xf0) { // system common: F1/F3 one data byte, F2 two, the rest none
      i += 1 + (s === 0xf2 ? 2 : s === 0xf1 || s === 0xf3 ? 1 : 0);
      status = 0;
      continue;
    }
    if (s >= 0x80) { status = s; i++; }
    else if (status === 0) { // data bytes without a status: one malformed message
      malformed++;
      while (i < n && (bytes[i] & 0xff) < 0x80) i++;
      continue;
    }
    const type = status & 0xf0;
    const len = type === 0xc0 || type === 0xd0 ? 1 : 2;
    if (i + len > n) { malformed++; break; }
    const d1 = bytes[i] & 0xff;
    const d2 = len === 2 ? bytes[i + 1] & 0xff : 0;
    // A status byte where data was expected: the message is cut short; parsing resumes at that byte.
    if (d1 > 127) { malformed++; continue; }
    if (d2 > 127) { malformed++; i++; continue; }
    i += len;
    const ch = status & 0x0f;
    switch (type) {
      case 0x80: queue.push(time, EV_NOTE_OFF, ch, d1, d2); break;
      case 0x90: queue.push(time, d2 === 0 ? EV_NOTE_OFF : EV_NOTE_ON, ch, d1, d2); break;
      case 0xa0: queue.push(time, EV_POLY_PRESSURE, ch, d1, d2); break;
      case 0xb0: queue.push(time, EV_CONTROL, ch, d1, d2); break;
      case 0xd0: queue.push(time, EV_CHANNEL_PRESSURE, ch, d1, 0); break;
      case 0xe0: queue.push(time, EV_PITCH_BEND, ch, ((d2 << 7) | d1) - 8192, 0); break;
      default: break; // program change
    }
  }
  return malformed;
}
