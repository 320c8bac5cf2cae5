/**
 * TensorBoard event files, written by hand (no maintained npm writer exists).
 *
 * Framing is TFRecord: for each record, `u64le length`, `u32le masked_crc32c(length bytes)`, the payload,
 * `u32le masked_crc32c(payload)`, where masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8 (mod 2^32).
 * Payloads are `tensorflow.Event` protobufs: wall_time (1, double), step (2, int64), file_version
 * (3, string, "brain.Event:2" in the first record), summary (5) → value (1, repeated) → tag (1),
 * simple_value (2, float), image (4: height 1, width 2, colorspace 3, encoded_image_string 4),
 * audio (6: sample_rate 1 float, num_channels 2, length_frames 3, encoded_audio_string 4, content_type 5).
 * A tiny protobuf encoder (and a decoder for tests and sweep summaries) lives here.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { crc32, reflectedCrc, reflectedCrcTable } from '../model/torch-zip';
import { writing } from './checkpoint';

// ---------------------------------------------------------------- CRC32C (Castagnoli, reflected 0x82F63B78)

const CRC32C_TABLE = reflectedCrcTable(0x82f63b78);

/** CRC-32C (Castagnoli) of `bytes` (RFC 3720 B.4: "123456789" → 0xE3069283). */
export function crc32c(bytes: Uint8Array): number {
  return reflectedCrc(CRC32C_TABLE, bytes);
}

/** TFRecord's masked CRC: rotate right by 15 and add 0xa282ead8 (mod 2^32). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of the length, payload, masked CRC of the payload. */
export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length + 4);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length >>> 0, true);
  dv.setUint32(4, Math.floor(payload.length / 2 ** 32), true);
  dv.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(payload, 12);
  dv.setUint32(12 + payload.length, maskCrc(crc32c(payload)), true);
  return out;
}

/**
 * Splits a TFRecord stream into payloads, checking both CRCs. A last record cut short (a run killed mid-write, a
 * full disk) ends the stream, as TensorBoard reads it; a corrupt record throws.
 */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  while (p < bytes.length) {
    if (p + 12 > bytes.length) break;
    const len = dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32;
    if (dv.getUint32(p + 8, true) !== maskCrc(crc32c(bytes.subarray(p, p + 8)))) throw new Error(`TFRecord: bad length CRC at byte ${p}`);
    if (p + 12 + len + 4 > bytes.length) break;
    const payload = bytes.subarray(p + 12, p + 12 + len);
    if (dv.getUint32(p + 12 + len, true) !== maskCrc(crc32c(payload))) throw new Error(`TFRecord: bad payload CRC at byte ${p}`);
    out.push(payload);
    p += 16 + len;
  }
  return out;
}

// ---------------------------------------------------------------- minimal protobuf

class ProtoWriter {
  private chunks: number[] = [];
  private varint(v: number): void {
    // non-negative integers up to 2^53
    while (v >= 0x80) {
      this.chunks.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.chunks.push(v);
  }
  private tag(field: number, wire: number): void { this.varint(field * 8 + wire); }
  uint(field: number, v: number): this { this.tag(field, 0); this.varint(Math.max(0, Math.floor(v))); return this; }
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.chunks.push(x);
    return this;
  }
  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.varint(v.length);
    for (let i = 0; i < v.length; i++) this.chunks.push(v[i]);
    return this;
  }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  finish(): Uint8Array { return Uint8Array.from(this.chunks); }
}

/** A decoded protobuf field: varint as number, fixed64 as double, fixed32 as float, length-delimited as bytes. */
type ProtoField = { field: number; wire: number; value: number | Uint8Array };

