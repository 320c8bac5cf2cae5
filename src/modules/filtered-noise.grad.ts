/**
 * FilteredNoise, differentiable form (tfjs `customGrad`): forward = the batch form's JS kernels (same noise for
 * the same seed), backward = hand-written adjoint with respect to the magnitude response.
 *
 * The output is linear in the taps and the taps are linear in the magnitudes:
 *   out[n] = Σ_k Σ_j taps_k[j] · noise[n + advance − s_k − j]     (segment k's samples only)
 *   taps_k = Window · Rotate · irfft(mag_k)
 * so with g = ∂L/∂out placed on the full-convolution axis (gFull[n + advance] = g[n]):
 *   ∂L/∂taps_k[j] = Σ_i gFull[s_k + i + j] · seg_k[i]      (a cross-correlation, by FFT)
 *   ∂L/∂x_k[m]    = w[m] · ∂L/∂taps_k[rot(m)]                (x = irfft(mag); w the Hann window in zero-phase order)
 *   ∂L/∂mag_k[f]  = (c_f / N) · Σ_m ∂L/∂x_k[m] · cos(2π f m / N),  c_0 = c_{N/2} = 1, else 2  (by a real FFT)
 * Runs at the model's sample rate only (training).
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { RealFFT } from '../dsp/fft';
import { NoiseSource } from '../dsp/noise';
import { filteredNoiseBatch, noiseGeometry, type FilteredNoiseOptions, type NoiseGeometry } from './filtered-noise';
import { noiseSegmentStart } from './timing';
import type { GradForm, TF } from './form.grad';

/** Options of {@link filteredNoiseOp}. Item b of the batch draws noise with seed `noiseSeed + b`. */
export interface FilteredNoiseOpOptions extends FilteredNoiseOptions {
  /** Output length in samples. */
  nSamples: number;
}

