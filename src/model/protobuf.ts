// The protobuf wire format, for the few message types this package reads and writes (the ONNX model file, the
// TensorBoard event log): varints, fixed32/fixed64 numbers, length-delimited bytes. No schema compiler, no runtime
// package, and no TextDecoder (the AudioWorkletGlobalScope reads model files and has none).

/** Wire types. */
export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** A varint: integers in (−2^63, 2^53]; negative ones as 64-bit two's complement (ten bytes), as int32/int64 are. */
  varint(v: number): this {
    if (!Number.isInteger(v)) throw new RangeError(`protobuf: varint ${v} is not an integer`);
    if (v < 0) {
      let u = BigInt.asUintN(64, BigInt(v));
      while (u >= 0x80n) {
        this.byte(Number(u & 0x7fn) | 0x80);
        u >>= 7n;
      }
      this.byte(Number(u));
      return this;
    }
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  float(v: number): this {
    this.scratch.setFloat32(0, v, true);
    return this.raw(new Uint8Array(this.scratch.buffer, 0, 4));
  }

  double(v: number): this {
    this.scratch.setFloat64(0, v, true);
    return this.raw(new Uint8Array(this.scratch.buffer, 0, 8));
  }

  /** Length-prefixed bytes. */
  bytes(v: Uint8Array): this {
    return this.varint(v.length).raw(v);
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  private raw(v: Uint8Array): this {
    this.reserve(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A message that ends before its fields do, or uses a wire type this reader does not know. */
export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

/** Reads protobuf fields from `bytes[start, end)`. Length-delimited values are views, not copies. */
export class ProtoReader {
  pos: number;
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) {
      throw new ProtoError(`truncated ${what} at byte ${this.pos} (${n} bytes needed, ${this.end - this.pos} left)`);
    }
  }

  /**
   * A varint as a number: up to 64 bits, read as int64 (two's complement), so −1 written as an int64 or int32 reads
   * back as −1; magnitudes above 2^53 lose precision.
   */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      this.need(1, 'varint');
      if (shift >= 70) throw new ProtoError(`varint longer than 10 bytes at byte ${this.pos}`);
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (!(b & 0x80)) break;
    }
    return (hi | 0) * 4294967296 + (lo >>> 0);
  }

  float(): number {
    this.need(4, 'fixed32');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'fixed64');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end offset of a length-delimited value starting here (after reading its length). */
  delimited(): number {
    const n = this.varint();
    if (n < 0) throw new ProtoError(`negative length at byte ${this.pos}`);
    this.need(n, 'length-delimited field');
    return this.pos + n;
  }

  bytes(): Uint8Array {
    const end = this.delimited();
    const v = this.buf.subarray(this.pos, end);
    this.pos = end;
    return v;
  }

  string(): string {
    return utf8(this.bytes());
  }

  /** Skips a field's value of wire type `wire`. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE.VARINT: this.varint(); return;
      case WIRE.FIXED64: this.need(8, 'fixed64'); this.pos += 8; return;
      case WIRE.LEN: this.pos = this.delimited(); return;
      case WIRE.FIXED32: this.need(4, 'fixed32'); this.pos += 4; return;
      default: throw new ProtoError(`invalid wire type ${wire} at byte ${this.pos}`);
    }
  }
}

/** UTF-8 bytes to a string (invalid sequences become U+FFFD). */
export function utf8(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length;) {
    const c = b[i++];
    let cp: number;
    if (c < 0x80) cp = c;
    else {
      const n = c >= 0xf0 && c < 0xf8 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
      cp = n < 0 ? -1 : c & (0x3f >> n);
      for (let k = 0; k < n && cp >= 0; k++) {
        const d = b[i];
        if (i >= b.length || (d & 0xc0) !== 0x80) cp = -1;
        else { cp = (cp << 6) | (d & 0x3f); i++; }
      }
      if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) cp = 0xfffd;
    }
    s += String.fromCodePoint(cp);
  }
  return s;
}
