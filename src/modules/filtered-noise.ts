/**
 * FilteredNoise: white noise through a time-varying FIR filter designed by frequency sampling (the seed's
 * `diffsynth.modules.generators.FilteredNoise` with `util.fir_filter` / `util.fft_convolve`).
 *
 * Noise: the seed's uniform [−1, 1) × `amplitude`, drawn from the counter-based {@link NoiseSource} so that the
 * stream and the batch forms draw identical noise for the same sample index.
 *
 * Per frame k: taps_k = FIRDesigner(filterSize, design).design(freq_response_k) (N taps); noise segment
 * k = samples [s_k, s_{k+1}) with s_k = round(k·hop) is convolved (linear, FFT) with taps_k and overlap-added into
 * `full` at s_k; the output is advanced by `groupDelay(N, design)`: out[n] = full[n + advance].
 *  - design `seed`: circular taps, advance (N−1)//2 − 1 (= 254 for N = 512): exactly the seed.
 *  - design `linear-phase`: causal rotated taps, advance N/2: a true linear-phase filter, its delay compensated.
 * Frames past the last one produce no noise (as in the seed, whose noise covers exactly the framed clip).
 *
 * Sample rates: the magnitude response is defined on the MODEL's bins (j·modelRate/N, j = 0..N/2). At another
 * synthesis rate the filter size becomes N' = 2·round(N·sampleRate/(2·modelRate)) (same bin spacing, same time
 * span), the response is mapped to the new bins by frequency (linear interpolation; above the model's Nyquist → 0),
 * and the noise amplitude is scaled by √(sampleRate/modelRate) so the noise power per Hz (what the model learned)
 * is unchanged. At the model's own rate nothing changes.
 *
 * Three forms: {@link filteredNoiseBatch}, {@link FilteredNoiseStream}, and ./filtered-noise.grad.
 *
 * @packageDocumentation
 */
import { RealFFT, multiplySpectraInPlace, sharedRealFFT } from '../dsp/fft';
import { FIRDesigner, groupDelay, type NoiseFilterDesign } from '../dsp/fir';
import { MinimumPhase } from '../dsp/minimum-phase';
import { NoiseSource } from '../dsp/noise';
import { StreamFormBase, type ModuleContext, type ModuleForms } from './form';
import { assertOption, type NodeOf } from './schema';
import { assertAllFinite, assertArray, assertInt } from './scaling';
import { assertHop, noiseSegmentStart } from './timing';

export type { NoiseFilterDesign };

/** Options of the FilteredNoise module. */
export interface FilteredNoiseOptions {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Control frames per second (hop = sampleRate / frameRate). */
  frameRate: number;
  /** The model's filter size N (even; bounds: src/modules/schema): N/2+1 magnitudes per frame. */
  filterSize: number;
  /** Filter design: 'seed' (the seed's circular taps) or 'linear-phase'. */
  design: NoiseFilterDesign;
  /** Noise amplitude (the seed's `amplitude`, default 1). */
  amplitude?: number;
  /** The model's sample rate, Hz (the magnitudes' bins are defined at it). Default `sampleRate`. */
  modelSampleRate?: number;
  /** Seed of the counter-based noise source (default 0). */
  noiseSeed?: number;
  /**
   * Filter in minimum phase (the design's magnitude response, see src/dsp/minimum-phase) with no output advance,
   * default false.
   */
  minimumPhase?: boolean;
}

