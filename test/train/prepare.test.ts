import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREP_VERSION, SliceStore, readBatch, type PrepSettings } from '../../src/train/dataset';
import { PrepareError, prepareDataset, sliceAudio } from '../../src/train/prepare';
import { encodeWav } from '../../src/io/audio-file';
import { renderOffline } from '../../src/engine/render';
import { smallModel } from '../engine/helpers';

const FIXTURE = join(__dirname, '..', 'fixtures', 'audio', 'violin-4s-24k.wav');
const settings = (o: Partial<PrepSettings> = {}): PrepSettings => ({
  version: PREP_VERSION, sampleRate: 16000, lengthSeconds: 1, frameRate: 50, f0RangeHz: [100, 2000], f0Viterbi: true, f0Tracker: 'offline',
  analysisWindow: 2048, analysisAlignment: 'centred', ...o,
});

function rawDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ddsp-raw-'));
  mkdirSync(join(dir, 'sub'));
  copyFileSync(FIXTURE, join(dir, 'sub', 'violin.wav'));
  // 1 s of silence then 1 s of a 330 Hz tone at 16 kHz: the silent slice is skipped
  const tone = new Float32Array(32000);
  for (let i = 16000; i < 32000; i++) tone[i] = 0.3 * Math.sin((2 * Math.PI * 330 * i) / 16000);
  writeFileSync(join(dir, 'tone.WAV'), encodeWav(tone, 16000, 'pcm16'));
  writeFileSync(join(dir, 'broken.flac'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  writeFileSync(join(dir, 'notes.txt'), 'not audio');
  return dir;
}

describe('data preparation', () => {
  it('writes the database, reuses it, rebuilds on a config change, skips bad files with a warning', async () => {
    const raw = rawDir();
    const db = join(mkdtempSync(join(tmpdir(), 'ddsp-db-')), 'db');
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const r1 = await prepareDataset({ rawDir: raw, dbPath: db, settings: settings(), progress: false, log });
    expect(r1.reused).toBe(false);
    // violin: 4 slices (4 s); tone: 2 slices, 1 silent
    expect(r1.meta.count).toBe(5);
    expect(r1.meta.nSamples).toBe(16000);
    expect(r1.meta.nFrames).toBe(50);
    expect(r1.meta.unreadable.map((u) => u.file)).toEqual(['broken.flac']);
    expect(lines.some((l) => /warning: skipping .*broken\.flac/.test(l))).toBe(true);
    const tone = r1.meta.sources.find((s) => s.file === 'tone.WAV')!;
    expect(tone.slices).toBe(1);
    expect(tone.skippedSilent).toBe(1);
    const s = r1.store.get(tone.first);
    expect(s.audio.length).toBe(16000);
    // f0 tracked near 330 Hz in the middle of the tone slice; unvoiced frames hold a voiced value
    expect(Math.abs(s.f0Hz[25] - 330)).toBeLessThan(5);
    for (const f of s.f0Hz) expect(f).toBeGreaterThan(0);
    expect(s.loudnessDb[25]).toBeGreaterThan(-40);
    const b = readBatch(r1.store, [0, tone.first]);
    expect(b.audio.length).toBe(32000);
    expect(b.f0Hz[50 + 25]).toBeCloseTo(s.f0Hz[25]);
    await r1.store.close();

    const r2 = await prepareDataset({ rawDir: raw, dbPath: db, settings: settings(), progress: false, log });
    expect(r2.reused).toBe(true);
    expect(r2.meta.createdAt).toBe(r1.meta.createdAt);
    await r2.store.close();

    const r3 = await prepareDataset({ rawDir: raw, dbPath: db, settings: settings({ f0Viterbi: false }), progress: false, log });
    expect(r3.reused).toBe(false);
    expect(r3.reason).toMatch(/data\.f0_viterbi: true → false/);
    await r3.store.close();

    // without raw_dir a mismatched database is refused, a matching one reused
    await expect(prepareDataset({ rawDir: null, dbPath: db, settings: settings(), progress: false, log })).rejects.toThrow(/other settings \(data\.f0_viterbi: false → true\)/);
    const r4 = await prepareDataset({ rawDir: null, dbPath: db, settings: settings({ f0Viterbi: false }), progress: false, log });
    expect(r4.reused).toBe(true);
    await r4.store.close();

    // a new file triggers a rebuild
    copyFileSync(FIXTURE, join(raw, 'again.wav'));
    const r5 = await prepareDataset({ rawDir: raw, dbPath: db, settings: settings({ f0Viterbi: false }), progress: false, log });
    expect(r5.reused).toBe(false);
    expect(r5.reason).toMatch(/1 added/);
    expect(r5.meta.count).toBe(9);
    await r5.store.close();
  });

  it('refuses a folder without audio clearly', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ddsp-empty-'));
    const db = join(empty, 'db');
    await expect(prepareDataset({ rawDir: empty, dbPath: db, settings: settings(), progress: false, log: () => {} }))
      .rejects.toThrow(PrepareError);
    await expect(prepareDataset({ rawDir: empty, dbPath: db, settings: settings(), progress: false, log: () => {} }))
      .rejects.toThrow(/no audio files \(wav, flac, mp3, ogg\) found under data.raw_dir/);
    await expect(prepareDataset({ rawDir: join(empty, 'nope'), dbPath: db, settings: settings(), progress: false, log: () => {} }))
      .rejects.toThrow(/does not exist/);
  });

  it('holds unvoiced f0 at the last voiced value, 440 Hz before the first', () => {
    const sr = 16000;
    const x = new Float32Array(2 * sr);
    // 0.5 s noise-free silence-ish (tiny), then a 220 Hz tone, then silence
    for (let i = 8000; i < 24000; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 220 * i) / sr);
    const r = sliceAudio(x, settings({ f0Tracker: 'stream' }));
    expect(r.slices.length).toBe(2);
    const f0 = r.slices[0].f0Hz;
    expect(f0[0]).toBe(440);
    expect(Math.abs(f0[40] - 220)).toBeLessThan(3);
    const g = r.slices[1].f0Hz;
    expect(Math.abs(g[45] - 220)).toBeLessThan(3); // held through the silence after the tone
  });

  it('a causal framing prepares exactly the features the engine analyses (stream tracker, loudness over the file)', () => {
    const sr = 48000;
    const x = new Float32Array(2 * sr);
    // a note from 0.3 s (gliding 196 → 330 Hz, so f0 changes every frame), silence from 1.6 s
    let phase = 0;
    for (let i = Math.round(0.3 * sr); i < Math.round(1.6 * sr); i++) {
      phase += (196 + (134 * i) / x.length) / sr;
      x[i] = 0.4 * Math.sin(2 * Math.PI * phase) + 0.1 * Math.sin(4 * Math.PI * phase);
    }
    const live = { sampleRate: sr, frameRate: 250, f0RangeHz: [150, 2000] as [number, number], f0Tracker: 'stream' as const,
      analysisWindow: 480, analysisAlignment: 'causal' as const };
    const r = sliceAudio(x, settings(live));
    expect(r.slices.length).toBe(2);
    const model = { ...smallModel(1, sr), frameRate: 250, f0RangeHz: live.f0RangeHz, analysisWindow: 480, analysisAlignment: 'causal' as const };
    const ref = renderOffline(model, x, { sampleRate: sr });
    for (let s = 0; s < 2; s++) {
      for (let k = 0; k < 250; k++) {
        expect(r.slices[s].f0Hz[k]).toBe(ref.f0Hz[s * 250 + k]);
        expect(r.slices[s].loudnessDb[k]).toBe(ref.loudnessDb[s * 250 + k]);
      }
    }
    // the onset reaches frame 75 (0.3 s) only through its causal window: frame 75's window ends at the onset
    expect(r.slices[0].loudnessDb[75]).toBe(-80);
    expect(r.slices[0].loudnessDb[77]).toBeGreaterThan(-40);
  });
});

