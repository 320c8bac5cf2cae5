// The protobuf wire format (src/model/protobuf.ts) and the ONNX message table over it (src/model/onnx-proto.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/model/onnx-proto';
import { ProtoError, ProtoReader, ProtoWriter, utf8 } from '../../src/model/protobuf';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('protobuf wire format', () => {
  it('varints: the reference encodings, int64 two\'s complement for negatives, read back exactly', () => {
    // from the protobuf encoding guide: 1 -> 01, 150 -> 9601, 300 -> ac02, -1 as int64 -> ten bytes
    const cases: [number, string][] = [
      [0, '00'], [1, '01'], [150, '9601'], [300, 'ac02'], [2 ** 32, '8080808010'], [2 ** 53, '8080808080808010'],
      [-1, 'ffffffffffffffffff01'], [-2, 'feffffffffffffffff01'], [-(2 ** 31), '80808080f8ffffffff01'],
    ];
    for (const [v, want] of cases) {
      const b = new ProtoWriter().varint(v).finish();
      expect(hex(b), String(v)).toBe(want);
      const r = new ProtoReader(b);
      expect(r.varint(), want).toBe(v);
      expect(r.pos).toBe(b.length);
    }
    expect(() => new ProtoWriter().varint(1.5)).toThrow(RangeError);
  });

  it('fixed32/fixed64, bytes and UTF-8 strings', () => {
    const w = new ProtoWriter().float(1.5).double(-0.1).string('violin – 小提琴 🎻').bytes(new Uint8Array([1, 2, 3]));
    const r = new ProtoReader(w.finish());
    expect(r.float()).toBe(1.5);
    expect(r.double()).toBe(-0.1);
    expect(r.string()).toBe('violin – 小提琴 🎻');
    expect([...r.bytes()]).toEqual([1, 2, 3]);
    expect(utf8(new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82]))).toBe('a\ufffdb\ufffd'); // invalid and cut-short sequences
  });

  it('truncated input throws a ProtoError naming the byte', () => {
    expect(() => new ProtoReader(new Uint8Array([0x96])).varint()).toThrow(ProtoError);
    expect(() => new ProtoReader(new Uint8Array([5, 1, 2])).bytes()).toThrow(/truncated length-delimited field at byte 1 \(5 bytes needed, 2 left\)/);
    expect(() => new ProtoReader(new Uint8Array([0, 0])).float()).toThrow(/truncated fixed32/);
    expect(() => new ProtoReader(new Uint8Array(0)).skip(3)).toThrow(/invalid wire type 3/);
  });
});

describe('ONNX messages', () => {
  it('a shipped model decodes and encodes back to the same bytes', () => {
    const bytes = new Uint8Array(readFileSync(join(__dirname, '..', '..', 'models', 'violin.onnx')));
    const m = decodeModel(bytes);
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph?.initializer?.length).toBeGreaterThan(10);
    expect(m.metadataProps?.find((p) => p.key === 'ddsp.format_version')?.value).toBe('1');
    expect(hex(encodeModel(m)) === hex(bytes)).toBe(true);
  });

  it('repeated numbers are written packed and read packed or not; unknown fields are skipped', () => {
    const packed = encodeModel({ graph: { initializer: [{ dims: [2, 3], name: 't' }] } });
    // graph (7) > initializer (5) > dims (1, packed: tag 0a, length 2, 02 03), name (8)
    expect(hex(packed)).toBe('3a09' + '2a07' + '0a020203' + '420174');
    const unpacked = new Uint8Array([0x3a, 0x0b, 0x2a, 0x09, 0x08, 0x02, 0x08, 0x03, 0x78, 0x05, 0x42, 0x01, 0x74]); // + unknown field 15
    expect(decodeModel(unpacked).graph?.initializer?.[0]).toMatchObject({ dims: [2, 3], name: 't' });
  });

  it('a field that overruns its message, or a wrong wire type, throws', () => {
    expect(() => decodeModel(new Uint8Array([0x3a, 0x02, 0x0a, 0x05, 0, 0, 0, 0, 0]))).toThrow(/truncated|overruns/);
    expect(() => decodeModel(new Uint8Array([0x08 + 2, 0x00]))).toThrow(/wire type 2, expected 0/); // ir_version as bytes
  });
});
