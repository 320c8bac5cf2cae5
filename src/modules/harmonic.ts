/**
 * Harmonic: a bank of harmonic sinusoidal oscillators (the seed's `diffsynth.modules.generators.Harmonic`).
 *
 * Per frame k (controls already scaled):
 *   1. d'[h] = d[h] · [ (h+1)·f0 < nyquist ]   (only if `normalizeBelowNyquist`; the seed's remove_above_nyquist)
 *   2. d'[h] /= Σ_h d'[h]                        (always, as the seed; a zero sum gives silence, not NaN)
 *   3. A[k, h] = amplitude[k] · d'[h]
 * then per sample n the controls f0 and A[·, h] are linearly interpolated at frame position (n + 0.5)/hop − 0.5
 * (clamped; see ./timing), and the oscillator kernel sums A_h(n)·sin((h+1)·φ(n)) over harmonics with
 * (h+1)·f0(n) < sampleRate/2, with φ advanced by 2π·f0(n)/sampleRate before each sample (float64, wrapped).
 *
 * Three forms: {@link harmonicBatch} (whole clip), {@link HarmonicStream} (any block size, allocation-free, equal
 * to the batch output), and the differentiable tfjs form in ./harmonic.grad.
 *
 * Sample rates: `sampleRate` is the synthesis rate; frame-level normalisation uses the MODEL's Nyquist
 * (`modelSampleRate/2`, default the synthesis rate), so a model renders the same harmonic balance at any context
 * rate; the per-sample Nyquist zeroing uses the synthesis rate (no aliasing).
 *
 * @packageDocumentation
 */
import { HarmonicOscillatorBank, harmonicFrameAmplitudesFrom } from '../dsp/oscillator';
import { StreamFormBase, type ModuleContext, type ModuleForms } from './form';
import { assertOption, type NodeOf } from './schema';
import { assertAllFinite, assertArray, assertInt } from './scaling';
import { assertHop, forEachSegment, interpolationFramesNeeded, interpolationReadyEnd, framePosition, type Segment } from './timing';

/** Options of the Harmonic module. */
export interface HarmonicOptions {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Control frames per second (hop = sampleRate / frameRate samples, may be non-integer). */
  frameRate: number;
  /** Number of harmonics H (bounds: src/modules/schema). */
  nHarmonics: number;
  /** Zero harmonics at or above the model's Nyquist before normalising (seed default true). */
  normalizeBelowNyquist?: boolean;
  /** The model's sample rate, Hz: its Nyquist is used by the frame-level normalisation. Default `sampleRate`. */
  modelSampleRate?: number;
}

interface Resolved { sampleRate: number; hop: number; nHarmonics: number; normalize: boolean; nyquistHz: number }

function resolve(o: HarmonicOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new TypeError('Harmonic options must be an object');
  const hop = assertHop(o.sampleRate, o.frameRate);
  assertOption('Harmonic', 'nHarmonics', o.nHarmonics);
  const modelRate = o.modelSampleRate ?? o.sampleRate;
  if (!(Number.isFinite(modelRate) && modelRate > 0)) throw new RangeError(`modelSampleRate must be a positive number of Hz, got ${modelRate}`);
  return { sampleRate: o.sampleRate, hop, nHarmonics: o.nHarmonics, normalize: o.normalizeBelowNyquist ?? true, nyquistHz: modelRate / 2 };
}

/** Renders samples [start, end) from frames (per-frame harmonic amplitudes and f0) into out (adds). */
class HarmonicRenderer {
  readonly bank: HarmonicOscillatorBank;
  private readonly seg: Segment = { n0: 0, len: 0, kA: 0, kB: 0, w0: 0, dw: 0 };
  // state for the visitor
  private A: Float32Array[] = [];
  private f0: Float32Array = new Float32Array(0);
  private cap = 1; // frame k lives in slot k % cap
  private out: Float32Array = new Float32Array(0);
  private outBase = 0; // out index of sample 0 of the stream
  /** λ start and step of the segment being rendered (a typed array: see "Numbers on the audio path" in
   *  docs/architecture.md). */
  private readonly lambda = new Float64Array(2);
  private readonly visit: (s: Segment) => void;

  constructor(readonly nHarmonics: number, readonly sampleRate: number, readonly hop: number) {
    this.bank = new HarmonicOscillatorBank(nHarmonics, sampleRate);
    this.visit = (s) => this.renderSegment(s);
  }

  render(A: Float32Array[], f0: Float32Array, cap: number, nFrames: number, out: Float32Array, outOffset: number,
    start: number, end: number): void {
    this.A = A; this.f0 = f0; this.cap = cap; this.out = out; this.outBase = outOffset - start;
    forEachSegment(start, end, this.hop, nFrames, this.seg, this.visit);
  }

  private renderSegment(s: Segment): void {
    const a = s.kA % this.cap;
    const b = s.kB % this.cap;
    const lambda = this.lambda;
    lambda[0] = s.w0;
    lambda[1] = s.dw;
    this.bank.renderLerpFrom(this.out, this.outBase + s.n0, s.len, lambda, this.f0, a, b, this.A[a], this.A[b],
      this.nHarmonics);
  }
}

