// Pitch-tracking evaluation on the pitch set (12 instruments, truth NAME.f0.csv at 100 frames/s; see docs/pitch.md).
// Skipped unless DDSP_PITCH_EVAL points at the folder, e.g.
//   DDSP_PITCH_EVAL=/work/shared/data/pitch npx vitest run test/eval/pitch.test.ts
// Optional: DDSP_PITCH_OUT=<dir> writes <dir>/{stream,offline}/NAME.csv (time_s,f0_hz) for the set's score.py.
// Scoring is score.py's: raw pitch accuracy = share of truth-voiced frames (f0 > 0) whose estimate, taken from
// the nearest estimate frame within 11 ms, is voiced and within 50 cents; the overall figure is the mean over files.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import decode from 'audio-decode';
import { YinTracker, type PitchEstimate } from '../../src/dsp/yin';
import { trackPitchOffline } from '../../src/dsp/pyin';

const DIR = process.env.DDSP_PITCH_EVAL;
const OUT = process.env.DDSP_PITCH_OUT;

interface Truth { timeS: Float64Array; f0Hz: Float64Array }

function readTruth(path: string): Truth {
  const t: number[] = [];
  const f: number[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [a, b] = line.trim().replace(';', ',').split(',');
    const ta = Number(a);
    const fb = Number(b);
    if (line.trim() === '' || !Number.isFinite(ta) || !Number.isFinite(fb)) continue;
    t.push(ta);
    f.push(fb);
  }
  return { timeS: Float64Array.from(t), f0Hz: Float64Array.from(f) };
}

/** score.py's raw pitch accuracy of an estimate track (times est.timeS, f0 ≤ 0 unvoiced). */
function rawPitchAccuracy(truth: Truth, estT: Float64Array, estF: Float32Array): { rpa: number; unvoiced: number; octave: number; other: number } {
  let voicedN = 0;
  let good = 0;
  let unvoiced = 0;
  let octave = 0;
  let other = 0;
  for (let i = 0; i < truth.timeS.length; i++) {
    const tf = truth.f0Hz[i];
    if (!(tf > 0)) continue;
    voicedN++;
    const tt = truth.timeS[i];
    // nearest estimate frame (estT sorted)
    let lo = 0;
    let hi = estT.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (estT[m] < tt) lo = m + 1; else hi = m; }
    let idx = Math.min(Math.max(lo, 1), estT.length - 1);
    if (Math.abs(tt - estT[idx - 1]) <= Math.abs(estT[idx] - tt)) idx -= 1;
    const e = estF[idx];
    const near = Math.abs(estT[idx] - tt) <= 0.011;
    if (!near || !(e > 0)) { unvoiced++; continue; }
    const cents = 1200 * Math.abs(Math.log2(e / tf));
    if (cents <= 50) good++;
    else if (Math.abs(cents - 1200) <= 60 || Math.abs(cents - 2400) <= 60) octave++;
    else other++;
  }
  return { rpa: good / Math.max(1, voicedN), unvoiced, octave, other };
}

async function load(path: string): Promise<{ audio: Float32Array; sampleRate: number }> {
  const d = await decode(readFileSync(path));
  const ch = d.channelData;
  const audio = new Float32Array(ch[0].length);
  for (const c of ch) for (let i = 0; i < audio.length; i++) audio[i] += c[i] / ch.length;
  return { audio, sampleRate: d.sampleRate };
}

function writeCsv(dir: string, name: string, t: Float64Array, f: Float32Array): void {
  mkdirSync(dir, { recursive: true });
  let s = 'time_s,f0_hz\n';
  for (let i = 0; i < t.length; i++) s += `${t[i].toFixed(2)},${f[i].toFixed(3)}\n`;
  writeFileSync(join(dir, `${name}.csv`), s);
}

describe.skipIf(!DIR || !existsSync(DIR))('pitch evaluation (DDSP_PITCH_EVAL)', () => {
  it('raw pitch accuracy, streaming and offline trackers', async () => {
    const dir = DIR as string;
    const names = readdirSync(dir).filter((f) => f.endsWith('.f0.csv')).map((f) => f.slice(0, -'.f0.csv'.length)).sort();
    const frameRate = 100;
    const extra = process.env.DDSP_PITCH_EVAL_OPTS ? JSON.parse(process.env.DDSP_PITCH_EVAL_OPTS) : {};
    const rows: string[] = [];
    const sums = { stream: 0, offline: 0 };
    for (const name of names) {
      const truth = readTruth(join(dir, `${name}.f0.csv`));
      const { audio, sampleRate } = await load(join(dir, `${name}.flac`));
      // Streaming tracker: frame k = the window ending at k·hop + windowSize/2, i.e. centred at time k/frameRate.
      const yin = new YinTracker({ sampleRate, ...(extra.stream ?? {}) });
      const W = yin.windowSize;
      const nFrames = Math.floor((audio.length / sampleRate) * frameRate);
      const tS = new Float64Array(nFrames);
      const fS = new Float32Array(nFrames);
      const est: PitchEstimate = { f0Hz: 0, confidence: 0 };
      for (let k = 0; k < nFrames; k++) {
        tS[k] = k / frameRate;
        yin.detect(audio, Math.round((k * sampleRate) / frameRate) - W / 2, est);
        fS[k] = est.f0Hz;
      }
      const s = rawPitchAccuracy(truth, tS, fS);
      // Offline tracker: frames centred at k/frameRate by construction.
      const off = trackPitchOffline(audio, sampleRate, { frameRate, ...(extra.offline ?? {}) });
      const fO = new Float32Array(off.f0Hz.length);
      for (let k = 0; k < fO.length; k++) fO[k] = off.voiced[k] ? off.f0Hz[k] : 0;
      const o = rawPitchAccuracy(truth, tS.subarray(0, fO.length), fO);
      if (OUT) { writeCsv(join(OUT, 'stream'), name, tS, fS); writeCsv(join(OUT, 'offline'), name, tS.subarray(0, fO.length), fO); }
      sums.stream += s.rpa;
      sums.offline += o.rpa;
      rows.push(`| ${name.padEnd(11)} | ${s.rpa.toFixed(3)} | ${s.unvoiced} / ${s.octave} / ${s.other} | ${o.rpa.toFixed(3)} | ${o.unvoiced} / ${o.octave} / ${o.other} |`);
    }
    const mean = { stream: sums.stream / names.length, offline: sums.offline / names.length };
    console.log([
      '| file | stream RPA | stream misses (unvoiced / octave / other) | offline RPA | offline misses |',
      '|---|---|---|---|---|',
      ...rows,
      `| **mean** | **${mean.stream.toFixed(4)}** | | **${mean.offline.toFixed(4)}** | |`,
    ].join('\n'));
    expect(names.length).toBeGreaterThan(0);
    expect(mean.stream).toBeGreaterThan(0);
  });
});
