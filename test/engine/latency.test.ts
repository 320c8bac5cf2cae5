// Latency measured on rendered audio, not read from the plan: sharp onsets and pitch steps go through the engine
// (48 kHz, block 128) for each bundled model and a converted seed checkpoint, in audio and control mode; onsets
// are found in input and output with a 1 ms RMS envelope (as ../shared/checks/onset_latency.py does: 10 % of the
// way from floor to steady level, held 5 ms) and pitch changes by a normalised autocorrelation written here (not
// the engine's tracker). The measured delays are checked against engine.latencySamples and the targets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/model/ckpt';
import { readModel, writeModel, type DDSPModel } from '../../src/model/model-file';
import { StreamingEngine } from '../../src/engine/streaming-engine';

const SR = 48000;
const BLOCK = 128;
/** Onset times (s, off the 20 ms frame grid and the 128-sample tick grid) and pitches (Hz). */
const NOTES: [number, number][] = [[0.507, 392], [1.213, 523.25], [1.911, 440], [2.604, 659.25], [3.319, 293.66], [4.015, 587.33]];
/** Note length: the gaps (≥ 0.3 s) let each model's release and reverb tail settle before the next onset. */
const NOTE_S = 0.4;
const TOTAL_S = 4.8;

/** Bright harmonic tone (11 harmonics, 1/k), 2 ms linear attack, 10 ms release. */
function notes(): Float32Array {
  const x = new Float32Array(Math.round(TOTAL_S * SR));
  for (const [on, f] of NOTES) {
    const i0 = Math.round(on * SR);
    const n = Math.round(NOTE_S * SR);
    for (let i = 0; i < n; i++) {
      const t = i / SR;
      let v = 0;
      for (let k = 1; k < 12; k++) v += Math.sin(2 * Math.PI * f * k * t) / k;
      x[i0 + i] = 0.25 * v * Math.min(1, t / 0.002) * Math.min(1, (NOTE_S - t) / 0.01);
    }
  }
  return x;
}

/** A continuous bright tone whose pitch steps to each note's pitch at its onset time (phase continuous). */
function pitchSteps(): Float32Array {
  const x = new Float32Array(Math.round(TOTAL_S * SR));
  let phase = 0;
  for (let i = 0; i < x.length; i++) {
    const t = i / SR;
    let f = 440;
    for (const [on, hz] of NOTES) if (t >= on) f = hz;
    phase += f / SR;
    let v = 0;
    for (let k = 1; k < 12; k++) v += Math.sin(2 * Math.PI * k * phase) / k;
    x[i] = 0.2 * v;
  }
  return x;
}

