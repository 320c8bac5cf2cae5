// MIDI file → control features: pitches, tempo map, bend, monophonic rule, polyphony warning, envelope, errors.
// The MIDI files are written here by a tiny SMF writer (header, tracks, running status, tempo meta events).
import { describe, expect, it } from 'vitest';
import { MIDI_DEFAULTS, MidiError, keyToHz, midiToFeatures, velocityToDb } from '../../src/cli/midi';

// ---------------------------------------------------------------------------------------------------------------
// A tiny Standard MIDI File writer.

/** One event: delta ticks and its bytes (status first; the writer drops repeated channel statuses if `running`). */
type Ev = [delta: number, ...bytes: number[]];

function vlq(n: number): number[] {
  const out = [n & 0x7f];
  for (n >>>= 7; n > 0; n >>>= 7) out.unshift((n & 0x7f) | 0x80);
  return out;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function trackChunk(events: Ev[], running = false): number[] {
  const data: number[] = [];
  let status = -1;
  for (const [dt, ...bytes] of events) {
    data.push(...vlq(dt));
    const st = bytes[0];
    if (running && st < 0xf0 && st === status) data.push(...bytes.slice(1));
    else data.push(...bytes);
    status = st < 0xf0 ? st : -1;
  }
  data.push(0, 0xff, 0x2f, 0); // end of track
  return [0x4d, 0x54, 0x72, 0x6b, ...u32(data.length), ...data];
}

function smf(tracks: Ev[][], o: { format?: number; division?: number; running?: boolean } = {}): Uint8Array {
  const division = o.division ?? 480;
  const head = [0x4d, 0x54, 0x68, 0x64, ...u32(6), 0, o.format ?? (tracks.length > 1 ? 1 : 0),
    (tracks.length >> 8) & 0xff, tracks.length & 0xff, (division >> 8) & 0xff, division & 0xff];
  return Uint8Array.from([...head, ...tracks.flatMap((t) => trackChunk(t, o.running))]);
}

const on = (dt: number, key: number, vel = 100, ch = 0): Ev => [dt, 0x90 | ch, key, vel];
const off = (dt: number, key: number, ch = 0): Ev => [dt, 0x80 | ch, key, 64];
const offV0 = (dt: number, key: number, ch = 0): Ev => [dt, 0x90 | ch, key, 0];
const tempo = (dt: number, usPerBeat: number): Ev => [dt, 0xff, 0x51, 3, (usPerBeat >> 16) & 0xff, (usPerBeat >> 8) & 0xff, usPerBeat & 0xff];
const bend = (dt: number, value: number, ch = 0): Ev => {
  const v = value + 8192;
  return [dt, 0xe0 | ch, v & 0x7f, (v >> 7) & 0x7f];
};
const cc = (dt: number, n: number, v: number, ch = 0): Ev => [dt, 0xb0 | ch, n, v];

/** One note per row [key, startBeat, lengthBeats, velocity], 480 PPQ, 120 BPM: 1 beat = 0.5 s. */
function melody(rows: [number, number, number, number?][], ch = 0): Ev[] {
  const evs: { tick: number; ev: number[]; order: number }[] = [];
  for (const [key, start, len, vel] of rows) {
    evs.push({ tick: Math.round(start * 480), ev: [0x90 | ch, key, vel ?? 100], order: 1 });
    evs.push({ tick: Math.round((start + len) * 480), ev: [0x80 | ch, key, 0], order: 0 });
  }
  evs.sort((a, b) => a.tick - b.tick || a.order - b.order);
  let last = 0;
  return evs.map((e) => { const dt = e.tick - last; last = e.tick; return [dt, ...e.ev] as Ev; });
}

const FR = 1000; // 1 ms frames: event times fall on frames
const at = (s: number): number => Math.round(s * FR);
const close = (a: number, b: number, tol = 1e-3): boolean => Math.abs(a - b) <= tol;
const D = MIDI_DEFAULTS;

// ---------------------------------------------------------------------------------------------------------------

describe('midiToFeatures: pitch', () => {
  it('note numbers give exact equal-tempered f0 (A4 = 440 Hz), held through rests and before the first note', () => {
    // A4 from 0.5 s to 1 s, C4 from 1.5 s to 2 s.
    const r = midiToFeatures(smf([melody([[69, 1, 1], [60, 3, 1]])]), { frameRate: 100 });
    expect(r.noteCount).toBe(2);
    expect(r.warnings).toEqual([]);
    expect(r.frameRate).toBe(100);
    expect(r.f0Hz[0]).toBe(440); // before the first note: the first note's pitch
    expect(r.f0Hz[75]).toBe(440);
    expect(r.f0Hz[125]).toBe(440); // rest: held
    expect(r.f0Hz[149]).toBe(440);
    expect(r.f0Hz[150]).toBeCloseTo(261.6256, 3);
    expect(r.f0Hz[r.f0Hz.length - 1]).toBeCloseTo(261.6256, 3);
    expect(keyToHz(69)).toBe(440);
    expect(keyToHz(81)).toBe(880);
    for (const [key, hz] of [[21, 27.5], [57, 220], [72, 523.2511], [108, 4186.009]] as const) {
      const x = midiToFeatures(smf([melody([[key, 0, 1]])]), { frameRate: 50 });
      expect(x.f0Hz[10]).toBeCloseTo(hz, 2);
    }
  });

  it('pitch bend: ±2 semitones at full range by default; RPN 0 and the option change the range', () => {
    const bentTo = (value: number, extra: Ev[] = [], opts = {}): number => {
      const r = midiToFeatures(smf([[...extra, on(0, 69), bend(240, value), off(480, 69)]]), { frameRate: FR, ...opts });
      return r.f0Hz[at(0.5)];
    };
    expect(bentTo(0)).toBe(440);
    expect(bentTo(8191)).toBeCloseTo(440 * Math.pow(2, 2 / 12), 2); // 493.88
    expect(bentTo(-8192)).toBeCloseTo(440 * Math.pow(2, -2 / 12), 2); // 392.00
    expect(bentTo(4096)).toBeCloseTo(440 * Math.pow(2, (2 * 4096) / 8191 / 12), 2);
    expect(bentTo(8191, [], { bendRangeSemitones: 1 })).toBeCloseTo(466.1638, 2);
    // RPN 0 (pitch bend sensitivity) = 12 semitones: full up is an octave.
    expect(bentTo(8191, [cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 12), cc(0, 38, 0)])).toBeCloseTo(880, 2);
    // 7 semitones 50 cents.
    expect(bentTo(-8192, [cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 7), cc(0, 38, 50)])).toBeCloseTo(440 * Math.pow(2, -7.5 / 12), 2);
    // Data entry after an NRPN selection is not a bend range.
    expect(bentTo(8191, [cc(0, 99, 0), cc(0, 98, 0), cc(0, 6, 12)])).toBeCloseTo(493.883, 2);
  });

  it('the bend is per channel, follows its changes over time and is kept through the release', () => {
    const r = midiToFeatures(smf([[
      bend(0, 8191, 1), // channel 2 bent; the note is on channel 1
      on(0, 69), bend(480, 8191), bend(240, 0), off(240, 69), bend(240, -8192),
    ]]), { frameRate: FR });
    expect(r.f0Hz[at(0.25)]).toBe(440);
    expect(r.f0Hz[at(0.6)]).toBeCloseTo(493.883, 2);
    expect(r.f0Hz[at(0.8)]).toBe(440);
    expect(r.f0Hz[at(1.1)]).toBe(440);
    expect(r.f0Hz[at(1.3)]).toBeCloseTo(392.0, 2); // after the note off the most recent note follows its channel
  });
});

