// Convolution: a batch FFT convolution and a zero-latency non-uniformly partitioned convolver for long IRs (the
// seed's reverb does one 65536-point FFT per call; SEED-NOTES §5).
//
// PartitionedConvolver, base partition size B (default 128), IR of L taps:
//  - layout: the IR is cut into segments of equal partitions whose size grows along the IR (Gardner; Wefers,
//    "Partitioned convolution algorithms for real-time auralization", 2015): segment 0 has partitions of B taps
//    from tap 0, segment i ≥ 1 partitions of N_i = B·2^a taps from tap 2·N_i, up to the next segment's start (the
//    last one to L). Each segment costs about (2 FFTs of 2N + one spectral multiply-add per partition) per N
//    samples, so long tails in large partitions need several times fewer operations per sample than B-sized ones
//    (a 1 s IR at 48 kHz: 128/512/4096 × 8/14/10 partitions instead of 375 of 128). The sizes are chosen per IR
//    by a cost model (chooseLayout) among powers of two up to maxPartitionSize.
//  - head (taps [0, B)), zero latency: a direct-form FIR per output sample (output t depends on input t in the same
//    call, even a call of 1 sample), in a WebAssembly SIMD kernel (./direct-fir-wasm.ts, float32, 4 samples per
//    vector) where available, else in JS. Every output sample is computed the same way whatever the calls' lengths,
//    so the output does not depend on how the stream is split into calls (a frequency-domain head per call would
//    make it depend on that, up to rounding).
//  - segment 0 (B-partitions 1..): when a B-block completes, its window spectrum enters a frequency-domain delay
//    line and the multiply-adds for the NEXT block's tail spectrum are done (they only need completed inputs); one
//    inverse FFT at the next block's first sample turns it into that block's tail.
//  - segment i ≥ 1: every N_i samples a window of 2N_i inputs completes; its forward FFT, the multiply-adds and the
//    inverse FFT are spread over the N_i/B block completions that follow (Q_i steps, tasks evenly distributed), and
//    the result is the segment's output for the N_i samples after that — in time because the segment starts at
//    tap 2·N_i. Double-buffered: one period's result is read while the next is computed. No block does a
//    segment's whole work, so the worst block stays close to the mean (one FFT of the largest size at most).
// Overlap-save throughout: a window of 2N inputs times an N-tap partition zero-padded to 2N; the last N outputs of
// the inverse are valid. process() allocates nothing; non-finite input samples are treated as 0 so they cannot
// poison the history.

import { directFirKernel, type DirectFirKernel } from './direct-fir-wasm';
import {
  PffftRealPlan, RealFFT, multiplySpectraInPlace, pffftRuntime, pffftSupportsSize, sharedPffftPlan, sharedRealFFT, type PffftRuntime,
} from './fft';
import { fillLater, type DeferTo } from './deferred';

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
  const fft = sharedRealFFT(M);
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

/** One segment of a {@link PartitionedConvolver}'s layout: `count` partitions of `size` taps from tap `offset`. */
export interface ConvolverSegment {
  readonly size: number;
  readonly offset: number;
  readonly count: number;
}

// Cost model of one segment per output sample, in ns, from PFFFT timings on x86-64 (a real FFT of S points
// ≈ 0.1·S·log2 S ns, a spectral multiply-add of S floats ≈ 0.18·S ns, each ~20 ns of call overhead). Only the
// ratios matter: they decide which layout is cheapest, not how fast it runs.
function segmentCost(size: number, count: number): number {
  const S = 2 * size;
  return (2 * (0.1 * S * Math.log2(S) + 20) + count * (0.18 * S + 20)) / size;
}

/**
 * The cheapest layout (by segmentCost) for an IR of `length` taps: segment 0 of B-tap partitions from tap 0, then
 * segments of partitions B·2^a ≤ maxSize, each starting at twice its partition size (the delay its work spread
 * needs). Every subset of the candidate sizes is tried (at most a few thousand for B = 16).
 */