function envelope(x: Float32Array): Float64Array {
  const n = SR / 1000;
  const e = new Float64Array(Math.floor(x.length / n));
  for (let m = 0; m < e.length; m++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[m * n + i] ** 2;
    e[m] = Math.sqrt(s / n);
  }
  return e;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Onset of each note (s): the envelope's first 1 ms step above floor + 10 % (steady − floor) that stays 5 ms,
 * searched from 50 ms before the expected time (the check script searches from 250 ms before, where some models'
 * release and reverb tails of the previous note still sound; no onset here can come earlier than the centred
 * window's 21 ms of look-ahead).
 */
function onsets(x: Float32Array, shiftS: number): number[] {
  const e = envelope(x);
  const at = (t: number) => Math.round(t * 1000);
  return NOTES.map(([on]) => {
    const t = on + shiftS;
    const floor = median(Array.from(e.subarray(at(t - 0.07), at(t - 0.05))));
    const steady = median(Array.from(e.subarray(at(t + 0.15), at(t + 0.3))));
    const thr = floor + 0.1 * (steady - floor);
    for (let m = at(t - 0.05); m < at(t + 0.3); m++) {
      let held = true;
      for (let j = 0; j < 5; j++) if (!(e[m + j] > thr)) held = false;
      if (held) return m / 1000;
    }
    return NaN;
  });
}

/** Normalised autocorrelation of x at lag L over a window of 512 products centred on sample c. */
function autocorrelation(x: Float32Array, c: number, L: number): number {
  const W = 512;
  let s = 0;
  let a = 0;
  let b = 0;
  const from = c - W / 2 - (L >> 1);
  for (let i = from; i < from + W; i++) {
    s += x[i] * x[i + L];
    a += x[i] * x[i];
    b += x[i + L] * x[i + L];
  }
  return s / Math.sqrt(a * b + 1e-30);
}

/** f0 (Hz) around sample c: the shortest lag in 60–200 samples whose autocorrelation is ≥ 0.9 × the largest. */
function f0At(x: Float32Array, c: number): number {
  const r = new Float64Array(201);
  let best = 0;
  for (let L = 60; L <= 200; L++) { r[L] = autocorrelation(x, c, L); best = Math.max(best, r[L]); }
  for (let L = 61; L < 200; L++) if (r[L] >= 0.9 * best && r[L] >= r[L - 1] && r[L] >= r[L + 1]) return SR / L;
  return 0;
}

/**
 * Time (s) at which the output's pitch changes from the previous note's to note n's: the first analysis point
 * (every 0.25 ms, window 512 centred there) from which the estimated f0 stays on the new side of the two pitches'
 * geometric mean for 5 ms.
 */
function pitchChanges(x: Float32Array, shiftS: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < NOTES.length; n++) {
    const from = NOTES[n - 1][1];
    const to = NOTES[n][1];
    const mid = Math.sqrt(from * to);
    const t0 = NOTES[n][0] + shiftS;
    const step = SR / 4000;
    const start = Math.round((t0 - 0.05) * SR);
    const isNew: boolean[] = [];
    for (let c = start; c < start + 0.15 * SR; c += step) {
      const f = f0At(x, c);
      isNew.push(to > from ? f > mid : f > 0 && f < mid);
    }
    let found = NaN;
    for (let i = 0; i + 20 < isNew.length; i++) {
      if (isNew.slice(i, i + 20).every(Boolean)) { found = (start + i * step) / SR; break; }
    }
    out.push(found);
  }
  return out;
}

/** Streams `input` (null: control mode from the note curve) through the engine in blocks of 128. */
function render(model: DDSPModel, mode: 'audio' | 'control', input: Float32Array | null, legato: boolean,
  reverbMix: number): { out: Float32Array; latency: number } {
  const engine = new StreamingEngine(model, { sampleRate: SR, mode, noiseSeed: 1, controls: { reverbMix } });
  const n = Math.round(TOTAL_S * SR);
  const out = new Float32Array(n);
  const f0 = new Float64Array(1);
  const loud = new Float64Array(1);
  for (let p = 0; p < n; p += BLOCK) {
    if (mode === 'control') {
      // The curve's value at the quantum's first sample (what an AudioParam or a MIDI event gives a worklet).
      const t = p / SR;
      const note = NOTES.filter(([on]) => on <= t).pop();
      const sounding = note !== undefined && (legato || t < note[0] + NOTE_S);
      f0[0] = note ? note[1] : 440;
      loud[0] = sounding ? 5 : -80; // as the check script's curve
      engine.setControlFeatures(f0, loud);
    }
    engine.process(input, out, BLOCK, p, p);
  }
  return { out, latency: engine.latencySamples };
}

const MODELS: [string, () => DDSPModel][] = [
  ['violin', () => readModel(readFileSync('models/violin.onnx'))],
  ['flute', () => readModel(readFileSync('models/flute.onnx'))],
  ['cello', () => readModel(readFileSync('models/cello.onnx'))],
  ['seed checkpoint', () => convertCheckpoint(new Uint8Array(readFileSync('test/fixtures/seed-trained/model.ckpt')), { fileName: 'model.ckpt' })],
];

describe('latency measured on audio (48 kHz, block 128)', () => {
  for (const [name, load] of MODELS) {
    it(`${name}: control mode, note-on → sound ≤ 5 ms; the onset is the start of the one-tick ramp the report centres`, () => {
      const model = load();
      const { out, latency } = render(model, 'control', null, false, 0.5);
      const reportedMs = (latency / SR) * 1000;
      expect(reportedMs).toBeLessThanOrEqual(5);
      const found = onsets(out, 0);
      // The key arrives with the next quantum (what a worklet sees); from there the reported latency applies.
      const delays = found.map((t, i) => (t - Math.ceil((NOTES[i][0] * SR) / BLOCK) * BLOCK / SR) * 1000);
      const physical = found.map((t, i) => (t - NOTES[i][0]) * 1000);
      console.log(`[latency] ${name} control: reported ${reportedMs.toFixed(2)} ms, note-on → sound ${median(physical).toFixed(2)} ms, ` +
        `from the key's quantum ${median(delays).toFixed(2)} ms (${delays.map((d) => d.toFixed(1)).join(' ')})`);
      expect(median(physical)).toBeLessThanOrEqual(5);
      // The reported latency (64 samples) is where the output reaches the tick's controls: the synth interpolates
      // towards them over one tick (128 samples) centred there, so the sound starts up to 64 samples earlier, at
      // the key's quantum. Within 1 ms (the envelope's resolution) of that window:
      const tickMs = (BLOCK / SR) * 1000;
      expect(median(delays)).toBeGreaterThanOrEqual(reportedMs - tickMs / 2 - 1);
      expect(median(delays)).toBeLessThanOrEqual(reportedMs + 1);
    });

    it(`${name}: control mode, pitch steps heard at the reported latency after the key's quantum`, () => {
      const model = load();
      const { out, latency } = render(model, 'control', null, true, 0);
      const reportedMs = (latency / SR) * 1000;
      const changes = pitchChanges(out, 0);
      const delays = changes.map((t, i) => (t - Math.ceil((NOTES[i + 1][0] * SR) / BLOCK) * BLOCK / SR) * 1000);
      console.log(`[latency] ${name} control pitch: ${delays.map((d) => d.toFixed(2)).join(' ')} ms from the key's quantum`);
      // The pitch glides over one tick centred on the reported latency. The detector (a 10.7 ms window over a glide
      // while the estimator also changes the timbre) places single steps within a few ms; their median within 2 ms.
      expect(Math.abs(median(delays) - reportedMs)).toBeLessThanOrEqual(2);
    });

    it(`${name}: audio mode ≤ 30 ms measured; the centred window hears at most half a window ahead of the report`, () => {
      const model = load();
      const input = notes();
      const { out, latency } = render(model, 'audio', input, false, 0.5);
      const reportedMs = (latency / SR) * 1000;
      const inOn = onsets(input, 0);
      const outOn = onsets(out, latency / SR);
      const delays = outOn.map((t, i) => (t - inOn[i]) * 1000);
      const physical = median(delays);
      console.log(`[latency] ${name} audio: reported ${reportedMs.toFixed(2)} ms, measured ${physical.toFixed(2)} ms (${delays.map((d) => d.toFixed(1)).join(' ')})`);
      expect(physical).toBeLessThanOrEqual(30);
      expect(physical).toBeLessThanOrEqual(reportedMs + 1);
      const halfWindowMs = ((SR * 2048) / 48000 / 2 / SR) * 1000;
      expect(physical).toBeGreaterThanOrEqual(reportedMs - halfWindowMs - 1);
    });

    it(`${name}: audio mode, pitch steps heard after the report, at most a window and a half hop later`, () => {
      const model = load();
      const input = pitchSteps();
      const { out, latency } = render(model, 'audio', input, true, 0);
      const reportedMs = (latency / SR) * 1000;
      const changes = pitchChanges(out, latency / SR);
      const delays = changes.map((t, i) => (t - NOTES[i + 1][0]) * 1000 + reportedMs);
      console.log(`[latency] ${name} audio pitch: ${delays.map((d) => d.toFixed(2)).join(' ')} ms`);
      // The tracker reads the new pitch once (most of) its centred window holds it; a window straddling the step
      // may read a common subharmonic (392 → 523 Hz reads 131 Hz) that the oscillators then glide from. So the
      // change is heard no earlier than the report and at most a window (W/2 to its end, W/2 of mixed frames) plus
      // one and a half hops (the frame grid and the control position) after it.
      const hopMs = 1000 / model.frameRate;
      const windowMs = (2048 / 48000) * 1000;
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(reportedMs - 1);
        expect(d).toBeLessThanOrEqual(reportedMs + windowMs + 1.5 * hopMs);
      }
    });
  }
});

