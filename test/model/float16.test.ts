// binary16 conversion: exact values, round-to-nearest-even, subnormals, overflow.
import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from '../../src/model/float16';

describe('float16', () => {
  it('encodes known values', () => {
    const cases: [number, number][] = [[0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [0.1, 0x2e66], [1e6, 0x7c00], [-Infinity, 0xfc00], [2 ** -26, 0x0000]];
    for (const [v, bits] of cases) expect(toFloat16Bits(v).toString(16), String(v)).toBe(bits.toString(16));
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to nearest even and round-trips every finite half', () => {
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    const all = new Uint16Array(0x7c00).map((_, i) => i);
    expect(encodeFloat16(decodeFloat16(all))).toEqual(all);
  });
});
