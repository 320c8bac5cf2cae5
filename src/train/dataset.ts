/**
 * The prepared dataset: an LMDB database of fixed-length slices (audio, f0 per frame, loudness per frame),
 * written by prepare.ts and read by the trainer.
 *
 * Layout in `data.db_path/` (a folder, like the seed's): `data.mdb` + `lock.mdb`. Keys: `meta` (JSON, the
 * preparation settings, slice count and sources) and `%08d` per slice, whose value is the float32 array
 * `audio (nSamples) | f0Hz (nFrames) | loudnessDb (nFrames)`.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { PREP_DEFAULTS, assembleBatch, type Batch, type PrepSettings, type Slice } from './slices';

export { PREP_VERSION, type PrepSettings, type Slice, type Batch } from './slices';

/** One source file's share of the database. */
export interface SourceInfo { file: string; size: number; mtimeMs: number; slices: number; first: number; skippedSilent: number; skippedUnpitched: number }

/** The `meta` record. */
export interface DbMeta {
  settings: PrepSettings;
  /** Absolute raw_dir the slices came from (informative). */
  rawDir: string | null;
  count: number;
  nSamples: number;
  nFrames: number;
  sources: SourceInfo[];
  /** Files that could not be read, with the reason. */
  unreadable: Array<{ file: string; size: number; mtimeMs: number; error: string }>;
  createdAt: string;
}

/** Differences between two preparation settings, as `key: stored → wanted` lines (empty when equal). */
export function settingsDiff(stored: PrepSettings, wanted: PrepSettings): string[] {
  const out: string[] = [];
  const names: Record<keyof PrepSettings, string> = {
    version: 'preparation format', sampleRate: 'data.sample_rate', lengthSeconds: 'data.length', frameRate: 'data.frame_rate',
    f0RangeHz: 'data.f0_range', f0Viterbi: 'data.f0_viterbi', f0Tracker: 'data.f0_tracker',
    analysisWindow: 'data.analysis_window', analysisAlignment: 'data.analysis_alignment',
  };
  const old: Partial<PrepSettings> = PREP_DEFAULTS;
  for (const k of Object.keys(names) as Array<keyof PrepSettings>) {
    const a = JSON.stringify(stored[k] ?? old[k]);
    const b = JSON.stringify(wanted[k]);
    if (a !== b) out.push(`${names[k]}: ${a} → ${b}`);
  }
  return out;
}

/** Read/write access to a slice database folder. */
export class SliceStore {
  private db: RootDatabase<Buffer, string>;
  private metaCache: DbMeta | null | undefined;

  private constructor(readonly path: string, db: RootDatabase<Buffer, string>) {
    this.db = db;
  }

  /** Opens (creating the folder if needed) the database in `dbPath`. */
  static open(dbPath: string): SliceStore {
    mkdirSync(dbPath, { recursive: true });
    const db = open<Buffer, string>({ path: dbPath, noSubdir: false, encoding: 'binary', compression: false, mapSize: 2 ** 34 });
    return new SliceStore(dbPath, db);
  }

  /** True when `dbPath` holds a database file. */
  static exists(dbPath: string): boolean {
    return existsSync(join(dbPath, 'data.mdb'));
  }

  /** Deletes the database files in `dbPath` (the folder stays). */
  static remove(dbPath: string): void {
    for (const f of ['data.mdb', 'lock.mdb', 'data.mdb-lock']) rmSync(join(dbPath, f), { force: true });
  }

  /** The meta record, or null for an empty / foreign database. */
  meta(): DbMeta | null {
    if (this.metaCache !== undefined) return this.metaCache;
    const b = this.db.getBinary('meta');
    let m: DbMeta | null = null;
    if (b) {
      try { m = JSON.parse(Buffer.from(b).toString('utf8')) as DbMeta; } catch { m = null; }
    }
    this.metaCache = m;
    return m;
  }

  /** Number of slices (0 when not prepared). */
  get count(): number { return this.meta()?.count ?? 0; }

  /**
   * Writes slices in one transaction. `slices[i]` is stored under key `first + i`.
   * Every slice must have the same lengths.
   */
  putSlices(first: number, slices: Slice[]): void {
    if (slices.length === 0) return;
    this.db.transactionSync(() => {
      slices.forEach((s, i) => {
        const n = s.audio.length + s.f0Hz.length + s.loudnessDb.length;
        const buf = Buffer.alloc(n * 4);
        const f = new Float32Array(buf.buffer, buf.byteOffset, n);
        f.set(s.audio, 0);
        f.set(s.f0Hz, s.audio.length);
        f.set(s.loudnessDb, s.audio.length + s.f0Hz.length);
        this.db.putSync(key(first + i), buf);
      });
    });
  }

  /** Writes the meta record (last step of a preparation, so a half-built database has none). */
  putMeta(meta: DbMeta): void {
    this.db.transactionSync(() => { this.db.putSync('meta', Buffer.from(JSON.stringify(meta), 'utf8')); });
    this.metaCache = meta;
  }

  /** Removes every record (before a rebuild). */
  clear(): void {
    this.db.clearSync();
    this.metaCache = null;
  }

  /**
   * Reads slice `i` into `out` (allocated when not given). Shapes come from the meta record.
   * Throws RangeError for an index outside [0, count).
   */
  get(i: number, out?: Slice): Slice {
    const m = this.meta();
    if (!m || i < 0 || i >= m.count || !Number.isInteger(i)) throw new RangeError(`slice index ${i} outside [0, ${m?.count ?? 0})`);
    const b = this.db.getBinaryFast(key(i));
    if (!b) throw new Error(`database ${this.path}: slice ${i} is missing (rebuild it: delete the folder or run prepare)`);
    const { nSamples, nFrames } = m;
    // getBinaryFast's buffer is reused by the next call (and its byteLength is the shared buffer's, only
    // .length is the value's): copy out now (it may also be unaligned)
    const bytes = (nSamples + 2 * nFrames) * 4;
    if (b.length !== bytes) throw new Error(`database ${this.path}: slice ${i} has ${b.length} bytes, expected ${bytes} (rebuild it)`);
    const f = new Float32Array(nSamples + 2 * nFrames);
    new Uint8Array(f.buffer).set(b.subarray(0, bytes));
    const o = out ?? { audio: new Float32Array(nSamples), f0Hz: new Float32Array(nFrames), loudnessDb: new Float32Array(nFrames) };
    o.audio.set(f.subarray(0, nSamples));
    o.f0Hz.set(f.subarray(nSamples, nSamples + nFrames));
    o.loudnessDb.set(f.subarray(nSamples + nFrames));
    return o;
  }

  /** Closes the environment. */
  async close(): Promise<void> {
    await this.db.close();
  }
}

function key(i: number): string {
  return String(i).padStart(8, '0');
}

/** Reads the slices `indices` into one batch. */
export function readBatch(store: SliceStore, indices: number[]): Batch {
  const m = store.meta();
  if (!m) throw new Error(`database ${store.path} is not prepared`);
  return assembleBatch(indices, m.nSamples, m.nFrames, (idx, row) => { store.get(idx, row); });
}
