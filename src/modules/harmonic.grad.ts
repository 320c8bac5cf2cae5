/**
 * Harmonic, differentiable form (tfjs): a `tf.customGrad` op whose forward runs the same JS oscillator kernel as
 * the batch and stream forms (./harmonic) and whose backward is a hand-written adjoint.
 *
 * Forward (per batch item, see ./harmonic): A[k,h] = amp[k]·m[k,h]·d[k,h]/S[k] (m the below-Nyquist mask,
 * S = Σ_h m·d; S = 0 → silent frame), then audio[n] = Σ_h A_h(n)·sin((h+1)·φ(n)), A_h(n) linearly interpolated
 * between frames with weights (1−λ(n), λ(n)), harmonics with (h+1)·f0(n) ≥ sr/2 skipped.
 *
 * Backward (f0 is a conditioning input and gets a zero gradient, so φ(n) is a constant of the adjoint):
 *   ∂L/∂A[k,h] = Σ_n g[n]·weight_k(n)·[(h+1)·f0(n) < sr/2]·sin((h+1)·φ(n))   (one pass over samples, the
 *                sines by the same Chebyshev recurrence as the kernel; never a [B × N × H] tensor)
 *   ∂L/∂amp[k] = Σ_h ∂L/∂A[k,h]·d'[k,h]
 *   ∂L/∂d[k,j] = amp[k]·m[k,j]/S[k] · (∂L/∂A[k,j] − Σ_h ∂L/∂A[k,h]·d'[k,h])
 *
 * `tf` (the @tensorflow/tfjs-core namespace) is passed in, so this file adds no tfjs to any bundle by itself.
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { harmonicBatch, type HarmonicOptions } from './harmonic';
import type { GradForm, TF } from './form.grad';
import { assertHop, forEachSegment, type Segment } from './timing';

export type { TF };

const TWO_PI = 2 * Math.PI;

/** Options of {@link harmonicOp}: the module's options plus the output length. */
export interface HarmonicOpOptions extends HarmonicOptions {
  /** Output length in samples. */
  nSamples: number;
}