/**
 * The `exp=live` preset's framing (250 frames/s, a causal 480-sample window, a 256-tap noise filter) on the bundled
 * violin's weights, written to a model file and read back: not a model trained for it, but an estimator whose
 * output follows its loudness input, which is what onsets and pitch steps need. The noise filter's 257 magnitude
 * bands (512 taps) are taken every other one, 129 bands (256 taps): the same response at half the resolution.
 */
function liveFramed(): DDSPModel {
  const violin = readModel(readFileSync('models/violin.onnx'));
  const H = violin.estimator.hiddenSize;
  const harmonic = violin.synth.nodes.find((n) => n.type === 'Harmonic') as { nHarmonics: number };
  const nHarmonicParams = 1 + harmonic.nHarmonics; // AMP, HARM; then FREQRES
  const rows = [...Array(nHarmonicParams).keys(), ...Array.from({ length: 129 }, (_, j) => nHarmonicParams + 2 * j)];
  const w = violin.estimator.weights['out.weight'];
  const b = violin.estimator.weights['out.bias'];
  const outW = new Float32Array(rows.length * H);
  const outB = new Float32Array(rows.length);
  rows.forEach((r, i) => { outW.set(w.data.subarray(r * H, (r + 1) * H), i * H); outB[i] = b.data[r]; });
  return readModel(writeModel({
    ...violin, frameRate: 250, analysisWindow: 480, analysisAlignment: 'causal',
    synth: { ...violin.synth, nodes: violin.synth.nodes.map((n) => (n.type === 'FilteredNoise' ? { ...n, filterSize: 256 } : n)) },
    estimator: {
      ...violin.estimator, outputSize: rows.length,
      weights: { ...violin.estimator.weights, 'out.weight': { data: outW, shape: [rows.length, H] }, 'out.bias': { data: outB, shape: [rows.length] } },
    },
  }));
}

