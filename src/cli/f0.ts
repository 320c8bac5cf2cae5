/**
 * `ddsp-stream f0` — pitch and loudness of an audio file, one row per frame:
 * time_s,f0_hz,confidence,loudness_db (time = frame centre, f0 = 0 when unvoiced). CSV with a header by default,
 * or JSON. The CSV is what `render --features` reads.
 *
 * @packageDocumentation
 */

import { writeFile } from 'node:fs/promises';
import { analyseFeatures, type AnalysedFeatures } from '../engine/render';
import { CliError, expectPositionals, num, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';
import { loadMono, progress, round } from './common';

const FLAGS: Record<string, FlagSpec> = {
  'frame-rate': { type: 'number', min: 1, max: 1000 },
  mode: { type: 'string', choices: ['stream', 'offline'] },
  format: { type: 'string', choices: ['csv', 'json'] },
  output: { type: 'string', alias: 'o' },
  'analysis-rate': { type: 'number', integer: true, min: 8000, max: 384000 },
  'f-min': { type: 'number', min: 1, max: 20000 },
  'f-max': { type: 'number', min: 1, max: 40000 },
};

const USAGE = 'ddsp-stream f0 IN [--frame-rate 100] [--mode stream|offline] [--format csv|json]';

const HELP = `usage: ${USAGE}

Tracks pitch and loudness of IN (wav, flac, mp3 or ogg; downmixed to mono). One row per frame:
time_s,f0_hz,confidence,loudness_db — time is the frame centre, f0 is 0 when unvoiced, loudness is the
A-weighted loudness in dB (window 2048 samples at 48 kHz). Progress goes to stderr for long files.

options:
  --frame-rate N      frames per second (default 100)
  --mode M            stream: the realtime engine's YIN tracker (default); offline: pYIN + Viterbi smoothing
  --format F          csv (default, with a header) or json
  --output, -o PATH   write to PATH instead of stdout
  --analysis-rate N   rate the audio is analysed at, Hz (default 48000, the models' rate)
  --f-min HZ          lowest f0 (default 32)
  --f-max HZ          highest f0 (default 2000)
  --help, -h          this help
`;

/** Formats features as CSV with a header. */
export function featuresToCsv(f: AnalysedFeatures): string {
  const rows = ['time_s,f0_hz,confidence,loudness_db'];
  for (let k = 0; k < f.timeS.length; k++) {
    rows.push(`${round(f.timeS[k], 6)},${round(f.f0Hz[k], 3)},${round(f.confidence[k], 4)},${round(f.loudnessDb[k], 3)}`);
  }
  return `${rows.join('\n')}\n`;
}

/** Formats features as JSON ({frame_rate, analysis_rate, frames: [{time_s, f0_hz, confidence, loudness_db}]}). */
export function featuresToJson(f: AnalysedFeatures): string {
  const frames = [];
  for (let k = 0; k < f.timeS.length; k++) {
    frames.push({ time_s: round(f.timeS[k], 6), f0_hz: round(f.f0Hz[k], 3), confidence: round(f.confidence[k], 4),
      loudness_db: round(f.loudnessDb[k], 3) });
  }
  return `${JSON.stringify({ frame_rate: f.frameRate, analysis_rate: f.analysisRate, frames })}\n`;
}

/** Runs `f0`. Returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  const [inPath] = expectPositionals(p, ['IN'], USAGE);
  const fMin = num(p, 'f-min', 32);
  const fMax = num(p, 'f-max', 2000);
  if (!(fMax > fMin)) throw new CliError(`--f-max (${fMax}) must be above --f-min (${fMin})`);
  const { audio, sampleRate } = await loadMono(inPath);
  const long = audio.length > 60 * sampleRate;
  const prog = await progress(io, 'f0', long);
  let feats: AnalysedFeatures;
  try {
    feats = analyseFeatures(audio, sampleRate, {
      frameRate: num(p, 'frame-rate', 100),
      mode: str(p, 'mode', 'stream') as 'stream' | 'offline',
      analysisRate: num(p, 'analysis-rate', 48000),
      fMinHz: fMin,
      fMaxHz: fMax,
      onProgress: prog.update,
    });
  } finally {
    prog.stop();
  }
  const text = str(p, 'format', 'csv') === 'json' ? featuresToJson(feats) : featuresToCsv(feats);
  const out = str(p, 'output');
  if (out !== undefined) {
    try {
      await writeFile(out, text);
    } catch (e) {
      throw new CliError(`cannot write ${out}: ${(e as Error).message}`);
    }
  } else {
    io.stdout(text);
  }
  return 0;
}