/** Resolved geometry of a FilteredNoise module (exported for the differentiable form and tests). */
export interface NoiseGeometry {
  sampleRate: number;
  hop: number;
  /** Model filter size N and magnitudes per frame (N/2+1). */
  filterSize: number;
  nMagnitudes: number;
  /** Synthesis filter size N' (= N at the model rate). */
  synthFilterSize: number;
  design: NoiseFilterDesign;
  /** Taps converted to minimum phase from the linear-phase design (then the advance is 0). */
  minimumPhase: boolean;
  /** Output advance in samples (groupDelay(N', design), 0 in minimum phase). */
  advance: number;
  /** Noise scale: amplitude · √(sampleRate/modelRate). */
  noiseScale: number;
  noiseSeed: number;
  /** True when the synthesis rate is the model's (no magnitude mapping). */
  sameRate: boolean;
  /** Largest segment length, samples. */
  maxSegment: number;
  /** FFT size used for the per-frame convolution. */
  fftSize: number;
  // magnitude mapping (synthesis bin j reads model bins mapLo[j], mapLo[j]+1 with weight mapW[j]; mapLo −1 = 0)
  mapLo: Int32Array;
  mapW: Float32Array;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Validates options and derives the module's geometry. Throws RangeError/TypeError naming the bad option. */
export function noiseGeometry(o: FilteredNoiseOptions): NoiseGeometry {
  if (o === null || typeof o !== 'object') throw new TypeError('FilteredNoise options must be an object');
  const hop = assertHop(o.sampleRate, o.frameRate);
  assertOption('FilteredNoise', 'filterSize', o.filterSize);
  assertOption('FilteredNoise', 'design', o.design);
  const modelRate = o.modelSampleRate ?? o.sampleRate;
  if (!(Number.isFinite(modelRate) && modelRate > 0)) throw new RangeError(`modelSampleRate must be a positive number of Hz, got ${modelRate}`);
  const amplitude = o.amplitude ?? 1;
  if (!Number.isFinite(amplitude)) throw new RangeError(`amplitude must be a finite number, got ${amplitude}`);
  const noiseSeed = o.noiseSeed ?? 0;
  if (!Number.isFinite(noiseSeed)) throw new RangeError(`noiseSeed must be a finite number, got ${noiseSeed}`);
  const N = o.filterSize;
  const sameRate = modelRate === o.sampleRate;
  const Ns = sameRate ? N : Math.max(2, 2 * Math.round((N * o.sampleRate) / (2 * modelRate)));
  const Ms = Ns / 2 + 1;
  const M = N / 2 + 1;
  const mapLo = new Int32Array(Ms);
  const mapW = new Float32Array(Ms);
  for (let j = 0; j < Ms; j++) {
    if (sameRate) { mapLo[j] = j; mapW[j] = 0; continue; }
    const q = (j * o.sampleRate * N) / (Ns * modelRate); // model bin position of synthesis bin j
    if (q > M - 1 + 1e-9) { mapLo[j] = -1; mapW[j] = 0; continue; }
    let lo = Math.floor(q);
    if (lo >= M - 1) { lo = M - 1; mapW[j] = 0; } else mapW[j] = q - lo;
    mapLo[j] = lo;
  }
  const maxSegment = Math.ceil(hop) + 1;
  return {
    sampleRate: o.sampleRate, hop, filterSize: N, nMagnitudes: M, synthFilterSize: Ns, design: o.design,
    minimumPhase: o.minimumPhase === true, advance: o.minimumPhase === true ? 0 : groupDelay(Ns, o.design), noiseScale: amplitude * Math.sqrt(o.sampleRate / modelRate), noiseSeed,
    sameRate, maxSegment, fftSize: nextPow2(maxSegment + Ns - 1), mapLo, mapW,
  };
}

/**
 * The per-frame work shared by all forms: map magnitudes → design taps → FFT-convolve one noise segment →
 * overlap-add. Allocation-free after construction.
 */
export class NoiseFrameFilter {
  readonly g: NoiseGeometry;
  private readonly designer: FIRDesigner;
  private readonly minimumPhase: MinimumPhase | null;
  private readonly fft: RealFFT;
  private readonly mags: Float32Array;
  /** The magnitudes `taps` were designed from, once any were. */
  private readonly lastMags: Float32Array;
  private designed = false;
  /** Taps of the last designed frame (synthFilterSize). */
  readonly taps: Float32Array;
  private readonly bufA: Float32Array;
  private readonly bufB: Float32Array;
  private readonly specA: Float32Array;
  private readonly specB: Float32Array;

