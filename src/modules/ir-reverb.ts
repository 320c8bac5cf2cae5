/**
 * IRReverb: convolution with a learned impulse response (the seed's `diffsynth.modules.reverb.IRReverb`).
 *
 * The learned IR `ir` (L−1 samples) gets a leading zero (so the dry signal is not doubled): h = [0, ir...].
 * wet[n] = Σ_j h[j]·x[n−j] (causal, the first nSamples of the full convolution: the seed's 'same' crop with no
 * delay compensation), and out = 2·(1−m)·dry + 2·m·wet with m the reverb mix (default 0.5, i.e. dry + wet as in
 * training; the seed's streaming law). m is smoothed per sample (5 ms linear ramp) in the stream.
 *
 * Sample rates: the IR is learned at the model's rate. At another synthesis rate h is resampled once at
 * construction (windowed sinc, src/dsp/resample) and scaled by modelRate/sampleRate so the reverb's gain per
 * second of tail is unchanged.
 *
 * Three forms: {@link irReverbBatch} (FFT convolution), {@link IRReverbStream} (zero-latency partitioned
 * convolution; equal to the batch form up to float rounding), and ./ir-reverb.grad.
 *
 * @packageDocumentation
 */
import type { DeferTo } from '../dsp/deferred';
import { fftConvolve, PartitionedConvolver } from '../dsp/convolution';
import { resample } from '../dsp/resample';
import { StreamFormBase, type ModuleContext, type ModuleForms } from './form';
import type { NodeOf } from './schema';
import { assertAllFinite, assertInt } from './scaling';
import { LinearSmoother, CONTROL_RAMP_SECONDS } from './smoother';

/** Options of the IRReverb module. */
export interface IRReverbOptions {
  /** Synthesis sample rate, Hz. */
  sampleRate: number;
  /** Learned IR WITHOUT the leading zero (L−1 samples at the model's rate). */
  ir: Float32Array;
  /** The model's sample rate, Hz (the IR's rate). Default `sampleRate`. */
  modelSampleRate?: number;
  /** Reverb mix m in [0, 1]: out = 2(1−m)·dry + 2m·wet. Default 0.5 (= dry + wet, as trained). */
  reverbMix?: number;
  /** Partition size of the stream's convolver (default 128). */
  partitionSize?: number;
  /** The stream's costly parts computed elsewhere ({@link reverbParts} of the same options): copied, not computed. */
  parts?: ReverbParts;
  /** Where copying the parts into the convolver's memory is left (PartitionedConvolver.setIR); default: at once. */
  defer?: DeferTo;
}

/** What building the stream form costs: the IR at the synthesis rate (resampled) and its partition spectra. */
export interface ReverbParts {
  /** The effective IR at the synthesis rate (`effectiveImpulseResponse`). */
  ir: Float32Array;
  /** Its partition spectra (`PartitionedConvolver.irSpectra`). */
  spectra: Float32Array;
}

/** Computes the {@link ReverbParts} of a stream form built with options `o` (allocates). */
export function reverbParts(o: IRReverbOptions): ReverbParts {
  const s = new IRReverbStream(o);
  return { ir: s.impulseResponse, spectra: s.irSpectra() };
}

/**
 * The impulse response actually convolved at the synthesis rate: [0, ir...], resampled (and scaled by
 * modelRate/sampleRate) when the rates differ.
 */
export function effectiveImpulseResponse(ir: Float32Array, sampleRate: number, modelSampleRate = sampleRate): Float32Array {
  if (!(ir instanceof Float32Array)) throw new TypeError('ir must be a Float32Array (the learned IR without its leading zero)');
  assertAllFinite(ir, 'ir');
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`sampleRate must be a positive number of Hz, got ${sampleRate}`);
  if (!(Number.isFinite(modelSampleRate) && modelSampleRate > 0)) {
    throw new RangeError(`modelSampleRate must be a positive number of Hz, got ${modelSampleRate}`);
  }
  const h = new Float32Array(ir.length + 1);
  h.set(ir, 1);
  if (modelSampleRate === sampleRate) return h;
  const r = resample(h, modelSampleRate, sampleRate);
  const s = modelSampleRate / sampleRate;
  for (let i = 0; i < r.length; i++) r[i] *= s;
  return r;
}

function checkMix(m: number | undefined): number {
  const v = m ?? 0.5;
  if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new RangeError(`reverbMix must be in [0, 1], got ${m}`);
  return v;
}

/**
 * IRReverb, batch form: out = 2(1−m)·x + 2m·(x ∗ [0, ir])[0..n).
 * @param audio input [nSamples]
 * @returns output [nSamples]
 */
export function irReverbBatch(audio: Float32Array, o: IRReverbOptions): Float32Array {
  if (!(audio instanceof Float32Array)) throw new TypeError('audio must be a Float32Array');
  assertAllFinite(audio, 'audio');
  const m = checkMix(o.reverbMix);
  const h = effectiveImpulseResponse(o.ir, o.sampleRate, o.modelSampleRate);
  const n = audio.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  const wet = fftConvolve(audio, h);
  const a = 2 * (1 - m);
  const b = 2 * m;
  for (let i = 0; i < n; i++) out[i] = a * audio[i] + b * wet[i];
  return out;
}

