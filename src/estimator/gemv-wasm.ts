// A WebAssembly SIMD matrix-vector kernel for the realtime estimator, assembled here from a few dozen opcodes
// (no toolchain, no embedded binary): `new WebAssembly.Module(bytes)` is synchronous, so it also works inside an
// AudioWorkletGlobalScope. Each instance owns its linear memory, sized once for one network's weights.
//
// gemv(w, x, y, b, nBlocks, cols): for each of nBlocks 8-row panels (weights interleaved [cols][8] floats),
//   y[0..8) = Σ_j w[j][0..8) · x[j] + b[0..8), then w += cols·8, y += 8, b += 8.
// `cols` must be a multiple of 2 (the loop is unrolled by two, four f32x4 accumulators). Pointers are byte
// offsets, 16-byte aligned. Accumulation in float32.

/** The instantiated kernel and its memory. */
export interface WasmGemv {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets (16-aligned); cols even. */
  gemv(w: number, x: number, y: number, b: number, nBlocks: number, cols: number): void;
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// opcodes
const I32 = 0x7f;
const V128 = 0x7b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_EQZ = 0x45;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const F32_LOAD = 0x2a;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, ...uleb(0)];
const V128_STORE = [SIMD, ...uleb(11)];
const V128_CONST = [SIMD, ...uleb(12)];
const F32X4_SPLAT = [SIMD, ...uleb(19)];
const F32X4_ADD = [SIMD, ...uleb(228)];
const F32X4_MUL = [SIMD, ...uleb(230)];

/** The module bytes (memory of `pages` 64 KiB pages, exported as 'mem'; function 'gemv'). */
export function gemvModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  // params: 0 w, 1 x, 2 y, 3 b, 4 nBlocks, 5 cols; locals: 6 j, 7 xp (i32); 8..11 acc0..acc3, 12 xv (v128)
  const [W, X, Y, B, N, C, J, XP, A0, A1, A2, A3, XV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const get = (i: number): number[] => [LOCAL_GET, i];
  const set = (i: number): number[] => [LOCAL_SET, i];
  const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];
  const zero = [...V128_CONST, ...new Array<number>(16).fill(0)];
  // acc += load(w + off) * xv
  const fma = (acc: number, off: number): number[] => [
    ...get(acc), ...get(W), ...V128_LOAD, ...memarg(4, off), ...get(XV), ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
  ];
  const addConst = (i: number, k: number): number[] => [...get(i), I32_CONST, ...sleb(k), I32_ADD, ...set(i)];
  const body: number[] = [
    BLOCK, VOID,
    LOOP, VOID,
    ...get(N), I32_EQZ, BR_IF, 1,
    ...zero, ...set(A0), ...zero, ...set(A1), ...zero, ...set(A2), ...zero, ...set(A3),
    ...get(X), ...set(XP),
    ...get(C), ...set(J),
    LOOP, VOID,
    ...get(XP), F32_LOAD, ...memarg(2, 0), ...F32X4_SPLAT, ...set(XV),
    ...fma(A0, 0), ...fma(A1, 16),
    ...get(XP), F32_LOAD, ...memarg(2, 4), ...F32X4_SPLAT, ...set(XV),
    ...fma(A2, 32), ...fma(A3, 48),
    ...addConst(W, 64), ...addConst(XP, 8),
    ...get(J), I32_CONST, ...sleb(2), I32_SUB, ...set(J),
    ...get(J), BR_IF, 0,
    END,
    // y[0..4) = a0 + a2 + b[0..4);  y[4..8) = a1 + a3 + b[4..8)
    ...get(Y), ...get(A0), ...get(A2), ...F32X4_ADD, ...get(B), ...V128_LOAD, ...memarg(4, 0), ...F32X4_ADD, ...V128_STORE, ...memarg(4, 0),
    ...get(Y), ...get(A1), ...get(A3), ...F32X4_ADD, ...get(B), ...V128_LOAD, ...memarg(4, 16), ...F32X4_ADD, ...V128_STORE, ...memarg(4, 16),
    ...addConst(Y, 32), ...addConst(B, 32),
    ...get(N), I32_CONST, ...sleb(1), I32_SUB, ...set(N),
    BR, 0,
    END,
    END,
  ];
  const locals = vec([[...uleb(2), I32], [...uleb(5), V128]]);
  const func = [...locals, ...body, END];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec([[...str('gemv'), 0x00, 0], [...str('mem'), 0x02, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ];
  return new Uint8Array(bytes);
}

let simdSupported: boolean | undefined;

/** True when this JS engine compiles WebAssembly SIMD (checked once). */
export function wasmSimdSupported(): boolean {
  if (simdSupported === undefined) {
    try {
      simdSupported = typeof WebAssembly === 'object' && WebAssembly.validate(gemvModuleBytes(1));
    } catch {
      simdSupported = false;
    }
  }
  return simdSupported;
}

/**
 * Instantiates the kernel with a memory of at least `bytes` bytes (synchronous). Returns null when WebAssembly
 * SIMD is unavailable or compilation is refused (e.g. a CSP without 'wasm-unsafe-eval').
 */
export function createWasmGemv(bytes: number): WasmGemv | null {
  if (!wasmSimdSupported()) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    const module = new WebAssembly.Module(gemvModuleBytes(pages));
    const inst = new WebAssembly.Instance(module, {});
    const ex = inst.exports as unknown as { gemv: WasmGemv['gemv']; mem: WebAssembly.Memory };
    return { memory: ex.mem, gemv: ex.gemv };
  } catch {
    return null;
  }
}