  constructor(g: NoiseGeometry) {
    this.g = g;
    // Minimum phase starts from the linear-phase design whatever the model's: both meet the request at the bin
    // centres, and the seed's circular taps, read as a causal filter, dip between them.
    this.designer = new FIRDesigner(g.synthFilterSize, g.minimumPhase ? 'linear-phase' : g.design);
    this.minimumPhase = g.minimumPhase ? new MinimumPhase(g.synthFilterSize) : null;
    this.fft = sharedRealFFT(g.fftSize);
    this.mags = new Float32Array(g.synthFilterSize / 2 + 1);
    this.lastMags = new Float32Array(g.synthFilterSize / 2 + 1);
    this.taps = new Float32Array(g.synthFilterSize);
    this.bufA = new Float32Array(g.fftSize);
    this.bufB = new Float32Array(g.fftSize);
    this.specA = new Float32Array(g.fftSize + 2);
    this.specB = new Float32Array(g.fftSize + 2);
  }

  /** Designs taps from the model-bin magnitudes mags[offset .. offset + N/2+1) (non-finite → 0). */
  design(magnitudes: Float32Array, offset: number): void {
    const g = this.g;
    const m = this.mags;
    if (g.sameRate) {
      for (let j = 0; j < m.length; j++) {
        const v = magnitudes[offset + j];
        m[j] = Number.isFinite(v) ? v : 0;
      }
    } else {
      for (let j = 0; j < m.length; j++) {
        const lo = g.mapLo[j];
        if (lo < 0) { m[j] = 0; continue; }
        const w = g.mapW[j];
        let a = magnitudes[offset + lo];
        if (!Number.isFinite(a)) a = 0;
        if (w === 0) { m[j] = a; continue; }
        let b = magnitudes[offset + lo + 1];
        if (!Number.isFinite(b)) b = 0;
        m[j] = a + w * (b - a);
      }
    }
    // Same magnitudes as the last design, same taps (control mode repeats a tick's params while its features
    // stand still): skip the design.
    const last = this.lastMags;
    let same = this.designed;
    for (let j = 0; same && j < m.length; j++) if (m[j] !== last[j]) same = false;
    if (same) return;
    last.set(m);
    this.designed = true;
    this.designer.design(m, this.taps);
    if (this.minimumPhase !== null) this.minimumPhase.convert(this.taps);
  }

  /** Zero taps (a frame without magnitudes). */
  silence(): void {
    this.taps.fill(0);
    this.designed = false;
  }

