// Hostile files made by hand: a zip writer that lets an entry lie (CRC, sizes), pickle opcodes, WAV/FLAC/MP3
// headers, model-file edits. Each helper builds exactly the bytes a test names; nothing here is random.
import { deflateSync, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { crc32 } from '../../src/model/torch-zip';
import { decodeModel, encodeModel } from '../../src/model/onnx-proto';

export const SEED_CKPT = new Uint8Array(readFileSync(new URL('../fixtures/seed-checkpoint/model.ckpt', import.meta.url)));
export const VIOLIN = new Uint8Array(readFileSync(new URL('../../models/violin.onnx', import.meta.url)));
export const FLAC = new Uint8Array(readFileSync(new URL('../fixtures/audio/339357-mono_48k.flac', import.meta.url)));

// ---------------------------------------------------------------- zip

/** One zip entry; `crc`, `size` override what the directory declares (default: the truth); `body` is an entry
 *  already deflated (then `size` and `crc` are required). */
export interface Entry { name: string; data?: Uint8Array; deflate?: boolean; body?: Uint8Array; crc?: number; size?: number; method?: number }

const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** A zip archive (no zip64) whose directory says exactly what the entries claim. */
export function zip(entries: Entry[]): Uint8Array {
  const parts: number[][] = [];
  const central: number[][] = [];
  let offset = 0;
  for (const e of entries) {
    const name = [...new TextEncoder().encode(e.name)];
    const data = e.data ?? new Uint8Array(0);
    const body = e.body ?? (e.deflate ? deflateSync(data, { level: 9 }) : data);
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const method = e.method ?? (e.deflate || e.body ? 8 : 0);
    const local = [...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(method), ...u16(0), ...u16(0), ...u32(crc),
      ...u32(body.length), ...u32(size), ...u16(name.length), ...u16(0), ...name];
    parts.push(local, Array.from(body));
    central.push([...u32(0x02014b50), ...u16(20), ...u16(20), ...u16(0), ...u16(method), ...u16(0), ...u16(0), ...u32(crc),
      ...u32(body.length), ...u32(size), ...u16(name.length), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0),
      ...u32(offset), ...name]);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(entries.length), ...u16(entries.length), ...u32(cdSize), ...u32(offset), ...u16(0)];
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of all) { out.set(p, o); o += p.length; }
  return out;
}

/** The seed checkpoint's entries, edited, zipped again. */
export function editSeed(edit: (files: Record<string, Uint8Array>) => Entry[] | void): Uint8Array {
  const files = unzipSync(SEED_CKPT);
  const extra = edit(files) ?? [];
  return zip([...Object.entries(files).map(([name, data]) => ({ name, data })), ...extra]);
}

// ---------------------------------------------------------------- pickle

const enc = new TextEncoder();

/** `x` repeated `n` times, flattened one level. */
export const repeat = <T>(n: number, x: T[]): T[] => Array.from({ length: n }, () => x).flat() as T[];

/** Opcode bytes, strings, or lists of them (nested lists are flattened, not spread: they may be long). */
export type Op = number | string | Uint8Array | Op[];

/** Pickle bytes from opcodes (numbers) and strings (SHORT_BINUNICODE / BINUNICODE of the text). */
export function pickle(...ops: Op[]): Uint8Array {
  const out: number[] = [0x80, 2];
  const add = (op: Op): void => {
    if (typeof op === 'number') out.push(op);
    else if (typeof op === 'string') {
      const b = enc.encode(op);
      if (b.length < 256) out.push(0x8c, b.length);
      else out.push(0x58, ...u32(b.length));
      for (const x of b) out.push(x);
    } else for (const x of op) add(x);
  };
  for (const op of ops) add(op);
  out.push(0x2e);
  return new Uint8Array(out);
}

export const P = {
  MARK: 0x28, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  DUP: 0x32, TUPLE2: 0x86, LIST: 0x6c, NONE: 0x4e, BININT1: 0x4b, LONG4: 0x8b, INT: 0x49, BINPERSID: 0x51,
  GLOBAL: 0x63, REDUCE: 0x52, TUPLE: 0x74,
} as const;

/** A Lightning-shaped checkpoint zip: `{'state_dict': {}, 'hyper_parameters': {'x': <value ops>}}`, plus entries. */
export function lightning(valueOps: Op[], extra: Entry[] = []): Uint8Array {
  const pkl = pickle(P.EMPTY_DICT, 'state_dict', P.EMPTY_DICT, P.SETITEM, 'hyper_parameters', P.EMPTY_DICT, 'x', valueOps,
    P.SETITEM, P.SETITEM);
  return zip([{ name: 'archive/data.pkl', data: pkl }, ...extra]);
}

