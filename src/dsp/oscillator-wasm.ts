// A WebAssembly SIMD kernel for the harmonic oscillator bank (./oscillator.ts), assembled at run time from a few
// dozen opcodes (./assemble-wasm.ts, like src/estimator/gemv-wasm.ts), so it also instantiates synchronously inside
// an AudioWorkletGlobalScope. One instance per JS realm serves every bank: its memory holds only per-call scratch
// (a call writes its inputs, runs, reads its outputs), and a realm runs one call at a time.
//
// Lanes are SAMPLES, in float64 (f64x2): the bank's sum over harmonics is a Chebyshev recurrence, serial in k and
// sensitive to rounding (the error of 2 cos φ grows along k, the more so where sin φ is small, so float32 lanes
// could not keep the bank's float64 accuracy), so each lane runs the
// same float64 recurrence as the JS kernel for its own sample, and GROUP samples (GROUP / 2 vectors) run side by
// side: their recurrences are independent, which hides part of the latency of the multiply-subtract chain.
//
// osc(a0, da, s1, c2, iv, km, lh, out, nGroups), for each group of GROUP samples (pointers are byte offsets):
//   lane j: s = s1[j] (sin φ), c = c2[j] (2 cos φ), i = iv[j] (sample index in the call), kmax = km[j];
//   acc = Σ_{k < kmax} (a0[k] + i·da[k]) · sin((k+1)φ), by sin((k+2)φ) = c·sin((k+1)φ) − sin(kφ) from sin 0 = 0;
//   out[j] = acc. lh = [min kmax, max kmax] of the group (int32): harmonics below the min run unmasked, the rest
//   masked per lane. The same operations in the same order as the JS kernel, so the sums are identical.

import {
  BLOCK, BR, BR_IF, END, F64_CONVERT_I32_S, F64X2_ADD, F64X2_LT, F64X2_MUL, F64X2_SPLAT, F64X2_SUB, I32, I32_CONST,
  I32_EQZ, I32_GE_S, I32_LOAD, I32_LT_S, I32_SUB, IF, LOOP, V128, V128_AND, V128_LOAD, V128_LOAD64_SPLAT,
  V128_STORE, V128_ZERO, VOID, addConst, get, instantiate, memarg, moduleBytes, set,
} from './assemble-wasm';

/**
 * Samples per group: GROUP / 2 f64x2 vectors side by side. Two vectors keep every value of the loop in registers;
 * four ran slower in V8 (spills to the stack inside the loop), three no faster.
 */
export const GROUP = 4;
/** Samples per kernel call (the caller splits longer spans). */
export const CHUNK = 256;

/** The module bytes: memory of `pages` 64 KiB pages exported as 'mem', function 'osc'. */
export function oscillatorModuleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const V = GROUP / 2; // vectors per group
  // params 0..8: a0, da, s1, c2, iv, km, lh, out, nGroups
  const [A0P, DAP, S1P, C2P, IVP, KMP, LHP, OUTP, NG] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // i32 locals: k, lo, hi, ap, dp
  const [K, LO, HI, AP, DP] = [9, 10, 11, 12, 13];
  // v128 locals: av, dv, t, kv, then per vector s, p, acc, c, i, km
  const AV = 14;
  const DV = 15;
  const T = 16;
  const KV = 17;
  const vl = (v: number, which: number): number => 18 + 6 * v + which;
  const S = 0, P = 1, ACC = 2, C = 3, IV = 4, KM = 5;
  const zero = V128_ZERO;
  // (av + i·dv)·s, the harmonic's term for vector v
  const term = (v: number): number[] => [
    ...get(AV), ...get(vl(v, IV)), ...get(DV), ...F64X2_MUL, ...F64X2_ADD, ...get(vl(v, S)), ...F64X2_MUL,
  ];
  // s_next = c·s − p; p = s; s = s_next
  const recur = (v: number): number[] => [
    ...get(vl(v, C)), ...get(vl(v, S)), ...F64X2_MUL, ...get(vl(v, P)), ...F64X2_SUB, ...set(T),
    ...get(vl(v, S)), ...set(vl(v, P)), ...get(T), ...set(vl(v, S)),
  ];
  const loadHarmonic = [
    ...get(AP), ...V128_LOAD64_SPLAT, ...memarg(3, 0), ...set(AV),
    ...get(DP), ...V128_LOAD64_SPLAT, ...memarg(3, 0), ...set(DV),
    ...addConst(AP, 8), ...addConst(DP, 8), ...addConst(K, 1),
  ];
  const perVector = (f: (v: number) => number[]): number[] => Array.from({ length: V }, (_, v) => f(v)).flat();
  const body: number[] = [
    BLOCK, VOID, LOOP, VOID, // groups
    ...get(NG), I32_EQZ, BR_IF, 1,
    ...perVector((v) => [
      ...get(S1P), ...V128_LOAD, ...memarg(4, 16 * v), ...set(vl(v, S)),
      ...get(C2P), ...V128_LOAD, ...memarg(4, 16 * v), ...set(vl(v, C)),
      ...get(IVP), ...V128_LOAD, ...memarg(4, 16 * v), ...set(vl(v, IV)),
      ...zero, ...set(vl(v, P)), ...zero, ...set(vl(v, ACC)),
    ]),
    ...get(LHP), I32_LOAD, ...memarg(2, 0), ...set(LO),
    ...get(LHP), I32_LOAD, ...memarg(2, 4), ...set(HI),
    ...get(A0P), ...set(AP), ...get(DAP), ...set(DP), I32_CONST, 0, ...set(K),
    // harmonics every lane sums
    BLOCK, VOID, LOOP, VOID,
    ...get(K), ...get(LO), I32_GE_S, BR_IF, 1,
    ...loadHarmonic,
    ...perVector((v) => [...get(vl(v, ACC)), ...term(v), ...F64X2_ADD, ...set(vl(v, ACC)), ...recur(v)]),
    BR, 0,
    END, END,
    // harmonics only some lanes sum (k < kmax of the lane), around a Nyquist crossing or a partial group
    ...get(K), ...get(HI), I32_LT_S, IF, VOID,
    ...perVector((v) => [...get(KMP), ...V128_LOAD, ...memarg(4, 16 * v), ...set(vl(v, KM))]),
    BLOCK, VOID, LOOP, VOID,
    ...get(K), ...get(HI), I32_GE_S, BR_IF, 1,
    ...get(K), F64_CONVERT_I32_S, ...F64X2_SPLAT, ...set(KV),
    ...loadHarmonic,
    ...perVector((v) => [
      ...get(vl(v, ACC)), ...term(v), ...get(KV), ...get(vl(v, KM)), ...F64X2_LT, ...V128_AND, ...F64X2_ADD,
      ...set(vl(v, ACC)), ...recur(v),
    ]),
    BR, 0,
    END, END,
    END,
    ...perVector((v) => [...get(OUTP), ...get(vl(v, ACC)), ...V128_STORE, ...memarg(4, 16 * v)]),
    ...addConst(S1P, 8 * GROUP), ...addConst(C2P, 8 * GROUP), ...addConst(IVP, 8 * GROUP),
    ...addConst(KMP, 8 * GROUP), ...addConst(OUTP, 8 * GROUP), ...addConst(LHP, 8),
    ...get(NG), I32_CONST, 1, I32_SUB, ...set(NG),
    BR, 0,
    END, END,
  ];
  return moduleBytes('osc', 9, [[5, I32], [4 + 6 * V, V128]], body, pages);
}