export function chooseLayout(length: number, B: number, maxSize: number): ConvolverSegment[] {
  if (length <= 0) return [];
  const cands: number[] = [];
  for (let n = 2 * B; n <= maxSize; n *= 2) cands.push(n);
  let best: ConvolverSegment[] = [];
  let bestCost = Infinity;
  for (let mask = 0; mask < 1 << cands.length; mask++) {
    const sizes = [B];
    for (let j = 0; j < cands.length; j++) if (mask & (1 << j)) sizes.push(cands[j]);
    const last = sizes.length - 1;
    if (last > 0 && 2 * sizes[last] >= length) continue; // the last segment would be empty
    const segs: ConvolverSegment[] = [];
    let cost = 0;
    for (let i = 0; i <= last; i++) {
      const offset = i === 0 ? 0 : 2 * sizes[i];
      const end = i < last ? 2 * sizes[i + 1] : length;
      const count = Math.ceil((end - offset) / sizes[i]);
      segs.push({ size: sizes[i], offset, count });
      cost += segmentCost(sizes[i], count);
    }
    if (cost < bestCost) {
      bestCost = cost;
      best = segs;
    }
  }
  return best;
}

/** Transforms of one partition size N (2N points); buffers are float indices into the convolver's memory. */
interface PartitionFFT {
  /** Floats per spectrum. */
  readonly specLen: number;
  /** Factor on the IR taps before their transform, so that inverse(Σ X·H) is the convolution itself. */
  readonly irScale: number;
  /** 2N time samples → spectrum. */
  forward(inIdx: number, outIdx: number): void;
  /** The same from a plain array (set-up only: may allocate). */
  forwardFrom(x: Float32Array, outIdx: number): void;
  /** Spectrum → 2N time samples. */
  inverse(inIdx: number, outIdx: number): void;
  /** acc += x ⊙ h (complex, per bin). */
  mac(xIdx: number, hIdx: number, accIdx: number): void;
}

/** PFFFT in its internal spectrum order; unscaled transforms, so the IR spectra carry the 1/2N. */
class PffftPartitionFFT implements PartitionFFT {
  readonly specLen: number;
  readonly irScale: number;
  private readonly plan: PffftRealPlan;

  constructor(size: number) {
    this.plan = sharedPffftPlan(size);
    this.specLen = size;
    this.irScale = 1 / size;
  }

  forward(inIdx: number, outIdx: number): void { this.plan.forwardUnordered(inIdx, outIdx); }
  forwardFrom(x: Float32Array, outIdx: number): void {
    const rt = this.plan.runtime;
    const tmp = rt.allocFloats(this.specLen);
    rt.heapF32().set(x, tmp);
    this.plan.forwardUnordered(tmp, outIdx);
    rt.freeFloats(tmp);
  }
  inverse(inIdx: number, outIdx: number): void { this.plan.inverseUnordered(inIdx, outIdx); }
  mac(xIdx: number, hIdx: number, accIdx: number): void { this.plan.convolveAccumulate(xIdx, hIdx, accIdx, 1); }
}

/** The plain-JS FFT (RealFFT's interleaved spectra, size + 2 floats) over a Float32Array memory. */
class JsPartitionFFT implements PartitionFFT {
  readonly specLen: number;
  readonly irScale = 1; // RealFFT.inverse scales by 1/size
  private readonly size: number;
  private readonly fft: RealFFT;
  private readonly time: Float32Array;
  private readonly spec: Float32Array;

  constructor(size: number, readonly mem: Float32Array) {
    this.size = size;
    this.fft = new RealFFT(size, { backend: 'js' });
    this.specLen = size + 2;
    this.time = new Float32Array(size);
    this.spec = new Float32Array(size + 2);
  }

  forward(inIdx: number, outIdx: number): void {
    const m = this.mem;
    const t = this.time;
    for (let i = 0; i < this.size; i++) t[i] = m[inIdx + i];
    this.forwardFrom(t, outIdx);
  }

