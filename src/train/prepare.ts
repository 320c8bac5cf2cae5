/**
 * Data preparation (the `prepare` command and the first step of `train`): every wav/flac/mp3/ogg under
 * data.raw_dir (recursively) is decoded, mixed to mono, resampled to data.sample_rate, padded to whole
 * slices and cut into data.length-second slices. Silent slices (peak < 0.01) and slices with no pitched
 * frame are skipped. Each slice stores its audio, f0 per frame and loudness per frame in the LMDB database
 * at data.db_path, with the preparation settings recorded so a later run reuses it only when they match.
 *
 * Features:
 * - f0: the offline tracker (probabilistic YIN, Viterbi when data.f0_viterbi) run over the WHOLE file within
 *   data.f0_range, frames centred at k·hop (so slice boundaries see real context, not padding); or, with
 *   data.f0_tracker=stream, the engine's streaming YIN on windows centred at k·hop. Unvoiced frames hold the
 *   last voiced f0 (440 Hz before the first), as the live engine does, so training and live inputs agree.
 * - loudness: the seed's A-weighted loudness, centred frames, computed per slice (exactly as the seed).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { downmix, readAudioFile } from '../engine/audio-file';
import { resample } from '../dsp/resample';
import { trackPitchOffline } from '../dsp/pyin';
import { YinTracker, type PitchEstimate } from '../dsp/yin';
import { loudnessFrames } from '../dsp/loudness';
import { PREP_VERSION, SliceStore, settingsDiff, type DbMeta, type PrepSettings, type Slice, type SourceInfo } from './dataset';
import type { TrainConfig } from './compose';

/** Extensions searched under raw_dir (case-insensitive). */
export const AUDIO_EXTENSIONS = ['wav', 'flac', 'mp3', 'ogg'];
/** Slices whose peak is below this are silence (the seed's 1e-2). */
export const SILENCE_PEAK = 0.01;
/** f0 given to unvoiced frames before the first voiced one (the live engine's start value). */
export const INITIAL_F0_HZ = 440;

/** A failure the user can fix (no audio, db mismatch without raw_dir ...). */
export class PrepareError extends Error {
  constructor(message: string) { super(message); this.name = 'PrepareError'; }
}

/** The preparation settings a training config asks for. */
export function prepSettingsFromConfig(c: TrainConfig): PrepSettings {
  return {
    version: PREP_VERSION,
    sampleRate: c.data.sample_rate,
    lengthSeconds: c.data.length,
    frameRate: c.data.frame_rate,
    f0RangeHz: [c.data.f0_range[0], c.data.f0_range[1]],
    f0Viterbi: c.data.f0_viterbi,
    f0Tracker: c.data.f0_tracker,
  };
}

