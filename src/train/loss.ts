/**
 * The seed's multi-scale spectral loss as a differentiable tfjs op (tfjs has no FFT gradient): a `tf.customGrad`
 * whose forward and backward run in JS over src/dsp/spectral (RealFFT). Batch-aware: output and target are
 * [B, N]; the loss is the seed's mean over batch, bins and frames, Σ over scales / (nScales · 2).
 *
 * Backward (hand-written): with S = |X|² per frame and bin,
 *   ∂loss/∂S = (sign(S − T) + sign(ln(S+ε) − ln(T+ε)) / (S + ε)) / (count_n · nScales · 2),
 *   ∂loss/∂x = Σ_frames window · Re(Σ_f (2·Re X_f + 2i·Im X_f)·∂loss/∂S_f · e^{+2πi f j/n})   (an inverse real FFT).
 * The target gets a zero gradient (it is data).
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { DEFAULT_FFT_SIZES, multiScaleSpectralLossGrad } from '../dsp/spectral';

/** The @tensorflow/tfjs-core namespace (passed in by the caller). */
export type TF = typeof tfc;

/**
 * Differentiable multi-scale spectral loss.
 * @param output [B, N] synthesized audio
 * @param target [B, N] target audio
 * @param fftSizes FFT sizes (default the seed's 64..2048)
 * @returns a scalar tensor; its gradient flows to `output`
 */
export function spectralLossOp(tf: TF, output: tfc.Tensor, target: tfc.Tensor,
  fftSizes: readonly number[] = DEFAULT_FFT_SIZES): tfc.Scalar {
  if (output.rank !== 2) throw new RangeError(`output must have rank 2 [B, N], got shape [${output.shape.join(', ')}]`);
  if (target.rank !== 2 || target.shape[0] !== output.shape[0] || target.shape[1] !== output.shape[1]) {
    throw new RangeError(`target must have the shape of output [${output.shape.join(', ')}], got [${target.shape.join(', ')}]`);
  }
  const [B, N] = output.shape;
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [oT, tT] = args as tfc.Tensor[];
    const o = Float32Array.from(oT.dataSync() as Float32Array);
    const t = Float32Array.from(tT.dataSync() as Float32Array);
    const grad = new Float32Array(B * N);
    const loss = multiScaleSpectralLossGrad(o, t, B, N, fftSizes, grad);
    const gradFunc = (dy: tfc.Tensor): tfc.Tensor[] => {
      const s = (dy.dataSync() as Float32Array)[0];
      if (s !== 1) for (let i = 0; i < grad.length; i++) grad[i] *= s;
      return [tf.tensor2d(grad, [B, N]), tf.zerosLike(tT)];
    };
    return { value: tf.scalar(loss), gradFunc };
  });
  return op(output, target) as tfc.Scalar;
}
