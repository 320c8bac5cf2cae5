// torch.save zip archives: `<folder>/data.pkl` (the pickle) and `<folder>/data/<key>` (raw little-endian
// storages). The folder name varies ('archive' when saved through a buffer, the file stem otherwise).
import { unzipSync } from 'fflate';
import { fromFloat16Bits } from './float16';
import { PickleError, PyGlobal, unpickle } from './pickle';

/** A checkpoint that cannot be read or converted; the message names the problem (and the file). */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Element types of torch storages. */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const STORAGE_DTYPES: Record<string, [TorchDtype, number]> = {
  FloatStorage: ['float32', 4], DoubleStorage: ['float64', 8], HalfStorage: ['float16', 2],
  BFloat16Storage: ['bfloat16', 2], LongStorage: ['int64', 8], IntStorage: ['int32', 4], ShortStorage: ['int16', 2],
  CharStorage: ['int8', 1], ByteStorage: ['uint8', 1], BoolStorage: ['bool', 1],
};

/** A storage referenced by the pickle (persistent id ('storage', type, key, location, numel)). */
export class TorchStorage {
  constructor(
    readonly key: string,
    readonly path: string,
    readonly dtype: TorchDtype,
    readonly itemSize: number,
    readonly location: string,
    readonly numel: number,
    /** Raw bytes from the zip, or undefined when the entry is missing. */
    readonly bytes: Uint8Array | undefined,
  ) {}
}