describe('midiToFeatures: time', () => {
  it('tempo changes move note times (tempo map in track 1, notes in track 2 with running status)', () => {
    // 120 BPM for 2 beats (1 s), then 240 BPM: tick 1920 = 1 s + 2 beats · 0.25 s = 1.5 s.
    const conductor: Ev[] = [tempo(0, 500000), tempo(960, 250000)];
    const notes: Ev[] = [on(0, 60), offV0(480, 60), on(1440, 72), offV0(480, 72)];
    const r = midiToFeatures(smf([conductor, notes], { running: true }), { frameRate: FR, tailSeconds: 0 });
    // first note 0 … 0.5 s; second 1.5 s … 1.5 + 480 ticks at 240 BPM = 1.75 s
    expect(r.f0Hz[at(1.499)]).toBeCloseTo(keyToHz(60), 3);
    expect(r.f0Hz[at(1.5)]).toBeCloseTo(keyToHz(72), 3);
    expect(r.loudnessDb[at(1.5)]).toBe(D.floorDb);
    expect(r.loudnessDb[at(1.5 + D.attackMs / 1000)]).toBeCloseTo(velocityToDb(100), 4);
    expect(r.durationSeconds).toBeCloseTo(1.75, 9);
    expect(r.f0Hz.length).toBe(1750);
    // Without the tempo change the same note would start at 2 s.
    const flat = midiToFeatures(smf([notes], { running: true }), { frameRate: FR, tailSeconds: 0 });
    expect(flat.f0Hz[at(1.999)]).toBeCloseTo(keyToHz(60), 3);
    expect(flat.f0Hz[at(2)]).toBeCloseTo(keyToHz(72), 3);
    expect(flat.durationSeconds).toBeCloseTo(2.5, 9);
  });

  it('a tempo event in a later track and mid-note applies to all tracks', () => {
    const notes: Ev[] = [on(0, 60), off(960, 60), on(0, 64), off(480, 64)];
    const conductor: Ev[] = [tempo(480, 1000000)]; // 60 BPM from beat 1 (0.5 s)
    const r = midiToFeatures(smf([notes, conductor]), { frameRate: FR, tailSeconds: 0 });
    // beat 0..1: 0.5 s; beat 1..2: 1 s → second note at 1.5 s, ends at 2.5 s
    expect(r.f0Hz[at(1.499)]).toBeCloseTo(keyToHz(60), 3);
    expect(r.f0Hz[at(1.5)]).toBeCloseTo(keyToHz(64), 3);
    expect(r.durationSeconds).toBeCloseTo(2.5, 9);
  });

  it('SMPTE time division: 25 frames/s × 40 ticks = 1 ms per tick; tempo events ignored', () => {
    const division = ((256 - 25) << 8) | 40;
    const r = midiToFeatures(smf([[tempo(0, 250000), on(500, 69), off(250, 69)]], { division }), { frameRate: FR, tailSeconds: 0.5 });
    expect(r.loudnessDb[at(0.499)]).toBe(D.floorDb);
    expect(r.loudnessDb[at(0.5 + D.attackMs / 1000)]).toBeCloseTo(velocityToDb(100), 4);
    expect(r.durationSeconds).toBeCloseTo(0.75 + 0.5, 9);
    const r29 = midiToFeatures(smf([[on(0, 69), off(2997, 69)]], { division: ((256 - 29) << 8) | 100 }), { frameRate: FR, tailSeconds: 0 });
    expect(r29.durationSeconds).toBeCloseTo(2997 / (2997.002997), 9); // 29.97 (30000/1001) frames/s × 100 ticks
  });

  it('length = last note off + tailSeconds; frames = ceil(duration · frameRate); leading silence kept', () => {
    const r = midiToFeatures(smf([melody([[69, 2, 1]])]), { frameRate: 50 }); // 1 s … 1.5 s
    expect(r.durationSeconds).toBeCloseTo(1.5 + D.tailSeconds, 9);
    expect(r.f0Hz.length).toBe(Math.ceil((1.5 + D.tailSeconds) * 50));
    expect(r.loudnessDb.length).toBe(r.f0Hz.length);
    expect(r.loudnessDb[0]).toBe(D.floorDb);
    const odd = midiToFeatures(smf([melody([[69, 0, 1]])]), { frameRate: 30, tailSeconds: 0.01 });
    expect(odd.f0Hz.length).toBe(Math.ceil(0.51 * 30));
    // Trailing events after the last note do not lengthen it.
    const trailing = midiToFeatures(smf([[on(0, 69), off(480, 69), cc(4800, 7, 100)]]), { frameRate: 50, tailSeconds: 0 });
    expect(trailing.durationSeconds).toBeCloseTo(0.5, 9);
  });
});

