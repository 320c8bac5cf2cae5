/**
 * Data preparation in Node (the `prepare` command and the first step of `train`): every wav/flac/mp3/ogg under
 * data.raw_dir (recursively) is decoded, mixed to mono and cut into slices with their features (slices.ts:
 * resampled to data.sample_rate, silent and unpitched slices skipped, f0 and loudness per frame). Each slice is
 * stored in the LMDB database at data.db_path, with the preparation settings recorded so a later run reuses it
 * only when they match.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { downmix, readAudioFile } from '../io/audio-file';
import { SliceStore, settingsDiff, type DbMeta, type PrepSettings, type SourceInfo } from './dataset';
import { PrepareError, sliceRecording } from './slices';

export {
  SILENCE_PEAK, INITIAL_F0_HZ, PrepareError, prepSettingsFromConfig, sliceAudio, sliceRecording, type SlicedFile,
} from './slices';

/** Extensions searched under raw_dir (case-insensitive). */
export const AUDIO_EXTENSIONS = ['wav', 'flac', 'mp3', 'ogg'];
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
      const r = sliceRecording(mono, decoded.sampleRate, s);
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
