// A WebAssembly SIMD matrix-vector kernel for the realtime estimator, assembled here from a few dozen opcodes
// (no toolchain, no embedded binary): `new WebAssembly.Module(bytes)` is synchronous, so it also works inside an
// AudioWorkletGlobalScope. Each instance owns its linear memory, sized once for one network's weights.
//
// gemv(w, x, y, b, nBlocks, cols): for each of nBlocks 8-row panels (weights interleaved [cols][8] floats),
//   y[0..8) = Σ_j w[j][0..8) · x[j] + b[0..8), then w += cols·8, y += 8, b += 8.
// `cols` must be a multiple of 2 (the loop is unrolled by two, four f32x4 accumulators). Pointers are byte
// offsets, 16-byte aligned. Accumulation in float32.

import {
  BLOCK, BR, BR_IF, END, F32_LOAD, F32X4_ADD, F32X4_MUL, F32X4_SPLAT, I32, I32_CONST, I32_EQZ, I32_SUB, LOOP, V128,
  V128_LOAD, V128_STORE, V128_ZERO, VOID, addConst, compile, get, instantiateModule, memarg, moduleBytes, set, sleb,
} from '../dsp/assemble-wasm';

/** The instantiated kernel and its memory. */
export interface WasmGemv {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets (16-aligned); cols even. */
  gemv(w: number, x: number, y: number, b: number, nBlocks: number, cols: number): void;
}

/** The module bytes (memory of `pages` 64 KiB pages, exported as 'mem'; function 'gemv'). */
export function gemvModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  // params: 0 w, 1 x, 2 y, 3 b, 4 nBlocks, 5 cols; locals: 6 j, 7 xp (i32); 8..11 acc0..acc3, 12 xv (v128)
  const [W, X, Y, B, N, C, J, XP, A0, A1, A2, A3, XV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  // acc += load(w + off) * xv
  const fma = (acc: number, off: number): number[] => [
    ...get(acc), ...get(W), ...V128_LOAD, ...memarg(4, off), ...get(XV), ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
  ];
  const body: number[] = [
    BLOCK, VOID,
    LOOP, VOID,
    ...get(N), I32_EQZ, BR_IF, 1,
    ...V128_ZERO, ...set(A0), ...V128_ZERO, ...set(A1), ...V128_ZERO, ...set(A2), ...V128_ZERO, ...set(A3),
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
  return moduleBytes('gemv', 6, [[2, I32], [5, V128]], body, pages);
}

/**
 * Instantiates the kernel with a memory of at least `bytes` bytes (synchronous). Returns null when WebAssembly
 * SIMD is unavailable or compilation is refused (e.g. a CSP without 'wasm-unsafe-eval').
 */
export function createWasmGemv(bytes: number): WasmGemv | null {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  let module = modules.get(pages);
  if (module === undefined) {
    module = compile(gemvModuleBytes(pages));
    if (modules.size >= 8) modules.clear();
    modules.set(pages, module);
  }
  const ex = instantiateModule(module) as { gemv: WasmGemv['gemv']; mem: WebAssembly.Memory } | null;
  return ex ? { memory: ex.mem, gemv: ex.gemv } : null;
}

/** The kernel compiled per memory size (null: refused), so that a model loaded again only instantiates it. */
const modules = new Map<number, WebAssembly.Module | null>();
