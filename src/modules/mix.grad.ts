/**
 * Mix, differentiable form (tfjs `customGrad`): out[n] = mix_a(n)·a[n] + mix_b(n)·b[n], with mix_a, mix_b [B, F]
 * frame controls interpolated to samples (./timing). Backward (hand-written, no [B × N] upsampled weights kept):
 *   ∂L/∂a[n] = mix_a(n)·g[n],  ∂L/∂b[n] = mix_b(n)·g[n],
 *   ∂L/∂mix_a[k] = Σ_n weight_k(n)·g[n]·a[n]  (likewise mix_b), weight_k(n) the interpolation weight of frame k.
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { assertHop, forEachSegment, type Segment } from './timing';
import type { GradForm, TF } from './form.grad';

/** Interpolates [B, F] frame values to [B, nSamples] (the seed's alignment at hop = sampleRate/frameRate). */
function upsample(v: ArrayLike<number>, vOff: number, F: number, N: number, hop: number, out: Float32Array, oOff: number): void {
  const seg: Segment = { n0: 0, len: 0, kA: 0, kB: 0, w0: 0, dw: 0 };
  forEachSegment(0, N, hop, F, seg, (s) => {
    const x0 = v[vOff + s.kA];
    const d = v[vOff + s.kB] - x0;
    for (let i = 0; i < s.len; i++) out[oOff + s.n0 + i] = x0 + (s.w0 + i * s.dw) * d;
  });
}

/** Adjoint of {@link upsample}: gv[k] += Σ_n weight_k(n)·g[n]·(x ? x[n] : 1). */
function upsampleAdjoint(g: ArrayLike<number>, gOff: number, x: ArrayLike<number> | null, F: number, N: number, hop: number,
  gv: Float64Array, vOff: number): void {
  const seg: Segment = { n0: 0, len: 0, kA: 0, kB: 0, w0: 0, dw: 0 };
  forEachSegment(0, N, hop, F, seg, (s) => {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < s.len; i++) {
      const n = s.n0 + i;
      const v = g[gOff + n] * (x ? x[gOff + n] : 1);
      const lam = s.w0 + i * s.dw;
      sb += lam * v;
      sa += v - lam * v;
    }
    gv[vOff + s.kA] += sa;
    gv[vOff + s.kB] += sb;
  });
}

/**
 * Differentiable Mix.
 * @param a, b       [B, N] signals
 * @param mixA, mixB [B, F] scaled weights
 * @returns [B, N]; gradients flow to all four inputs
 */
export function mixOp(tf: TF, a: tfc.Tensor, b: tfc.Tensor, mixA: tfc.Tensor, mixB: tfc.Tensor, o: { sampleRate: number; frameRate: number }): tfc.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new RangeError(`signal_a [${a.shape}] and signal_b [${b.shape}] must both be [B, N]`);
  }
  if (mixA.rank !== 2 || mixB.rank !== 2 || mixA.shape[0] !== a.shape[0] || mixB.shape[0] !== a.shape[0] || mixA.shape[1] !== mixB.shape[1]) {
    throw new RangeError(`mix_a [${mixA.shape}] and mix_b [${mixB.shape}] must both be [B, F]`);
  }
  const hop = assertHop(o.sampleRate, o.frameRate);
  const [B, N] = a.shape;
  const F = mixA.shape[1] as number;
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [aT, bT, maT, mbT] = args as tfc.Tensor[];
    const xa = aT.dataSync() as Float32Array;
    const xb = bT.dataSync() as Float32Array;
    const ma = maT.dataSync() as Float32Array;
    const mb = mbT.dataSync() as Float32Array;
    const ua = new Float32Array(B * N);
    const ub = new Float32Array(B * N);
    for (let i = 0; i < B; i++) {
      upsample(ma, i * F, F, N, hop, ua, i * N);
      upsample(mb, i * F, F, N, hop, ub, i * N);
    }
    const out = new Float32Array(B * N);
    for (let i = 0; i < B * N; i++) out[i] = ua[i] * xa[i] + ub[i] * xb[i];
    const gradFunc = (dy: tfc.Tensor): tfc.Tensor[] => {
      const g = dy.dataSync() as Float32Array;
      const ga = new Float32Array(B * N);
      const gb = new Float32Array(B * N);
      for (let i = 0; i < B * N; i++) { ga[i] = ua[i] * g[i]; gb[i] = ub[i] * g[i]; }
      const gma = new Float64Array(B * F);
      const gmb = new Float64Array(B * F);
      for (let i = 0; i < B; i++) {
        upsampleAdjoint(g, i * N, xa, F, N, hop, gma, i * F);
        upsampleAdjoint(g, i * N, xb, F, N, hop, gmb, i * F);
      }
      return [tf.tensor2d(ga, [B, N]), tf.tensor2d(gb, [B, N]), tf.tensor2d(Float32Array.from(gma), [B, F]),
        tf.tensor2d(Float32Array.from(gmb), [B, F])];
    };
    return { value: tf.tensor2d(out, [B, N]), gradFunc };
  });
  return op(a, b, mixA, mixB) as tfc.Tensor2D;
}

/** Mix's differentiable form for the graph (inputs: signal_a, signal_b, mix_a, mix_b). */
export const MIX_GRAD: GradForm<'Mix'> = (tf, _n, [a, b, mixA, mixB], x) => mixOp(tf, a, b, tf.reshape(mixA, [x.B, x.F]),
  tf.reshape(mixB, [x.B, x.F]), { sampleRate: x.sampleRate, frameRate: x.frameRate });