describe('latency of a causal 250 frames/s framing, measured on audio (48 kHz, block 128)', () => {
  it('audio mode ≤ 10 ms measured, within the window\'s span of the report', () => {
    const model = liveFramed();
    const input = notes();
    const { out, latency } = render(model, 'audio', input, false, 0.5);
    const reportedMs = (latency / SR) * 1000;
    const inOn = onsets(input, 0);
    const outOn = onsets(out, latency / SR);
    const delays = outOn.map((t, i) => (t - inOn[i]) * 1000);
    const physical = median(delays);
    console.log(`[latency] live framing audio: reported ${reportedMs.toFixed(2)} ms, measured ${physical.toFixed(2)} ms (${delays.map((d) => d.toFixed(1)).join(' ')})`);
    expect(physical).toBeLessThanOrEqual(10);
    // A causal window hears nothing ahead: the sound starts no earlier than the report, and later by at most the
    // window (the loudness of a window the note has only partly entered) plus one hop (the frame grid).
    const windowMs = (480 / SR) * 1000;
    const hopMs = 1000 / 250;
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(reportedMs - 1);
      expect(d).toBeLessThanOrEqual(reportedMs + windowMs + hopMs + 1);
    }
  });

  it('audio mode, pitch steps heard after the report, at most the window, a hop and a half and the detector\'s window later', () => {
    const model = liveFramed();
    const input = pitchSteps();
    const { out, latency } = render(model, 'audio', input, true, 0);
    const reportedMs = (latency / SR) * 1000;
    const changes = pitchChanges(out, latency / SR);
    const delays = changes.map((t, i) => (t - NOTES[i + 1][0]) * 1000 + reportedMs);
    console.log(`[latency] live framing audio pitch: ${delays.map((d) => d.toFixed(2)).join(' ')} ms (reported ${reportedMs.toFixed(2)})`);
    // The tracker reads the new pitch once its window holds (most of) it — a window straddling the step may read a
    // common subharmonic first (440 → 659 Hz reads 220 Hz) — then the frame grid and the control position add up to
    // a hop and a half, and this test's detector (512 samples, 10.7 ms) calls the change once its window holds the
    // new pitch: single steps within all three, their median within the first two and half the detector's window.
    const windowMs = (480 / SR) * 1000;
    const hopMs = 1000 / 250;
    const detectorMs = (512 / SR) * 1000;
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(reportedMs - 1);
      expect(d).toBeLessThanOrEqual(reportedMs + windowMs + 1.5 * hopMs + detectorMs + 1);
    }
    expect(median(delays)).toBeLessThanOrEqual(reportedMs + windowMs + 1.5 * hopMs + detectorMs / 2 + 1);
  });
});
