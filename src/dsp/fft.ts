// Real FFT over PFFFT (the SIMD build of @echogarden/pffft-wasm 0.4.2), instantiated synchronously from bytes
// embedded in ./pffft-simd-wasm, so it works in Node, in a page and inside an AudioWorkletGlobalScope (which has
// WebAssembly but no fetch, atob, TextDecoder, performance or setTimeout). Sizes PFFFT refuses (not a multiple of
// 32, or with a prime factor other than 2, 3, 5) fall back to a plain JS FFT (radix-2, or Bluestein's chirp-z for
// other sizes), computed in float64.
//
// Spectrum layout (both paths): interleaved complex bins 0..floor(size/2):
//   [re0, im0, re1, im1, ..., re_{size/2}, im_{size/2}]   (length size + 2 for even sizes; size + 1 for odd).
// The inverse is scaled by 1/size, so inverse(forward(x)) == x. Imaginary parts of bin 0 (and of bin size/2 for
// even sizes) are ignored by the inverse, as numpy/torch irfft do.

import { PFFFT_SIMD_WASM_BASE64, PFFFT_SIMD_WASM_BYTES } from './pffft-simd-wasm';

// ---------------------------------------------------------------------------------------------------------------
// PFFFT runtime (one wasm instance per JS realm, created on first use)

