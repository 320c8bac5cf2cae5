// The engine's warm-up (EngineOptions.warmUpQuanta, used by `render` and `bench`) must leave no branch of the
// realtime path for real audio to take first: a branch that optimised code has no type feedback for deoptimises it
// when first taken, and the function then runs interpreted (slow, boxing numbers) until V8 optimises it again — the
// late blocks of a fresh engine's first second. Checked with V8's own trace (`node --trace-deopt`) on a child
// process streaming a recording with silence and a hiss after it (audio mode) and notes, rests and unvoiced ticks
// (control mode) through a seed-size engine, then through a second one in the same process: no deoptimisation between the end of
// either construction and the end of its stream. (The warm-up's glide alone left three: YIN's silent-window exit, the noise ring's first segment after
// a reset, the oscillator bank's first segment.)
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { readAudioFile } from '../../src/io/audio-file';

const PROBE = join(__dirname, 'probes', 'warm-stream.ts');
const RECORDING = join(__dirname, '..', 'fixtures', 'audio', 'dev_violin_48k.flac');

async function deoptsAfterConstruction(mode: 'audio' | 'control'): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ddsp-warm-'));
  try {
    const script = join(dir, 'probe.mjs');
    const code = buildSync({ entryPoints: [PROBE], bundle: true, write: false, platform: 'node', format: 'esm' });
    writeFileSync(script, code.outputFiles[0].text);
    const decoded = await readAudioFile(RECORDING);
    expect(decoded.sampleRate).toBe(48000);
    const raw = join(dir, 'recording.f32');
    writeFileSync(raw, new Uint8Array(decoded.channels[0].buffer, decoded.channels[0].byteOffset, decoded.channels[0].byteLength));
    const out = execFileSync(process.execPath, ['--trace-deopt', script, mode, raw], {
      cwd: join(__dirname, '..', '..'), encoding: 'utf8', maxBuffer: 64 << 20,
    });
    const deopts: string[] = [];
    for (const n of [1, 2]) {
      const start = out.indexOf(`STREAM ${n} START`);
      const end = out.indexOf(`STREAM ${n} END`);
      expect(start, out.slice(-2000)).toBeGreaterThan(-1);
      expect(end).toBeGreaterThan(start);
      const lines = out.slice(start, end).split('\n').filter((l) => l.includes('bailout') && l.includes('deoptimizing'));
      deopts.push(...lines.map((l) => `engine ${n}: ${l}`));
    }
    return deopts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the warm-up leaves nothing for the stream to deoptimise (node --trace-deopt)', () => {
  for (const mode of ['audio', 'control'] as const) {
    it(`${mode} mode`, async () => {
      const deopts = await deoptsAfterConstruction(mode);
      expect(deopts, deopts.join('\n')).toEqual([]);
    }, 120_000);
  }
});