function dims(t: tfc.Tensor, rank: number, what: string): number[] {
  if (t.rank !== rank) throw new RangeError(`${what} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
  return t.shape;
}

/**
 * The adjoint of the oscillator stage for one clip: ∂L/∂A [nFrames × nHarmonics] given ∂L/∂audio.
 * Exported for tests and for other differentiable ops built on the harmonic kernel.
 */
export function harmonicAmplitudeAdjoint(gAudio: ArrayLike<number>, gOffset: number, f0Hz: ArrayLike<number>,
  nFrames: number, nHarmonics: number, nSamples: number, sampleRate: number, hop: number): Float64Array {
  const H = nHarmonics;
  const gA = new Float64Array(nFrames * H);
  const nyq = sampleRate / 2;
  const w0 = TWO_PI / sampleRate;
  let phase = 0;
  const seg: Segment = { n0: 0, len: 0, kA: 0, kB: 0, w0: 0, dw: 0 };
  forEachSegment(0, nSamples, hop, nFrames, seg, (s) => {
    const fA = f0Hz[s.kA];
    const df = f0Hz[s.kB] - fA;
    const f0Start = fA + s.w0 * df;
    const f0Step = s.dw * df;
    const a = s.kA * H;
    const b = s.kB * H;
    for (let i = 0; i < s.len; i++) {
      const f0 = f0Start + i * f0Step;
      phase += w0 * f0;
      if (phase >= TWO_PI) phase -= TWO_PI * Math.floor(phase / TWO_PI);
      else if (phase < 0) phase -= TWO_PI * Math.floor(phase / TWO_PI);
      const g = gAudio[gOffset + s.n0 + i];
      if (g === 0 || !(f0 > 0)) continue;
      let kmax = Math.min(H, Math.ceil(nyq / f0) - 1);
      while (kmax > 0 && kmax * f0 >= nyq) kmax--;
      while (kmax < H && (kmax + 1) * f0 < nyq) kmax++;
      if (kmax <= 0) continue;
      const lam = s.w0 + i * s.dw;
      const gb = g * lam;
      const ga = g - gb;
      const s1 = Math.sin(phase);
      const c2 = 2 * Math.cos(phase);
      let sPrev = 0;
      let sCur = s1;
      for (let k = 0; k < kmax; k++) {
        gA[a + k] += ga * sCur;
        gA[b + k] += gb * sCur;
        const sNext = c2 * sCur - sPrev;
        sPrev = sCur;
        sCur = sNext;
      }
    }
  });
  return gA;
}

/**
 * Differentiable Harmonic module.
 * @param amplitudes   [B, F] scaled amplitudes
 * @param distribution [B, F, H] scaled harmonic distribution
 * @param f0Hz         [B, F] fundamental, Hz (> 0); treated as a constant (zero gradient)
 * @returns audio [B, nSamples]; gradients flow to amplitudes and distribution
 */
export function harmonicOp(tf: TF, amplitudes: tfc.Tensor, distribution: tfc.Tensor, f0Hz: tfc.Tensor,
  o: HarmonicOpOptions): tfc.Tensor2D {
  const [B, F] = dims(amplitudes, 2, 'amplitudes');
  const [B2, F2, H] = dims(distribution, 3, 'harmonic_distribution');
  const [B3, F3] = dims(f0Hz, 2, 'f0Hz');
  if (B2 !== B || B3 !== B || F2 !== F || F3 !== F) {
    throw new RangeError(`amplitudes [${amplitudes.shape}], harmonic_distribution [${distribution.shape}] and f0Hz [${f0Hz.shape}] must agree on [B, F]`);
  }
  if (H !== o.nHarmonics) throw new RangeError(`harmonic_distribution has ${H} harmonics but nHarmonics is ${o.nHarmonics}`);
  const hop = assertHop(o.sampleRate, o.frameRate);
  const N = o.nSamples;
  if (!Number.isInteger(N) || N < 0) throw new RangeError(`nSamples must be an integer >= 0, got ${N}`);
  const nyquistHz = (o.modelSampleRate ?? o.sampleRate) / 2;
  const normalize = o.normalizeBelowNyquist ?? true;
  const opts: HarmonicOptions = o;
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [ampT, distT, f0T] = args as tfc.Tensor[];
    const amp = ampT.dataSync() as Float32Array;
    const dist = distT.dataSync() as Float32Array;
    const f0 = f0T.dataSync() as Float32Array;
    const out = new Float32Array(B * N);
    for (let b = 0; b < B; b++) {
      out.set(harmonicBatch(amp.subarray(b * F, (b + 1) * F), dist.subarray(b * F * H, (b + 1) * F * H),
        f0.subarray(b * F, (b + 1) * F), F, N, opts), b * N);
    }
    const value = tf.tensor2d(out, [B, N]);
    const gradFunc = (dy: tfc.Tensor): tfc.Tensor[] => {
      const g = dy.dataSync() as Float32Array;
      const gAmp = new Float32Array(B * F);
      const gDist = new Float32Array(B * F * H);
      for (let b = 0; b < B; b++) {
        const ampB = amp.subarray(b * F, (b + 1) * F);
        const distB = dist.subarray(b * F * H, (b + 1) * F * H);
        const f0B = f0.subarray(b * F, (b + 1) * F);
        const gA = harmonicAmplitudeAdjoint(g, b * N, f0B, F, H, N, o.sampleRate, hop);
        for (let k = 0; k < F; k++) {
          // mask and normaliser of frame k, as the forward
          let hMax = H;
          if (normalize) { hMax = 0; while (hMax < H && (hMax + 1) * f0B[k] < nyquistHz) hMax++; }
          let S = 0;
          for (let h = 0; h < hMax; h++) S += distB[k * H + h];
          // the forward's silent frame (0/0 guard): no gradient
          if (!(S !== 0 && Number.isFinite(S) && Number.isFinite(ampB[k] / S))) continue;
          let dot = 0;
          for (let h = 0; h < hMax; h++) dot += gA[k * H + h] * (distB[k * H + h] / S);
          gAmp[b * F + k] = dot;
          const c = ampB[k] / S;
          for (let j = 0; j < hMax; j++) gDist[(b * F + k) * H + j] = c * (gA[k * H + j] - dot);
        }
      }
      return [tf.tensor2d(gAmp, [B, F]), tf.tensor3d(gDist, [B, F, H]), tf.zerosLike(f0T)];
    };
    return { value, gradFunc };
  });
  return op(amplitudes, distribution, f0Hz) as tfc.Tensor2D;
}

/** Harmonic's differentiable form for the graph (inputs: amplitudes, harmonic_distribution, f0_hz). */
export const HARMONIC_GRAD: GradForm<'Harmonic'> = (tf, n, [amp, dist, f0], x) => harmonicOp(tf, tf.reshape(amp, [x.B, x.F]), dist,
  tf.reshape(f0, [x.B, x.F]), { sampleRate: x.sampleRate, frameRate: x.frameRate, nHarmonics: n.nHarmonics,
    normalizeBelowNyquist: n.normalizeBelowNyquist, nSamples: x.nSamples });
