import { inflateSync } from 'node:zlib';

/** Decodes an 8-bit RGB, non-interlaced PNG whose rows use filter 0 (what encodePngRgb writes), checking each chunk's layout. */
export function decodePngRgb(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => png[i] === b)) throw new Error('not a PNG: bad signature');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let p = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  const types: string[] = [];
  while (p < png.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    types.push(type);
    const data = png.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      if (data[8] !== 8 || data[9] !== 2 || data[12] !== 0) throw new Error('not 8-bit RGB, non-interlaced');
    }
    if (type === 'IDAT') idat.push(data);
    p += 12 + len;
  }
  if (types[0] !== 'IHDR' || types[types.length - 1] !== 'IEND') throw new Error(`bad chunk order ${types.join(',')}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3 + 1;
  if (raw.length !== height * stride) throw new Error(`IDAT holds ${raw.length} bytes, ${height} rows need ${height * stride}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    if (raw[y * stride] !== 0) throw new Error(`row ${y}: filter ${raw[y * stride]}`);
    rgb.set(raw.subarray(y * stride + 1, (y + 1) * stride), y * width * 3);
  }
  return { width, height, rgb };
}

/** Pixels of exactly colour `c` in rows [y0, y1): their count and the columns they cover. */
export function pixelsOf(img: { width: number; rgb: Uint8Array }, c: readonly number[], y0: number, y1: number): { count: number; columns: Set<number>; rows: number[][] } {
  const columns = new Set<number>();
  const rows: number[][] = Array.from({ length: img.width }, () => []);
  let count = 0;
  for (let y = y0; y < y1; y++) for (let x = 0; x < img.width; x++) {
    const o = (y * img.width + x) * 3;
    if (img.rgb[o] === c[0] && img.rgb[o + 1] === c[1] && img.rgb[o + 2] === c[2]) { count++; columns.add(x); rows[x].push(y); }
  }
  return { count, columns, rows };
}
