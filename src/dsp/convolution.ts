// Convolution: a batch FFT convolution and a zero-latency uniformly partitioned convolver for long IRs (the
// seed's reverb does one 65536-point FFT per call; SEED-NOTES §5).
//
// PartitionedConvolver, partition size B (default 128):
//  - head: the first min(B, L) taps run as a direct-form FIR on each sample, so output sample t depends on input
//    sample t in the same call (zero latency, any call size, even a call of 1 sample);
//  - tail: taps [B, L) are split into P−1 partitions of B taps. Their spectra (FFT size 2B, PFFFT's internal
//    layout) are computed when the IR is set. Each time a block of B input samples completes, one forward FFT of
//    the last 2B inputs enters a frequency-domain delay line, P−1 spectral multiply-adds (pffft
//    zconvolve_accumulate) and one inverse FFT give the tail's contribution to the NEXT B output samples, which
//    only need inputs up to the completed block. Work per completed block is constant: 2 FFTs of 2B points and
//    P−1 spectral MACs; there is never a larger FFT.
// process() allocates nothing; non-finite input samples are treated as 0 so they cannot poison the history.

import { PffftRealPlan, RealFFT, multiplySpectraInPlace, pffftRuntime, pffftSupportsSize } from './fft';

function sanitize(v: number): number {
  return v === v && v - v === 0 ? v : 0;
}

/** Smallest FFT size ≥ n that PFFFT runs fast: 32 · 2^a · 3^b · 5^c (powers of two below 32 for tiny n). */
function fastSize(n: number): number {
  if (n <= 32) {
    let m = 1;
    while (m < n) m <<= 1;
    return m;
  }
  let best = Infinity;
  for (let p3 = 1; p3 < 2 * n; p3 *= 3) {
    for (let p5 = p3; p5 < 2 * n; p5 *= 5) {
      let m = 32 * p5;
      while (m < n) m *= 2;
      if (m < best) best = m;
    }
  }
  return best;
}

// One RealFFT per transform size, kept for the module's lifetime: a RealFFT holds wasm-heap buffers that only a
// FinalizationRegistry frees, so one per call (training convolves every batch item with a 1 s IR, forward and
// backward) filled PFFFT's heap faster than the garbage collector emptied it ('pffft: out of wasm memory').
// A handful of sizes occur in practice; past MAX_CACHED_FFTS the oldest entry is dropped (then freed by the GC).
const MAX_CACHED_FFTS = 8;
const fftCache = new Map<number, RealFFT>();

