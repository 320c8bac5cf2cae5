// torch.save zip archives: `<folder>/data.pkl` (the pickle) and `<folder>/data/<key>` (raw little-endian
// storages). The folder name varies ('archive' when saved through a buffer, the file stem otherwise).
// The central directory is read here; an entry is inflated (fflate) and its CRC-32 checked only when the
// pickle's content is used, and every byte a checkpoint materialises counts against LIMITS.checkpoint's
// allowance for its size, so a zip bomb or a tensor view larger than its storage costs an error, not memory.
import { inflateSync } from 'fflate';
import { fromFloat16Bits } from './float16';
import { LIMITS } from './limits';
import { PickleError, PyGlobal, decodeUtf8, unpickle } from './pickle';

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

/** Bytes materialised while reading one checkpoint, against LIMITS.checkpoint's allowance for its size. */
export class Allowance {
  private spent = 0;
  /** @param fileBytes the checkpoint's size; @param fileName for error messages. */
  constructor(fileBytes: number, private readonly fileName = 'checkpoint',
    readonly limit = LIMITS.checkpoint.allowanceBytes + LIMITS.checkpoint.maxExpansion * fileBytes) {}

  /** Counts `bytes` for `what`. @throws CheckpointError past the limit. */
  spend(bytes: number, what: string): void {
    this.spent += bytes;
    if (!(this.spent <= this.limit)) {
      throw new CheckpointError(`${this.fileName}: ${what} needs ${bytes} bytes, past this checkpoint's limit of ${this.limit} ` +
        `bytes materialised (${LIMITS.checkpoint.allowanceBytes} + ${LIMITS.checkpoint.maxExpansion} × its size)`);
    }
  }
}

/** A storage referenced by the pickle (persistent id ('storage', type, key, location, numel)). */
export class TorchStorage {
  private loaded: Uint8Array | undefined | null = null;
  constructor(
    readonly key: string,
    readonly path: string,
    readonly dtype: TorchDtype,
    readonly itemSize: number,
    readonly location: string,
    readonly numel: number,
    /** Reads the entry's bytes (undefined when the zip has no such entry); called once, on first use. */
    private readonly load: () => Uint8Array | undefined,
    /** What copies of this storage's tensors count against. */
    readonly allowance: Allowance = new Allowance(0),
  ) {}