  /**
   * Convolves seg[segOffset .. segOffset+len) with the current taps and passes the len + N' − 1 result values to
   * `result` (a view into an internal buffer, valid until the next call).
   */
  convolve(seg: Float32Array, segOffset: number, len: number): Float32Array {
    const P = this.g.fftSize;
    const Ns = this.g.synthFilterSize;
    const a = this.bufA;
    const b = this.bufB;
    for (let i = 0; i < len; i++) a[i] = seg[segOffset + i];
    a.fill(0, len, P);
    b.set(this.taps, 0);
    b.fill(0, Ns, P);
    this.fft.forward(a, this.specA);
    this.fft.forward(b, this.specB);
    multiplySpectraInPlace(this.specA, this.specB); // specA holds P + 2 values: all bins of the P-point FFT
    this.fft.inverse(this.specA, a);
    return a;
  }
}

/** Noise for samples [start, start + n) into out (offset), scaled by the geometry's noise scale. */
function drawNoise(src: NoiseSource, g: NoiseGeometry, start: number, out: Float32Array, offset: number, n: number): void {
  src.position = start;
  src.fill(out, offset, n);
  const s = g.noiseScale;
  if (s !== 1) for (let i = 0; i < n; i++) out[offset + i] *= s;
}

/**
 * FilteredNoise module, batch form.
 * @param freqResponse [nFrames × (filterSize/2+1)] scaled magnitudes (row-major, model bins)
 * @param nFrames      number of frames F (≥ 1)
 * @param nSamples     output length, samples
 * @param noise        optional explicit noise (uniform draw before `amplitude`), sample i of the clip at index i;
 *                     samples past its end are 0. Default: the counter-based source with `noiseSeed`.
 * @returns audio [nSamples]
 */
export function filteredNoiseBatch(freqResponse: Float32Array, nFrames: number, nSamples: number,
  o: FilteredNoiseOptions, noise?: Float32Array): Float32Array {
  const g = noiseGeometry(o);
  assertInt(nFrames, 'nFrames', 1);
  assertInt(nSamples, 'nSamples', 0);
  assertArray(freqResponse, 'freq_response', nFrames * g.nMagnitudes);
  assertAllFinite(freqResponse, 'freq_response');
  if (noise !== undefined) {
    if (!(noise instanceof Float32Array)) throw new TypeError('noise must be a Float32Array');
    assertAllFinite(noise, 'noise');
  }
  const filt = new NoiseFrameFilter(g);
  const end = noiseSegmentStart(nFrames, g.hop);
  const full = new Float32Array(end + g.synthFilterSize + 1);
  const seg = new Float32Array(g.maxSegment);
  const src = new NoiseSource(g.noiseSeed);
  const ampl = noise ? g.noiseScale : 1;
  for (let k = 0; k < nFrames; k++) {
    const s0 = noiseSegmentStart(k, g.hop);
    const len = noiseSegmentStart(k + 1, g.hop) - s0;
    if (noise) {
      for (let i = 0; i < len; i++) seg[i] = s0 + i < noise.length ? noise[s0 + i] * ampl : 0;
    } else {
      drawNoise(src, g, s0, seg, 0, len);
    }
    filt.design(freqResponse, k * g.nMagnitudes);
    const y = filt.convolve(seg, 0, len);
    const m = len + g.synthFilterSize - 1;
    for (let i = 0; i < m; i++) full[s0 + i] += y[i];
  }
  const out = new Float32Array(nSamples);
  const lim = Math.min(nSamples, full.length - g.advance);
  for (let n = 0; n < lim; n++) out[n] = full[n + g.advance];
  return out;
}

/**
 * FilteredNoise module, stream form. Each pushed frame filters its noise segment at once and overlap-adds it into
 * a ring; `render` reads the ring advanced by the design's group delay. Output equals {@link filteredNoiseBatch}
 * (same noise seed) provided frame k is pushed before sample s_k − advance is rendered ({@link readyEnd}). Unlike
 * the seed's streaming noise, nothing is dropped at call boundaries.
 *
 * Audio-thread safe: allocation-free after construction; per-block calls never throw; non-finite magnitudes → 0.
 */
export class FilteredNoiseStream {
  /** Resolved geometry. */
  readonly geometry: NoiseGeometry;
  private readonly filt: NoiseFrameFilter;
  private readonly src: NoiseSource;
  private readonly seg: Float32Array;
  private readonly ring: Float32Array;
  private pushed = 0;
  private position = 0;

  /** @param maxFramesAhead how many frames may be pushed ahead of the render position (default 8). */
  constructor(o: FilteredNoiseOptions & { maxFramesAhead?: number }) {
    this.geometry = noiseGeometry(o);
    const ahead = o.maxFramesAhead ?? 8;
    assertInt(ahead, 'maxFramesAhead', 1, 1 << 20);
    const g = this.geometry;
    this.filt = new NoiseFrameFilter(g);
    this.src = new NoiseSource(g.noiseSeed);
    this.seg = new Float32Array(g.maxSegment);
    this.ring = new Float32Array((ahead + 2) * g.maxSegment + g.synthFilterSize + g.advance + 1);
  }

  /** Frames pushed since construction / reset. */
  get framesPushed(): number { return this.pushed; }
  /** Samples rendered since construction / reset. */
  get samplesRendered(): number { return this.position; }

  /** Samples [0, readyEnd()) are final given the frames pushed so far. */
  readyEnd(): number {
    return Math.max(0, noiseSegmentStart(this.pushed, this.geometry.hop) - this.geometry.advance);
  }

  /** Frames that must be pushed for samples [0, endSample) to be final. */
  framesNeeded(endSample: number): number {
    if (endSample <= 0) return 0;
    const t = endSample + this.geometry.advance; // need s_K ≥ t
    let k = Math.max(0, Math.floor(t / this.geometry.hop) - 1);
    while (noiseSegmentStart(k, this.geometry.hop) < t) k++;
    return k;
  }

  /** True if the next frame fits in the ring now. */
  canPush(): boolean {
    const g = this.geometry;
    const k = this.pushed;
    const s0 = noiseSegmentStart(k, g.hop);
    const m = noiseSegmentStart(k + 1, g.hop) - s0 + g.synthFilterSize - 1;
    return s0 + m - (this.position + g.advance) <= this.ring.length;
  }

