/**
 * Training checkpoints: weights (keyed by the seed's PyTorch state_dict names, `estimator.*` and
 * `synth.processors.<i>.ir`), Adam moments and step, training position (step, epoch, batch in epoch),
 * RNG state, and the resolved config — everything a resumed run needs to continue exactly.
 *
 * File layout (little-endian): `DDSPCKPT` magic (8 bytes), u32 format version, u32 header length,
 * header JSON (UTF-8), zero padding to a multiple of 8, then raw float32 tensors at the offsets the
 * header lists. Written atomically: a temporary file beside the target (`<name>.tmp-<pid>`; one left by a killed
 * process is removed by the next write), fsync, rename, fsync the folder. Failures to write are WriteErrors
 * naming the path and the reason; a file that is not a checkpoint is a CheckpointError.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../model/torch-zip';

/** A file of a training run that cannot be written; the message names the path and the reason. */
export class WriteError extends Error {
  constructor(readonly path: string, readonly code: string | undefined, message: string) {
    super(message);
    this.name = 'WriteError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system',
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such folder', ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder', EIO: 'input/output error', EMFILE: 'too many open files',
};

/**
 * Runs `write`, turning a failure into a WriteError that names `what` and `path` (node's own ENOSPC message names
 * no path, and `mkdir -p` on a read-only file system reports ENOENT: the nearest existing folder tells the truth).
 */
export function writing<T>(what: string, path: string, write: (path: string) => T): T {
  try {
    return write(path);
  } catch (e) {
    if (e instanceof WriteError) throw e;
    let code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') code = unwritableAncestor(path) ?? code;
    const reason = (code && REASONS[code]) ?? (e as Error).message.split('\n')[0];
    throw new WriteError(path, code, `cannot write ${what} ${path}: ${reason}${code ? ` (${code})` : ''}`);
  }
}

function unwritableAncestor(path: string): string | undefined {
  for (let p = dirname(path); ; p = dirname(p)) {
    if (existsSync(p)) {
      try { accessSync(p, constants.W_OK); return undefined; } catch (e) { return (e as NodeJS.ErrnoException).code; }
    }
    if (dirname(p) === p) return undefined;
  }
}

/** Named float32 tensors (`{ shape, data }`, row-major). */
export type TensorMap = Record<string, { shape: number[]; data: Float32Array }>;

/** Adam state: moments per parameter name, the bias-correction step count, hyper-parameters. */
export interface AdamState {
  /** Number of updates applied (PyTorch's `state[p]['step']`). */
  step: number;
  /** First moments (exp_avg), same names and shapes as the weights. */
  m: TensorMap;
  /** Second moments (exp_avg_sq). */
  v: TensorMap;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Everything a checkpoint holds. */
export interface TrainState {
  /** Optimizer steps done (global step). */
  step: number;
  /** Current epoch (0-based) and the number of its batches already consumed. */
  epoch: number;
  batchInEpoch: number;
  /** Trainable weights by PyTorch state_dict name. */
  weights: TensorMap;
  /** Optimizer state (null when unknown, e.g. a fresh fine-tune). */
  adam: AdamState | null;
  /** RNG states and anything else order-related (JSON). */
  rng: Record<string, unknown>;
  /** Resolved config tree of the run. */
  config: Record<string, unknown>;
  /** Free-form extra data (last metrics, wall time, ...). */
  meta: Record<string, unknown>;
}

const MAGIC = 'DDSPCKPT';
const VERSION = 1;

interface TensorEntry { name: string; shape: number[]; offset: number; length: number }

/** True when `bytes` starts like one of our checkpoints. */
export function isOwnCheckpoint(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** True when `bytes` is a zip (a PyTorch / Lightning .ckpt). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Serialises a checkpoint to bytes. */
export function encodeCheckpoint(state: TrainState): Uint8Array {
  const tensors: TensorEntry[] = [];
  const blobs: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, t: { shape: number[]; data: Float32Array }) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new RangeError(`checkpoint: tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    tensors.push({ name, shape: t.shape, offset, length: n });
    blobs.push(t.data);
    offset += n * 4;
  };
  for (const [k, t] of Object.entries(state.weights)) add(`w/${k}`, t);
  if (state.adam) {
    for (const [k, t] of Object.entries(state.adam.m)) add(`m/${k}`, t);
    for (const [k, t] of Object.entries(state.adam.v)) add(`v/${k}`, t);
  }
  const header = {
    format: 'ddsp-stream-checkpoint',
    version: VERSION,
    step: state.step,
    epoch: state.epoch,
    batchInEpoch: state.batchInEpoch,
    adam: state.adam ? { step: state.adam.step, lr: state.adam.lr, beta1: state.adam.beta1, beta2: state.adam.beta2, eps: state.adam.eps } : null,
    rng: state.rng,
    config: state.config,
    meta: state.meta,
    tensors,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headStart = 16;
  const dataStart = Math.ceil((headStart + json.length) / 8) * 8;
  const out = new Uint8Array(dataStart + offset);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, headStart);
  let o = dataStart;
  for (const b of blobs) {
    // float32 little-endian (host order on every platform Node runs on in practice; checked below)
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), o);
    o += b.byteLength;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error('ddsp-stream checkpoints need a little-endian host');

/** Parses a checkpoint written by encodeCheckpoint. @throws CheckpointError on anything else, naming `what`. */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint'): TrainState {
  const bad = (why: string): never => { throw new CheckpointError(`${what}: ${why}`); };
  if (!isOwnCheckpoint(bytes)) bad('not a ddsp-stream checkpoint (bad magic)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION) bad(`checkpoint format version ${version} is not supported (expected ${VERSION})`);
  const jsonLen = dv.getUint32(12, true);
  if (16 + jsonLen > bytes.length) bad('truncated header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLen)));
  } catch (e) {
    return bad(`corrupt header (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.tensors)) bad('corrupt header (no tensor list)');
  const dataStart = Math.ceil((16 + jsonLen) / 8) * 8;
  const weights: TensorMap = {};
  const m: TensorMap = {};
  const v: TensorMap = {};
  for (const t of header.tensors as TensorEntry[]) {
    const ok = t !== null && typeof t === 'object' && typeof t.name === 'string' && Number.isSafeInteger(t.offset) && t.offset >= 0 &&
      Number.isSafeInteger(t.length) && t.length >= 0 && Array.isArray(t.shape) && t.shape.reduce((a, d) => a * d, 1) === t.length;
    if (!ok) bad(`corrupt tensor entry ${JSON.stringify(t).slice(0, 80)}`);
    const start = dataStart + t.offset;
    if (start + t.length * 4 > bytes.length) bad(`truncated tensor '${t.name}'`);
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + t.length * 4));
    const slash = t.name.indexOf('/');
    const kind = t.name.slice(0, slash);
    const name = t.name.slice(slash + 1);
    const target = kind === 'w' ? weights : kind === 'm' ? m : v;
    target[name] = { shape: t.shape, data };
  }
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : bad(`corrupt header (a step counter is ${JSON.stringify(x)})`));
  const obj = (x: unknown): Record<string, unknown> => (x !== null && typeof x === 'object' && !Array.isArray(x) ? x as Record<string, unknown> : {});
  return {
    step: num(header.step),
    epoch: num(header.epoch),
    batchInEpoch: num(header.batchInEpoch),
    weights,
    adam: header.adam ? { ...(header.adam as Omit<AdamState, 'm' | 'v'>), m, v } : null,
    rng: obj(header.rng),
    config: obj(header.config),
    meta: obj(header.meta),
  };
}

/**
 * Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the folder. Removes the temp files of
 * earlier writes to `path` whose process is gone (a kill -9 mid-write).
 * @param what names the file in a WriteError ('checkpoint', 'file', …).
 * @throws WriteError naming the path and the reason.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, what = 'file'): void {
  removeOrphanTemps(path);
  const tmp = `${path}.tmp-${process.pid}`;
  writing(what, path, () => {
    const fd = openSync(tmp, 'w');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      try { unlinkSync(tmp); } catch { /* ignore */ }
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, path);
  });
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* folders cannot be fsynced on some platforms */ }
}

/** Deletes `<path>.tmp-<pid>` files whose process no longer runs. */
function removeOrphanTemps(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try { names = readdirSync(dirname(path)); } catch { return; }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    try { unlinkSync(join(dirname(path), n)); } catch { /* gone already, or not ours to delete */ }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** Writes a checkpoint atomically. */
export function writeCheckpoint(path: string, state: TrainState): void {
  writeFileAtomic(path, encodeCheckpoint(state), 'checkpoint');
}

/** Reads one of our checkpoints from disk. */
export function readCheckpoint(path: string): TrainState {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CheckpointError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeCheckpoint(bytes, path);
}