  forwardFrom(x: Float32Array, outIdx: number): void {
    this.fft.forward(x, this.spec);
    this.mem.set(this.spec, outIdx);
  }

  inverse(inIdx: number, outIdx: number): void {
    const m = this.mem;
    const s = this.spec;
    for (let i = 0; i < this.specLen; i++) s[i] = m[inIdx + i];
    this.fft.inverse(s, this.time);
    for (let i = 0; i < this.size; i++) m[outIdx + i] = this.time[i];
  }

  mac(xIdx: number, hIdx: number, accIdx: number): void {
    const m = this.mem;
    for (let k = 0; k < this.specLen; k += 2) {
      const xr = m[xIdx + k];
      const xi = m[xIdx + k + 1];
      const hr = m[hIdx + k];
      const hi = m[hIdx + k + 1];
      m[accIdx + k] += xr * hr - xi * hi;
      m[accIdx + k + 1] += xr * hi + xi * hr;
    }
  }
}

/** State of one segment (all integers: float indices into the memory, slots, steps). */
class Segment implements ConvolverSegment {
  /** Block completions per period (N / B). */
  readonly quanta: number;
  /** Tasks of a period: 0 = window transform, 1..count = multiply-adds, count + 1 = inverse. */
  readonly taskStart: Int32Array;
  spec = 0; // count IR partition spectra
  fdl = 0; // count input spectra (ring)
  acc = 0; // spectrum accumulator (segment 0: scratch of the FFT head)
  buf0 = 0; // 2N time samples: a period's result, or the next window's transform input (segments ≥ 1)
  buf1 = 0;
  head = 0; // slot of the newest input spectrum
  phase = 0; // block completions into the current period
  parity = 0; // current period's result goes to buf0 (0) or buf1 (1)
  active = 0; // a period has started since the reset

  constructor(readonly size: number, readonly offset: number, readonly count: number, B: number,
    readonly fft: PartitionFFT) {
    const Q = size / B;
    this.quanta = Q;
    const T = count + 2;
    // step φ runs tasks [ceil(φ·T/Q), ceil((φ+1)·T/Q)): evenly spread, the inverse at the period's last step
    this.taskStart = new Int32Array(Q + 1);
    for (let p = 0; p <= Q; p++) this.taskStart[p] = Math.ceil((p * T) / Q);
  }
}

/**
 * Zero-latency non-uniformly partitioned convolver (direct-form head, tail in partitions growing along the IR,
 * precomputed IR spectra; see the file header), any call size n ≥ 0:
 * out[i] = Σ_j ir[j]·x[t−j] for the stream's running sample index t. Suited to IRs of several seconds (48000+
 * taps). process() allocates nothing and never throws; its work per B-block is bounded (one FFT of the largest
 * partition size at most, not a whole segment's work).
 * Constructor: ir (any length ≥ 0), partitionSize B (multiple of 16 in [16, 16384], default 128);
 * `options.maxPartitionSize` (default 16384, ≥ B; B gives the uniform layout) caps the partition sizes;
 * `options.backend` 'js' forces the plain-JS FFT and head that realms without wasm SIMD use (for tests).
 */
