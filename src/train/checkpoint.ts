/**
 * Training checkpoints: weights (keyed by the seed's PyTorch state_dict names, `estimator.*` and
 * `synth.processors.<i>.ir`), Adam moments and step, training position (step, epoch, batch in epoch),
 * RNG state, and the resolved config — everything a resumed run needs to continue exactly.
 *
 * File layout (little-endian): `DDSPCKPT` magic (8 bytes), u32 format version, u32 header length,
 * header JSON (UTF-8), zero padding to a multiple of 8, then raw float32 tensors at the offsets the
 * header lists. Written atomically: a temporary file beside the target, fsync, rename, fsync the folder.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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

/** Parses a checkpoint written by encodeCheckpoint. Throws a clear Error on anything else. */
export function decodeCheckpoint(bytes: Uint8Array, what = 'checkpoint'): TrainState {
  if (!isOwnCheckpoint(bytes)) throw new Error(`${what}: not a ddsp-stream checkpoint (bad magic)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION) throw new Error(`${what}: checkpoint format version ${version} is not supported (expected ${VERSION})`);
  const jsonLen = dv.getUint32(12, true);
  if (16 + jsonLen > bytes.length) throw new Error(`${what}: truncated header`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLen)));
  const dataStart = Math.ceil((16 + jsonLen) / 8) * 8;
  const weights: TensorMap = {};
  const m: TensorMap = {};
  const v: TensorMap = {};
  for (const t of header.tensors as TensorEntry[]) {
    const start = dataStart + t.offset;
    if (start + t.length * 4 > bytes.length) throw new Error(`${what}: truncated tensor '${t.name}'`);
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + t.length * 4));
    const slash = t.name.indexOf('/');
    const kind = t.name.slice(0, slash);
    const name = t.name.slice(slash + 1);
    const target = kind === 'w' ? weights : kind === 'm' ? m : v;
    target[name] = { shape: t.shape, data };
  }
  return {
    step: header.step,
    epoch: header.epoch,
    batchInEpoch: header.batchInEpoch,
    weights,
    adam: header.adam ? { ...header.adam, m, v } : null,
    rng: header.rng ?? {},
    config: header.config ?? {},
    meta: header.meta ?? {},
  };
}

/** Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the folder. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
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
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* folders cannot be fsynced on some platforms */ }
}

/** Writes a checkpoint atomically. */
export function writeCheckpoint(path: string, state: TrainState): void {
  writeFileAtomic(path, encodeCheckpoint(state));
}

/** Reads one of our checkpoints from disk. */
export function readCheckpoint(path: string): TrainState {
  return decodeCheckpoint(new Uint8Array(readFileSync(path)), path);
}