/** The PFFFT exports this file uses. Names are minified by emscripten and fixed for pffft-wasm 0.4.2. */
interface PffftRaw {
  memory: WebAssembly.Memory;
  callCtors(): void;
  alignedMalloc(nBytes: number): number;
  alignedFree(ptr: number): void;
  simdSize(): number;
  newSetup(n: number, transform: number): number;
  destroySetup(setup: number): void;
  zconvolveAccumulate(setup: number, a: number, b: number, ab: number, scaling: number): void;
  transform(setup: number, input: number, output: number, work: number, direction: number): void;
  transformOrdered(setup: number, input: number, output: number, work: number, direction: number): void;
}

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes RFC 4648 base64 (no atob: the AudioWorkletGlobalScope has none). */
export function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const lut = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) lut[B64.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) === 61 /* = */) len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? lut[c] : -1;
    if (v < 0) throw new TypeError(`decodeBase64: invalid character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The shared PFFFT wasm instance: its exports and a Float32Array view of its heap (refreshed after growth). */
export class PffftRuntime {
  readonly raw: PffftRaw;
  private heap: Float32Array;

  constructor(raw: PffftRaw) {
    this.raw = raw;
    this.heap = new Float32Array(raw.memory.buffer);
  }

  /** The wasm heap as floats. Call again after any allocation (memory growth detaches old views). */
  heapF32(): Float32Array {
    if (this.heap.buffer !== this.raw.memory.buffer) this.heap = new Float32Array(this.raw.memory.buffer);
    return this.heap;
  }

  /**
   * Allocates nFloats 16-byte-aligned floats, zeroed (unless `zero` is false: then the caller writes them all);
   * returns the FLOAT index into heapF32().
   */
  allocFloats(nFloats: number, zero = true): number {
    const ptr = this.raw.alignedMalloc(Math.max(1, nFloats) * 4);
    if (ptr === 0) throw new RangeError(`pffft: out of wasm memory allocating ${nFloats} floats`);
    const idx = ptr >>> 2;
    if (zero) this.heapF32().fill(0, idx, idx + nFloats);
    return idx;
  }

  /** Frees a block from allocFloats (by float index). */
  freeFloats(idx: number): void {
    if (idx > 0) this.raw.alignedFree(idx << 2);
  }
}

let runtime: PffftRuntime | null | undefined;

function embeddedBytes(): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(PFFFT_SIMD_WASM_BASE64);
  if (bytes.length !== PFFFT_SIMD_WASM_BYTES) throw new Error('pffft: embedded wasm has the wrong length');
  return bytes;
}

/** The module's three imports (assert, heap resize, memcpy); `mem()` returns the instance's memory once known. */
function pffftImports(mem: () => WebAssembly.Memory | null): WebAssembly.Imports {
  return {
    a: {
      // __assert_fail(condition, filename, line, func)
      a: (_c: number, _f: number, line: number) => {
        throw new Error(`pffft: assertion failed (pffft.c:${line})`);
      },
      // emscripten_resize_heap(requestedBytes) -> bool
      b: (requested: number) => {
        const memory = mem();
        if (!memory) return 0;
        requested >>>= 0;
        const cur = memory.buffer.byteLength;
        if (requested > 2147483648) return 0;
        const target = Math.min(2147483648, Math.max(requested, Math.ceil(cur * 1.2)));
        try {
          memory.grow(Math.ceil((target - cur) / 65536));
          return 1;
        } catch {
          try {
            memory.grow(Math.ceil((requested - cur) / 65536));
            return 1;
          } catch {
            return 0;
          }
        }
      },
      // _emscripten_memcpy_js(dest, src, num)
      c: (dest: number, src: number, num: number) => {
        new Uint8Array(mem()!.buffer).copyWithin(dest, src, src + num);
      },
    },
  };
}

/** Wraps an instance's minified exports (names fixed for pffft-wasm 0.4.2) and runs its constructors. */
function wrapInstance(instance: WebAssembly.Instance): PffftRuntime {
  const e = instance.exports as Record<string, unknown>;
  const memory = e.d as WebAssembly.Memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("pffft: export 'd' is not the memory");
  const fn = (name: string) => {
    const f = e[name];
    if (typeof f !== 'function') throw new Error(`pffft: export '${name}' missing (pffft-wasm version changed?)`);
    return f as (...args: number[]) => number;
  };
  const raw: PffftRaw = {
    memory,
    callCtors: fn('e') as () => void,
    alignedMalloc: fn('f'),
    alignedFree: fn('h') as (p: number) => void,
    simdSize: fn('j'),
    newSetup: fn('k'),
    destroySetup: fn('l') as (p: number) => void,
    zconvolveAccumulate: fn('n') as PffftRaw['zconvolveAccumulate'],
    transform: fn('o') as PffftRaw['transform'],
    transformOrdered: fn('p') as PffftRaw['transformOrdered'],
  };
  raw.callCtors();
  return new PffftRuntime(raw);
}

/** Instantiates the embedded PFFFT module synchronously (worklets, workers, Node). */
function instantiatePffft(): PffftRuntime {
  const module = new WebAssembly.Module(embeddedBytes());
  let memory: WebAssembly.Memory | null = null;
  const instance = new WebAssembly.Instance(module, pffftImports(() => memory));
  memory = instance.exports.d as WebAssembly.Memory;
  return wrapInstance(instance);
}

/**
 * The shared PFFFT runtime, instantiated synchronously on first call; null when this realm cannot run it (no
 * WebAssembly, no wasm SIMD, or a browser main thread that refuses synchronous compilation of modules over 4 KB —
 * call {@link initPffft} there first), in which case transforms use the JS fallback.
 */
export function pffftRuntime(): PffftRuntime | null {
  if (runtime === undefined) {
    try {
      runtime = typeof WebAssembly === 'object' ? instantiatePffft() : null;
    } catch {
      runtime = null;
    }
  }
  return runtime;
}

/**
 * Asynchronous instantiation, for a browser main thread (Chromium refuses synchronous compilation of modules over
 * 4 KB there). Await it before constructing FFTs/convolvers; objects built earlier keep the JS fallback.
 * Resolves true when PFFFT is available. Not needed in Node, workers or an AudioWorkletGlobalScope.
 */
export async function initPffft(): Promise<boolean> {
  if (runtime) return true;
  try {
    let memory: WebAssembly.Memory | null = null;
    const module = await WebAssembly.compile(embeddedBytes());
    const instance = await WebAssembly.instantiate(module, pffftImports(() => memory));
    memory = instance.exports.d as WebAssembly.Memory;
    runtime = wrapInstance(instance);
  } catch {
    runtime = runtime ?? null;
  }
  return runtime !== null;
}

/** True when PFFFT can run a real transform of this size (a multiple of 32 whose factors are 2, 3 and 5). */
export function pffftSupportsSize(size: number): boolean {
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) return false;
  let m = size / 4;
  for (const p of [2, 3, 5]) while (m % p === 0) m /= p;
  return m === 1;
}

const registry: FinalizationRegistry<number[]> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<number[]>((held) => {
        const rt = runtime;
        if (!rt) return;
        if (held[0] !== 0) rt.raw.destroySetup(held[0]);
        for (let i = 1; i < held.length; i++) rt.freeFloats(held[i]);
      })
    : null;

/**
 * Low-level PFFFT real transform plan for convolvers: buffers live in the wasm heap (float indices into
 * `runtime.heapF32()`), spectra stay in PFFFT's internal (unordered) layout, which is what
 * {@link PffftRealPlan.convolveAccumulate} expects. Transforms are unscaled (inverse(forward(x)) = size·x).
 * Construct only for sizes where {@link pffftSupportsSize} is true and {@link pffftRuntime} is not null.
 */
export class PffftRealPlan {
  /** Transform size in samples. */
  readonly size: number;
  readonly runtime: PffftRuntime;
  private readonly setup: number;
  private readonly work: number;

  constructor(size: number) {
    const rt = pffftRuntime();
    if (!rt) throw new RangeError('PffftRealPlan: PFFFT is not available in this realm');
    if (!pffftSupportsSize(size)) {
      throw new RangeError(`PffftRealPlan: size must be a multiple of 32 with factors 2, 3, 5 only (got ${size})`);
    }
    const setup = rt.raw.newSetup(size, PFFFT_REAL);
    if (setup === 0) throw new RangeError(`PffftRealPlan: PFFFT refused size ${size}`);
    this.size = size;
    this.runtime = rt;
    this.setup = setup;
    this.work = rt.allocFloats(size);
    registry?.register(this, [setup, this.work]);
  }

  /** Forward transform heap[inIdx..+size) -> heap[outIdx..+size), PFFFT internal order (may alias). */
  forwardUnordered(inIdx: number, outIdx: number): void {
    this.runtime.raw.transform(this.setup, inIdx << 2, outIdx << 2, this.work << 2, PFFFT_FORWARD);
  }

  /** Inverse of forwardUnordered (unscaled: multiply by 1/size yourself, e.g. through convolveAccumulate). */
  inverseUnordered(inIdx: number, outIdx: number): void {
    this.runtime.raw.transform(this.setup, inIdx << 2, outIdx << 2, this.work << 2, PFFFT_BACKWARD);
  }

  /** Forward transform with the ordered layout [F0, F(size/2), re1, im1, re2, im2, ...]. */
  forwardOrdered(inIdx: number, outIdx: number): void {
    this.runtime.raw.transformOrdered(this.setup, inIdx << 2, outIdx << 2, this.work << 2, PFFFT_FORWARD);
  }

  /** Inverse of forwardOrdered (unscaled). */
  inverseOrdered(inIdx: number, outIdx: number): void {
    this.runtime.raw.transformOrdered(this.setup, inIdx << 2, outIdx << 2, this.work << 2, PFFFT_BACKWARD);
  }

  /** heap[ab] += heap[a] ⊙ heap[b] · scaling, spectra in the unordered layout (pointers may alias). */
  convolveAccumulate(aIdx: number, bIdx: number, abIdx: number, scaling: number): void {
    this.runtime.raw.zconvolveAccumulate(this.setup, aIdx << 2, bIdx << 2, abIdx << 2, scaling);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JS fallback (float64): radix-2 complex FFT, Bluestein for other sizes

class Radix2 {
  readonly n: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;

  constructor(n: number) {
    this.n = n;
    const half = Math.max(1, n >> 1);
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let i = 0; i < half; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = Math.sin((2 * Math.PI * i) / n);
    }
    this.rev = new Uint32Array(n);
    let bits = 0;
    while (1 << bits < n) bits++;
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** In-place DFT, X[k] = Σ x[j] e^{∓2πijk/n} (sign − forward, + inverse), unscaled. */
  run(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const n = this.n;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i]; re[i] = re[j]; re[j] = t;
        t = im[i]; im[i] = im[j]; im[j] = t;
      }
    }
    const sgn = inverse ? 1 : -1;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = sgn * this.sin[k * step];
          const a = start + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr; im[b] = im[a] - xi;
          re[a] += xr; im[a] += xi;
        }
      }
    }
  }
}

/** Complex DFT of any length n ≥ 1 (radix-2 when n is a power of two, else Bluestein). Allocation-free runs. */
class AnyComplexDFT {
  readonly n: number;
  private readonly pow2: Radix2 | null;
  private readonly m: number;
  private readonly conv: Radix2 | null;
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  private readonly bRe: Float64Array;
  private readonly bIm: Float64Array;
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;

  constructor(n: number) {
    this.n = n;
    if ((n & (n - 1)) === 0) {
      this.pow2 = new Radix2(n);
      this.m = 0;
      this.conv = null;
      this.chirpRe = this.chirpIm = this.bRe = this.bIm = this.wRe = this.wIm = new Float64Array(0);
      return;
    }
    this.pow2 = null;
    let m = 1;
    while (m < 2 * n - 1) m <<= 1;
    this.m = m;
    this.conv = new Radix2(m);
    // chirp c[j] = exp(-iπ j²/n), with j² reduced mod 2n for accuracy
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const q = (j * j) % (2 * n);
      this.chirpRe[j] = Math.cos((Math.PI * q) / n);
      this.chirpIm[j] = -Math.sin((Math.PI * q) / n);
    }
    this.bRe = new Float64Array(m);
    this.bIm = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      this.bRe[j] = this.chirpRe[j];
      this.bIm[j] = -this.chirpIm[j];
      if (j > 0) {
        this.bRe[m - j] = this.chirpRe[j];
        this.bIm[m - j] = -this.chirpIm[j];
      }
    }
    this.conv.run(this.bRe, this.bIm, false);
    this.wRe = new Float64Array(m);
    this.wIm = new Float64Array(m);
  }

  /** In place, unscaled; inverse uses e^{+2πijk/n}. */
  run(re: Float64Array, im: Float64Array, inverse: boolean): void {
    if (this.pow2) {
      this.pow2.run(re, im, inverse);
      return;
    }
    const n = this.n;
    const m = this.m;
    const wr = this.wRe;
    const wi = this.wIm;
    const s = inverse ? -1 : 1; // inverse: conjugate in, conjugate out
    for (let j = 0; j < n; j++) {
      const xr = re[j];
      const xi = s * im[j];
      wr[j] = xr * this.chirpRe[j] - xi * this.chirpIm[j];
      wi[j] = xr * this.chirpIm[j] + xi * this.chirpRe[j];
    }
    wr.fill(0, n, m);
    wi.fill(0, n, m);
    const conv = this.conv!;
    conv.run(wr, wi, false);
    for (let k = 0; k < m; k++) {
      const a = wr[k];
      const b = wi[k];
      wr[k] = a * this.bRe[k] - b * this.bIm[k];
      wi[k] = a * this.bIm[k] + b * this.bRe[k];
    }
    conv.run(wr, wi, true);
    const inv = 1 / m;
    for (let k = 0; k < n; k++) {
      const a = wr[k] * inv;
      const b = wi[k] * inv;
      re[k] = a * this.chirpRe[k] - b * this.chirpIm[k];
      im[k] = s * (a * this.chirpIm[k] + b * this.chirpRe[k]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Public real FFT

/** Options of {@link RealFFT}. */
export interface RealFFTOptions {
  /** 'auto' (default): PFFFT when it supports the size, else JS; 'js': always the JS fallback (for tests). */
  backend?: 'auto' | 'js';
}

/**
 * Real FFT of a fixed size. `forward`/`inverse` allocate nothing.
 *
 * Spectrum: interleaved complex bins 0..floor(size/2), length {@link RealFFT.spectrumLength}
 * (= size + 2 for even sizes). X[k] = Σ_n x[n]·e^{−2πikn/size} (unscaled); inverse scales by 1/size.
 */
export class RealFFT {
  /** Transform size in samples (any integer ≥ 1; the contract's even sizes ≥ 2 plus odd sizes). */
  readonly size: number;
  /** Length of the interleaved spectrum: 2·(floor(size/2) + 1). */
  readonly spectrumLength: number;
  /** True when PFFFT (wasm SIMD) runs this size; false for the JS fallback. */
  readonly accelerated: boolean;
  private readonly plan: PffftRealPlan | null;
  private readonly bufIn: number;
  private readonly bufOut: number;
  private readonly dft: AnyComplexDFT | null;
  private vIn: Float32Array = new Float32Array(0);
  private vOut: Float32Array = new Float32Array(0);
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number, options: RealFFTOptions = {}) {
    if (!Number.isInteger(size) || size < 1 || size > 1 << 26) {
      throw new RangeError(`RealFFT: size must be an integer in [1, 2^26] (got ${size})`);
    }
    this.size = size;
    this.spectrumLength = 2 * (Math.floor(size / 2) + 1);
    const usePffft = options.backend !== 'js' && pffftSupportsSize(size) && pffftRuntime() !== null;
    let plan: PffftRealPlan | null = null;
    if (usePffft) {
      try {
        plan = new PffftRealPlan(size);
      } catch {
        plan = null;
      }
    }
    this.plan = plan;
    this.accelerated = plan !== null;
    if (plan) {
      this.bufIn = plan.runtime.allocFloats(size);
      this.bufOut = plan.runtime.allocFloats(size);
      registry?.register(this, [0, this.bufIn, this.bufOut]);
      this.dft = null;
      this.re = this.im = new Float64Array(0);
    } else {
      this.bufIn = this.bufOut = 0;
      this.dft = new AnyComplexDFT(size);
      this.re = new Float64Array(size);
      this.im = new Float64Array(size);
    }
  }

  /** Views of the wasm input/output buffers, rebuilt only after the wasm memory grew (then vOut too). */
  private viewIn(): Float32Array {
    const buf = this.plan!.runtime.heapF32().buffer;
    if (this.vIn.buffer !== buf) {
      this.vIn = new Float32Array(buf, this.bufIn * 4, this.size);
      this.vOut = new Float32Array(buf, this.bufOut * 4, this.size);
    }
    return this.vIn;
  }

  /** x: Float32Array(size) → spectrum (interleaved, spectrumLength values). */
  forward(x: Float32Array, spectrum: Float32Array): void {
    const n = this.size;
    const half = n >> 1;
    if (this.plan) {
      const vin = this.viewIn();
      if (x.length === n) vin.set(x);
      else for (let i = 0; i < n; i++) vin[i] = x[i];
      this.plan.forwardOrdered(this.bufIn, this.bufOut);
      const vout = this.vOut;
      if (spectrum.length === n + 2) spectrum.set(vout);
      else for (let i = 0; i < n; i++) spectrum[i] = vout[i];
      // Nyquist bin: PFFFT's ordered layout keeps it at index 1. Moved with copyWithin rather than through a local:
      // per-frame callers keep this function interpreted for a while, and interpreted code boxes (allocates) every
      // fractional number it holds.
      spectrum.copyWithin(n, 1, 2);
      spectrum[1] = 0;
      spectrum[n + 1] = 0;
      return;
    }
    const re = this.re;
    const im = this.im;
    for (let i = 0; i < n; i++) {
      re[i] = x[i];
      im[i] = 0;
    }
    this.dft!.run(re, im, false);
    for (let k = 0; k <= half; k++) {
      spectrum[2 * k] = re[k];
      spectrum[2 * k + 1] = im[k];
    }
    spectrum[1] = 0;
    if ((n & 1) === 0) spectrum[n + 1] = 0;
  }

  /** spectrum (interleaved, spectrumLength values) → x (size samples), scaled by 1/size. */
  inverse(spectrum: Float32Array, x: Float32Array): void {
    const n = this.size;
    const half = n >> 1;
    const scale = 1 / n;
    if (this.plan) {
      const vin = this.viewIn();
      vin[0] = spectrum[0];
      vin[1] = spectrum[n];
      for (let i = 2; i < n; i++) vin[i] = spectrum[i];
      this.plan.inverseOrdered(this.bufIn, this.bufOut);
      const vout = this.vOut;
      for (let i = 0; i < n; i++) x[i] = vout[i] * scale;
      return;
    }
    const re = this.re;
    const im = this.im;
    re[0] = spectrum[0];
    im[0] = 0;
    for (let k = 1; k <= half; k++) {
      re[k] = spectrum[2 * k];
      im[k] = spectrum[2 * k + 1];
    }
    if ((n & 1) === 0) im[half] = 0;
    for (let k = half + 1; k < n; k++) {
      re[k] = re[n - k];
      im[k] = -im[n - k];
    }
    this.dft!.run(re, im, true);
    for (let i = 0; i < n; i++) x[i] = re[i] * scale;
  }
}

/**
 * Complex product of two interleaved spectra (the {@link RealFFT} layout), in place: a[k] ← a[k]·b[k] for every bin
 * of a (a.length / 2 bins; b at least as long). Allocates nothing; used for FFT convolution (forward both, multiply,
 * inverse).
 */
export function multiplySpectraInPlace(a: Float32Array, b: Float32Array): void {
  for (let k = 0; k < a.length; k += 2) {
    const re = a[k] * b[k] - a[k + 1] * b[k + 1];
    const im = a[k] * b[k + 1] + a[k + 1] * b[k];
    a[k] = re;
    a[k + 1] = im;
  }
}

const cache = new Map<number, RealFFT>();
function cached(n: number): RealFFT {
  let f = cache.get(n);
  if (!f) {
    if (cache.size > 32) cache.clear();
    f = new RealFFT(n);
    cache.set(n, f);
  }
  return f;
}

/**
 * Convenience real FFT (allocates): x zero-padded or truncated to n (default x.length) samples; returns the
 * interleaved spectrum of bins 0..floor(n/2) (length n + 2 for even n).
 */
export function rfft(x: Float32Array, n: number = x.length): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`rfft: n must be an integer >= 1 (got ${n})`);
  const f = cached(n);
  let input = x;
  if (x.length !== n) {
    input = new Float32Array(n);
    input.set(x.length > n ? x.subarray(0, n) : x);
  }
  const out = new Float32Array(f.spectrumLength);
  f.forward(input, out);
  return out;
}

/**
 * Convenience inverse real FFT (allocates), like torch.fft.irfft(X, n): uses bins 0..floor(n/2) of the interleaved
 * spectrum (missing bins are zero, extra bins ignored) and returns n samples scaled by 1/n.
 */
export function irfft(spectrum: Float32Array, n: number): Float32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`irfft: n must be an integer >= 1 (got ${n})`);
  const f = cached(n);
  let spec = spectrum;
  if (spectrum.length !== f.spectrumLength) {
    spec = new Float32Array(f.spectrumLength);
    spec.set(spectrum.length > spec.length ? spectrum.subarray(0, spec.length) : spectrum);
  }
  const out = new Float32Array(n);
  f.inverse(spec, out);
  return out;
}

// One transform per size, shared by every user of this realm and kept for its lifetime. A RealFFT or PffftRealPlan
// holds nothing between calls (its buffers are scratch within one transform), and everything here runs on one
// thread, so users of a size can share one. Two reasons: a RealFFT holds wasm-heap buffers that only a
// FinalizationRegistry frees, so one per call (training convolves every batch item with a 1 s IR, forward and
// backward) filled PFFFT's heap faster than the garbage collector emptied it ('pffft: out of wasm memory'); and
// planning is most of what building a model's synth costs (0.3–0.5 ms of ~0.6 ms at 44.1 kHz): a worklet plans once
// per size, not once per model load. A few dozen sizes occur in practice; past MAX_SHARED the oldest entry is
// dropped (its users keep it; the GC frees it after them).
const MAX_SHARED = 32;
const sharedFFTs = new Map<number, RealFFT>();
const sharedPlans = new Map<number, PffftRealPlan>();

function shared<T>(cache: Map<number, T>, size: number, make: (size: number) => T): T {
  let f = cache.get(size);
  if (f === undefined) {
    f = make(size);
    if (cache.size >= MAX_SHARED) cache.delete(cache.keys().next().value as number);
    cache.set(size, f);
  }
  return f;
}

/** The realm's RealFFT of `size` (default options; see above). */
export function sharedRealFFT(size: number): RealFFT {
  return shared(sharedFFTs, size, (n) => new RealFFT(n));
}

/** The realm's PffftRealPlan of `size` (see above). */
export function sharedPffftPlan(size: number): PffftRealPlan {
  return shared(sharedPlans, size, (n) => new PffftRealPlan(n));
}
