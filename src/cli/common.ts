/**
 * Helpers shared by the CLI commands: model loading with one-line errors, mono audio loading, progress output.
 *
 * @packageDocumentation
 */

import { readFile } from 'node:fs/promises';
import { readModel, type DDSPModel } from '../model/model-file';
import { downmix, readAudioFile } from '../io/audio-file';
import { resample } from '../dsp/resample';
import { CliError, type CliIO } from './args';
import { resolveModel } from './models';

/**
 * Reads a model: a file path, or a bundled model by name (`violin`, …; the violin when `arg` is undefined). Every
 * failure becomes a one-line CliError naming the file.
 */
export async function loadModel(arg: string | undefined): Promise<DDSPModel> {
  let path: string;
  try {
    path = resolveModel(arg);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new CliError(`cannot read model ${path}: ${why}`);
  }
  try {
    return readModel(bytes);
  } catch (e) {
    throw new CliError(`${path}: not a usable model file (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Reads an audio file as mono, optionally resampled to `sampleRate`. @throws AudioFileError / CliError naming the file. */
export async function loadMono(path: string, sampleRate?: number): Promise<{ audio: Float32Array; sampleRate: number }> {
  const { channels, sampleRate: rate } = await loadChannels(path, sampleRate, true);
  return { audio: channels[0], sampleRate: rate };
}

/**
 * Decodes an audio file into its channels (or, with `mono`, their downmix), resampled to `sampleRate` if given.
 * @throws CliError naming the file
 */
export async function loadChannels(path: string, sampleRate?: number, mono = false):
  Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const dec = await readAudioFile(path);
  let channels = mono ? [downmix(dec.channels)] : dec.channels;
  let rate = dec.sampleRate;
  if (sampleRate !== undefined && sampleRate !== rate) {
    try {
      channels = channels.map((c) => resample(c, rate, sampleRate));
    } catch (e) {
      throw new CliError(`${path}: cannot resample from ${rate} to ${sampleRate} Hz (${(e as Error).message.split('\n')[0]})`);
    }
    rate = sampleRate;
  }
  return { channels, sampleRate: rate };
}

/**
 * A progress reporter on stderr for long jobs: a bar when stderr is a terminal, otherwise one plain line per 10 %
 * (readable in CI logs). Short jobs (`long` false) report nothing.
 * @returns update(done, total) and stop()
 */
export async function progress(io: CliIO, label: string, long: boolean):
  Promise<{ update: (done: number, total: number) => void; stop: () => void }> {
  if (!long) return { update: () => {}, stop: () => {} };
  if (!io.isTTY) {
    let lastTenth = -1;
    return {
      update(done, total) {
        const tenth = Math.floor((10 * done) / Math.max(1, total));
        if (tenth > lastTenth && tenth < 10) { lastTenth = tenth; io.stderr(`${label}: ${tenth * 10}%\n`); }
      },
      stop() { if (lastTenth >= 0) io.stderr(`${label}: done\n`); },
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% | ETA {eta}s`, stream: process.stderr,
    hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) { bar.start(Math.max(1, total), 0); started = true; }
      bar.setTotal(Math.max(1, total));
      bar.update(done);
    },
    stop() { if (started) bar.stop(); },
  };
}

/** Formats a number for JSON/CSV output with limited precision. */
export function round(v: number, digits = 6): number {
  if (!Number.isFinite(v)) return 0;
  const p = 10 ** digits;
  return Math.round(v * p) / p;
}
