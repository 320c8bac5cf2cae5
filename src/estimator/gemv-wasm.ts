// A WebAssembly SIMD matrix kernel for the realtime estimator, assembled here from a few dozen opcodes (no
// toolchain, no embedded binary): `new WebAssembly.Module(bytes)` is synchronous, so it also works inside an
// AudioWorkletGlobalScope. Each instance owns its linear memory, sized once for one network's weights.
//
// gemm(w, x, y, b, nBlocks, cols, rows, xStride, yStride): for each of nBlocks 8-row panels (weights interleaved
//   [cols][8] floats) and each of `rows` input vectors x_r = x + r·xStride (bytes),
//   y_r[0..8) = Σ_j w[j][0..8) · x_r[j] + b[0..8), then w += cols·8, y += 8, b += 8.
// rows = 1 is the matrix-vector product of one frame; more rows (the voices of a polyphonic engine) reuse each
// panel while it is in the L1 cache. Every row is summed in the same order whatever `rows` is (four f32x4
// accumulators: even and odd columns, rows 0–3 and 4–7), so a row's result does not depend on the rows beside it.
// (Two rows per weight load, eight accumulators, was tried and ran at 9 GMAC/s against 16 for one row: V8 spills
// them. On the machine of docs/performance.md the one-row loop is bound by arithmetic, not by weight loads, so
// batching saves calls and cache misses, not multiply-adds.) `cols` must be a multiple of 2. Pointers are byte
// offsets, 16-byte aligned. Accumulation in float32.

import {
  BLOCK, BR, BR_IF, END, F32X4_ADD, F32X4_MUL, I32, I32_ADD, I32_CONST, I32_EQZ, I32_LT_S, I32_MUL, I32_SUB, LOOP,
  V128, V128_LOAD, V128_LOAD32_SPLAT, V128_STORE, V128_ZERO, VOID, addConst, compile, get, instantiateModule, memarg,
  moduleBytes, set, sleb,
} from '../dsp/assemble-wasm';

/** The instantiated kernel and its memory. */
export interface WasmGemm {
  readonly memory: WebAssembly.Memory;
  /** Byte offsets (16-aligned), strides in bytes; cols even. */
  gemm(w: number, x: number, y: number, b: number, nBlocks: number, cols: number, rows: number, xStride: number,
    yStride: number): void;
}

/** The module bytes (memory of `pages` 64 KiB pages, exported as 'mem'; function 'gemm'). */
export function gemmModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  // params: 0 w, 1 x, 2 y, 3 b, 4 nBlocks, 5 cols, 6 rows, 7 xStride, 8 yStride
  // locals: (i32) 9 j, 10 xp, 11 r, 12 xr, 13 yr, 14 wp; (v128) 15..18 acc0..acc3, 19 xv
  const [W, X, Y, B, N, C, R, XS, YS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, XP, RL, XR, YR, WP] = [9, 10, 11, 12, 13, 14];
  const [A0, A1, A2, A3, XV] = [15, 16, 17, 18, 19];
  // acc += load(wp + off) * xv
  const fma = (acc: number, off: number): number[] => [
    ...get(acc), ...get(WP), ...V128_LOAD, ...memarg(4, off), ...get(XV), ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
  ];
  const body: number[] = [
    BLOCK, VOID,
    LOOP, VOID,
    ...get(N), I32_EQZ, BR_IF, 1,
    ...get(X), ...set(XR), ...get(Y), ...set(YR), ...get(R), ...set(RL),
    BLOCK, VOID,
    LOOP, VOID,
    ...get(RL), I32_EQZ, BR_IF, 1,
    ...V128_ZERO, ...set(A0), ...V128_ZERO, ...set(A1), ...V128_ZERO, ...set(A2), ...V128_ZERO, ...set(A3),
    ...get(XR), ...set(XP), ...get(W), ...set(WP), ...get(C), ...set(J),
    LOOP, VOID,
    ...get(XP), ...V128_LOAD32_SPLAT, ...memarg(2, 0), ...set(XV),
    ...fma(A0, 0), ...fma(A1, 16),
    ...get(XP), ...V128_LOAD32_SPLAT, ...memarg(2, 4), ...set(XV),
    ...fma(A2, 32), ...fma(A3, 48),
    ...addConst(WP, 64), ...addConst(XP, 8),
    ...get(J), I32_CONST, ...sleb(2), I32_SUB, ...set(J),
    ...get(J), BR_IF, 0,
    END,
    // y_r[0..4) = a0 + a2 + b[0..4);  y_r[4..8) = a1 + a3 + b[4..8)
    ...get(YR), ...get(A0), ...get(A2), ...F32X4_ADD, ...get(B), ...V128_LOAD, ...memarg(4, 0), ...F32X4_ADD, ...V128_STORE, ...memarg(4, 0),
    ...get(YR), ...get(A1), ...get(A3), ...F32X4_ADD, ...get(B), ...V128_LOAD, ...memarg(4, 16), ...F32X4_ADD, ...V128_STORE, ...memarg(4, 16),
    ...get(XR), ...get(XS), I32_ADD, ...set(XR), ...get(YR), ...get(YS), I32_ADD, ...set(YR),
    ...get(RL), I32_CONST, ...sleb(1), I32_SUB, ...set(RL),
    BR, 0,
    END,
    END,
    ...get(C), I32_CONST, ...sleb(32), I32_MUL, ...get(W), I32_ADD, ...set(W),
    ...addConst(Y, 32), ...addConst(B, 32),
    ...get(N), I32_CONST, ...sleb(1), I32_SUB, ...set(N),
    BR, 0,
    END,
    END,
  ];
  return moduleBytes('gemm', 9, [[6, I32], [5, V128]], body, pages);
}

/**
 * Instantiates the kernel with a memory of at least `bytes` bytes (synchronous). Returns null when WebAssembly
 * SIMD is unavailable or compilation is refused (e.g. a CSP without 'wasm-unsafe-eval').
 */
export function createWasmGemm(bytes: number): WasmGemm | null {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  let module = modules.get(pages);
  if (module === undefined) {
    module = compile(gemmModuleBytes(pages));
    if (modules.size >= 8) modules.clear();
    modules.set(pages, module);
  }
  const ex = instantiateModule(module) as { gemm: WasmGemm['gemm']; mem: WebAssembly.Memory } | null;
  return ex ? { memory: ex.mem, gemm: ex.gemm } : null;
}

/** The kernel compiled per memory size (null: refused), so that a model loaded again only instantiates it. */
const modules = new Map<number, WebAssembly.Module | null>();