export class PartitionedConvolver {
  /** Partition size B in samples (also the head length and the block of the zero-latency path). */
  readonly partitionSize: number;
  /** Largest partition size the layout may use. */
  readonly maxPartitionSize: number;
  private irLength = 0;
  private headLen = 0;
  private headRev: Float32Array; // head taps reversed: headRev[m] = ir[headLen − 1 − m]
  /** The same with zeros in front up to a multiple of 4 taps (headPadded), for the wasm head. */
  private readonly headPad: Float32Array;
  private headPadded = 0;
  private readonly fir: DirectFirKernel | null;
  private readonly xbuf: Float32Array; // [previous block | current block], 2B
  private readonly tailOut: Float32Array; // tail contribution for the current block (direct path), B
  private readonly bigOut: Float32Array; // segments ≥ 1 for the current block, B
  private pos = 0;
  private tailReady = false; // tailOut holds the current block's tail
  private segs: Segment[] = [];
  private tailSpec = 0; // segment 0's partitions 1.. for the current block, summed (a spectrum)
  private work0 = 0; // 2B: segment 0's transform input / inverse output
  private ring = 0; // input history, ringLen floats (2 × the largest partition of segments ≥ 1)
  private ringLen = 0;
  private ringPos = 0;
  private stateStart = 0; // [stateStart, stateEnd): what reset() clears (spectra of the IR come before)
  private stateEnd = 0;
  // memory: the PFFFT heap (float indices from one allocation at `base`), or a Float32Array for the JS path
  private readonly rt: PffftRuntime | null;
  private base = 0;
  private readonly held: number[] = [];
  private jsMem: Float32Array = new Float32Array(0);

  constructor(ir: Float32Array, partitionSize = 128,
    options: { backend?: 'auto' | 'js'; maxPartitionSize?: number; spectra?: Float32Array; defer?: DeferTo } = {}) {
    if (!Number.isInteger(partitionSize) || partitionSize < 16 || partitionSize > 16384 || partitionSize % 16 !== 0) {
      throw new RangeError(`PartitionedConvolver: partitionSize must be a multiple of 16 in [16, 16384] (got ${partitionSize})`);
    }
    if (!(ir instanceof Float32Array)) throw new TypeError('PartitionedConvolver: ir must be a Float32Array');
    const maxP = options.maxPartitionSize ?? Math.max(16384, partitionSize);
    if (!Number.isInteger(maxP) || maxP < partitionSize || maxP > 1 << 20) {
      throw new RangeError(`PartitionedConvolver: maxPartitionSize must be an integer in [partitionSize, 2^20] (got ${maxP})`);
    }
    const B = partitionSize;
    this.partitionSize = B;
    this.maxPartitionSize = maxP;
    this.xbuf = new Float32Array(2 * B);
    this.tailOut = new Float32Array(B);
    this.bigOut = new Float32Array(B);
    this.headRev = new Float32Array(B);
    this.headPad = new Float32Array(B);
    this.fir = options.backend === 'js' ? null : directFirKernel(B, B);
    const usePffft = options.backend !== 'js' && pffftRuntime() !== null && pffftSupportsSize(2 * B);
    this.rt = usePffft ? pffftRuntime() : null;
    if (this.rt) registry?.register(this, this.held, this);
    this.setIR(ir, options.spectra, options.defer);
  }

  /**
   * A copy of the IR's partition spectra (what setIR computes): passed as `options.spectra` to a convolver built
   * with the same IR, partition sizes and backend, they are copied instead of computed.
   */
  irSpectra(): Float32Array {
    return this.mem().slice(this.base, this.stateStart);
  }

  /** IR length in taps. */
  get length(): number {
    return this.irLength;
  }

  /** The partition layout in use (segment 0 holds the head partition). */
  get layout(): readonly ConvolverSegment[] {
    return this.segs.map((s) => ({ size: s.size, offset: s.offset, count: s.count }));
  }

  private mem(): Float32Array {
    return this.rt ? this.rt.heapF32() : this.jsMem;
  }

