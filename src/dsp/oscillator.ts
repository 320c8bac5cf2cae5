// Harmonic oscillator bank (the seed's util.harmonic_synthesis / oscillator_bank), rewritten for streaming:
// - one float64 fundamental phase, wrapped to [0, 2π) (the seed accumulates float32 phase and never wraps it);
// - sin(k·φ) for k = 1..H by the Chebyshev recurrence sin((k+1)φ) = 2cosφ·sin(kφ) − sin((k−1)φ), so each sample
//   costs one sin and one cos whatever the number of harmonics;
// - harmonics with k·f0 ≥ sampleRate/2 are skipped per sample (the seed's remove_above_nyquist on sample-wise
//   frequencies);
// - phase advances BEFORE a sample is produced (the seed's cumsum: sample 0 already holds one increment).
//
// The Harmonic module (src/modules/harmonic.ts) runs the seed's frame→sample recipe with these:
// harmonicFrameAmplitudesFrom() per frame, HarmonicOscillatorBank.renderLerpFrom() per span between two frames.
//
// Two kernels give identical samples: the sum over harmonics runs in WebAssembly SIMD (./oscillator-wasm.ts,
// float64 lanes over 4 samples at a time, ~3× faster) where available, else in the plain JS loop below. Both
// compute per sample, in JS, the phase, sin φ, 2 cos φ and the number of harmonics below Nyquist, and then the same
// float64 operations in the same order.

import { CHUNK, LANES, LANE_C2, LANE_IV, LANE_KM, LANE_OUT, LANE_S1, OscillatorKernel, oscillatorKernel } from './oscillator-wasm';

const TWO_PI = 2 * Math.PI;