describe('midiToFeatures: monophonic rule and polyphony', () => {
  it('overlapping notes: the newest wins; on its release the older held note comes back (legato, no dip)', () => {
    // C4 0 … 1 s, E4 0.25 … 0.5 s (inside C4).
    const r = midiToFeatures(smf([melody([[60, 0, 2, 80], [64, 0.5, 0.5, 120]])]), { frameRate: FR });
    const c4 = keyToHz(60);
    const e4 = keyToHz(64);
    expect(r.f0Hz[at(0.2)]).toBeCloseTo(c4, 3);
    expect(r.f0Hz[at(0.25)]).toBeCloseTo(e4, 3);
    expect(r.f0Hz[at(0.49)]).toBeCloseTo(e4, 3);
    expect(r.f0Hz[at(0.5)]).toBeCloseTo(c4, 3);
    expect(r.f0Hz[at(0.9)]).toBeCloseTo(c4, 3);
    expect(r.f0Hz[at(1.5)]).toBeCloseTo(c4, 3); // held after the end
    const p80 = velocityToDb(80);
    const p120 = velocityToDb(120);
    // legato: from the current level (p80) to p120 in attackMs, never below p80 — and back to p80 at the fall-back
    expect(r.loudnessDb[at(0.2)]).toBeCloseTo(p80, 4);
    expect(r.loudnessDb[at(0.25)]).toBeCloseTo(p80, 4);
    expect(r.loudnessDb[at(0.25 + D.attackMs / 2000)]).toBeCloseTo((p80 + p120) / 2, 3);
    expect(r.loudnessDb[at(0.3)]).toBeCloseTo(p120, 4);
    expect(r.loudnessDb[at(0.5 + D.attackMs / 1000)]).toBeCloseTo(p80, 4);
    for (let k = at(0.2); k < at(1); k++) expect(r.loudnessDb[k]).toBeGreaterThanOrEqual(p80 - 1e-4);
    // a 250 ms overlap is polyphony
    expect(r.warnings.join('\n')).toMatch(/polyphonic MIDI: up to 2 notes sound at once \(1 overlap longer than 100 ms, the first at 0\.25 s\)/);
  });

  it('a released older note does not change the sounding one; stray note offs are ignored', () => {
    const r = midiToFeatures(smf([[on(0, 60), on(480, 64), off(240, 60), off(0, 67), off(240, 64)]]), { frameRate: FR });
    expect(r.f0Hz[at(0.6)]).toBeCloseTo(keyToHz(64), 3);
    expect(r.f0Hz[at(0.8)]).toBeCloseTo(keyToHz(64), 3);
    expect(r.loudnessDb[at(0.8)]).toBeCloseTo(velocityToDb(100), 4);
    expect(r.loudnessDb[at(1.0 + D.releaseMs / 1000)]).toBe(D.floorDb);
  });

  it('same-tick notes: offs before ons (detached), chords resolved in file order (the last listed wins)', () => {
    const r = midiToFeatures(smf([[on(0, 60), on(0, 64), on(0, 67), off(960, 60), off(0, 64), off(0, 67), on(0, 72), off(480, 72)]]),
      { frameRate: FR });
    expect(r.f0Hz[at(0.5)]).toBeCloseTo(keyToHz(67), 3);
    expect(r.f0Hz[at(1.0)]).toBeCloseTo(keyToHz(72), 3);
    expect(r.loudnessDb[at(1.0)]).toBe(D.floorDb); // detached: a new attack from the floor
    expect(r.warnings.join('\n')).toMatch(/up to 3 notes sound at once \(1 overlap/);
  });

  it('a polyphonic file (two voices on two channels) warns, naming the channels', () => {
    const r = midiToFeatures(smf([melody([[60, 0, 4], [62, 4, 4]], 0), melody([[48, 0, 8]], 1)]), { frameRate: 50 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^polyphonic MIDI: up to 2 notes/);
    expect(r.warnings[0]).toMatch(/channels 1, 2 are merged — pick one with the channel option/);
    // channel 2 alone is monophonic
    const one = midiToFeatures(smf([melody([[60, 0, 4], [62, 4, 4]], 0), melody([[48, 0, 8]], 1)]), { frameRate: 50, channel: 2 });
    expect(one.warnings).toEqual([]);
    expect(one.noteCount).toBe(1);
    expect(one.f0Hz[100]).toBeCloseTo(keyToHz(48), 3);
    const first = midiToFeatures(smf([melody([[60, 0, 4], [62, 4, 4]], 0), melody([[48, 0, 8]], 1)]), { frameRate: 50, channel: 1 });
    expect(first.noteCount).toBe(2);
    expect(first.f0Hz[150]).toBeCloseTo(keyToHz(62), 3);
  });

  it('short legato overlaps (≤ 100 ms) are not polyphony', () => {
    // each note overlaps the next by 0.1 beat = 50 ms
    const r = midiToFeatures(smf([melody([[60, 0, 1.1], [62, 1, 1.1], [64, 2, 1]])]), { frameRate: FR });
    expect(r.warnings).toEqual([]);
    expect(r.f0Hz[at(0.5)]).toBeCloseTo(keyToHz(62), 3); // the newest wins during the overlap too
    expect(r.loudnessDb[at(0.5)]).toBeCloseTo(velocityToDb(100), 4); // legato: no dip
  });
});

describe('midiToFeatures: loudness', () => {
  it('velocity ordering gives loudness ordering; peak = peakDb + 40·log10(v/127)', () => {
    const vels = [1, 10, 30, 64, 100, 127];
    const r = midiToFeatures(smf([melody(vels.map((v, i) => [60, i * 2, 1, v] as [number, number, number, number]))]), { frameRate: FR });
    const peaks = vels.map((_, i) => r.loudnessDb[at(i + 0.25)]);
    for (let i = 0; i < vels.length; i++) expect(peaks[i]).toBeCloseTo(velocityToDb(vels[i]), 4);
    for (let i = 1; i < vels.length; i++) expect(peaks[i]).toBeGreaterThan(peaks[i - 1]);
    expect(velocityToDb(127)).toBe(D.peakDb);
    expect(velocityToDb(64)).toBeCloseTo(D.peakDb + 40 * Math.log10(64 / 127), 9);
    expect(velocityToDb(10)).toBeCloseTo(D.peakDb + 40 * Math.log10(10 / 127), 9);
    expect(velocityToDb(1)).toBe(D.floorDb); // 40·log10(1/127) = −84 dB: below the floor, clamped
    expect(velocityToDb(1, 0, -40)).toBe(-40); // never below the floor
    const louder = midiToFeatures(smf([melody([[60, 0, 1, 127]])]), { frameRate: FR, peakDb: -5, floorDb: -80 });
    expect(louder.loudnessDb[at(0.25)]).toBeCloseTo(-5, 5);
    expect(louder.loudnessDb[0]).toBe(-80);
  });

  it('attack and release: linear in dB, attackMs from the floor to the peak, releaseMs back to the floor', () => {
    // note 0.1 s … 0.5 s at 1 ms frames
    const r = midiToFeatures(smf([[on(96, 69, 127), off(384, 69)]]), { frameRate: FR });
    const peak = velocityToDb(127);
    const floor = D.floorDb;
    const L = (s: number): number => r.loudnessDb[at(s)];
    expect(L(0.099)).toBe(floor);
    expect(L(0.1)).toBe(floor);
    expect(L(0.1 + D.attackMs / 2000)).toBeCloseTo((floor + peak) / 2, 3);
    expect(L(0.1 + D.attackMs / 1000)).toBeCloseTo(peak, 4);
    for (let k = at(0.1); k < at(0.1 + D.attackMs / 1000); k++) {
      expect(r.loudnessDb[k + 1] - r.loudnessDb[k]).toBeCloseTo((peak - floor) / D.attackMs, 3); // dB per ms
    }
    expect(L(0.3)).toBeCloseTo(peak, 4);
    expect(L(0.5)).toBeCloseTo(peak, 4);
    expect(L(0.5 + D.releaseMs / 2000)).toBeCloseTo((floor + peak) / 2, 3);
    expect(L(0.5 + D.releaseMs / 1000)).toBe(floor);
    for (let k = at(0.5); k < at(0.5 + D.releaseMs / 1000); k++) expect(r.loudnessDb[k + 1]).toBeLessThan(r.loudnessDb[k]);
    expect(L(1.2)).toBe(floor);
    // Custom times.
    const c = midiToFeatures(smf([[on(96, 69, 127), off(384, 69)]]), { frameRate: FR, attackMs: 100, releaseMs: 10 });
    expect(c.loudnessDb[at(0.15)]).toBeCloseTo((floor + peak) / 2, 3);
    expect(c.loudnessDb[at(0.2)]).toBeCloseTo(peak, 4);
    expect(c.loudnessDb[at(0.505)]).toBeCloseTo((floor + peak) / 2, 3);
    expect(c.loudnessDb[at(0.51)]).toBe(floor);
    // Zero times: steps.
    const z = midiToFeatures(smf([[on(96, 69, 127), off(384, 69)]]), { frameRate: FR, attackMs: 0, releaseMs: 0 });
    expect(z.loudnessDb[at(0.1)]).toBeCloseTo(peak, 5);
    expect(z.loudnessDb[at(0.5)]).toBe(floor);
  });

  it('a note shorter than the attack releases from where it got; repeated detached notes re-attack from the floor', () => {
    // 10 ms note: reaches a third of the way, then falls over releaseMs
    const r = midiToFeatures(smf([[tempo(0, 480000), on(100, 69, 127), off(10, 69)]]), { frameRate: FR }); // 1 ms per tick
    const peak = velocityToDb(127);
    const top = D.floorDb + ((peak - D.floorDb) * 10) / D.attackMs;
    expect(r.loudnessDb[at(0.11)]).toBeCloseTo(top, 3);
    expect(Math.max(...r.loudnessDb)).toBeCloseTo(top, 3);
    expect(r.loudnessDb[at(0.11 + D.releaseMs / 1000)]).toBe(D.floorDb);
    // Same key, note off and note on at the same tick: a new attack from the floor.
    const rep = midiToFeatures(smf([[on(0, 69, 127), off(480, 69), on(0, 69, 127), off(480, 69)]]), { frameRate: FR });
    expect(rep.loudnessDb[at(0.499)]).toBeCloseTo(peak, 4);
    expect(rep.loudnessDb[at(0.5)]).toBe(D.floorDb);
    expect(rep.loudnessDb[at(0.5 + D.attackMs / 1000)]).toBeCloseTo(peak, 4);
  });

  it('all frames finite; f0 positive', () => {
    const r = midiToFeatures(smf([melody([[60, 0, 1.1], [62, 1, 1.1], [64, 2, 1]]), [bend(100, 8191), bend(100, -8192)]]), { frameRate: 50 });
    for (let k = 0; k < r.f0Hz.length; k++) {
      expect(r.f0Hz[k]).toBeGreaterThan(0);
      expect(Number.isFinite(r.loudnessDb[k])).toBe(true);
    }
  });
});

describe('midiToFeatures: other warnings', () => {
  it('notes never released end with the file, with a warning', () => {
    const r = midiToFeatures(smf([[on(0, 69), on(480, 72), off(480, 72), cc(480, 7, 100)]]), { frameRate: FR });
    // 69 never released; the file ends at tick 1440 = 1.5 s
    expect(r.warnings.some((w) => /1 note was never released; it ends at the end of the file \(1\.5 s\)/.test(w))).toBe(true);
    expect(r.durationSeconds).toBeCloseTo(1.5 + D.tailSeconds, 9);
    expect(r.f0Hz[at(1.2)]).toBe(440); // fall-back after the newer note's release
    expect(r.loudnessDb[at(1.4)]).toBeCloseTo(velocityToDb(100), 4);
    expect(r.loudnessDb[at(1.5 + D.releaseMs / 1000)]).toBe(D.floorDb);
  });

  it('sustain pedal is ignored (with a warning); percussion channel notes are flagged', () => {
    const r = midiToFeatures(smf([[cc(0, 64, 127), on(0, 69), off(480, 69), cc(0, 64, 0)]]), { frameRate: 50 });
    expect(r.warnings).toEqual(['sustain pedal (CC64) ignored: notes end at their note off']);
    expect(r.loudnessDb[Math.round(0.5 * 50 + (D.releaseMs / 1000) * 50)]).toBe(D.floorDb);
    const drums = midiToFeatures(smf([melody([[60, 0, 1]]), melody([[36, 0, 0.25]], 9)]), { frameRate: 50 });
    expect(drums.warnings.some((w) => /channel 10 \(General MIDI percussion\)/.test(w))).toBe(true);
  });
});

describe('midiToFeatures: bad input', () => {
  const good = smf([[tempo(0, 500000)], melody([[60, 0, 1], [64, 1, 1]])], { running: true });

  it('an empty file, and files with no notes, are MidiErrors saying so', () => {
    expect(() => midiToFeatures(new Uint8Array(0), { frameRate: 50 })).toThrow(MidiError);
    expect(() => midiToFeatures(new Uint8Array(0), { frameRate: 50 })).toThrow(/empty file \(0 bytes\)/);
    const noNotes = smf([[tempo(0, 500000), cc(0, 7, 100), bend(480, 100)]]);
    expect(() => midiToFeatures(noNotes, { frameRate: 50 })).toThrow(MidiError);
    expect(() => midiToFeatures(noNotes, { frameRate: 50 })).toThrow(/no notes/);
    expect(() => midiToFeatures(smf([]), { frameRate: 50 })).toThrow(/no notes/);
    // only velocity-0 note ons (= note offs)
    expect(() => midiToFeatures(smf([[offV0(0, 60)]]), { frameRate: 50 })).toThrow(/no notes/);
    expect(() => midiToFeatures(good, { frameRate: 50, channel: 3 })).toThrow(/no notes on MIDI channel 3 \(channels with notes: 1\)/);
  });

  it('a file truncated anywhere is a MidiError naming the truncation (no parser internals)', () => {
    expect(() => midiToFeatures(good, { frameRate: 50 })).not.toThrow();
    for (let n = 1; n < good.length; n++) {
      let err: unknown;
      try {
        midiToFeatures(good.subarray(0, n), { frameRate: 50 });
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${n}`).toBeInstanceOf(MidiError);
      const msg = (err as Error).message;
      expect(msg, `cut at ${n}`).toMatch(/^truncated MIDI file: /);
      expect(msg).not.toMatch(/undefined|NaN|Parser|readUInt|\n/);
    }
    // header 14 bytes, conductor track chunk 8 + 11 bytes
    expect(() => midiToFeatures(good.subarray(0, 30), { frameRate: 50 })).toThrow(/truncated MIDI file: track 1 declares 11 bytes but only 8 remain/);
    expect(() => midiToFeatures(good.subarray(0, 36), { frameRate: 50 })).toThrow(/truncated MIDI file: the chunk header at byte 33 is cut off/);
    expect(() => midiToFeatures(good.subarray(0, 10), { frameRate: 50 })).toThrow(/the 14-byte header is cut off after 10 bytes/);
    const oneTrackMissing = good.subarray(0, 14 + 8 + 11); // header + the conductor track
    expect(() => midiToFeatures(oneTrackMissing, { frameRate: 50 })).toThrow(/announces 2 tracks but the file ends after 1/);
  });

  it('a track whose data ends inside an event, and corrupt tracks, are MidiErrors naming the track', () => {
    // Consistent chunk lengths, but the last event of track 1 lacks its velocity byte.
    const data = [0, 0x90, 60, 100, 0x83, 0x60, 0x80, 60];
    const bytes = Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 1, 0xe0,
      0x4d, 0x54, 0x72, 0x6b, ...u32(data.length), ...data]);
    expect(() => midiToFeatures(bytes, { frameRate: 50 })).toThrow(MidiError);
    expect(() => midiToFeatures(bytes, { frameRate: 50 })).toThrow(/truncated MIDI data: track 1 ends in the middle of an event \(event 2, tick 0\)/);
    // Running status with no status before it (midi-file reports it as event type 0).
    const rs = [0, 60, 100];
    const bad = Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 1, 0xe0,
      0x4d, 0x54, 0x72, 0x6b, ...u32(rs.length), ...rs]);
    expect(() => midiToFeatures(bad, { frameRate: 50 })).toThrow(/^corrupt MIDI file: track 1: /);
    // A status byte where a data byte belongs.
    const st = [0, 0x90, 60, 0x90];
    const bad2 = Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 1, 0xe0,
      0x4d, 0x54, 0x72, 0x6b, ...u32(st.length), ...st]);
    expect(() => midiToFeatures(bad2, { frameRate: 50 })).toThrow(/corrupt MIDI file: track 1, event 1 \(tick 0\): a note value above 127/);
  });

  it('not a MIDI file, format 2, bad division, zero tempo, alien chunks', () => {
    expect(() => midiToFeatures(new TextEncoder().encode('RIFF....WAVE'), { frameRate: 50 })).toThrow(/not a MIDI file: expected "MThd" at byte 0, found "RIFF"/);
    expect(() => midiToFeatures(smf([melody([[60, 0, 1]])], { format: 2 }), { frameRate: 50 })).toThrow(/format 2 \(independent patterns\) is not supported/);
    expect(() => midiToFeatures(smf([melody([[60, 0, 1]])], { division: 0 }), { frameRate: 50 })).toThrow(/time division of 0 ticks/);
    expect(() => midiToFeatures(smf([melody([[60, 0, 1]])], { division: ((256 - 27) << 8) | 10 }), { frameRate: 50 })).toThrow(/unsupported SMPTE time division: 27 frames\/s/);
    expect(() => midiToFeatures(smf([[tempo(0, 0), ...melody([[60, 0, 1]])]]), { frameRate: 50 })).toThrow(/set-tempo event of 0 µs/);
    // An alien chunk between the header and the track is skipped.
    const alien = [0x58, 0x46, 0x49, 0x48, ...u32(3), 1, 2, 3];
    const withAlien = Uint8Array.from([...good.subarray(0, 14), ...alien, ...good.subarray(14)]);
    const a = midiToFeatures(withAlien, { frameRate: 50 });
    const b = midiToFeatures(good, { frameRate: 50 });
    expect(a.f0Hz).toEqual(b.f0Hz);
    expect(a.loudnessDb).toEqual(b.loudnessDb);
    expect(() => midiToFeatures(smf([[on(0, 60), off(0x0fffffff, 60)]]), { frameRate: 50 })).toThrow(/longer than the 3600 s limit/);
  });

  it('bad options are RangeError / TypeError naming the option', () => {
    const f = (o: object): void => { midiToFeatures(good, o as never); };
    expect(() => f({})).toThrow(TypeError);
    expect(() => f({ frameRate: 0 })).toThrow(/opts\.frameRate must be a number in/);
    expect(() => f({ frameRate: 50, channel: 0 })).toThrow(/opts\.channel must be an integer in \[1, 16\]/);
    expect(() => f({ frameRate: 50, channel: 17 })).toThrow(RangeError);
    expect(() => f({ frameRate: 50, attackMs: -1 })).toThrow(/opts\.attackMs/);
    expect(() => f({ frameRate: 50, releaseMs: NaN })).toThrow(/opts\.releaseMs/);
    expect(() => f({ frameRate: 50, tailSeconds: -1 })).toThrow(/opts\.tailSeconds/);
    expect(() => f({ frameRate: 50, bendRangeSemitones: 100 })).toThrow(/opts\.bendRangeSemitones/);
    expect(() => f({ frameRate: 50, peakDb: -70 })).toThrow(/opts\.peakDb \(-70\) must be above opts\.floorDb \(-60\)/);
    expect(() => midiToFeatures([1, 2] as never, { frameRate: 50 })).toThrow(TypeError);
    // an ArrayBuffer is accepted
    expect(midiToFeatures(good.slice().buffer, { frameRate: 50 }).noteCount).toBe(2);
  });
});
