import { describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { NOTE_ENVELOPE } from '../../src/engine/note-events';
import type { DDSPModel } from '../../src/model/model-file';
import { maxAbs, smallModel } from './helpers';

const SR = 48000;
const Q = 128;

/**
 * The documented envelope of one note (velocity v, on at sample 0, off at sample `off`), in dB at sample t, written
 * out in samples (attack and release are ms × 48 samples).
 */
function envelopeDb(t: number, velocity: number, off: number): number {
  const { attackMs, releaseMs, floorDb, peakDb } = NOTE_ENVELOPE;
  const attack = (attackMs / 1000) * SR;
  const release = (releaseMs / 1000) * SR;
  const peak = Math.max(floorDb, peakDb + 40 * Math.log10(velocity / 127));
  const held = (x: number): number => (x >= attack ? peak : floorDb + ((peak - floorDb) * x) / attack);
  if (t < off) return held(t);
  const from = held(off);
  return t - off >= release ? floorDb : from + ((floorDb - from) * (t - off)) / release;
}

/** One note through a notes-mode engine (on at `startSample`, off `lengthS` later), blocks of `block`. */
function renderNote(model: DDSPModel, key: number, velocity: number, startSample: number, lengthS: number, n: number,
  block: number): Float32Array {
  const e = new StreamingEngine(model, { sampleRate: SR, mode: 'notes' });
  e.noteOn(key, velocity, startSample);
  e.noteOff(key, startSample + Math.round(lengthS * SR));
  const out = new Float32Array(n);
  for (let pos = 0; pos < n; pos += block) e.process(null, out, Math.min(block, n - pos), 0, pos);
  return out;
}

/** The monophonic control mode fed the same f0 / loudness curve, one tick per quantum from its sample 0. */
function renderMono(model: DDSPModel, key: number, velocity: number, lengthS: number, n: number): Float32Array {
  const e = new StreamingEngine(model, { sampleRate: SR, mode: 'control' });
  const f0 = new Float32Array([440 * Math.pow(2, (key - 69) / 12)]);
  const loud = new Float32Array(1);
  const out = new Float32Array(n);
  for (let pos = 0, j = 0; pos < n; pos += Q, j++) {
    loud[0] = envelopeDb(Q * j, velocity, Math.round(lengthS * SR));
    e.setControlFeatures(f0, loud, 0);
    e.process(null, out, Math.min(Q, n - pos), 0, pos);
  }
  return out;
}

describe('notes: one note is the monophonic control mode', () => {
  const model = smallModel(3);
  for (const [start, block] of [[0, 128], [37, 128], [200, 61]] as const) {
    it(`a note on at sample ${start} (blocks of ${block}) equals the control-mode render of its curve, shifted`, () => {
      const lengthS = 0.3;
      const n = start + Math.round((lengthS + 0.15) * SR); // through the release, before the voice's end fade
      const poly = renderNote(model, 64, 100, start, lengthS, n, block);
      const mono = renderMono(model, 64, 100, lengthS, n - start);
      const peak = maxAbs(mono);
      expect(peak).toBeGreaterThan(1e-3);
      let worst = 0;
      for (let i = 0; i < n - start; i++) worst = Math.max(worst, Math.abs(poly[start + i] - mono[i]));
      for (let i = 0; i < start; i++) expect(poly[i]).toBe(0);
      expect(worst).toBeLessThanOrEqual(1e-6 * peak);
    });
  }
});
