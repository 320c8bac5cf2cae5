import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudio, encodeWav } from '../../src/io/audio-file';

export const FIXTURE = join(__dirname, '..', 'fixtures', 'audio', 'violin-4s-24k.wav');

/** A temp folder with the fixture cut to `seconds` (from `start` s) as a WAV at its own rate (24 kHz). */
export async function audioDir(seconds = 4, start = 0): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ddsp-audio-'));
  if (seconds === 4 && start === 0) {
    copyFileSync(FIXTURE, join(dir, 'violin.wav'));
    return dir;
  }
  const d = await decodeAudio(readFileSync(FIXTURE));
  const x = d.channels[0].subarray(Math.round(start * d.sampleRate), Math.round((start + seconds) * d.sampleRate));
  writeFileSync(join(dir, 'violin.wav'), encodeWav(x, d.sampleRate, 'pcm16'));
  return dir;
}

export function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(d, { recursive: true });
  return d;
}

/**
 * Overrides of a tiny, fast model at 16 kHz (hidden 32, 16 harmonics, filter 64, IR 0.1 s), trained at the seed's
 * constant rate (exp=seed; `extra` may set model.lr): a few steps of the default warm-up would barely move it.
 */
export function tinyOverrides(raw: string, db: string, extra: string[] = []): string[] {
  return [
    'exp=seed', 'name=tiny', 'sample_rate=16000', `data.raw_dir=${raw}`, `data.db_path=${db}`, 'data.f0_range=[100,2000]',
    'model.estimator.hidden_size=32', 'synth.dag.harmonic.config.n_harmonics=16', 'synth.dag.filtnoise.config.filter_size=64',
    '+synth.dag.irreverb.config.ir_s=0.1', '+synth.dag.irreverb.config.sr=16000', 'num_workers=0', 'trainer.gpus=0',
    ...extra,
  ];
}
