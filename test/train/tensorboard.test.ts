import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventWriter, crc32c, decodeEvent, encodeEvent, frameRecord, maskCrc, readEventFile, readRecords } from '../../src/train/tensorboard';

describe('CRC32C (RFC 3720 B.4 and iSCSI test vectors)', () => {
  it('matches published vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  it('masks as TFRecord does', () => {
    // masked = rotr15(crc) + 0xa282ead8
    expect(maskCrc(0)).toBe(0xa282ead8);
    expect(maskCrc(0xe3069283)).toBe((((0xe3069283 >>> 15) | (0xe3069283 << 17)) + 0xa282ead8) >>> 0);
  });
  it('frames an empty record as TensorFlow does', () => {
    // length 0: crc32c of 8 zero bytes, masked
    const rec = frameRecord(new Uint8Array(0));
    expect(rec.length).toBe(16);
    const dv = new DataView(rec.buffer);
    expect(dv.getUint32(8, true)).toBe(maskCrc(crc32c(new Uint8Array(8))));
    expect(dv.getUint32(12, true)).toBe(maskCrc(0));
  });
});

describe('event files', () => {
  it('encodes a scalar event byte for byte like the protobuf wire format', () => {
    const b = encodeEvent({ wallTime: 1.5, step: 300, values: [{ tag: 'a', simpleValue: 2 }] });
    // field 1 double 1.5; field 2 varint 300; field 5 { field 1 { tag 'a', field 2 float 2 } }
    expect(Array.from(b)).toEqual([0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0xac, 0x02, 0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0x40]);
  });

  it('writes records it can read back, CRCs checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddsp-tb-'));
    const w = new EventWriter(dir);
    w.scalar('val_0/lsd', 12.5, 10);
    w.scalars({ 'train/spec': 1.25, 'train/total': 1.25 }, 11);
    const audio = Float32Array.from({ length: 480 }, (_, i) => Math.sin(i / 10) * 0.5);
    w.audio('val_0_resyn/0', audio, 48000, 12);
    w.image('spec', new Uint8Array(4 * 3 * 3).fill(128), 4, 3, 13);
    w.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const events = readEventFile(join(dir, files[0]));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events[1]).toMatchObject({ step: 10, values: [{ tag: 'val_0/lsd', simpleValue: 12.5 }] });
    expect(events[2].values).toEqual([{ tag: 'train/spec', simpleValue: 1.25 }, { tag: 'train/total', simpleValue: 1.25 }]);
    const a = (events[3].values![0] as any).audio;
    expect(a.sampleRate).toBe(48000);
    expect(a.lengthFrames).toBe(480);
    expect(a.contentType).toBe('audio/wav');
    expect(String.fromCharCode(...a.encoded.subarray(0, 4))).toBe('RIFF');
    const im = (events[4].values![0] as any).image;
    expect([im.width, im.height, im.colorspace]).toEqual([4, 3, 3]);
    expect(Array.from(im.encoded.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
  });

  it('rejects a corrupted record', () => {
    const rec = frameRecord(encodeEvent({ wallTime: 1, step: 1 }));
    expect(readRecords(rec)).toHaveLength(1);
    const bad = rec.slice();
    bad[14] ^= 1;
    expect(() => readRecords(bad)).toThrow(/bad payload CRC/);
    expect(decodeEvent(readRecords(rec)[0]).step).toBe(1);
  });
});
