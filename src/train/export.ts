/**
 * Export (the seed's export.py): a checkpoint → `exports/NAME/model.onnx` (writeModel) plus reconstruction
 * samples. Each sound is rendered through the streaming engine from a fresh state (a new engine per sound),
 * followed by enough silence to let the reverb tail and the engine's latency out, latency compensated (the output
 * is aligned with the input). Written as `<sound>.wav` beside `<sound>.input.wav` (the mono input).
 *
 * Accepts our checkpoints (the noise design the model was trained with, 'linear-phase' by default), seed
 * Lightning checkpoints (converted, design 'seed') and model files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { readModel, writeModel, type DDSPModel } from '../model/model-file';
import { decodeCheckpoint, isOwnCheckpoint, isZip } from './checkpoint';
import { SliceStore } from './dataset';
import { ddspModelFromWeights, type ModelGraph } from './model';
import { findAudioFiles } from './prepare';

/** A checkpoint or model file that cannot be used. */
export class ExportError extends Error {
  constructor(message: string) { super(message); this.name = 'ExportError'; }
}

/** Where a loaded model came from. */
export interface LoadedModel { model: DDSPModel; kind: 'checkpoint' | 'seed-checkpoint' | 'model-file'; config?: Record<string, unknown>; step?: number }

/**
 * Loads a model from one of our checkpoints, a seed Lightning .ckpt or a model file (.onnx).
 * @throws ExportError naming the file and the problem
 */
export async function loadAnyModel(path: string, name?: string): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(path)); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
  const modelName = name ?? basename(path, extname(path));
  if (isOwnCheckpoint(bytes)) {
    const s = decodeCheckpoint(bytes, path);
    const g = s.meta.graph as ModelGraph | undefined;
    if (!g || !g.synth) throw new ExportError(`${path}: the checkpoint has no model description (written by an older version?)`);
    try {
      return { model: ddspModelFromWeights(g, s.weights, { name: modelName, meta: { 'trained.steps': String(s.step) } }), kind: 'checkpoint', config: s.config, step: s.step };
    } catch (e) {
      throw new ExportError(`${path}: ${(e as Error).message}`);
    }
  }
  if (isZip(bytes)) {
    const { convertCheckpoint } = await import('../model/ckpt');
    try {
      const m = convertCheckpoint(bytes, { fileName: path });
      if (!m.name) m.name = modelName;
      return { model: m, kind: 'seed-checkpoint' };
    } catch (e) {
      throw new ExportError(`${path}: ${(e as Error).message}`);
    }
  }
  try {
    return { model: readModel(bytes), kind: 'model-file' };
  } catch (e) {
    throw new ExportError(`${path}: neither a checkpoint nor a model file (${(e as Error).message.split('\n')[0]})`);
  }
}

/**
 * A model's working loudness range (DDSPModel.loudnessRangeDb) from the loudness of its training frames: the 5th
 * and 95th percentiles, to 0.1 dB (silent and unpitched slices never reach the database, so these are notes).
 */
export function loudnessRange(frames: Float32Array): [number, number] {
  const sorted = Float32Array.from(frames).sort();
  const at = (q: number) => Math.round(10 * sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) / 10;
  return [at(0.05), at(0.95)];
}

/** loudnessRange of every slice of the training database in `dbPath`, or undefined when there is none. */
async function databaseLoudnessRange(dbPath: string): Promise<[number, number] | undefined> {
  if (!SliceStore.exists(dbPath)) return undefined;
  const store = SliceStore.open(dbPath);
  try {
    const m = store.meta();
    if (m === null || m.count === 0) return undefined;
    const frames = new Float32Array(m.count * m.nFrames);
    for (let i = 0; i < m.count; i++) frames.set(store.get(i).loudnessDb, i * m.nFrames);
    return loudnessRange(frames);
  } finally {
    await store.close();
  }
}