/** A state_dict with one float tensor `name` of `shape`/`stride` over storage '0' holding `numel` floats. */
export function tensorCheckpoint(shape: number[], stride: number[], numel: number, storage: Entry): Uint8Array {
  const ints = (xs: number[]): number[] => [P.MARK, ...xs.flatMap((x) => [0x4a, ...u32(x)]), P.TUPLE];
  const pkl = pickle(
    P.EMPTY_DICT, 'state_dict', P.EMPTY_DICT, 'estimator.w',
    P.GLOBAL, ...enc.encode('torch._utils\n_rebuild_tensor_v2\n'),
    P.MARK,
    P.MARK, 'storage', P.GLOBAL, ...enc.encode('torch\nFloatStorage\n'), '0', 'cpu', 0x4a, ...u32(numel), P.TUPLE, P.BINPERSID,
    P.BININT1, 0, ...ints(shape), ...ints(stride), 0x89, P.NONE,
    P.TUPLE, P.REDUCE,
    P.SETITEM, P.SETITEM,
  );
  return zip([{ name: 'archive/data.pkl', data: pkl }, storage]);
}

// ---------------------------------------------------------------- audio

/** A WAV header (+ `dataBytes` zero bytes of data) with whatever the fmt chunk should claim. */
export function wav(o: { channels: number; rate: number; bits?: number; format?: number; dataBytes: number; dataSize?: number }): Uint8Array {
  const bits = o.bits ?? 16;
  const align = Math.max(1, (o.channels * bits) >> 3) & 0xffff;
  const head = [...enc.encode('RIFF'), ...u32(36 + o.dataBytes), ...enc.encode('WAVEfmt '), ...u32(16), ...u16(o.format ?? 1),
    ...u16(o.channels), ...u32(o.rate), ...u32(o.rate * align), ...u16(align), ...u16(bits),
    ...enc.encode('data'), ...u32(o.dataSize ?? o.dataBytes)];
  const out = new Uint8Array(head.length + o.dataBytes);
  out.set(head);
  return out;
}

/** A FLAC file's first 42 bytes (magic + STREAMINFO) claiming `channels`, `rate` and `totalSamples`. */
export function flacHeader(channels: number, rate: number, totalSamples: number): Uint8Array {
  const b = new Uint8Array(42 + 16);
  b.set(enc.encode('fLaC'));
  b[4] = 0x80; // last metadata block, STREAMINFO
  b[7] = 34;
  const s = 8;
  b[s + 0] = 0x10; b[s + 2] = 0x10; // block sizes 4096
  b[s + 10] = (rate >> 12) & 0xff;
  b[s + 11] = (rate >> 4) & 0xff;
  const hi = Math.floor(totalSamples / 2 ** 32);
  b[s + 12] = ((rate & 0x0f) << 4) | (((channels - 1) & 7) << 1) | 0; // bits per sample 16 → 15 = 0b01111
  b[s + 13] = (0x0f << 4) | (hi & 0x0f);
  b.set(u32(totalSamples >>> 0).reverse(), s + 14);
  return b;
}

/**
 * An MPEG-1 layer III file of `frames` silent frames (128 kb/s, 44.1 kHz, mono, no padding: 417 bytes each; all
 * side information zero, so every granule decodes to silence).
 */
export function mp3(frames: number): Uint8Array {
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0xc0]);
  const out = new Uint8Array(frames * 417);
  for (let i = 0; i < frames; i++) out.set(frame, i * 417);
  return out;
}

// ---------------------------------------------------------------- model files

/** `base` (default: the violin) with metadata key `key` set to `value`. */
export function withMeta(key: string, value: string, base: Uint8Array = VIOLIN): Uint8Array {
  const m = decodeModel(base);
  const props = (m.metadataProps ??= []);
  const p = props.find((x) => x.key === key);
  if (p) p.value = value;
  else props.push({ key, value });
  return encodeModel(m);
}

/** `base` (a model file with float32 initializers) with initializer `name`'s value at `index` set to `value`. */
export function withFloat(base: Uint8Array, name: string, index: number, value: number): Uint8Array {
  const m = decodeModel(base);
  const t = (m.graph?.initializer ?? []).find((x) => x.name === name);
  if (!t || t.dataType !== 1) throw new Error(`${name} is not float32`);
  const raw = new Uint8Array(t.rawData!);
  new DataView(raw.buffer).setFloat32(index * 4, value, true);
  t.rawData = raw;
  return encodeModel(m);
}