// One RealFFT per size for the module's lifetime: a RealFFT's wasm buffers are freed only by the garbage
// collector, so creating two per clip and step filled PFFFT's heap during training.
const fftCache = new Map<number, RealFFT>();
function cachedFFT(size: number): RealFFT {
  let f = fftCache.get(size);
  if (f === undefined) {
    if (fftCache.size >= 8) fftCache.delete(fftCache.keys().next().value as number);
    f = new RealFFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/**
 * Adjoint of one clip: ∂L/∂freq_response [nFrames × (N/2+1)] given ∂L/∂audio g (nSamples values from gOffset)
 * and the clip's noise (drawn from `seed`, scaled as the forward). Exported for tests.
 */
export function filteredNoiseAdjoint(g: ArrayLike<number>, gOffset: number, nSamples: number, nFrames: number,
  geom: NoiseGeometry, seed: number): Float32Array {
  const N = geom.synthFilterSize;
  const M = N / 2 + 1;
  const P = geom.fftSize;
  const fft = cachedFFT(P);
  const fftN = cachedFFT(N);
  const bufG = new Float32Array(P);
  const bufX = new Float32Array(P);
  const specG = new Float32Array(P + 2);
  const specX = new Float32Array(P + 2);
  const corr = new Float32Array(P);
  const gx = new Float32Array(N);
  const specGx = new Float32Array(N + 2);
  const out = new Float32Array(nFrames * M);
  const src = new NoiseSource(seed);
  const adv = geom.advance;
  const half = N / 2;
  // Hann window in zero-phase (circular) order: the designer's window for even N
  const win = new Float64Array(N);
  for (let m = 0; m < N; m++) win[m] = 0.5 + 0.5 * Math.cos((2 * Math.PI * m) / N);
  for (let k = 0; k < nFrames; k++) {
    const s0 = noiseSegmentStart(k, geom.hop);
    const len = noiseSegmentStart(k + 1, geom.hop) - s0;
    // gradient window on the full axis: t = s0 .. s0 + len + N − 2 ↔ output n = t − adv
    let any = false;
    for (let i = 0; i < P; i++) {
      const n = s0 + i - adv;
      const v = i < len + N - 1 && n >= 0 && n < nSamples ? g[gOffset + n] : 0;
      bufG[i] = v;
      if (v !== 0) any = true;
    }
    if (!any) continue;
    src.position = s0;
    src.fill(bufX, 0, len);
    const sc = geom.noiseScale;
    if (sc !== 1) for (let i = 0; i < len; i++) bufX[i] *= sc;
    bufX.fill(0, len, P);
    fft.forward(bufG, specG);
    fft.forward(bufX, specX);
    // corr[j] = Σ_i g[i + j]·x[i]  ⇔  G · conj(X)
    for (let i = 0; i < P + 2; i += 2) {
      const re = specG[i] * specX[i] + specG[i + 1] * specX[i + 1];
      const im = specG[i + 1] * specX[i] - specG[i] * specX[i + 1];
      specG[i] = re;
      specG[i + 1] = im;
    }
    fft.inverse(specG, corr);
    // corr[j] = ∂L/∂taps[j], j < N
    if (geom.design === 'seed') {
      for (let m = 0; m < N; m++) gx[m] = win[m] * corr[m];
    } else {
      for (let m = 0; m < N; m++) gx[m] = win[m] * corr[(m + half) % N];
    }
    fftN.forward(gx, specGx);
    for (let f = 0; f < M; f++) {
      const c = f === 0 || f === half ? 1 : 2;
      out[k * M + f] = (c / N) * specGx[2 * f];
    }
  }
  return out;
}

/**
 * Differentiable FilteredNoise module (model rate only).
 * @param freqResponse [B, F, N/2+1] scaled magnitudes
 * @returns audio [B, nSamples]; gradient flows to freqResponse
 */
export function filteredNoiseOp(tf: TF, freqResponse: tfc.Tensor, o: FilteredNoiseOpOptions): tfc.Tensor2D {
  if (freqResponse.rank !== 3) throw new RangeError(`freq_response must have rank 3 [B, F, N/2+1], got shape [${freqResponse.shape.join(', ')}]`);
  const [B, F, M] = freqResponse.shape;
  const geom = noiseGeometry(o);
  if (!geom.sameRate) throw new RangeError('filteredNoiseOp runs at the model sample rate only (sampleRate must equal modelSampleRate)');
  if (M !== geom.nMagnitudes) throw new RangeError(`freq_response has ${M} bins, filterSize ${o.filterSize} needs ${geom.nMagnitudes}`);
  const N = o.nSamples;
  if (!Number.isInteger(N) || N < 0) throw new RangeError(`nSamples must be an integer >= 0, got ${N}`);
  const seed0 = geom.noiseSeed;
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const x = args[0] as tfc.Tensor;
    const mags = x.dataSync() as Float32Array;
    const out = new Float32Array(B * N);
    for (let b = 0; b < B; b++) {
      out.set(filteredNoiseBatch(mags.subarray(b * F * M, (b + 1) * F * M), F, N, { ...o, noiseSeed: seed0 + b }), b * N);
    }
    const value = tf.tensor2d(out, [B, N]);
    const gradFunc = (dy: tfc.Tensor): tfc.Tensor => {
      const g = dy.dataSync() as Float32Array;
      const gm = new Float32Array(B * F * M);
      for (let b = 0; b < B; b++) gm.set(filteredNoiseAdjoint(g, b * N, N, F, geom, seed0 + b), b * F * M);
      return tf.tensor3d(gm, [B, F, M]);
    };
    return { value, gradFunc };
  });
  return op(freqResponse) as tfc.Tensor2D;
}

/** FilteredNoise's differentiable form for the graph (input: freq_response). */
export const FILTERED_NOISE_GRAD: GradForm<'FilteredNoise'> = (tf, n, [freqResponse], x) => filteredNoiseOp(tf, freqResponse, {
  sampleRate: x.sampleRate, frameRate: x.frameRate, filterSize: n.filterSize, design: n.design, amplitude: n.amplitude,
  noiseSeed: x.noiseSeed, nSamples: x.nSamples });