/** Every audio file under `dir`, recursively, sorted by path (hidden folders skipped). */
export function findAudioFiles(dir: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`\\.(${AUDIO_EXTENSIONS.join('|')})$`, 'i');
  const walk = (d: string) => {
    let entries: string[];
    try { entries = readdirSync(d); } catch { return; }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && re.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Slices cut from one file (already mono at the target rate), with what was skipped. */
export interface SlicedFile { slices: Slice[]; skippedSilent: number; skippedUnpitched: number }

/**
 * Cuts mono audio at `settings.sampleRate` into slices with features.
 * @param audio mono samples at settings.sampleRate
 */
export function sliceAudio(audio: Float32Array, settings: PrepSettings): SlicedFile {
  const sr = settings.sampleRate;
  const nSamples = Math.round(settings.lengthSeconds * sr);
  const nFrames = Math.round(settings.lengthSeconds * settings.frameRate);
  const hop = sr / settings.frameRate;
  const nSlices = Math.ceil(audio.length / nSamples);
  const padded = new Float32Array(nSlices * nSamples);
  padded.set(audio);
  for (let i = 0; i < padded.length; i++) if (!Number.isFinite(padded[i])) padded[i] = 0;

  const { f0Hz, voiced } = trackFile(padded, settings, nSlices * nFrames, hop);
  // hold unvoiced frames at the last voiced f0 (as the live engine does)
  const held = new Float32Array(f0Hz.length);
  let last = INITIAL_F0_HZ;
  for (let k = 0; k < f0Hz.length; k++) {
    if (voiced[k] && f0Hz[k] > 0 && Number.isFinite(f0Hz[k])) last = f0Hz[k];
    held[k] = last;
  }

  const out: SlicedFile = { slices: [], skippedSilent: 0, skippedUnpitched: 0 };
  for (let s = 0; s < nSlices; s++) {
    const x = padded.subarray(s * nSamples, (s + 1) * nSamples);
    let peak = 0;
    for (let i = 0; i < x.length; i++) { const a = Math.abs(x[i]); if (a > peak) peak = a; }
    if (peak < SILENCE_PEAK) { out.skippedSilent++; continue; }
    let anyVoiced = false;
    for (let k = s * nFrames; k < (s + 1) * nFrames; k++) if (voiced[k]) { anyVoiced = true; break; }
    if (!anyVoiced) { out.skippedUnpitched++; continue; }
    const audioCopy = x.slice();
    const loud = loudnessFrames(audioCopy, sr, settings.frameRate, 2048);
    const loudnessDb = new Float32Array(nFrames);
    loudnessDb.set(loud.subarray(0, nFrames));
    for (let k = loud.length; k < nFrames; k++) loudnessDb[k] = -80; // the seed pads with -range_db
    out.slices.push({ audio: audioCopy, f0Hz: held.slice(s * nFrames, (s + 1) * nFrames), loudnessDb });
  }
  return out;
}

/** f0 and voicing for `nFramesTotal` frames centred at k·hop. */
function trackFile(audio: Float32Array, settings: PrepSettings, nFramesTotal: number, hop: number): { f0Hz: Float32Array; voiced: Uint8Array } {
  const f0Hz = new Float32Array(nFramesTotal);
  const voiced = new Uint8Array(nFramesTotal);
  const [fMinHz, fMaxHz] = settings.f0RangeHz;
  if (settings.f0Tracker === 'offline') {
    const r = trackPitchOffline(audio, settings.sampleRate, {
      frameRate: settings.frameRate, fMinHz, fMaxHz, viterbi: settings.f0Viterbi, centre: true,
    });
    const n = Math.min(nFramesTotal, r.f0Hz.length);
    for (let k = 0; k < n; k++) {
      f0Hz[k] = r.f0Hz[k];
      voiced[k] = r.voiced[k] && r.f0Hz[k] > 0 ? 1 : 0;
    }
    return { f0Hz, voiced };
  }
  const windowSize = 2048;
  const tracker = new YinTracker({ sampleRate: settings.sampleRate, windowSize, fMinHz, fMaxHz });
  const win = new Float32Array(windowSize);
  const est: PitchEstimate = { f0Hz: 0, confidence: 0 };
  for (let k = 0; k < nFramesTotal; k++) {
    const start = Math.round(k * hop) - windowSize / 2;
    win.fill(0);
    const a = Math.max(0, start);
    const b = Math.min(audio.length, start + windowSize);
    if (b > a) win.set(audio.subarray(a, b), a - start);
    tracker.detect(win, 0, est);
    f0Hz[k] = est.f0Hz;
    voiced[k] = est.f0Hz > 0 && Number.isFinite(est.f0Hz) ? 1 : 0;
  }
  return { f0Hz, voiced };
}

/** Options of prepareDataset. */
export interface PrepareOptions {
  /** Folder of audio (absolute); null = only reuse an existing database. */
  rawDir: string | null;
  /** Database folder (absolute). */
  dbPath: string;
  settings: PrepSettings;
  /** Rebuild even when the database matches. */
  force?: boolean;
  /** Progress bar: true, false, or 'auto' (default: shown, plain lines when not a TTY). */
  progress?: boolean | 'auto';
  /** Where notes and warnings go (default console.error). */
  log?: (line: string) => void;
}

/** Result of prepareDataset: the open store (caller closes it) and what happened. */
export interface PrepareResult { store: SliceStore; meta: DbMeta; reused: boolean; reason?: string }

function fingerprint(rawDir: string, files: string[]): Array<Pick<SourceInfo, 'file' | 'size' | 'mtimeMs'>> {
  return files.map((f) => {
    const st = statSync(f);
    return { file: relative(rawDir, f), size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  });
}

function sourcesChanged(meta: DbMeta, now: Array<Pick<SourceInfo, 'file' | 'size' | 'mtimeMs'>>): string | null {
  const key = (s: Pick<SourceInfo, 'file' | 'size' | 'mtimeMs'>) => `${s.file}\u0000${s.size}\u0000${s.mtimeMs}`;
  const storedList = [...meta.sources, ...meta.unreadable];
  const stored = new Set(storedList.map(key));
  const storedFiles = new Set(storedList.map((s) => s.file));
  const nowFiles = new Set(now.map((s) => s.file));
  const added = now.filter((s) => !storedFiles.has(s.file)).length;
  const removed = [...storedFiles].filter((f) => !nowFiles.has(f)).length;
  const modified = now.filter((s) => storedFiles.has(s.file) && !stored.has(key(s))).length;
  if (added + removed + modified === 0) return null;
  return `audio under data.raw_dir changed (${added} added, ${removed} removed, ${modified} modified)`;
}

/**
 * Builds the database, or reuses it when its recorded settings and source files match.
 * A mismatch rebuilds (when data.raw_dir is set) or is refused (when it is not), naming the differences.
 * @throws PrepareError when no audio is found, nothing usable remains, or a mismatched database cannot be rebuilt.
 */
export async function prepareDataset(o: PrepareOptions): Promise<PrepareResult> {
  const log = o.log ?? ((l: string) => console.error(l));
  const rawDir = o.rawDir === null ? null : resolve(o.rawDir);
  let files: string[] = [];
  if (rawDir !== null) {
    let st;
    try { st = statSync(rawDir); } catch { throw new PrepareError(`data.raw_dir ${rawDir} does not exist`); }
    if (!st.isDirectory()) throw new PrepareError(`data.raw_dir ${rawDir} is not a folder`);
    files = findAudioFiles(rawDir);
  }

  const exists = SliceStore.exists(o.dbPath);
  let store = SliceStore.open(o.dbPath);
  let reason: string | undefined;
  if (exists) {
    const meta = store.meta();
    if (meta && meta.count > 0) {
      const diff = settingsDiff(meta.settings, o.settings);
      const changed = rawDir !== null ? sourcesChanged(meta, fingerprint(rawDir, files)) : null;
      if (diff.length === 0 && !changed && !o.force) {
        return { store, meta, reused: true };
      }
      if (rawDir === null) {
        await store.close();
        throw new PrepareError(
          `the database at ${o.dbPath} was prepared with other settings (${diff.join('; ')}), and data.raw_dir is not set to rebuild it: ` +
          'set data.raw_dir, or set the data.* keys back to the database\'s values',
        );
      }
      reason = o.force ? 'rebuild requested' : diff.length ? `settings changed (${diff.join('; ')})` : changed!;
      log(`data: rebuilding ${o.dbPath}: ${reason}`);
    } else if (rawDir === null) {
      await store.close();
      throw new PrepareError(`data.raw_dir is not set and ${o.dbPath} holds no prepared data`);
    }
    await store.close();
    SliceStore.remove(o.dbPath);
    store = SliceStore.open(o.dbPath);
  } else if (rawDir === null) {
    await store.close();
    throw new PrepareError(`data.raw_dir is not set and ${o.dbPath} holds no prepared data: set data.raw_dir=FOLDER_OF_AUDIO`);
  }

  if (files.length === 0) {
    await store.close();
    throw new PrepareError(`no audio files (${AUDIO_EXTENSIONS.join(', ')}) found under data.raw_dir ${rawDir}`);
  }

  const s = o.settings;
  const nSamples = Math.round(s.lengthSeconds * s.sampleRate);
  const nFrames = Math.round(s.lengthSeconds * s.frameRate);
  const sources: SourceInfo[] = [];
  const unreadable: DbMeta['unreadable'] = [];
  const showBar = o.progress === undefined || o.progress === 'auto' || o.progress === true;
  const bar = showBar
    ? new cliProgress.SingleBar({
      format: 'preparing |{bar}| {value}/{total} files | {slices} slices | {file}',
      noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr, hideCursor: false, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(files.length, 0, { slices: 0, file: '' });
  let count = 0;
  for (const file of files) {
    const rel = relative(rawDir!, file);
    bar?.update({ file: rel.length > 40 ? `…${rel.slice(-39)}` : rel });
    const st = statSync(file);
    try {
      const decoded = await readAudioFile(file);
      const mono = downmix(decoded.channels);
      const atRate = decoded.sampleRate === s.sampleRate ? mono : resample(mono, decoded.sampleRate, s.sampleRate);
      const r = sliceAudio(atRate, s);
      store.putSlices(count, r.slices);
      sources.push({ file: rel, size: st.size, mtimeMs: Math.round(st.mtimeMs), slices: r.slices.length, first: count,
        skippedSilent: r.skippedSilent, skippedUnpitched: r.skippedUnpitched });
      count += r.slices.length;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      unreadable.push({ file: rel, size: st.size, mtimeMs: Math.round(st.mtimeMs), error: msg });
      if (bar) bar.stop();
      log(`warning: skipping ${file}: ${msg}`);
      if (bar) bar.start(files.length, sources.length + unreadable.length - 1, { slices: count, file: '' });
    }
    bar?.increment(1, { slices: count });
  }
  bar?.stop();
  if (count === 0) {
    await store.close();
    SliceStore.remove(o.dbPath);
    const why = unreadable.length === files.length ? 'no file could be read' : 'every slice was silent or had no pitch';
    throw new PrepareError(`no usable slices under data.raw_dir ${rawDir} (${files.length} files: ${why})`);
  }
  const meta: DbMeta = {
    settings: s, rawDir, count, nSamples, nFrames, sources, unreadable, createdAt: new Date().toISOString(),
  };
  store.putMeta(meta);
  const skipped = sources.reduce((a, x) => a + x.skippedSilent + x.skippedUnpitched, 0);
  log(`data: ${count} slices of ${s.lengthSeconds} s from ${sources.length} files in ${o.dbPath}` +
    `${skipped ? ` (${skipped} silent or unpitched slices skipped)` : ''}${unreadable.length ? `; ${unreadable.length} unreadable files skipped` : ''}`);
  return { store, meta, reused: false, reason };
}
