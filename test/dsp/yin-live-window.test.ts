// The streaming tracker with a low-latency model's window (the exp=live preset: 480 samples at 48 kHz, causal,
// 150–2000 Hz) against the seed's framing (2048 centred, 32–2000 Hz), scored as ../shared/data/pitch/score.py
// scores the pitch set (raw pitch accuracy: truth-voiced frames whose estimate is within 50 cents, the estimate
// frame nearest in time within 11 ms). Fixtures: 4 s of the pitch set's violin and flute (from 4 s on) with their
// truth. On the whole set (files whose notes are all ≥ 150 Hz) the figures are in docs/pitch.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAudioFile, downmix } from '../../src/io/audio-file';
import { analyseFeatures } from '../../src/engine/render';
import type { AnalysisAlignment } from '../../src/dsp/analysis-window';

const DIR = join(__dirname, '..', 'fixtures', 'pitch');

function truth(name: string): { t: number[]; f0: number[] } {
  const rows = readFileSync(join(DIR, `${name}.f0.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  return { t: rows.map((r) => r[0]), f0: rows.map((r) => r[1]) };
}

async function rpa(name: string, analysisWindow: number, alignment: AnalysisAlignment, fMinHz: number): Promise<number> {
  const d = await readAudioFile(join(DIR, `${name}.flac`));
  const r = analyseFeatures(downmix(d.channels), d.sampleRate, { frameRate: 100, analysisWindow, alignment, fMinHz, fMaxHz: 2000 });
  const { t, f0 } = truth(name);
  let voiced = 0;
  let hit = 0;
  for (let i = 0; i < t.length; i++) {
    if (!(f0[i] > 0)) continue;
    voiced++;
    const k = Math.round(t[i] * 100);
    if (k >= r.f0Hz.length || Math.abs(r.timeS[k] - t[i]) > 0.011) continue;
    const e = r.f0Hz[k];
    if (e > 0 && Math.abs(1200 * Math.log2(e / f0[i])) <= 50) hit++;
  }
  return hit / voiced;
}

describe('streaming pitch tracker with the live preset\'s window (480 causal) vs the seed\'s (2048 centred)', () => {
  for (const name of ['violin-4s', 'flute-4s']) {
    it(`${name}: loses at most 0.02 of raw pitch accuracy`, async () => {
      const seed = await rpa(name, 2048, 'centred', 32);
      const live = await rpa(name, 480, 'causal', 150);
      console.log(`[rpa] ${name}: 2048 centred ${seed.toFixed(3)}, 480 causal ${live.toFixed(3)}`);
      expect(seed).toBeGreaterThan(0.9);
      expect(live).toBeGreaterThanOrEqual(seed - 0.02);
    });
  }
});