  /** Raw bytes from the zip, or undefined when the entry is missing. */
  get bytes(): Uint8Array | undefined {
    if (this.loaded === null) this.loaded = this.load();
    return this.loaded;
  }
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
    s.allowance.spend(this.numel * 4, `tensor '${name}' [${this.shape}]`);
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
 * Opens a torch.save zip and unpickles `<folder>/data.pkl`, turning tensors into `TorchTensor`s whose storages are
 * inflated and checked when first used. Other calls become PyObject/Map/arrays (see pickle.ts).
 * @param fileName used in error messages.
 * @throws CheckpointError (not a zip, truncated or corrupt zip, no data.pkl, unsupported pickle content, past the
 *   limits of LIMITS.checkpoint).
 */
export function loadTorchZip(bytes: Uint8Array, fileName = 'checkpoint'): { root: unknown; folder: string } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('checkpoint bytes must be a Uint8Array');
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
      throw new CheckpointError(`${fileName} is a legacy (pre-1.6, non-zip) torch.save file; re-save it with a recent PyTorch (torch.save(torch.load(p), p))`);
    }
    throw new CheckpointError(`${fileName} is not a PyTorch checkpoint: not a zip archive (first bytes ${hex(bytes.subarray(0, 4))})`);
  }
  const entries = zipEntries(bytes, fileName);
  const allowance = new Allowance(bytes.length, fileName);
  const read = (name: string): Uint8Array | undefined => {
    const e = entries.get(name);
    return e && entryBytes(bytes, e, fileName, allowance);
  };
  const names = [...entries.keys()];
  const pkl = names.filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => a.length - b.length)[0];
  if (!pkl) throw new CheckpointError(`${fileName} is a zip but not a torch.save archive: no '<folder>/data.pkl' entry (entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`);
  const folder = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const order = entries.has(`${folder}byteorder`) ? read(`${folder}byteorder`) : undefined;
  if (order && decodeUtf8(order, 0, Math.min(order.length, 16)).trim() === 'big') {
    throw new CheckpointError(`${fileName} stores big-endian tensors (${folder}byteorder = big); only little-endian checkpoints are read`);
  }
  const pklName = pkl;
  try {
    const root = unpickle(read(pkl) as Uint8Array, {
      fileName: pklName,
      persistentLoad: (pid) => {
        if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
          throw new CheckpointError(`${pklName}: unsupported persistent id (${Array.isArray(pid) ? `${pid.length} fields` : typeof pid}, expected ('storage', type, key, location, numel))`);
        }
        const [, type, key, location, numel] = pid as [string, unknown, unknown, unknown, unknown];
        if (typeof key !== 'string' && typeof key !== 'number') throw new CheckpointError(`${pklName}: storage key must be a string`);
        const typeName = type instanceof PyGlobal ? type.name : typeof type === 'string' ? type : typeof type;
        const dt = STORAGE_DTYPES[typeName];
        if (!dt) throw new CheckpointError(`${pklName}: unsupported storage type ${typeName.slice(0, 80)} (storage '${String(key).slice(0, 80)}')`);
        const path = `${folder}data/${String(key)}`;
        return new TorchStorage(String(key), path, dt[0], dt[1], typeof location === 'string' ? location : '', Number(numel),
          () => read(path), allowance);
      },
      reduce: (cls, args) => {
        const q = cls.qualifiedName;
        if (q === 'torch._utils._rebuild_tensor_v2' || q === 'torch._utils._rebuild_tensor') {
          const [storage, offset, size, stride] = args;
          const shape = asInts(size);
          const strides = asInts(stride);
          if (!(storage instanceof TorchStorage) || !Number.isSafeInteger(offset) || (offset as number) < 0 || !shape || !strides ||
              shape.length !== strides.length || shape.some((d) => d < 0) || strides.some((d) => d < 0)) {
            throw new CheckpointError(`${pklName}: malformed tensor record (${q})`);
          }
          return new TorchTensor(storage, offset as number, shape, strides);
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

/** A zip entry as the central directory describes it. */
interface ZipEntry { name: string; method: number; crc: number; compressedSize: number; size: number; localHeader: number }

const ZIP_EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_LOCAL = 0x04034b50;

/** The central directory of a zip (zip64 too). Reads at most the directory's bytes. @throws CheckpointError */
function zipEntries(b: Uint8Array, file: string): Map<string, ZipEntry> {
  const bad = (why: string): never => {
    throw new CheckpointError(`${file} is truncated or not a valid zip archive (${why})`);
  };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (p: number): number => (p + 2 <= b.length ? dv.getUint16(p, true) : bad(`cut short at byte ${p}`));
  const u32 = (p: number): number => (p + 4 <= b.length ? dv.getUint32(p, true) : bad(`cut short at byte ${p}`));
  const u64 = (p: number): number => u32(p) + u32(p + 4) * 2 ** 32;
  let eocd = -1;
  for (let p = b.length - 22; p >= 0 && p >= b.length - 22 - 0xffff; p--) if (dv.getUint32(p, true) === ZIP_EOCD) { eocd = p; break; }
  if (eocd < 0) bad('no end of central directory record');
  let count = u16(eocd + 10);
  let offset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === ZIP64_LOCATOR) {
    const z = u64(eocd - 12);
    if (u32(z) !== ZIP64_EOCD) bad('zip64 end of central directory record not found');
    count = u64(z + 32);
    offset = u64(z + 48);
  }
  const entries = new Map<string, ZipEntry>();
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (u32(p) !== ZIP_CENTRAL) bad(`central directory entry ${i} not found at byte ${p}`);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localHeader = u32(p + 42);
    if (p + 46 + nameLen + extraLen > b.length) bad(`central directory entry ${i} cut short`);
    const name = decodeUtf8(b, p + 46, p + 46 + nameLen);
    // zip64 extra field: 8-byte values for the fields saturated at 0xffffffff, in this order
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const id = u16(x);
      const len = u16(x + 2);
      if (id === 0x0001) {
        let y = x + 4;
        if (size === 0xffffffff) { size = u64(y); y += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(y); y += 8; }
        if (localHeader === 0xffffffff) localHeader = u64(y);
      }
      x += 4 + len;
    }
    entries.set(name, { name, method, crc, compressedSize, size, localHeader });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** An entry's bytes (a view for stored entries), checked against its CRC-32. @throws CheckpointError */
function entryBytes(b: Uint8Array, e: ZipEntry, file: string, allowance: Allowance): Uint8Array {
  const where = `${file}: zip entry '${e.name}'`;
  const h = e.localHeader;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (h + 30 > b.length || dv.getUint32(h, true) !== ZIP_LOCAL) throw new CheckpointError(`${where}: local header missing (truncated or corrupt zip)`);
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  if (start + e.compressedSize > b.length) {
    throw new CheckpointError(`${where} is cut short: it needs ${e.compressedSize} bytes from byte ${start}, the file has ${b.length} (truncated checkpoint?)`);
  }
  const raw = b.subarray(start, start + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.size !== e.compressedSize) throw new CheckpointError(`${where}: stored entry with ${e.compressedSize} bytes declares ${e.size}`);
    out = raw;
  } else if (e.method === 8) {
    allowance.spend(e.size, `inflating zip entry '${e.name}'`);
    try {
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new CheckpointError(`${where} cannot be inflated (${(err as Error).message})`);
    }
    if (out.length !== e.size) throw new CheckpointError(`${where} inflates to ${out.length} bytes, its header says ${e.size} (corrupt zip)`);
  } else {
    throw new CheckpointError(`${where} uses compression method ${e.method}; checkpoints are stored or deflated (0 or 8)`);
  }
  const crc = crc32(out);
  if (crc !== e.crc) {
    throw new CheckpointError(`${where} is corrupt: CRC-32 ${hex32(crc)}, the zip directory says ${hex32(e.crc)}`);
  }
  return out;
}

/** The 256-entry table of a reflected CRC-32 with polynomial `poly` (reflected form). */
export function reflectedCrcTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

/** A reflected CRC-32 of `bytes` with a table from {@link reflectedCrcTable}. */
export function reflectedCrc(table: Uint32Array, bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC32_TABLE = reflectedCrcTable(0xedb88320);

/** CRC-32 (IEEE 802.3, as zip and PNG use it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  return reflectedCrc(CRC32_TABLE, bytes);
}

const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
