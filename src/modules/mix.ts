/**
 * Mix: frame-controlled weighted sum of two signals (the seed's `diffsynth.processor.Mix`):
 * out[n] = mix_a(n)·a[n] + mix_b(n)·b[n], where mix_a, mix_b (sigmoid-scaled, 0–1) are frame controls linearly
 * interpolated to samples with the seed's alignment (frame k at sample k·hop + hop/2 − 0.5; see ./timing).
 *
 * Three forms: {@link mixBatch}, {@link MixStream}, and ./mix.grad.
 *
 * @packageDocumentation
 */
import { StreamFormBase, type ModuleContext, type ModuleForms } from './form';
import { assertAllFinite, assertArray, assertInt } from './scaling';
import { assertHop, forEachSegment, framePosition, interpolationFramesNeeded, interpolationReadyEnd, type Segment } from './timing';

/** Options of Mix. */
export interface MixOptions {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Control frames per second. */
  frameRate: number;
}

/** Applies the interpolated weights over samples [start, end) (shared by batch and stream). */
class MixRenderer {
  private readonly seg: Segment = { n0: 0, len: 0, kA: 0, kB: 0, w0: 0, dw: 0 };
  private mixA: Float32Array = new Float32Array(0);
  private mixB: Float32Array = new Float32Array(0);
  private cap = 1;
  private a: Float32Array = new Float32Array(0);
  private b: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);
  private aBase = 0;
  private bBase = 0;
  private oBase = 0;
  private readonly visit: (s: Segment) => void;

  constructor(readonly hop: number) {
    this.visit = (s) => this.run(s);
  }

  render(mixA: Float32Array, mixB: Float32Array, cap: number, nFrames: number, a: Float32Array, aOffset: number,
    b: Float32Array, bOffset: number, out: Float32Array, outOffset: number, start: number, end: number): void {
    this.mixA = mixA; this.mixB = mixB; this.cap = cap;
    this.a = a; this.b = b; this.out = out;
    this.aBase = aOffset - start; this.bBase = bOffset - start; this.oBase = outOffset - start;
    forEachSegment(start, end, this.hop, nFrames, this.seg, this.visit);
  }

  private run(s: Segment): void {
    const ka = s.kA % this.cap;
    const kb = s.kB % this.cap;
    const xa0 = this.mixA[ka];
    const xa1 = this.mixA[kb];
    const xb0 = this.mixB[ka];
    const xb1 = this.mixB[kb];
    const a = this.a;
    const b = this.b;
    const out = this.out;
    for (let i = 0; i < s.len; i++) {
      const n = s.n0 + i;
      const w = s.w0 + i * s.dw;
      const ga = xa0 + w * (xa1 - xa0);
      const gb = xb0 + w * (xb1 - xb0);
      out[this.oBase + n] = ga * a[this.aBase + n] + gb * b[this.bBase + n];
    }
  }
}

/**
 * Mix, batch form.
 * @param a, b     signals [nSamples]
 * @param mixA, mixB scaled weights per frame [nFrames]
 * @returns [nSamples]
 */
export function mixBatch(a: Float32Array, b: Float32Array, mixA: Float32Array, mixB: Float32Array, nFrames: number,
  o: MixOptions): Float32Array {
  const hop = assertHop(o.sampleRate, o.frameRate);
  assertInt(nFrames, 'nFrames', 1);
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) throw new TypeError('signal_a and signal_b must be Float32Arrays');
  if (a.length !== b.length) throw new RangeError(`signal_a and signal_b must have the same length, got ${a.length} and ${b.length}`);
  assertArray(mixA, 'mix_a', nFrames);
  assertArray(mixB, 'mix_b', nFrames);
  assertAllFinite(mixA, 'mix_a');
  assertAllFinite(mixB, 'mix_b');
  const out = new Float32Array(a.length);
  new MixRenderer(hop).render(mixA, mixB, nFrames, nFrames, a, 0, b, 0, out, 0, 0, a.length);
  return out;
}

/**
 * Mix, stream form: frames pushed as they come; equal to {@link mixBatch} when frame k is pushed before sample
 * k·hop − hop/2 is processed. Allocation-free; never throws per block; non-finite weights → 0.
 */