  /**
   * Pushes the next frame's magnitudes (N/2+1 values from `offset`, model bins). Returns false (dropped) when
   * the frame lies too far ahead of the render position for the ring.
   */
  pushFrame(magnitudes: Float32Array, offset = 0): boolean {
    if (!this.canPush()) return false;
    const g = this.geometry;
    const k = this.pushed;
    const s0 = noiseSegmentStart(k, g.hop);
    const len = noiseSegmentStart(k + 1, g.hop) - s0;
    const m = len + g.synthFilterSize - 1;
    const readPos = this.position + g.advance;
    const R = this.ring.length;
    drawNoise(this.src, g, s0, this.seg, 0, len);
    if (magnitudes.length < offset + g.nMagnitudes) {
      this.filt.silence();
    } else {
      this.filt.design(magnitudes, offset);
    }
    const y = this.filt.convolve(this.seg, 0, len);
    const ring = this.ring;
    // branch-free: the clamp bites only on the first segment after a reset, too rarely for V8 to have seen it
    let i = Math.max(readPos - s0, 0);
    let t = (s0 + i) % R;
    for (; i < m; i++) {
      ring[t] += y[i];
      if (++t === R) t = 0;
    }
    this.pushed++;
    return true;
  }

  /** Writes n samples (n ≥ 0) to out[offset .. offset+n). */
  render(out: Float32Array, offset: number, n: number): void {
    if (!(n > 0)) return;
    const ring = this.ring;
    const R = ring.length;
    let t = (this.position + this.geometry.advance) % R;
    for (let i = 0; i < n; i++) {
      const v = ring[t];
      out[offset + i] = Number.isFinite(v) ? v : 0;
      ring[t] = 0;
      if (++t === R) t = 0;
    }
    this.position += n;
  }

  /**
   * Switches the noise to another seed (a safe integer; anything else is ignored): frames pushed from now on draw
   * the noise of `noiseSeed`. Allocation-free.
   */
  setNoiseSeed(noiseSeed: number): void {
    if (!Number.isSafeInteger(noiseSeed)) return;
    this.src.reseed(noiseSeed);
    this.geometry.noiseSeed = noiseSeed;
  }

  /** Back to the start state (no frames, silence). */
  reset(): void {
    this.pushed = 0;
    this.position = 0;
    this.ring.fill(0);
  }
}

class FilteredNoiseNode extends StreamFormBase {
  private readonly s: FilteredNoiseStream;
  constructor(n: NodeOf<'FilteredNoise'>, x: ModuleContext) {
    super();
    this.s = new FilteredNoiseStream({ sampleRate: x.sampleRate, frameRate: x.frameRate, filterSize: n.filterSize,
      design: n.design, amplitude: n.amplitude, modelSampleRate: x.modelSampleRate, noiseSeed: x.noiseSeed,
      minimumPhase: x.minimumPhaseNoise, maxFramesAhead: x.maxFramesAhead });
  }
  override pushFrame(c: readonly Float32Array[]): boolean { return this.s.pushFrame(c[0], 0); }
  override canPush(): boolean { return this.s.canPush(); }
  override readyEnd(): number { return this.s.readyEnd(); }
  override framesNeeded(endSample: number): number { return this.s.framesNeeded(endSample); }
  override process(_signals: readonly Float32Array[], out: Float32Array, n: number): void { this.s.render(out, 0, n); }
  override setNoiseSeed(noiseSeed: number): void { this.s.setNoiseSeed(noiseSeed); }
  override reset(): void { this.s.reset(); }
}

/** FilteredNoise's forms for the graph (input: freq_response). */
export const FILTERED_NOISE: ModuleForms<'FilteredNoise'> = {
  batch: (n, [freqResponse], nFrames, nSamples, x) => filteredNoiseBatch(freqResponse, nFrames, nSamples, {
    sampleRate: x.sampleRate, frameRate: x.frameRate, filterSize: n.filterSize, design: n.design, amplitude: n.amplitude,
    modelSampleRate: x.modelSampleRate, noiseSeed: x.noiseSeed, minimumPhase: x.minimumPhaseNoise }),
  stream: (n, x) => new FilteredNoiseNode(n, x),
};
