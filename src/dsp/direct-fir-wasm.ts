// A WebAssembly SIMD direct-form FIR for the zero-latency head of the partitioned convolver (./convolution.ts),
// assembled at run time (./assemble-wasm.ts). One instance per JS realm serves every convolver: its memory holds
// the taps of the convolver that used it last, and per call the input window and the outputs.
//
// fir(h, x, y, nTaps, nGroups), pointers are byte offsets, nTaps a multiple of 4:
//   y[n] = Σ_{m < nTaps} h[m]·x[n + m] for n < 4·nGroups, float32,
// four output samples per f32x4 vector (lanes = samples, each tap one broadcast h[m] times the unaligned x[n + m..]),
// four accumulators over m mod 4 (to hide the addition latency), summed (a0 + a1) + (a2 + a3). Every output is
// computed the same way whatever its lane or the call's length, so the convolver's output does not depend on how
// the caller splits the stream into calls.

import {
  BLOCK, BR, BR_IF, END, F32X4_ADD, F32X4_MUL, I32, I32_CONST, I32_EQZ, I32_SUB, LOOP, V128, V128_LOAD,
  V128_LOAD32_SPLAT, V128_STORE, V128_ZERO, VOID, addConst, get, instantiate, memarg, moduleBytes, set,
} from './assemble-wasm';

/** The module bytes: memory of `pages` 64 KiB pages exported as 'mem', function 'fir'. */
export function directFirModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const [H, X, Y, NT, NG] = [0, 1, 2, 3, 4]; // params
  const [HP, XP, M] = [5, 6, 7]; // i32 locals
  const [A0, A1, A2, A3] = [8, 9, 10, 11]; // v128 accumulators
  // acc += h[m + r] (broadcast) · x[n + m + r .. + 4]
  const tap = (acc: number, r: number): number[] => [
    ...get(acc), ...get(HP), ...V128_LOAD32_SPLAT, ...memarg(2, 4 * r), ...get(XP), ...V128_LOAD, ...memarg(0, 4 * r),
    ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
  ];
  const body: number[] = [
    BLOCK, VOID, LOOP, VOID, // groups of 4 outputs
    ...get(NG), I32_EQZ, BR_IF, 1,
    ...V128_ZERO, ...set(A0), ...V128_ZERO, ...set(A1), ...V128_ZERO, ...set(A2), ...V128_ZERO, ...set(A3),
    ...get(H), ...set(HP), ...get(X), ...set(XP), ...get(NT), ...set(M),
    BLOCK, VOID, LOOP, VOID, // taps, four at a time
    ...get(M), I32_EQZ, BR_IF, 1,
    ...tap(A0, 0), ...tap(A1, 1), ...tap(A2, 2), ...tap(A3, 3),
    ...addConst(HP, 16), ...addConst(XP, 16),
    ...get(M), I32_CONST, 4, I32_SUB, ...set(M),
    BR, 0,
    END, END,
    ...get(Y), ...get(A0), ...get(A1), ...F32X4_ADD, ...get(A2), ...get(A3), ...F32X4_ADD, ...F32X4_ADD,
    ...V128_STORE, ...memarg(4, 0),
    ...addConst(X, 16), ...addConst(Y, 16),
    ...get(NG), I32_CONST, 1, I32_SUB, ...set(NG),
    BR, 0,
    END, END,
  ];
  return moduleBytes('fir', 5, [[3, I32], [4, V128]], body, pages);
}

/**
 * The realm's head-FIR kernel: memory laid out as taps (room for `maxTaps`), input window (maxTaps + maxChunk + 4)
 * and outputs (maxChunk + 4), float32; the offsets move when the memory grows.
 */
export class DirectFirKernel {
  /** Float32 view of the memory (renewed when it grows). */
  f32: Float32Array;
  /** Float indices of the taps, the input window and the outputs. */
  hOff = 0;
  xOff = 0;
  yOff = 0;
  /** The object whose taps are at hOff (a convolver checks it to skip copying its taps again). */
  owner: object | null = null;
  private maxTaps = 0;
  private maxChunk = 0;
  private readonly memory: WebAssembly.Memory;
  private readonly fir: (h: number, x: number, y: number, nTaps: number, nGroups: number) => void;

  constructor(memory: WebAssembly.Memory, fir: DirectFirKernel['fir']) {
    this.memory = memory;
    this.fir = fir;
    this.f32 = new Float32Array(memory.buffer);
  }

  /** Makes room for `taps` taps (a multiple of 4) and calls of up to `chunk` outputs (set-up time). */
  reserve(taps: number, chunk: number): void {
    if (taps <= this.maxTaps && chunk <= this.maxChunk) return;
    this.maxTaps = Math.max(taps, this.maxTaps);
    this.maxChunk = Math.max(chunk, this.maxChunk);
    this.hOff = 0;
    this.xOff = this.maxTaps;
    this.yOff = this.xOff + this.maxTaps + this.maxChunk + 4;
    const bytes = 4 * (this.yOff + this.maxChunk + 4);
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    this.f32 = new Float32Array(this.memory.buffer);
    this.owner = null; // the taps may have moved
  }

  /** y[0..n) from the taps at hOff (nTaps, a multiple of 4) and the window at xOff (nTaps − 1 + n samples). */
  run(nTaps: number, n: number): void {
    this.fir(4 * this.hOff, 4 * this.xOff, 4 * this.yOff, nTaps, (n + 3) >> 2);
  }
}

let shared: DirectFirKernel | null | undefined;

/** The realm's kernel with room for `maxTaps` taps and calls of `maxChunk` outputs, or null without wasm SIMD. */
export function directFirKernel(maxTaps: number, maxChunk: number): DirectFirKernel | null {
  if (shared === undefined) {
    const ex = instantiate(directFirModuleBytes(1)) as { fir: DirectFirKernel['fir']; mem: WebAssembly.Memory } | null;
    shared = ex ? new DirectFirKernel(ex.mem, ex.fir) : null;
  }
  if (shared === null) return null;
  try {
    shared.reserve(maxTaps, maxChunk);
  } catch {
    return null;
  }
  return shared;
}