/** Per-frame harmonic amplitudes A [nFrames × nHarmonics] of a clip (steps 1–3). */
function harmonicAmplitudes(amplitudes: Float32Array, distribution: Float32Array, f0Hz: Float32Array,
  nFrames: number, r: Resolved): Float32Array[] {
  const H = r.nHarmonics;
  const A: Float32Array[] = [];
  for (let k = 0; k < nFrames; k++) {
    const a = new Float32Array(H);
    harmonicFrameAmplitudesFrom(f0Hz, k, amplitudes, k, distribution, k * H, H, 2 * r.nyquistHz, r.normalize, a, 0);
    A.push(a);
  }
  return A;
}

function checkBatchInputs(amplitudes: Float32Array, distribution: Float32Array, f0Hz: Float32Array, nFrames: number,
  nSamples: number, H: number): void {
  assertInt(nFrames, 'nFrames', 1);
  assertInt(nSamples, 'nSamples', 0);
  assertArray(amplitudes, 'amplitudes', nFrames);
  assertArray(distribution, 'harmonic_distribution', nFrames * H);
  assertArray(f0Hz, 'f0Hz', nFrames);
  assertAllFinite(amplitudes, 'amplitudes');
  assertAllFinite(distribution, 'harmonic_distribution');
  for (let k = 0; k < nFrames; k++) {
    if (!(f0Hz[k] > 0 && Number.isFinite(f0Hz[k]))) throw new RangeError(`f0Hz[${k}] must be a finite frequency > 0 Hz, got ${f0Hz[k]}`);
  }
}

/**
 * Harmonic module, batch form (whole clip).
 * @param amplitudes   [nFrames] scaled amplitudes (linear)
 * @param distribution [nFrames × nHarmonics] scaled harmonic distribution (row-major)
 * @param f0Hz         [nFrames] fundamental frequency, Hz (> 0)
 * @param nFrames      number of frames F (≥ 1)
 * @param nSamples     output length in samples
 * @returns audio [nSamples]
 * @throws RangeError/TypeError on wrong sizes, non-finite values or f0 ≤ 0.
 */
export function harmonicBatch(amplitudes: Float32Array, distribution: Float32Array, f0Hz: Float32Array,
  nFrames: number, nSamples: number, o: HarmonicOptions): Float32Array {
  const r = resolve(o);
  checkBatchInputs(amplitudes, distribution, f0Hz, nFrames, nSamples, r.nHarmonics);
  const A = harmonicAmplitudes(amplitudes, distribution, f0Hz, nFrames, r);
  const out = new Float32Array(nSamples);
  const ren = new HarmonicRenderer(r.nHarmonics, r.sampleRate, r.hop);
  ren.render(A, f0Hz, nFrames, nFrames, out, 0, 0, nSamples);
  return out;
}

/**
 * Harmonic module, stream form. Frames are pushed as they become available; `render` produces any number of
 * samples. Output equals {@link harmonicBatch} over the same frames, provided frame k is pushed before sample
 * `segmentStart(k−1)` (= (k−1)·hop + hop/2 − 0.5, rounded up) is rendered — see {@link readyEnd}. Samples past the
 * last pushed frame hold it (as the batch form does past the clip's last frame).
 *
 * Audio-thread safe: allocation-free after construction; per-block calls never throw. Non-finite controls are
 * sanitised to 0; a frame with f0 ≤ 0 or non-finite f0 is silent (amplitude 0, previous f0 held).
 */
export class HarmonicStream {
  /** Synthesis sample rate, Hz. */
  readonly sampleRate: number;
  /** Samples per frame. */
  readonly hop: number;
  /** Number of harmonics. */
  readonly nHarmonics: number;
  /** Ring capacity, in frames: at most this many frames may be pushed ahead of the render position, minus 2. */
  readonly capacity: number;
  private readonly r: Resolved;
  private readonly A: Float32Array[];
  private readonly f0: Float32Array;
  private readonly ren: HarmonicRenderer;
  private pushed = 0;
  private position = 0;
  /** Oldest frame the render position still needs: floor(framePosition(position)), at least 0. Kept by render()
   *  so that canPush(), a per-frame call, does no fractional arithmetic (docs/architecture.md, "Numbers on the audio path"). */
  private oldestNeeded = 0;
  private lastF0 = 0;
  /** Amplitude and f0 of the frame being pushed. */
  private readonly controls = new Float64Array(2);

  /** @param maxFramesAhead how many frames may be pushed ahead of what is being rendered (default 8). */
  constructor(o: HarmonicOptions & { maxFramesAhead?: number }) {
    this.r = resolve(o);
    const ahead = o.maxFramesAhead ?? 8;
    assertInt(ahead, 'maxFramesAhead', 1, 1 << 20);
    this.sampleRate = this.r.sampleRate;
    this.hop = this.r.hop;
    this.nHarmonics = this.r.nHarmonics;
    this.capacity = ahead + 2;
    this.A = [];
    for (let i = 0; i < this.capacity; i++) this.A.push(new Float32Array(this.nHarmonics));
    this.f0 = new Float32Array(this.capacity);
    this.ren = new HarmonicRenderer(this.nHarmonics, this.sampleRate, this.hop);
  }