  /**
   * Replaces the impulse response (off the audio thread or at construction: may allocate). If the layout is
   * unchanged the input history is kept (the output continues as the past input convolved with the new IR, after
   * the work in flight: at most 2 × the largest partition size); otherwise the state is reset. Non-finite taps
   * are treated as 0. `spectra`: this IR's {@link irSpectra} from a convolver of the same layout and backend, copied
   * instead of computed (ignored when its length does not match); with `defer`, that copy and the zeroing of new
   * state memory are left to `defer`'s queue (the convolver must not run before that work is done).
   */
  setIR(ir: Float32Array, spectra?: Float32Array, defer?: DeferTo): void {
    const B = this.partitionSize;
    const L = ir.length;
    const layout = chooseLayout(L, B, this.maxPartitionSize);
    const same = layout.length === this.segs.length &&
      layout.every((s, i) => s.size === this.segs[i].size && s.count === this.segs[i].count);
    this.irLength = L;
    this.headLen = Math.min(B, L);
    this.headRev.fill(0);
    for (let m = 0; m < this.headLen; m++) this.headRev[m] = sanitize(ir[this.headLen - 1 - m]);
    this.headPadded = (this.headLen + 3) & ~3; // ≤ B, B being a multiple of 16
    this.headPad.fill(0);
    this.headPad.set(this.headRev.subarray(0, this.headLen), this.headPadded - this.headLen);
    if (this.fir !== null && this.fir.owner === this) this.fir.owner = null; // its copy of the taps is stale
    const given = spectra instanceof Float32Array;
    // new memory is zeroed below, after the spectra, rather than at allocation when both can be left for later
    const later = given && defer !== undefined;
    if (!same) this.allocate(layout, !later);
    const mem = (): Float32Array => this.mem();
    if (given && spectra.length === this.stateStart - this.base) {
      fillLater(later ? defer : undefined, mem, this.base, spectra, spectra.length);
    } else for (const s of this.segs) {
      if (later && !same && s === this.segs[0]) this.mem().fill(0, this.base, this.stateStart);
      const N = s.size;
      const x = new Float32Array(2 * N);
      for (let p = s === this.segs[0] ? 1 : 0; p < s.count; p++) { // segment 0's partition 0 is the head
        x.fill(0);
        const start = s.offset + p * N;
        const end = Math.min(L, start + N);
        for (let i = start; i < end; i++) x[i - start] = sanitize(ir[i]) * s.fft.irScale;
        s.fft.forwardFrom(x, s.spec + p * s.fft.specLen);
      }
    }
    if (!same) {
      this.resetPositions();
      fillLater(later ? defer : undefined, mem, this.stateStart, null, this.stateEnd - this.stateStart);
    }
  }

  /**
   * Memory and transforms for a new layout: spectra of the IR first, then the state reset() clears. `zero`: the
   * memory is zeroed (else the caller writes all of it).
   */
  private allocate(layout: ConvolverSegment[], zero: boolean): void {
    const B = this.partitionSize;
    const specLen = (N: number): number => (this.rt ? 2 * N : 2 * N + 2);
    let total = 0;
    const take = (n: number): number => {
      const at = total;
      total += n;
      return at;
    };
    const spec = layout.map((l) => take(l.count * specLen(l.size)));
    const stateStart = total;
    const fdl = layout.map((l) => take(l.count * specLen(l.size)));
    const acc = layout.map((l) => take(specLen(l.size)));
    const bufs = layout.map((l, i) => (i === 0 ? [0, 0] : [take(2 * l.size), take(2 * l.size)]));
    const maxBig = layout.reduce((m, l, i) => (i === 0 ? m : Math.max(m, l.size)), 0);
    const tailSpec = take(specLen(B));
    const work0 = take(2 * B);
    const ring = take(2 * maxBig);
    if (this.rt) {
      if (this.held.length > 0) this.rt.freeFloats(this.held.pop()!);
      this.base = this.rt.allocFloats(total, zero);
      this.held.push(this.base);
    } else {
      this.jsMem = new Float32Array(total);
      this.base = 0;
    }
    const ffts = new Map<number, PartitionFFT>();
    for (const l of layout) {
      if (!ffts.has(l.size)) {
        ffts.set(l.size, this.rt ? new PffftPartitionFFT(2 * l.size) : new JsPartitionFFT(2 * l.size, this.jsMem));
      }
    }
    const o = this.base;
    this.segs = layout.map((l, i) => {
      const s = new Segment(l.size, l.offset, l.count, B, ffts.get(l.size)!);
      s.spec = o + spec[i];
      s.fdl = o + fdl[i];
      s.acc = o + acc[i];
      s.buf0 = o + bufs[i][0];
      s.buf1 = o + bufs[i][1];
      return s;
    });
    this.tailSpec = o + tailSpec;
    this.work0 = o + work0;
    this.ring = o + ring;
    this.ringLen = 2 * maxBig;
    this.stateStart = o + stateStart;
    this.stateEnd = o + total;
  }

