// The few pieces of the WebAssembly binary format the run-time assembled kernels (src/dsp/oscillator-wasm.ts,
// src/dsp/direct-fir-wasm.ts, src/estimator/gemv-wasm.ts) are written with: LEB128 numbers, sections, opcodes, and a module of one exported function
// and one exported memory. Assembling at run time needs no toolchain and no embedded binary, and
// `new WebAssembly.Module(bytes)` is synchronous, so the kernels also instantiate inside an AudioWorkletGlobalScope.

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

export const sleb = (n: number): number[] => {
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

// value types and opcodes
export const I32 = 0x7f;
export const V128 = 0x7b;
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const IF = 0x04;
export const END = 0x0b;
export const BR = 0x0c;
export const BR_IF = 0x0d;
export const VOID = 0x40;
export const I32_LOAD = 0x28;
export const F32_LOAD = 0x2a;
export const I32_CONST = 0x41;
export const I32_EQZ = 0x45;
export const I32_LT_S = 0x48;
export const I32_GE_S = 0x4e;
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32_MUL = 0x6c;
export const F64_CONVERT_I32_S = 0xb7;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
export const V128_LOAD = simd(0);
export const V128_LOAD32_SPLAT = simd(9);
export const V128_LOAD64_SPLAT = simd(10);
export const V128_STORE = simd(11);
export const V128_ZERO = [...simd(12), ...new Array<number>(16).fill(0)]; // v128.const 0
export const F32X4_SPLAT = simd(19);
export const F64X2_SPLAT = simd(20);
export const F64X2_LT = simd(73);
export const V128_AND = simd(78);
export const F32X4_ADD = simd(228);
export const F32X4_MUL = simd(230);
export const F64X2_ADD = simd(240);
export const F64X2_SUB = simd(241);
export const F64X2_MUL = simd(242);

export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
/** Memory immediate: log2 of the alignment, byte offset. */
export const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];
/** local i += k (i32). */
export const addConst = (i: number, k: number): number[] => [...get(i), I32_CONST, ...sleb(k), I32_ADD, ...set(i)];

/**
 * A module exporting one function `name` (nParams i32 parameters, no result; locals as [count, type] pairs; body
 * without its final `end`) and its memory of `pages` 64 KiB pages as 'mem'.
 */
export function moduleBytes(name: string, nParams: number, locals: [number, number][], body: number[],
  pages: number): Uint8Array<ArrayBuffer> {
  const func = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...body, END];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array<number[]>(nParams).fill([I32])), ...vec([])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec([[...str(name), 0x00, 0], [...str('mem'), 0x02, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ]);
}

/**
 * Compiles and instantiates `bytes` synchronously; null where WebAssembly SIMD is missing or compilation is refused
 * (e.g. a CSP without 'wasm-unsafe-eval'): the callers then run their JS loops.
 */
export function instantiate(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
  return instantiateModule(compile(bytes));
}

/** Compiles `bytes` (synchronously); null where that is refused (no WebAssembly or SIMD, a CSP). */
export function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}

/** An instance of `module` (no imports); null for a null module or a refused instantiation. */
export function instantiateModule(module: WebAssembly.Module | null): WebAssembly.Exports | null {
  try {
    return module === null ? null : new WebAssembly.Instance(module, {}).exports;
  } catch {
    return null;
  }
}