  /** Frames pushed since construction / reset. */
  get framesPushed(): number { return this.pushed; }
  /** Samples rendered since construction / reset. */
  get samplesRendered(): number { return this.position; }

  /** Samples [0, readyEnd()) are final (equal to the batch form) given the frames pushed so far. */
  readyEnd(): number { return interpolationReadyEnd(this.pushed, this.hop); }

  /** Number of frames that must have been pushed for samples [0, endSample) to be final. */
  framesNeeded(endSample: number): number { return interpolationFramesNeeded(endSample, this.hop); }

  /** True if a frame can be pushed now (the ring holds the frames the render position still needs). */
  canPush(): boolean {
    // oldest frame still needed by the render position
    const need = this.oldestNeeded;
    return this.pushed - need < this.capacity;
  }

  /**
   * Pushes the next frame's scaled controls: amplitude[ampIndex], nHarmonics values of `distribution` from
   * `distOffset`, f0Hz[f0Index] (Hz). Returns false (frame dropped) if the ring is full, i.e. more than
   * `capacity − 2` frames ahead of the render position.
   */
  pushFrameFrom(amplitude: Float32Array, ampIndex: number, distribution: Float32Array, distOffset: number,
    f0Hz: Float32Array, f0Index: number): boolean {
    const cap = this.capacity;
    if (!this.canPush()) return false;
    const c = this.controls;
    c[0] = amplitude[ampIndex];
    c[1] = f0Hz[f0Index];
    const H = this.nHarmonics;
    const slot = this.pushed % cap;
    const a = this.A[slot];
    const f0 = c[1];
    const ok = Number.isFinite(f0) && f0 > 0;
    if (ok) this.lastF0 = f0;
    if (!Number.isFinite(c[0])) c[0] = 0;
    if (!ok || !(distribution instanceof Float32Array) || distribution.length < distOffset + H) {
      a.fill(0);
    } else {
      // sanitise into the slot, then normalise in place
      for (let h = 0; h < H; h++) {
        const v = distribution[distOffset + h];
        a[h] = Number.isFinite(v) ? v : 0;
      }
      harmonicFrameAmplitudesFrom(c, 1, c, 0, a, 0, H, 2 * this.r.nyquistHz, this.r.normalize, a, 0);
    }
    this.f0[slot] = this.lastF0;
    this.pushed++;
    return true;
  }

  /** Writes n samples (n ≥ 0) to out[offset .. offset+n). Silence before the first frame. */
  render(out: Float32Array, offset: number, n: number): void {
    if (!(n > 0)) return;
    out.fill(0, offset, offset + n);
    if (this.pushed > 0) {
      this.ren.render(this.A, this.f0, this.capacity, this.pushed, out, offset, this.position, this.position + n);
    }
    for (let i = offset; i < offset + n; i++) if (!Number.isFinite(out[i])) out[i] = 0;
    this.position += n;
    this.oldestNeeded = Math.max(0, Math.floor(framePosition(this.position, this.hop)));
  }

  /** Back to the start state (phase 0, no frames). */
  reset(): void {
    this.pushed = 0;
    this.position = 0;
    this.oldestNeeded = 0;
    this.lastF0 = 0;
    for (let i = 0; i < this.A.length; i++) this.A[i].fill(0);
    this.f0.fill(0);
    this.ren.bank.reset();
  }
}

class HarmonicNode extends StreamFormBase {
  private readonly s: HarmonicStream;
  constructor(n: NodeOf<'Harmonic'>, x: ModuleContext) {
    super();
    this.s = new HarmonicStream({ sampleRate: x.sampleRate, frameRate: x.frameRate, nHarmonics: n.nHarmonics,
      normalizeBelowNyquist: n.normalizeBelowNyquist, modelSampleRate: x.modelSampleRate, maxFramesAhead: x.maxFramesAhead });
  }
  override pushFrame(c: readonly Float32Array[]): boolean { return this.s.pushFrameFrom(c[0], 0, c[1], 0, c[2], 0); }
  override canPush(): boolean { return this.s.canPush(); }
  override readyEnd(): number { return this.s.readyEnd(); }
  override framesNeeded(endSample: number): number { return this.s.framesNeeded(endSample); }
  override process(_signals: readonly Float32Array[], out: Float32Array, n: number): void { this.s.render(out, 0, n); }
  override reset(): void { this.s.reset(); }
}

/** Harmonic's forms for the graph (inputs: amplitudes, harmonic_distribution, f0_hz). */
export const HARMONIC: ModuleForms<'Harmonic'> = {
  batch: (n, [amplitudes, distribution, f0Hz], nFrames, nSamples, x) => harmonicBatch(amplitudes, distribution, f0Hz,
    nFrames, nSamples, { sampleRate: x.sampleRate, frameRate: x.frameRate, nHarmonics: n.nHarmonics,
      normalizeBelowNyquist: n.normalizeBelowNyquist, modelSampleRate: x.modelSampleRate }),
  stream: (n, x) => new HarmonicNode(n, x),
};
