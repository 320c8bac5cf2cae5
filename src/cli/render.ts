/**
 * `ddsp-stream render` — renders an audio file (or, with --features, a pitch/loudness curve; with --midi, a MIDI
 * file) through a model,
 * block by block through the StreamingEngine, and writes a WAV.
 *
 * @packageDocumentation
 */

import { readFile } from 'node:fs/promises';
import { writeWavFile } from '../io/audio-file';
import { CONTROLS, type EngineControlName } from '../modules/controls';
import { QUANTUM } from '../engine/framer';
import { featuresAtFrameRate, renderStream, type FrameFeatures, type NoteMessages } from '../engine/render';
import { DEFAULT_VOICES, MAX_VOICES, WARMUP_QUANTA, type EngineControls } from '../engine/streaming-engine';
import { MidiError, midiToFeatures, midiToNoteEvents } from './midi';
import { CliError, bool, expectPositionals, num, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';
import { loadChannels, loadModel, loadMono, progress, round } from './common';

/** The flags that set the engine's controls, and the control each sets (ranges and defaults: CONTROLS). */
const CONTROL_FLAGS = {
  'pitch-shift': 'pitchShift', 'harmonic-mix': 'harmonicMix', 'noise-mix': 'noiseMix', 'reverb-mix': 'reverbMix',
} as const satisfies Record<string, EngineControlName>;

const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', alias: 'm' },
  block: { type: 'number', integer: true, min: 1, max: 1 << 20 },
  'sample-rate': { type: 'number', integer: true, min: 8000, max: 384000 },
  ...Object.fromEntries(Object.entries(CONTROL_FLAGS).map(([flag, name]) =>
    [flag, { type: 'number', min: CONTROLS[name].min, max: CONTROLS[name].max } satisfies FlagSpec])),
  stats: { type: 'boolean' },
  features: { type: 'string' },
  midi: { type: 'string' },
  'midi-channel': { type: 'number', integer: true, min: 1, max: 16 },
  'midi-peak-db': { type: 'number', min: -100, max: 100 },
  voices: { type: 'number', integer: true, min: 1, max: MAX_VOICES },
  'per-channel': { type: 'boolean' },
  format: { type: 'string', choices: ['float32', 'pcm16'] },
  seed: { type: 'number', integer: true },
};

const USAGE = 'ddsp-stream render [--model violin|flute|cello|M.onnx] IN OUT.wav | --features CURVE.csv OUT.wav | --midi FILE.mid OUT.wav';

/** A control's range and default, as the help gives them. */
function rangeOf(name: EngineControlName): string {
  const c = CONTROLS[name];
  return `${c.min}..${c.max}, default ${c.defaultValue}`;
}

const HELP = `usage: ${USAGE}

Renders IN (wav, flac, mp3 or ogg; downmixed to mono) through the model, block by block through the streaming
engine, and writes OUT as a WAV. The output is aligned with the input (the engine's latency is removed).

options:
  --model, -m NAME|PATH  a bundled model by name (violin, flute, cello; default violin) or a model file (.onnx)
  --block N              block size handed to the engine (default 128)
  --sample-rate N        engine / output sample rate in Hz (default: the input's rate; with --features or --midi
                         the model's)
  --pitch-shift S        pitch shift in semitones, ${rangeOf('pitchShift')}
  --harmonic-mix X       harmonic gain, ${rangeOf('harmonicMix')}
  --noise-mix X          noise gain, ${rangeOf('noiseMix')}
  --reverb-mix X         reverb wet share, ${rangeOf('reverbMix')} (as trained)
  --features CSV         control mode: render the curve in CSV (time_s,f0_hz,confidence,loudness_db, the
                         format 'ddsp-stream f0' writes) instead of input audio; then give only OUT
  --midi FILE.mid        render a MIDI file (then give only OUT): chords, up to --voices notes at once, each
                         note a voice of its own; velocity sets the peak loudness, 30 ms attack, 150 ms
                         release; pitch bend (±2 semitones unless RPN 0 says otherwise; MPE zones), channel
                         and poly pressure (up to +12 dB), CC74 (noise mix) and the sustain pedal honoured.
                         Output = last note off + 1 s
  --voices N             with --midi: notes sounding at once, 1..${MAX_VOICES} (default ${DEFAULT_VOICES}); beyond that the oldest
                         are taken over. --voices 1 is the monophonic rule: when notes overlap the newest wins,
                         legato (a polyphonic file gets a warning), sustain pedal ignored
  --midi-channel N       with --midi: only MIDI channel N, 1..16 (default: all channels)
  --per-channel          one voice per channel of IN (a hexaphonic pickup, a multitrack, several singers):
                         each channel tracked and resynthesised on its own, summed through the model's one
                         reverb (up to 16 channels), instead of the downmix
  --midi-peak-db X       with --midi: loudness of a velocity-127 note in dB (default 10; velocity v gives
                         X + 40·log10(v/127)); lower it for models trained on quieter audio
  --format F             float32 (default) or pcm16
  --seed N               noise seed (default 0)
  --stats                print one JSON line on stdout: audio_seconds, engine_cpu_seconds, rtf, worst_block_ms,
                         p99_block_ms, worst_block_first_s_ms (the fresh engine's first second of stream),
                         worst_block_steady_ms (the rest; 0 for a stream of at most a second), block, sample_rate,
                         latency_samples
  --help, -h             this help
`;