export class MixStream {
  /** Samples per frame. */
  readonly hop: number;
  /** Ring capacity in frames. */
  readonly capacity: number;
  private readonly mixA: Float32Array;
  private readonly mixB: Float32Array;
  private readonly ren: MixRenderer;
  private pushed = 0;
  private position = 0;
  /** floor(framePosition(position)), at least 0: the oldest frame still needed (kept by process()). */
  private oldestNeeded = 0;

  constructor(o: MixOptions & { maxFramesAhead?: number }) {
    this.hop = assertHop(o.sampleRate, o.frameRate);
    const ahead = o.maxFramesAhead ?? 8;
    assertInt(ahead, 'maxFramesAhead', 1, 1 << 20);
    this.capacity = ahead + 2;
    this.mixA = new Float32Array(this.capacity);
    this.mixB = new Float32Array(this.capacity);
    this.ren = new MixRenderer(this.hop);
  }

  /** Samples [0, readyEnd()) are final given the frames pushed. */
  readyEnd(): number { return interpolationReadyEnd(this.pushed, this.hop); }

  /** Frames that must be pushed for samples [0, endSample) to be final. */
  framesNeeded(endSample: number): number { return interpolationFramesNeeded(endSample, this.hop); }

  /** True if a frame can be pushed now. */
  canPush(): boolean {
    const need = this.oldestNeeded;
    return this.pushed - need < this.capacity;
  }

  /** Pushes the next frame's weights mixA[iA], mixB[iB]; false if the ring is full (frame dropped). */
  pushFrameFrom(mixA: Float32Array, iA: number, mixB: Float32Array, iB: number): boolean {
    if (!this.canPush()) return false;
    const slot = this.pushed % this.capacity;
    const a = mixA[iA];
    const b = mixB[iB];
    this.mixA[slot] = Number.isFinite(a) ? a : 0;
    this.mixB[slot] = Number.isFinite(b) ? b : 0;
    this.pushed++;
    return true;
  }

  /** out[o..o+n) = mix_a·a + mix_b·b for the next n samples; silence before the first frame. */
  process(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, out: Float32Array, outOffset: number,
    n: number): void {
    if (!(n > 0)) return;
    if (this.pushed === 0) {
      out.fill(0, outOffset, outOffset + n);
    } else {
      this.ren.render(this.mixA, this.mixB, this.capacity, this.pushed, a, aOffset, b, bOffset, out, outOffset,
        this.position, this.position + n);
    }
    this.position += n;
    this.oldestNeeded = Math.max(0, Math.floor(framePosition(this.position, this.hop)));
  }

  /** Back to the state after construction. */
  reset(): void {
    this.pushed = 0;
    this.position = 0;
    this.oldestNeeded = 0;
    this.mixA.fill(0);
    this.mixB.fill(0);
  }
}

class MixNode extends StreamFormBase {
  private readonly s: MixStream;
  constructor(x: ModuleContext) {
    super();
    this.s = new MixStream({ sampleRate: x.sampleRate, frameRate: x.frameRate, maxFramesAhead: x.maxFramesAhead });
  }
  override pushFrame(c: readonly Float32Array[]): boolean { return this.s.pushFrameFrom(c[2], 0, c[3], 0); }
  override canPush(): boolean { return this.s.canPush(); }
  override readyEnd(): number { return this.s.readyEnd(); }
  override framesNeeded(endSample: number): number { return this.s.framesNeeded(endSample); }
  override process(signals: readonly Float32Array[], out: Float32Array, n: number): void {
    this.s.process(signals[0], 0, signals[1], 0, out, 0, n);
  }
  override reset(): void { this.s.reset(); }
}

/** Mix's forms for the graph (inputs: signal_a, signal_b, mix_a, mix_b). */
export const MIX: ModuleForms<'Mix'> = {
  batch: (_n, [a, b, mixA, mixB], nFrames, _nSamples, x) => mixBatch(a, b, mixA, mixB, nFrames,
    { sampleRate: x.sampleRate, frameRate: x.frameRate }),
  stream: (_n, x) => new MixNode(x),
};