function checkInt(fn: string, name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${fn}: ${name} must be an integer in [${min}, ${max}] (got ${v})`);
  }
}

function checkRate(fn: string, sampleRate: number): void {
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`${fn}: sampleRate must be a finite number > 0 Hz (got ${sampleRate})`);
  }
}

/** Options of {@link HarmonicOscillatorBank}. */
export interface OscillatorBankOptions {
  /**
   * Kernel of the sum over harmonics: 'auto' (default: WebAssembly SIMD where available, else JS), 'wasm' (throws
   * where unavailable), 'js'. Both give the same samples.
   */
  kernel?: 'auto' | 'wasm' | 'js';
}

/**
 * Bank of up to maxHarmonics harmonic sinusoids of one fundamental, stateful across calls (the phase).
 * `render` and `renderLerpFrom` allocate nothing and never throw; non-finite controls are treated as 0.
 */
export class HarmonicOscillatorBank {
  /** Largest nHarmonics a call may ask for. */
  readonly maxHarmonics: number;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** The kernel in use. */
  readonly kernel: 'wasm' | 'js';
  /** Fundamental phase in radians, in [0, 2π) after each call. Harmonic k is at k·phase. */
  phase = 0;
  /** Amplitude start and step per harmonic, JS kernel (the wasm kernel's live in its memory). */
  private readonly a0: Float64Array;
  private readonly da: Float64Array;
  private readonly wasm: OscillatorKernel | null;
  /** Per-sample lane arrays of the JS kernel (the wasm kernel's live in its memory), as in oscillator-wasm.ts. */
  private readonly lanes: Float64Array;
  /** f0 start and step (Hz) of the next core() call. */
  private readonly f0Ramp = new Float64Array(2);
  /** λ start, λ step, f0A, f0B of the next lerpCore() call. */
  private readonly lerp = new Float64Array(4);

  constructor(maxHarmonics: number, sampleRate: number, options: OscillatorBankOptions = {}) {
    checkInt('HarmonicOscillatorBank', 'maxHarmonics', maxHarmonics, 1, 65536);
    checkRate('HarmonicOscillatorBank', sampleRate);
    const kernel = options.kernel ?? 'auto';
    if (kernel !== 'auto' && kernel !== 'wasm' && kernel !== 'js') {
      throw new RangeError(`HarmonicOscillatorBank: options.kernel must be 'auto', 'wasm' or 'js' (got ${String(kernel)})`);
    }
    this.maxHarmonics = maxHarmonics;
    this.sampleRate = sampleRate;
    this.wasm = kernel === 'js' ? null : oscillatorKernel(maxHarmonics);
    if (kernel === 'wasm' && this.wasm === null) {
      throw new RangeError("HarmonicOscillatorBank: options.kernel 'wasm': WebAssembly SIMD is not available here");
    }
    this.kernel = this.wasm ? 'wasm' : 'js';
    this.a0 = new Float64Array(this.wasm ? 0 : maxHarmonics);
    this.da = new Float64Array(this.wasm ? 0 : maxHarmonics);
    this.lanes = new Float64Array(this.wasm ? 0 : LANES);
  }

  /** Sets the phase back to 0. */
  reset(): void {
    this.phase = 0;
  }

  /**
   * Adds n samples into out[offset..offset+n). Sample i (0..n−1): f0 = f0Start + i·f0Step (Hz); amplitude of
   * harmonic k (1..nHarmonics) = ampStart[k−1] + i·ampStep[k−1]; phase += 2π·f0/sampleRate, then
   * out += Σ_{k: k·f0 < sampleRate/2} amp_k·sin(k·phase).
   */
  render(out: Float32Array, offset: number, n: number, f0Start: number, f0Step: number,
    ampStart: Float32Array | Float64Array, ampStep: Float32Array | Float64Array, nHarmonics: number): void {
    const h = Math.max(0, Math.min(nHarmonics | 0, this.maxHarmonics, ampStart.length, ampStep.length));
    const a0 = this.wasm ? this.wasm.a0 : this.a0;
    const da = this.wasm ? this.wasm.da : this.da;
    for (let k = 0; k < h; k++) {
      const a = ampStart[k];
      const d = ampStep[k];
      a0[k] = a === a && a - a === 0 ? a : 0; // finite check without a call
      da[k] = d === d && d - d === 0 ? d : 0;
    }
    const f = this.f0Ramp;
    f[0] = f0Start;
    f[1] = f0Step;
    this.core(out, offset, n, h);
  }

  /**
   * Adds n samples interpolated between two frames' controls: at sample i the interpolation weight is
   * λ = lambda[0] + i·lambda[1] (0 → frame A, 1 → frame B); f0 = f0A + λ·(f0B − f0A) with f0A = f0Hz[iA],
   * f0B = f0Hz[iB], and amp_k = ampsA[k−1] + λ·(ampsB[k−1] − ampsA[k−1]). Otherwise as {@link render}.
   * With λ = framePosition(n) − k this is the seed's align_corners=False interpolation between frames k and k+1.
   * (Fractional controls arrive in typed arrays: docs/architecture.md, "Numbers on the audio path".)
   */
  renderLerpFrom(out: Float32Array, offset: number, n: number, lambda: Float64Array, f0Hz: Float32Array | Float64Array,
    iA: number, iB: number, ampsA: Float32Array | Float64Array, ampsB: Float32Array | Float64Array,
    nHarmonics: number): void {
    const c = this.lerp;
    c[0] = lambda[0];
    c[1] = lambda[1];
    c[2] = f0Hz[iA];
    c[3] = f0Hz[iB];
    this.lerpCore(out, offset, n, ampsA, ampsB, nHarmonics);
  }

  /** renderLerpFrom with λ start/step and f0A/f0B in this.lerp[0..4). */
  private lerpCore(out: Float32Array, offset: number, n: number, ampsA: Float32Array | Float64Array,
    ampsB: Float32Array | Float64Array, nHarmonics: number): void {
    const c = this.lerp;
    const lambdaStart = c[0];
    const lambdaStep = c[1];
    const f0A = c[2];
    const f0B = c[3];
    const h = Math.max(0, Math.min(nHarmonics | 0, this.maxHarmonics, ampsA.length, ampsB.length));
    const a0 = this.wasm ? this.wasm.a0 : this.a0;
    const da = this.wasm ? this.wasm.da : this.da;
    for (let k = 0; k < h; k++) {
      let a = ampsA[k];
      let b = ampsB[k];
      if (!(a === a && a - a === 0)) a = 0;
      if (!(b === b && b - b === 0)) b = 0;
      a0[k] = a + lambdaStart * (b - a);
      da[k] = lambdaStep * (b - a);
    }
    const df = f0B - f0A;
    const f = this.f0Ramp;
    f[0] = f0A + lambdaStart * df;
    f[1] = lambdaStep * df;
    this.core(out, offset, n, h);
  }

  /**
   * The oscillator loop; f0 start and step in this.f0Ramp (typed-array slots, see docs/architecture.md). Per chunk
   * of samples: phase, sin φ, 2 cos φ and kmax per sample into the lane arrays, then the sum over harmonics.
   */
  private core(out: Float32Array, offset: number, n: number, h: number): void {
    const wasm = this.wasm;
    const f = wasm !== null ? wasm.f64 : this.lanes;
    const nyq = this.sampleRate / 2;
    const w0 = TWO_PI / this.sampleRate;
    let f0Start = this.f0Ramp[0];
    let f0Step = this.f0Ramp[1];
    if (!(f0Start === f0Start && f0Start - f0Start === 0)) f0Start = 0;
    if (!(f0Step === f0Step && f0Step - f0Step === 0)) f0Step = 0;
    let phase = this.phase;
    if (!(phase >= 0 && phase < TWO_PI)) phase = phase === phase && phase - phase === 0 ? phase - TWO_PI * Math.floor(phase / TWO_PI) : 0;
    let kmax = h;
    let lastF0 = NaN;
    for (let i0 = 0; i0 < n; i0 += CHUNK) {
      const m = n - i0 < CHUNK ? n - i0 : CHUNK;
      for (let j = 0; j < m; j++) {
        const i = i0 + j;
        const f0 = f0Start + i * f0Step;
        phase += w0 * f0;
        if (phase >= TWO_PI) {
          phase -= TWO_PI;
          if (phase >= TWO_PI) phase -= TWO_PI * Math.floor(phase / TWO_PI);
        } else if (phase < 0) {
          phase += TWO_PI;
          if (phase < 0) phase -= TWO_PI * Math.floor(phase / TWO_PI);
          if (phase >= TWO_PI) phase = 0;
        }
        if (f0 !== lastF0) {
          lastF0 = f0;
          if (f0 <= 0) kmax = h;
          else {
            // number of harmonics k with k·f0 < nyq, at most h
            const x = nyq / f0;
            kmax = x > h + 1 ? h : Math.ceil(x) - 1;
            while (kmax > 0 && kmax * f0 >= nyq) kmax--;
            while (kmax < h && (kmax + 1) * f0 < nyq) kmax++;
          }
        }
        if (kmax > 0) {
          f[LANE_S1 + j] = Math.sin(phase);
          f[LANE_C2 + j] = 2 * Math.cos(phase);
          f[LANE_KM + j] = kmax;
        } else {
          f[LANE_S1 + j] = 0;
          f[LANE_C2 + j] = 0;
          f[LANE_KM + j] = 0;
        }
        f[LANE_IV + j] = i;
      }
      if (wasm !== null) wasm.run(m);
      else this.sumJs(m);
      for (let j = 0; j < m; j++) if (f[LANE_KM + j] > 0) out[offset + i0 + j] += f[LANE_OUT + j];
    }
    this.phase = phase;
  }

  /**
   * The JS kernel: for each of the first m lanes, Σ_{k < kmax} (a0[k] + i·da[k])·sin((k+1)φ) by the recurrence
   * sin((k+2)φ) = 2cosφ·sin((k+1)φ) − sin(kφ).
   */
  private sumJs(m: number): void {
    const f = this.lanes;
    const a0 = this.a0;
    const da = this.da;
    for (let j = 0; j < m; j++) {
      const kmax = f[LANE_KM + j];
      const i = f[LANE_IV + j];
      const c2 = f[LANE_C2 + j];
      let sPrev = 0;
      let sCur = f[LANE_S1 + j];
      let acc = 0;
      for (let k = 0; k < kmax; k++) {
        acc += (a0[k] + i * da[k]) * sCur;
        const sNext = c2 * sCur - sPrev;
        sPrev = sCur;
        sCur = sNext;
      }
      f[LANE_OUT + j] = acc;
    }
  }
}

/**
 * One frame of the seed's Harmonic control recipe (generators.Harmonic.forward), allocation-free, with
 * f0 = f0Hz[f0Index] and amplitude = amplitude[ampIndex]: dist_k = harmonicDistribution[distOffset + k − 1], set
 * to 0 where k·f0 ≥ sampleRate/2 (only if normalizeBelowNyquist), divided by Σ_k dist_k, times amplitude →
 * out[outOffset + k − 1], k = 1..nHarmonics. Where the seed would divide 0 by 0 (every harmonic above Nyquist, or
 * an all-zero distribution) the frame is silent (all 0) instead of NaN. Non-finite inputs give a silent frame.
 */
export function harmonicFrameAmplitudesFrom(f0Hz: ArrayLike<number>, f0Index: number, amplitude: ArrayLike<number>,
  ampIndex: number, harmonicDistribution: ArrayLike<number>, distOffset: number, nHarmonics: number,
  sampleRate: number, normalizeBelowNyquist: boolean, out: Float32Array | Float64Array, outOffset = 0): void {
  const f0 = f0Hz[f0Index];
  const amp = amplitude[ampIndex];
  const nyq = sampleRate / 2;
  let sum = 0;
  for (let k = 0; k < nHarmonics; k++) {
    let d = harmonicDistribution[distOffset + k];
    if (normalizeBelowNyquist && f0 * (k + 1) >= nyq) d = 0;
    out[outOffset + k] = d;
    sum += d;
  }
  const g = amp / sum;
  if (!(sum !== 0 && g === g && g - g === 0)) {
    for (let k = 0; k < nHarmonics; k++) out[outOffset + k] = 0;
    return;
  }
  for (let k = 0; k < nHarmonics; k++) out[outOffset + k] *= g;
}