/** A feature curve read from CSV. */
export interface FeatureCurve {
  timeS: Float64Array;
  f0Hz: Float32Array;
  confidence: Float32Array;
  loudnessDb: Float32Array;
}

/**
 * Parses the `f0` command's CSV (header optional; columns time_s,f0_hz,confidence,loudness_db).
 * @throws CliError naming the file and line of the first bad row
 */
export function parseFeatureCsv(text: string, name = 'features'): FeatureCurve {
  const lines = text.split(/\r?\n/);
  const t: number[] = [];
  const f: number[] = [];
  const c: number[] = [];
  const l: number[] = [];
  let header = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(',').map((s) => s.trim());
    if (!header && t.length === 0 && cells.some((s) => s !== '' && !Number.isFinite(Number(s)))) {
      const want = ['time_s', 'f0_hz', 'confidence', 'loudness_db'];
      if (cells.length !== 4 || cells.some((s, j) => s !== want[j])) {
        throw new CliError(`${name} line ${i + 1}: expected the header time_s,f0_hz,confidence,loudness_db or numbers, got "${truncate(line)}"`);
      }
      header = true;
      continue;
    }
    if (cells.length !== 4) {
      throw new CliError(`${name} line ${i + 1}: expected 4 values (time_s,f0_hz,confidence,loudness_db), got ${cells.length}: "${truncate(line)}"`);
    }
    const v = cells.map((s) => (s === '' ? NaN : Number(s)));
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new CliError(`${name} line ${i + 1}: ${['time_s', 'f0_hz', 'confidence', 'loudness_db'][bad]} is not a number: "${cells[bad]}"`);
    if (v[0] < 0) throw new CliError(`${name} line ${i + 1}: time_s must be ≥ 0, got ${cells[0]}`);
    if (t.length > 0 && !(v[0] > t[t.length - 1])) {
      throw new CliError(`${name} line ${i + 1}: time_s must increase (${cells[0]} after ${t[t.length - 1]})`);
    }
    if (v[1] < 0) throw new CliError(`${name} line ${i + 1}: f0_hz must be ≥ 0 (0 = unvoiced), got ${cells[1]}`);
    t.push(v[0]); f.push(v[1]); c.push(v[2]); l.push(v[3]);
  }
  if (t.length === 0) throw new CliError(`${name}: no feature rows`);
  return { timeS: Float64Array.from(t), f0Hz: Float32Array.from(f), confidence: Float32Array.from(c), loudnessDb: Float32Array.from(l) };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** p-th percentile (0..100) of values (nearest rank). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return 0;
  const i = Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1));
  return a[i];
}