function readProto(b: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const varint = () => {
    let v = 0;
    let mult = 1;
    for (;;) {
      if (p >= b.length) throw new Error('protobuf: truncated varint');
      const x = b[p++];
      v += (x & 0x7f) * mult;
      if (!(x & 0x80)) return v;
      mult *= 128;
    }
  };
  while (p < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) { out.push({ field, wire, value: dv.getFloat64(p, true) }); p += 8; }
    else if (wire === 5) { out.push({ field, wire, value: dv.getFloat32(p, true) }); p += 4; }
    else if (wire === 2) { const n = varint(); out.push({ field, wire, value: b.subarray(p, p + n) }); p += n; }
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

// ---------------------------------------------------------------- Event encoding

/** Audio summary payload (already encoded, e.g. WAV). */
export interface AudioSummary { sampleRate: number; numChannels: number; lengthFrames: number; encoded: Uint8Array; contentType: string }
/** Image summary payload (already encoded, e.g. PNG). */
export interface ImageSummary { height: number; width: number; colorspace: number; encoded: Uint8Array }
/** One Summary.Value. */
export type SummaryValue =
  | { tag: string; simpleValue: number }
  | { tag: string; audio: AudioSummary }
  | { tag: string; image: ImageSummary };

/** An Event as this module writes and reads it. */
export interface TBEvent { wallTime: number; step: number; fileVersion?: string; values?: SummaryValue[] }

/** Encodes a tensorflow.Event protobuf. */
export function encodeEvent(e: TBEvent): Uint8Array {
  const w = new ProtoWriter().double(1, e.wallTime).uint(2, e.step);
  if (e.fileVersion !== undefined) w.string(3, e.fileVersion);
  if (e.values && e.values.length) {
    const summary = new ProtoWriter();
    for (const v of e.values) {
      const val = new ProtoWriter().string(1, v.tag);
      if ('simpleValue' in v) val.float(2, v.simpleValue);
      else if ('image' in v) {
        const im = new ProtoWriter().uint(1, v.image.height).uint(2, v.image.width).uint(3, v.image.colorspace).bytes(4, v.image.encoded);
        val.bytes(4, im.finish());
      } else {
        const a = new ProtoWriter().float(1, v.audio.sampleRate).uint(2, v.audio.numChannels).uint(3, v.audio.lengthFrames)
          .bytes(4, v.audio.encoded).string(5, v.audio.contentType);
        val.bytes(6, a.finish());
      }
      summary.bytes(1, val.finish());
    }
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** Decodes an Event written by encodeEvent (scalars, audio, images). */
export function decodeEvent(b: Uint8Array): TBEvent {
  const e: TBEvent = { wallTime: 0, step: 0 };
  const dec = new TextDecoder();
  for (const f of readProto(b)) {
    if (f.field === 1) e.wallTime = f.value as number;
    else if (f.field === 2) e.step = f.value as number;
    else if (f.field === 3) e.fileVersion = dec.decode(f.value as Uint8Array);
    else if (f.field === 5) {
      e.values = [];
      for (const sv of readProto(f.value as Uint8Array)) {
        if (sv.field !== 1) continue;
        let tag = '';
        let out: SummaryValue | null = null;
        for (const vf of readProto(sv.value as Uint8Array)) {
          if (vf.field === 1) tag = dec.decode(vf.value as Uint8Array);
          else if (vf.field === 2) out = { tag: '', simpleValue: vf.value as number };
          else if (vf.field === 6) {
            const a: AudioSummary = { sampleRate: 0, numChannels: 0, lengthFrames: 0, encoded: new Uint8Array(0), contentType: '' };
            for (const af of readProto(vf.value as Uint8Array)) {
              if (af.field === 1) a.sampleRate = af.value as number;
              else if (af.field === 2) a.numChannels = af.value as number;
              else if (af.field === 3) a.lengthFrames = af.value as number;
              else if (af.field === 4) a.encoded = (af.value as Uint8Array).slice();
              else if (af.field === 5) a.contentType = dec.decode(af.value as Uint8Array);
            }
            out = { tag: '', audio: a };
          } else if (vf.field === 4) {
            const im: ImageSummary = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array(0) };
            for (const imf of readProto(vf.value as Uint8Array)) {
              if (imf.field === 1) im.height = imf.value as number;
              else if (imf.field === 2) im.width = imf.value as number;
              else if (imf.field === 3) im.colorspace = imf.value as number;
              else if (imf.field === 4) im.encoded = (imf.value as Uint8Array).slice();
            }
            out = { tag: '', image: im };
          }
        }
        if (out) { out.tag = tag; e.values.push(out); }
      }
    }
  }
  return e;
}

/** Reads every Event of an event file (checks CRCs). */
export function readEventFile(path: string): TBEvent[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
}

// ---------------------------------------------------------------- WAV and PNG for summaries

/** 16-bit PCM mono WAV bytes of `samples` (clipped to [−1, 1]). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const n = samples.length;
  const out = new Uint8Array(44 + n * 2);
  const dv = new DataView(out.buffer);
  const ascii = (o: number, s: string) => { for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF'); dv.setUint32(4, 36 + n * 2, true); ascii(8, 'WAVE');
  ascii(12, 'fmt '); dv.setUint32(16, 16, true); dv.setUint16(20, 1, true); dv.setUint16(22, 1, true);
  dv.setUint32(24, sampleRate, true); dv.setUint32(28, sampleRate * 2, true); dv.setUint16(32, 2, true); dv.setUint16(34, 16, true);
  ascii(36, 'data'); dv.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    let v = samples[i];
    if (!(v === v)) v = 0;
    v = v > 1 ? 1 : v < -1 ? -1 : v;
    dv.setInt16(44 + 2 * i, Math.round(v * 32767), true);
  }
  return out;
}

/** 8-bit RGB PNG of `rgb` (height × width × 3, row-major, top row first). */
export function encodePngRgb(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width); dv.setUint32(4, height);
  ihdr[8] = 8; ihdr[9] = 2; // bit depth 8, colour type RGB
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---------------------------------------------------------------- the writer

/** Appends Events to `<logDir>/events.out.tfevents.<seconds>.<host>`, which TensorBoard reads. */
export class EventWriter {
  /** Path of the event file. */
  readonly path: string;
  private fd: number;
  private pending: Uint8Array[] = [];

  /** Creates the folder and the file, and writes the file_version record. */
  constructor(logDir: string, opts: { now?: number } = {}) {
    const now = opts.now ?? Date.now() / 1000;
    const path = join(logDir, `events.out.tfevents.${Math.floor(now)}.${hostname()}`);
    this.path = path;
    this.fd = writing('event file', path, () => {
      mkdirSync(logDir, { recursive: true });
      return openSync(path, 'a');
    });
    this.write({ wallTime: now, step: 0, fileVersion: 'brain.Event:2' });
    this.flush();
  }

  /** Queues one event (written on flush). */
  write(e: TBEvent): void {
    this.pending.push(frameRecord(encodeEvent(e)));
  }

  /** A scalar at `step`. */
  scalar(tag: string, value: number, step: number): void {
    this.write({ wallTime: Date.now() / 1000, step, values: [{ tag, simpleValue: value }] });
  }

  /** Several scalars at one step, in one event. */
  scalars(values: Record<string, number>, step: number): void {
    const vs = Object.entries(values).map(([tag, v]) => ({ tag, simpleValue: v }));
    if (vs.length) this.write({ wallTime: Date.now() / 1000, step, values: vs });
  }

  /** Mono audio (Float32Array, −1..1) as a 16-bit WAV summary. */
  audio(tag: string, samples: Float32Array, sampleRate: number, step: number): void {
    this.write({
      wallTime: Date.now() / 1000, step,
      values: [{ tag, audio: { sampleRate, numChannels: 1, lengthFrames: samples.length, encoded: encodeWav16(samples, sampleRate), contentType: 'audio/wav' } }],
    });
  }

  /** An RGB image (height × width × 3 bytes) as a PNG summary. */
  image(tag: string, rgb: Uint8Array, width: number, height: number, step: number): void {
    this.write({ wallTime: Date.now() / 1000, step, values: [{ tag, image: { height, width, colorspace: 3, encoded: encodePngRgb(rgb, width, height) } }] });
  }

  /** Writes queued events and fsyncs. @throws WriteError naming the file (a full disk, …). */
  flush(): void {
    const pending = this.pending;
    this.pending = [];
    writing('event file', this.path, () => { for (const r of pending) writeSync(this.fd, r); });
    try { fsyncSync(this.fd); } catch { /* some filesystems refuse fsync */ }
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