/**
 * IRReverb, stream form: zero-latency partitioned convolution, any block size. Output equals
 * {@link irReverbBatch} up to float rounding. Allocation-free after construction; never throws per block;
 * non-finite input samples are treated as 0.
 */
export class IRReverbStream {
  /** Synthesis sample rate, Hz. */
  readonly sampleRate: number;
  /** Length of the effective IR (incl. the leading zero), samples at the synthesis rate. */
  readonly irLength: number;
  /** The effective IR convolved ({@link effectiveImpulseResponse}). */
  readonly impulseResponse: Float32Array;
  private readonly conv: PartitionedConvolver;
  private readonly mix: LinearSmoother;
  private readonly initialMix: number;
  private readonly dry: Float32Array;
  private readonly wet: Float32Array;
  /** Per-sample mix values while a ramp runs. */
  private readonly ramp: Float64Array;
  private readonly block: number;

  constructor(o: IRReverbOptions) {
    if (o === null || typeof o !== 'object') throw new TypeError('IRReverb options must be an object');
    const given = o.parts?.ir;
    const h = given instanceof Float32Array ? given : effectiveImpulseResponse(o.ir, o.sampleRate, o.modelSampleRate);
    const p = o.partitionSize ?? 128;
    assertInt(p, 'partitionSize', 1, 1 << 16);
    this.sampleRate = o.sampleRate;
    this.irLength = h.length;
    this.impulseResponse = h;
    this.conv = new PartitionedConvolver(h, p, { spectra: o.parts?.spectra, defer: o.defer });
    this.initialMix = checkMix(o.reverbMix);
    this.mix = new LinearSmoother(this.initialMix, CONTROL_RAMP_SECONDS * o.sampleRate);
    this.block = 256;
    this.dry = new Float32Array(this.block);
    this.wet = new Float32Array(this.block);
    this.ramp = new Float64Array(this.block);
  }

  /** The convolver's IR spectra (see {@link ReverbParts}). */
  irSpectra(): Float32Array {
    return this.conv.irSpectra();
  }

  /** Processes n samples (n ≥ 0): input[inOffset..) → output[outOffset..). input and output may alias. */
  process(input: Float32Array, inOffset: number, output: Float32Array, outOffset: number, n: number): void {
    if (!(n > 0)) return;
    const B = this.block;
    for (let done = 0; done < n; ) {
      const c = Math.min(B, n - done);
      const dry = this.dry;
      for (let i = 0; i < c; i++) {
        const v = input[inOffset + done + i];
        dry[i] = Number.isFinite(v) ? v : 0;
      }
      this.conv.process(dry, 0, this.wet, 0, c, false);
      const wet = this.wet;
      if (!this.mix.ramping) {
        const m = this.mix.value;
        const a = 2 * (1 - m);
        const b = 2 * m;
        for (let i = 0; i < c; i++) {
          const y = a * dry[i] + b * wet[i];
          output[outOffset + done + i] = Number.isFinite(y) ? y : 0;
        }
      } else {
        const ramp = this.ramp;
        this.mix.fill(ramp, c);
        for (let i = 0; i < c; i++) {
          const m = ramp[i];
          const y = 2 * (1 - m) * dry[i] + 2 * m * wet[i];
          output[outOffset + done + i] = Number.isFinite(y) ? y : 0;
        }
      }
      done += c;
    }
  }

  /**
   * Sets the reverb mix m to `values[index]` (in [0, 1]: the caller clamps; non-finite: ignored), by a 5 ms ramp
   * or, if `immediate`, at once.
   */
  setReverbMixFrom(values: Float64Array, index: number, immediate = false): void {
    this.mix.setFrom(values, index, immediate);
  }

  /** Clears the reverb tail, keeping the current mix (a ramp in progress ends at its target). */
  reset(): void {
    this.conv.reset();
    this.mix.settle();
  }
}

class IRReverbNode extends StreamFormBase {
  private readonly s: IRReverbStream;
  constructor(_n: NodeOf<'IRReverb'>, x: ModuleContext) {
    super();
    this.s = new IRReverbStream({ sampleRate: x.sampleRate, ir: x.learned as Float32Array, modelSampleRate: x.modelSampleRate,
      reverbMix: x.controls.reverbMix, parts: x.parts ?? undefined, defer: x.defer });
  }
  override process(signals: readonly Float32Array[], out: Float32Array, n: number): void { this.s.process(signals[0], 0, out, 0, n); }
  override setControlFrom(values: Float64Array, index: number, immediate: boolean): void { this.s.setReverbMixFrom(values, index, immediate); }
  override reset(): void { this.s.reset(); }
}

/** IRReverb's forms for the graph (input: audio; learned: the IR; user control: reverbMix). */
export const IR_REVERB: ModuleForms<'IRReverb'> = {
  batch: (_n, [audio], _nFrames, _nSamples, x) => irReverbBatch(audio, { sampleRate: x.sampleRate, ir: x.learned as Float32Array,
    modelSampleRate: x.modelSampleRate, reverbMix: x.controls.reverbMix }),
  stream: (n, x) => new IRReverbNode(n, x),
};