/** Runs `render`. Returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  const featuresPath = str(p, 'features');
  const midiPath = str(p, 'midi');
  if (featuresPath !== undefined && midiPath !== undefined) throw new CliError('give --features or --midi, not both');
  let inPath: string | undefined;
  let outPath: string;
  if (featuresPath !== undefined || midiPath !== undefined) {
    const flag = featuresPath !== undefined ? '--features' : '--midi';
    if (p.positionals.length === 2) throw new CliError(`with ${flag} give only OUT.wav (it replaces the input audio)`);
    [outPath] = expectPositionals(p, ['OUT.wav'], USAGE);
  } else {
    [inPath, outPath] = expectPositionals(p, ['IN', 'OUT.wav'], USAGE);
  }
  const model = await loadModel(str(p, 'model'));
  const block = num(p, 'block', 128);
  const controls: Partial<EngineControls> = {};
  for (const [flag, name] of Object.entries(CONTROL_FLAGS)) controls[name] = num(p, flag);

  let input: Float32Array | null = null;
  let features: FrameFeatures | undefined;
  let notes: NoteMessages | undefined;
  let channels: Float32Array[] | undefined;
  if (bool(p, 'per-channel') && (featuresPath !== undefined || midiPath !== undefined)) {
    throw new CliError('--per-channel renders the channels of IN: not with --features or --midi');
  }
  const voices = num(p, 'voices', DEFAULT_VOICES);
  if (voices !== DEFAULT_VOICES && midiPath === undefined) throw new CliError('--voices plays a MIDI file: give it with --midi');
  let sampleRate: number;
  let nSamples: number;
  if (featuresPath !== undefined) {
    let text: string;
    try {
      text = await readFile(featuresPath, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new CliError(`cannot read ${featuresPath}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const curve = parseFeatureCsv(text, featuresPath);
    sampleRate = num(p, 'sample-rate', model.sampleRate);
    // Sampled once per tick, as the engine takes control features.
    const fr = featuresAtFrameRate(curve.timeS, curve.f0Hz, curve.loudnessDb, sampleRate / QUANTUM);
    features = { f0Hz: fr.f0Hz, loudnessDb: fr.loudnessDb };
    nSamples = Math.max(1, Math.round(fr.durationS * sampleRate));
  } else if (midiPath !== undefined) {
    const bytes = await readFile(midiPath).catch((e: { code?: string; message: string }) => {
      throw new CliError(`cannot read ${midiPath}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    sampleRate = num(p, 'sample-rate', model.sampleRate);
    let m;
    try {
      m = voices === 1
        ? midiToFeatures(bytes, { frameRate: sampleRate / QUANTUM, channel: num(p, 'midi-channel'), peakDb: num(p, 'midi-peak-db') })
        : midiToNoteEvents(bytes, { sampleRate, channel: num(p, 'midi-channel'), voices });
    } catch (e) {
      throw e instanceof MidiError ? new CliError(`${midiPath}: ${e.message}`) : e;
    }
    for (const w of m.warnings) io.stderr(`ddsp-stream render: warning: ${midiPath}: ${w}\n`);
    if ('f0Hz' in m) features = { f0Hz: m.f0Hz, loudnessDb: m.loudnessDb };
    else notes = m;
    nSamples = Math.max(1, Math.round(m.durationSeconds * sampleRate));
  } else if (bool(p, 'per-channel')) {
    const loaded = await loadChannels(inPath as string, num(p, 'sample-rate'));
    if (loaded.channels.length > 16) throw new CliError(`${inPath}: ${loaded.channels.length} channels, more than --per-channel's 16`);
    channels = loaded.channels;
    sampleRate = loaded.sampleRate;
    nSamples = Math.max(...channels.map((c) => c.length));
  } else {
    const loaded = await loadMono(inPath as string, num(p, 'sample-rate'));
    input = loaded.audio;
    sampleRate = loaded.sampleRate;
    nSamples = input.length;
  }

  const prog = await progress(io, 'render', nSamples > 30 * sampleRate);
  let result;
  try {
    result = renderStream(model, input, {
      sampleRate, block, controls, features, notes, voices, channels, notePeakDb: num(p, 'midi-peak-db'), nSamples,
      noiseSeed: num(p, 'seed'), timeBlocks: bool(p, 'stats'),
      warmUpQuanta: WARMUP_QUANTA, onProgress: prog.update,
    });
  } finally {
    prog.stop();
  }
  const format = str(p, 'format', 'float32') as 'float32' | 'pcm16';
  await writeWavFile(outPath, result.audio, sampleRate, format);
  const clipped = clipWarning(result.audio, format);
  if (clipped !== null) io.stderr(`ddsp-stream render: warning: ${outPath}: ${clipped}\n`);

  if (bool(p, 'stats')) {
    const times = result.blockMs ?? new Float64Array(0);
    const firstBlocks = Math.min(times.length, Math.ceil(sampleRate / block));
    const audioSeconds = nSamples / sampleRate;
    const engine = result.engineSeconds ?? 0;
    const stats = {
      audio_seconds: round(audioSeconds),
      engine_cpu_seconds: round(engine),
      rtf: round(audioSeconds > 0 ? engine / audioSeconds : 0),
      worst_block_ms: round(percentile(times, 100), 4),
      p99_block_ms: round(percentile(times, 99), 4),
      worst_block_first_s_ms: round(percentile(times.subarray(0, firstBlocks), 100), 4),
      worst_block_steady_ms: round(percentile(times.subarray(firstBlocks), 100), 4),
      block,
      sample_rate: sampleRate,
      latency_samples: result.latencySamples,
    };
    io.stdout(`${JSON.stringify(stats)}\n`);
  }
  return 0;
}

/** What to say when `audio` goes beyond ±1 (full scale), or null when it does not. */
export function clipWarning(audio: Float32Array, format: 'float32' | 'pcm16'): string | null {
  let over = 0;
  let peak = 0;
  for (let i = 0; i < audio.length; i++) {
    const a = Math.abs(audio[i]);
    if (a > 1) over++;
    if (a > peak) peak = a;
  }
  if (over === 0) return null;
  return (
    `${over} samples (${((100 * over) / audio.length).toPrecision(2)} %) beyond full scale, peak ${peak.toFixed(2)} ` +
    `(+${(20 * Math.log10(peak)).toFixed(1)} dBFS): ${format === 'pcm16' ? 'clipped in this 16-bit file' : 'kept in ' +
    'this float file, but players and 16-bit conversions clip them'}. Lower the input level, --harmonic-mix or ` +
    '--noise-mix (with --midi, --midi-peak-db; with --features, the loudness column)'
  );
}