// Memory layout. Float64 indices of the per-sample arrays (CHUNK values each): sin φ, 2 cos φ, sample index in the
// call, kmax (harmonics below Nyquist), output.
export const LANE_S1 = 0;
export const LANE_C2 = CHUNK;
export const LANE_IV = 2 * CHUNK;
export const LANE_KM = 3 * CHUNK;
export const LANE_OUT = 4 * CHUNK;
/** Floats of the per-sample arrays. */
export const LANES = 5 * CHUNK;
/** Int32 index of the groups' [min kmax, max kmax] pairs. */
const LH = 2 * LANES;
/** Float64 index of the amplitudes a0, then da. */
const A0 = LANES + CHUNK / GROUP;

/**
 * The realm's oscillator kernel: its memory (the per-sample arrays, the groups' bounds, the amplitudes) and typed
 * views of it, renewed when the memory grows.
 */
export class OscillatorKernel {
  /** Harmonics the memory has room for. */
  harmonics = 0;
  f64: Float64Array;
  i32: Int32Array;
  /** Views of a0 and da (`harmonics` values each). */
  a0: Float64Array;
  da: Float64Array;
  private readonly memory: WebAssembly.Memory;
  private readonly osc: (a0: number, da: number, s1: number, c2: number, iv: number, km: number, lh: number,
    out: number, nGroups: number) => void;

  constructor(memory: WebAssembly.Memory, osc: OscillatorKernel['osc']) {
    this.memory = memory;
    this.osc = osc;
    this.f64 = this.i32 = this.a0 = this.da = null as never;
    this.views();
  }

  /** Makes room for `h` harmonics (set-up time: may grow the memory). */
  reserve(h: number): void {
    if (h <= this.harmonics) return;
    const bytes = 8 * (A0 + 2 * h);
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    this.views();
  }

  /**
   * Sums the first m samples of the per-sample arrays (LANE_*) into LANE_OUT: pads them to whole groups (kmax 0)
   * and sets each group's kmax bounds first.
   */
  run(m: number): void {
    const f = this.f64;
    const lh = this.i32;
    const nGroups = Math.ceil(m / GROUP);
    for (let j = m; j < nGroups * GROUP; j++) {
      f[LANE_S1 + j] = 0;
      f[LANE_C2 + j] = 0;
      f[LANE_IV + j] = 0;
      f[LANE_KM + j] = 0;
    }
    for (let g = 0; g < nGroups; g++) {
      let lo = f[LANE_KM + g * GROUP];
      let hi = lo;
      for (let j = 1; j < GROUP; j++) {
        const k = f[LANE_KM + g * GROUP + j];
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      lh[LH + 2 * g] = lo;
      lh[LH + 2 * g + 1] = hi;
    }
    this.osc(8 * A0, 8 * (A0 + this.harmonics), 8 * LANE_S1, 8 * LANE_C2, 8 * LANE_IV, 8 * LANE_KM, 4 * LH,
      8 * LANE_OUT, nGroups);
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.harmonics = Math.floor((buf.byteLength / 8 - A0) / 2);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.a0 = new Float64Array(buf, 8 * A0, this.harmonics);
    this.da = new Float64Array(buf, 8 * (A0 + this.harmonics), this.harmonics);
  }
}

let shared: OscillatorKernel | null | undefined;

/**
 * The realm's kernel with room for `maxHarmonics` (instantiated synchronously on first use), or null where
 * WebAssembly SIMD is unavailable or compilation is refused (then the bank runs its JS loop).
 */
export function oscillatorKernel(maxHarmonics: number): OscillatorKernel | null {
  if (shared === undefined) {
    const ex = instantiate(oscillatorModuleBytes(1)) as { osc: OscillatorKernel['osc']; mem: WebAssembly.Memory } | null;
    shared = ex ? new OscillatorKernel(ex.mem, ex.osc) : null;
  }
  if (shared === null) return null;
  try {
    shared.reserve(maxHarmonics);
  } catch {
    return null;
  }
  return shared;
}