/** A tensor view of a storage (torch._utils._rebuild_tensor_v2): materialised on demand. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * Row-major contiguous copy as float32 (any dtype converted), honouring offset and strides.
   * @param name tensor name used in error messages.
   * @throws CheckpointError when the storage is missing or too short.
   */
  toFloat32(name = 'tensor'): Float32Array {
    const s = this.storage;
    if (!s.bytes) throw new CheckpointError(`missing tensor data: '${name}' refers to storage '${s.path}', which is not in the checkpoint zip`);
    const n = this.numel;
    let maxIndex = this.offset;
    for (let d = 0; d < this.shape.length; d++) if (this.shape[d] > 0) maxIndex += (this.shape[d] - 1) * this.stride[d];
    if (n > 0 && (maxIndex + 1) * s.itemSize > s.bytes.length) {
      throw new CheckpointError(`tensor '${name}' [${this.shape}] needs ${(maxIndex + 1) * s.itemSize} bytes of storage '${s.path}', ` +
        `which holds ${s.bytes.length} (truncated checkpoint?)`);
    }
    const out = new Float32Array(n);
    if (n === 0) return out;
    // contiguous fast path
    let contiguous = true;
    let expect = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.stride[d] !== expect) contiguous = false;
      expect *= this.shape[d];
    }
    if (contiguous && s.dtype === 'float32') {
      // one aligned copy of exactly the tensor's bytes
      const start = s.bytes.byteOffset + this.offset * 4;
      return new Float32Array(s.bytes.buffer.slice(start, start + n * 4));
    }
    const src = storageAsNumbers(s);
    if (contiguous) {
      for (let i = 0; i < n; i++) out[i] = src(this.offset + i);
      return out;
    }
    const nd = this.shape.length;
    const idx = new Array<number>(nd).fill(0);
    for (let i = 0; i < n; i++) {
      let p = this.offset;
      for (let d = 0; d < nd; d++) p += idx[d] * this.stride[d];
      out[i] = src(p);
      for (let d = nd - 1; d >= 0; d--) {
        if (++idx[d] < this.shape[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  }
}

/** Element accessor over a storage's bytes (copied to an aligned buffer once). */
function storageAsNumbers(s: TorchStorage): (i: number) => number {
  const raw = s.bytes as Uint8Array;
  const aligned = raw.byteOffset % 8 === 0 ? raw : raw.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  const len = Math.floor(aligned.byteLength / s.itemSize);
  switch (s.dtype) {
    case 'float32': { const a = new Float32Array(buf, off, len); return (i) => a[i]; }
    case 'float64': { const a = new Float64Array(buf, off, len); return (i) => a[i]; }
    case 'float16': { const a = new Uint16Array(buf, off, len); return (i) => fromFloat16Bits(a[i]); }
    case 'bfloat16': {
      const a = new Uint16Array(buf, off, len);
      const tmp = new Float32Array(1);
      const u = new Uint32Array(tmp.buffer);
      return (i) => { u[0] = a[i] << 16; return tmp[0]; };
    }
    case 'int64': { const a = new BigInt64Array(buf, off, len); return (i) => Number(a[i]); }
    case 'int32': { const a = new Int32Array(buf, off, len); return (i) => a[i]; }
    case 'int16': { const a = new Int16Array(buf, off, len); return (i) => a[i]; }
    case 'int8': { const a = new Int8Array(buf, off, len); return (i) => a[i]; }
    case 'uint8':
    case 'bool': { const a = new Uint8Array(buf, off, len); return (i) => a[i]; }
  }
}

const asInts = (v: unknown): number[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x)) ? (v as number[]) : null;

/**
 * Opens a torch.save zip and unpickles `<folder>/data.pkl`, turning tensors into `TorchTensor`s.
 * Other calls become PyObject/Map/arrays (see pickle.ts).
 * @param fileName used in error messages.
 * @throws CheckpointError (not a zip, truncated zip, no data.pkl, unsupported pickle content).
 */
export function loadTorchZip(bytes: Uint8Array, fileName = 'checkpoint'): { root: unknown; folder: string } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('checkpoint bytes must be a Uint8Array');
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
      throw new CheckpointError(`${fileName} is a legacy (pre-1.6, non-zip) torch.save file; re-save it with a recent PyTorch (torch.save(torch.load(p), p))`);
    }
    throw new CheckpointError(`${fileName} is not a PyTorch checkpoint: not a zip archive (first bytes ${hex(bytes.subarray(0, 4))})`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new CheckpointError(`${fileName} is truncated or not a valid zip archive (${(e as Error).message})`);
  }
  const names = Object.keys(files);
  const pkl = names.filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => a.length - b.length)[0];
  if (!pkl) throw new CheckpointError(`${fileName} is a zip but not a torch.save archive: no '<folder>/data.pkl' entry (entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`);
  const folder = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const order = files[`${folder}byteorder`];
  if (order && String.fromCharCode(...order).trim() === 'big') {
    throw new CheckpointError(`${fileName} stores big-endian tensors (${folder}byteorder = big); only little-endian checkpoints are read`);
  }
  const pklName = pkl;
  try {
    const root = unpickle(files[pkl], {
      fileName: pklName,
      persistentLoad: (pid) => {
        if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
          throw new CheckpointError(`${pklName}: unsupported persistent id ${JSON.stringify(pid)}`);
        }
        const [, type, key, location, numel] = pid as [string, unknown, unknown, unknown, unknown];
        const typeName = type instanceof PyGlobal ? type.name : String(type);
        const dt = STORAGE_DTYPES[typeName];
        if (!dt) throw new CheckpointError(`${pklName}: unsupported storage type ${typeName} (storage '${String(key)}')`);
        const path = `${folder}data/${String(key)}`;
        return new TorchStorage(String(key), path, dt[0], dt[1], String(location), Number(numel), files[path]);
      },
      reduce: (cls, args) => {
        const q = cls.qualifiedName;
        if (q === 'torch._utils._rebuild_tensor_v2' || q === 'torch._utils._rebuild_tensor') {
          const [storage, offset, size, stride] = args;
          const shape = asInts(size);
          const strides = asInts(stride);
          if (!(storage instanceof TorchStorage) || typeof offset !== 'number' || !shape || !strides || shape.length !== strides.length) {
            throw new CheckpointError(`${pklName}: malformed tensor record (${q})`);
          }
          return new TorchTensor(storage, offset, shape, strides);
        }
        if (q === 'torch._utils._rebuild_parameter' || q === 'torch._utils._rebuild_parameter_with_state') return args[0];
        return undefined;
      },
    });
    return { root, folder };
  } catch (e) {
    if (e instanceof PickleError) throw new CheckpointError(`${fileName}: ${e.message}`);
    throw e;
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