function cachedFFT(size: number): RealFFT {
  let f = fftCache.get(size);
  if (f === undefined) {
    if (fftCache.size >= MAX_CACHED_FFTS) fftCache.delete(fftCache.keys().next().value as number);
    f = new RealFFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/**
 * Full linear convolution of a and b (length a.length + b.length − 1; empty if either is empty), FFT based
 * (direct float64 sum for small sizes). Non-finite inputs are treated as 0. The FFT of each size is created once
 * and reused: calls allocate no wasm memory after the first of a size.
 */
export function fftConvolve(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0 || b.length === 0) return new Float32Array(0);
  const n = a.length + b.length - 1;
  if (Math.min(a.length, b.length) <= 16 || a.length * b.length <= 65536) {
    const out = new Float64Array(n);
    for (let i = 0; i < a.length; i++) {
      const x = sanitize(a[i]);
      if (x === 0) continue;
      for (let j = 0; j < b.length; j++) out[i + j] += x * sanitize(b[j]);
    }
    return Float32Array.from(out);
  }
  const M = fastSize(n);
  const fft = cachedFFT(M);
  const xa = new Float32Array(M);
  const xb = new Float32Array(M);
  for (let i = 0; i < a.length; i++) xa[i] = sanitize(a[i]);
  for (let i = 0; i < b.length; i++) xb[i] = sanitize(b[i]);
  const A = new Float32Array(fft.spectrumLength);
  const B = new Float32Array(fft.spectrumLength);
  fft.forward(xa, A);
  fft.forward(xb, B);
  multiplySpectraInPlace(A, B);
  fft.inverse(A, xa);
  return xa.slice(0, n);
}

const registry: FinalizationRegistry<number[]> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<number[]>((held) => {
        const rt = pffftRuntime();
        if (rt) for (const idx of held) rt.freeFloats(idx);
      })
    : null;

/**
 * Zero-latency uniformly partitioned convolver (direct-form head + FFT partitions with precomputed IR spectra),
 * any call size n ≥ 0: out[i] = Σ_j ir[j]·x[t−j] for the stream's running sample index t. Suited to IRs of several
 * seconds (48000+ taps). process() allocates nothing and never throws.
 * Constructor: ir (any length ≥ 0), partitionSize B (multiple of 16 in [16, 16384], default 128); `options.backend`
 * 'js' forces the plain-JS FFT path that realms without wasm SIMD use (for tests).
 */
export class PartitionedConvolver {
  /** Partition size B in samples (also the direct-form head length). */
  readonly partitionSize: number;
  private irLength = 0;
  private headLen = 0;
  private nTail = 0; // P − 1 tail partitions
  private capacity = 0; // tail partitions allocated
  private headRev: Float32Array; // head taps reversed: headRev[m] = ir[headLen − 1 − m]
  private readonly xbuf: Float32Array; // [previous block | current block], 2B
  private readonly tailOut: Float32Array; // tail contribution for the current block, B
  private pos = 0;
  private fdlHead = 0; // slot of the newest input spectrum
  // PFFFT path (wasm heap float indices)
  private readonly plan: PffftRealPlan | null;
  private irSpec = 0;
  private fdl = 0;
  private work = 0; // 2B: FFT input / inverse output
  private acc = 0; // 2B accumulator
  private held: number[] = [];
  // JS fallback path (ordered interleaved spectra, 2B + 2 floats each)
  private readonly jsFft: RealFFT | null;
  private jsIrSpec: Float32Array = new Float32Array(0);
  private jsFdl: Float32Array = new Float32Array(0);
  private readonly jsAcc: Float32Array;
  private readonly jsTime: Float32Array;
  private readonly jsSpec: Float32Array;

  constructor(ir: Float32Array, partitionSize = 128, options: { backend?: 'auto' | 'js' } = {}) {
    if (!Number.isInteger(partitionSize) || partitionSize < 16 || partitionSize > 16384 || partitionSize % 16 !== 0) {
      throw new RangeError(`PartitionedConvolver: partitionSize must be a multiple of 16 in [16, 16384] (got ${partitionSize})`);
    }
    if (!(ir instanceof Float32Array)) throw new TypeError('PartitionedConvolver: ir must be a Float32Array');
    const B = partitionSize;
    this.partitionSize = B;
    this.xbuf = new Float32Array(2 * B);
    this.tailOut = new Float32Array(B);
    this.headRev = new Float32Array(B);
    const usePffft = options.backend !== 'js' && pffftRuntime() !== null && pffftSupportsSize(2 * B);
    this.plan = usePffft ? new PffftRealPlan(2 * B) : null;
    this.jsFft = usePffft ? null : new RealFFT(2 * B);
    this.jsAcc = new Float32Array(usePffft ? 0 : 2 * B + 2);
    this.jsTime = new Float32Array(usePffft ? 0 : 2 * B);
    this.jsSpec = new Float32Array(usePffft ? 0 : 2 * B + 2);
    if (this.plan) {
      const rt = this.plan.runtime;
      this.work = rt.allocFloats(2 * B);
      this.acc = rt.allocFloats(2 * B);
      this.held = [this.work, this.acc];
      registry?.register(this, this.held, this);
    }
    this.setIR(ir);
  }

  /** IR length in taps. */
  get length(): number {
    return this.irLength;
  }

  /**
   * Replaces the impulse response (off the audio thread or at construction: may allocate). If the number of
   * partitions is unchanged the input history is kept (the output continues as the convolution of the past input
   * with the new IR); otherwise the state is reset. Non-finite taps are treated as 0.
   */
  setIR(ir: Float32Array): void {
    const B = this.partitionSize;
    const L = ir.length;
    const nTail = L > B ? Math.ceil((L - B) / B) : 0;
    const keep = nTail === this.nTail && this.irLength > 0;
    this.irLength = L;
    this.headLen = Math.min(B, L);
    this.headRev.fill(0);
    for (let m = 0; m < this.headLen; m++) this.headRev[m] = sanitize(ir[this.headLen - 1 - m]);
    if (nTail > this.capacity) this.allocTail(nTail);
    this.nTail = nTail;
    // partition spectra
    if (this.plan) {
      const rt = this.plan.runtime;
      for (let p = 0; p < nTail; p++) {
        const heap = rt.heapF32();
        const w = this.work;
        heap.fill(0, w, w + 2 * B);
        const start = B + p * B;
        const end = Math.min(L, start + B);
        for (let i = start; i < end; i++) heap[w + i - start] = sanitize(ir[i]);
        this.plan.forwardUnordered(w, this.irSpec + p * 2 * B);
      }
    } else {
      const fft = this.jsFft!;
      const S = 2 * B + 2;
      for (let p = 0; p < nTail; p++) {
        const t = this.jsTime;
        t.fill(0);
        const start = B + p * B;
        const end = Math.min(L, start + B);
        for (let i = start; i < end; i++) t[i - start] = sanitize(ir[i]);
        fft.forward(t, this.jsIrSpec.subarray(p * S, (p + 1) * S));
      }
    }
    if (!keep) this.reset();
  }

  private allocTail(nTail: number): void {
    const B = this.partitionSize;
    if (this.plan) {
      const rt = this.plan.runtime;
      rt.freeFloats(this.irSpec);
      rt.freeFloats(this.fdl);
      this.irSpec = rt.allocFloats(nTail * 2 * B);
      this.fdl = rt.allocFloats(nTail * 2 * B);
      this.held.length = 2;
      this.held.push(this.irSpec, this.fdl);
    } else {
      this.jsIrSpec = new Float32Array(nTail * (2 * B + 2));
      this.jsFdl = new Float32Array(nTail * (2 * B + 2));
    }
    this.capacity = nTail;
  }

  /** Clears the input history (silence before the next sample). */
  reset(): void {
    this.xbuf.fill(0);
    this.tailOut.fill(0);
    this.pos = 0;
    this.fdlHead = 0;
    const B = this.partitionSize;
    if (this.plan) {
      if (this.capacity > 0) this.plan.runtime.heapF32().fill(0, this.fdl, this.fdl + this.capacity * 2 * B);
    } else {
      this.jsFdl.fill(0);
    }
  }

  /**
   * Convolves n samples: input[inOffset..+n) → output[outOffset..+n), adding into output if `accumulate`, else
   * writing. input and output may be the same array at the same offset.
   */
  process(input: Float32Array, inOffset: number, output: Float32Array, outOffset: number, n: number,
    accumulate = false): void {
    const B = this.partitionSize;
    const xbuf = this.xbuf;
    const h = this.headRev;
    const hl = this.headLen;
    const tail = this.tailOut;
    let i = 0;
    while (i < n) {
      const pos = this.pos;
      const chunk = Math.min(n - i, B - pos);
      const base = B + pos;
      for (let j = 0; j < chunk; j++) xbuf[base + j] = sanitize(input[inOffset + i + j]);
      for (let j = 0; j < chunk; j++) {
        const q0 = base + j - hl + 1; // oldest input the head reads
        let s = tail[pos + j];
        for (let m = 0; m < hl; m++) s += h[m] * xbuf[q0 + m];
        if (accumulate) output[outOffset + i + j] += s;
        else output[outOffset + i + j] = s;
      }
      i += chunk;
      this.pos = pos + chunk;
      if (this.pos === B) this.blockComplete();
    }
  }

  private blockComplete(): void {
    const B = this.partitionSize;
    const xbuf = this.xbuf;
    const nTail = this.nTail;
    if (nTail > 0) {
      const slot = this.fdlHead = (this.fdlHead + 1) % nTail;
      if (this.plan) {
        const plan = this.plan;
        let heap = plan.runtime.heapF32();
        const w = this.work;
        const acc = this.acc;
        const S = 2 * B;
        heap.set(xbuf, w);
        plan.forwardUnordered(w, this.fdl + slot * S);
        heap.fill(0, acc, acc + S);
        const scale = 1 / S;
        // partition p (1..nTail) pairs with the input spectrum p − 1 blocks old
        let s = slot;
        for (let p = 0; p < nTail; p++) {
          plan.convolveAccumulate(this.fdl + s * S, this.irSpec + p * S, acc, scale);
          s = s === 0 ? nTail - 1 : s - 1;
        }
        plan.inverseUnordered(acc, w);
        heap = plan.runtime.heapF32();
        const tail = this.tailOut;
        for (let j = 0; j < B; j++) tail[j] = heap[w + B + j];
      } else {
        const fft = this.jsFft!;
        const S = 2 * B + 2;
        const fdl = this.jsFdl;
        const spec = this.jsIrSpec;
        fft.forward(xbuf, this.jsSpec);
        fdl.set(this.jsSpec, slot * S);
        const acc = this.jsAcc;
        acc.fill(0);
        let s = slot;
        for (let p = 0; p < nTail; p++) {
          const xo = s * S;
          const ho = p * S;
          for (let k = 0; k < S; k += 2) {
            const xr = fdl[xo + k];
            const xi = fdl[xo + k + 1];
            const hr = spec[ho + k];
            const hi = spec[ho + k + 1];
            acc[k] += xr * hr - xi * hi;
            acc[k + 1] += xr * hi + xi * hr;
          }
          s = s === 0 ? nTail - 1 : s - 1;
        }
        const t = this.jsTime;
        fft.inverse(acc, t);
        for (let j = 0; j < B; j++) this.tailOut[j] = t[B + j];
      }
    }
    xbuf.copyWithin(0, B, 2 * B);
    this.pos = 0;
  }

  /** Frees the wasm memory now (also done by a FinalizationRegistry when the object is collected). */
  dispose(): void {
    if (!this.plan) return;
    const rt = this.plan.runtime;
    registry?.unregister(this);
    for (const idx of this.held) rt.freeFloats(idx);
    this.held = [];
    this.capacity = 0;
    this.nTail = 0;
  }
}