  /** Clears the input history (silence before the next sample). */
  reset(): void {
    this.resetPositions();
    this.mem().fill(0, this.stateStart, this.stateEnd);
  }

  /** reset() but for the state memory. */
  private resetPositions(): void {
    this.xbuf.fill(0);
    this.tailOut.fill(0);
    this.bigOut.fill(0);
    this.pos = 0;
    this.tailReady = false;
    this.ringPos = 0;
    // an indexed loop: reset() runs too rarely for V8 to optimise it, and interpreted for-of allocates an iterator
    for (let k = 0; k < this.segs.length; k++) {
      const s = this.segs[k];
      s.head = 0;
      s.phase = 0;
      s.parity = 0;
      s.active = 0;
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
    const tail = this.tailOut;
    let i = 0;
    while (i < n) {
      const pos = this.pos;
      const chunk = Math.min(n - i, B - pos);
      const base = B + pos;
      for (let j = 0; j < chunk; j++) xbuf[base + j] = sanitize(input[inOffset + i + j]);
      if (!this.tailReady) this.prepareTail();
      const fir = this.fir;
      if (fir !== null) {
        // the head in the wasm kernel: its taps (if another convolver used it since), the inputs it reads
        const hp = this.headPadded;
        const f = fir.f32;
        if (fir.owner !== this) {
          const ho = fir.hOff;
          for (let m = 0; m < hp; m++) f[ho + m] = this.headPad[m];
          fir.owner = this;
        }
        const xo = fir.xOff;
        const q0 = base - hp + 1; // ≥ 1: the window reaches at most B − 1 samples back into the previous block
        for (let k = 0; k < hp - 1 + chunk; k++) f[xo + k] = xbuf[q0 + k];
        fir.run(hp, chunk);
        const yo = fir.yOff;
        if (accumulate) for (let j = 0; j < chunk; j++) output[outOffset + i + j] += tail[pos + j] + f[yo + j];
        else for (let j = 0; j < chunk; j++) output[outOffset + i + j] = tail[pos + j] + f[yo + j];
      } else {
        const h = this.headRev;
        const hl = this.headLen;
        for (let j = 0; j < chunk; j++) {
          const q0 = base + j - hl + 1; // oldest input the head reads
          let s = tail[pos + j];
          for (let m = 0; m < hl; m++) s += h[m] * xbuf[q0 + m];
          if (accumulate) output[outOffset + i + j] += s;
          else output[outOffset + i + j] = s;
        }
      }
      i += chunk;
      this.pos = pos + chunk;
      if (this.pos === B) this.blockComplete();
    }
  }

  /** The current block's tail in the time domain (segment 0's tail spectrum inverted, plus segments ≥ 1). */
  private prepareTail(): void {
    const B = this.partitionSize;
    const tail = this.tailOut;
    const big = this.bigOut;
    const s0 = this.segs.length > 0 ? this.segs[0] : null;
    if (s0 !== null && s0.count > 1) {
      const w = this.work0;
      s0.fft.inverse(this.tailSpec, w);
      const mem = this.mem();
      for (let j = 0; j < B; j++) tail[j] = mem[w + B + j] + big[j];
    } else {
      for (let j = 0; j < B; j++) tail[j] = big[j];
    }
    this.tailReady = true;
  }

  private blockComplete(): void {
    const B = this.partitionSize;
    const xbuf = this.xbuf;
    const segs = this.segs;
    if (segs.length > 0) {
      const s0 = segs[0];
      const fft = s0.fft;
      const S = fft.specLen;
      let mem = this.mem();
      if (s0.count > 1) {
        const slot = s0.head + 1 === s0.count ? 0 : s0.head + 1;
        const w = this.work0;
        for (let j = 0; j < 2 * B; j++) mem[w + j] = xbuf[j];
        fft.forward(w, s0.fdl + slot * S);
        s0.head = slot;
        // next block's tail: partition p pairs with the window spectrum p − 1 blocks old
        const ts = this.tailSpec;
        mem = this.mem();
        mem.fill(0, ts, ts + S);
        let s = slot;
        for (let p = 1; p < s0.count; p++) {
          fft.mac(s0.fdl + s * S, s0.spec + p * S, ts);
          s = s === 0 ? s0.count - 1 : s - 1;
        }
      }
      if (segs.length > 1) {
        mem = this.mem();
        const ring = this.ring;
        const rp = this.ringPos;
        for (let j = 0; j < B; j++) mem[ring + rp + j] = xbuf[B + j];
        this.ringPos = rp + B === this.ringLen ? 0 : rp + B;
        this.bigOut.fill(0);
        for (let k = 1; k < segs.length; k++) this.segmentStep(segs[k]);
      }
    }
    xbuf.copyWithin(0, B, 2 * B);
    this.pos = 0;
    this.tailReady = false;
  }

  /** One block completion of a segment ≥ 1: this step's share of its period's tasks, then its output share. */
  private segmentStep(s: Segment): void {
    const B = this.partitionSize;
    const N = s.size;
    const fft = s.fft;
    const S = fft.specLen;
    if (++s.phase === s.quanta) {
      s.phase = 0;
      s.parity ^= 1;
      s.active = 1;
    }
    const phase = s.phase;
    if (s.active === 1) {
      const buf = s.parity === 0 ? s.buf0 : s.buf1;
      const end = s.taskStart[phase + 1];
      for (let t = s.taskStart[phase]; t < end; t++) {
        if (t === 0) {
          // the window of 2N inputs that just completed (ends at ringPos), into the free result buffer
          const mem = this.mem();
          const R = this.ringLen;
          let start = this.ringPos - 2 * N;
          if (start < 0) start += R;
          const first = Math.min(2 * N, R - start);
          mem.copyWithin(buf, this.ring + start, this.ring + start + first);
          if (first < 2 * N) mem.copyWithin(buf + first, this.ring, this.ring + 2 * N - first);
          const slot = s.head + 1 === s.count ? 0 : s.head + 1;
          fft.forward(buf, s.fdl + slot * S);
          s.head = slot;
          mem.fill(0, s.acc, s.acc + S);
        } else if (t <= s.count) {
          const p = t - 1; // partition p pairs with the window p periods old
          const slot = s.head - p < 0 ? s.head - p + s.count : s.head - p;
          fft.mac(s.fdl + slot * S, s.spec + p * S, s.acc);
        } else {
          fft.inverse(s.acc, buf);
        }
      }
    }
    // the previous period's result covers this period's outputs
    const src = (s.parity === 0 ? s.buf1 : s.buf0) + N + phase * B;
    const mem = this.mem();
    const big = this.bigOut;
    for (let j = 0; j < B; j++) big[j] += mem[src + j];
  }

  /** Frees the wasm memory now (also done by a FinalizationRegistry when the object is collected). */
  dispose(): void {
    if (!this.rt) return;
    registry?.unregister(this);
    for (const idx of this.held) this.rt.freeFloats(idx);
    this.held.length = 0;
    this.segs = [];
    this.irLength = 0;
    this.headLen = 0;
    this.headPadded = 0;
    this.headRev.fill(0);
    this.headPad.fill(0);
    if (this.fir !== null && this.fir.owner === this) this.fir.owner = null;
    this.ringLen = 0;
    this.stateStart = this.stateEnd = 0;
  }
}