/** Options of exportModel. */
export interface ExportOptions {
  /** Checkpoint (ours or the seed's) or model file. */
  ckpt: string;
  /** Export name: files go to `<folder>/<name>/`. */
  name: string;
  /** Parent folder (default `exports`, relative to cwd). */
  folder?: string;
  /** Sounds to reconstruct (files or folders); default: up to 3 files of the checkpoint's data.raw_dir. */
  sounds?: string[];
  /** Seconds of each sound rendered at most (default 30). */
  maxSeconds?: number;
  /** Store weights as float16. */
  float16?: boolean;
  cwd?: string;
  log?: (line: string) => void;
}

/** What export wrote. */
export interface ExportResult { dir: string; modelPath: string; samples: string[]; model: DDSPModel }

/** Writes model.onnx and reconstruction samples. */
export async function exportModel(o: ExportOptions): Promise<ExportResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const cwd = o.cwd ?? process.cwd();
  if (!/^[^/\\]+$/.test(o.name) || o.name === '.' || o.name === '..') throw new ExportError(`export name '${o.name}' must be a plain folder name`);
  const loaded = await loadAnyModel(resolve(cwd, o.ckpt), o.name);
  const model = loaded.model;
  model.name = o.name;
  const dbPath = ((loaded.config?.data ?? {}) as { db_path?: unknown }).db_path;
  if (model.loudnessRangeDb === undefined && typeof dbPath === 'string') {
    model.loudnessRangeDb = await databaseLoudnessRange(resolve(cwd, dbPath));
    if (model.loudnessRangeDb === undefined) delete model.loudnessRangeDb;
    else log(`export: loudness range ${model.loudnessRangeDb[0]}…${model.loudnessRangeDb[1]} dB (5th–95th percentile of ${dbPath})`);
  }
  const dir = resolve(cwd, o.folder ?? 'exports', o.name);
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, 'model.onnx');
  writeFileSync(modelPath, writeModel(model, { float16: o.float16 }));
  log(`export: ${modelPath} (${loaded.kind}, ${model.synth.name}, ${model.sampleRate} Hz)`);

  let sounds = (o.sounds ?? []).map((s) => resolve(cwd, s));
  if (!o.sounds || o.sounds.length === 0) {
    const raw = ((loaded.config?.data ?? {}) as { raw_dir?: unknown }).raw_dir;
    if (typeof raw === 'string' && existsSync(raw)) sounds = findAudioFiles(raw).slice(0, 3);
    if (sounds.length === 0) log('export: no --sounds given and no training audio found: no reconstruction samples');
  }
  const files: string[] = [];
  for (const s of sounds) {
    if (!existsSync(s)) throw new ExportError(`sound ${s} does not exist`);
    const list = findAudioFiles(s).length ? findAudioFiles(s) : [s];
    files.push(...list);
  }
  const samples: string[] = [];
  if (files.length) {
    const { readAudioFile, downmix, writeWavFile } = await import('../io/audio-file');
    const { renderStream } = await import('../engine/render');
    const used = new Set<string>();
    for (const f of files) {
      let audio: Float32Array;
      let sr: number;
      try {
        const d = await readAudioFile(f);
        audio = downmix(d.channels);
        sr = d.sampleRate;
      } catch (e) {
        log(`warning: skipping ${f}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      const maxN = Math.round((o.maxSeconds ?? 30) * sr);
      if (audio.length > maxN) audio = audio.subarray(0, maxN);
      const tailSeconds = model.ir ? model.ir.length / model.sampleRate : 0.1;
      const input = new Float32Array(audio.length + Math.ceil(tailSeconds * sr));
      input.set(audio);
      const out = renderStream(model, input, { sampleRate: sr, block: 128 }).audio;
      let base = basename(f, extname(f));
      while (used.has(base)) base = `${base}_`;
      used.add(base);
      const outPath = join(dir, `${base}.wav`);
      await writeWavFile(outPath, out, sr, 'float32');
      await writeWavFile(join(dir, `${base}.input.wav`), Float32Array.from(audio), sr, 'float32');
      samples.push(outPath);
      log(`export: ${outPath}`);
    }
  }
  return { dir, modelPath, samples, model };
}
