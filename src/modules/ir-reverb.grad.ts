/**
 * IRReverb, differentiable form (tfjs `customGrad`): forward = the batch form (FFT convolution with [0, ir]),
 * backward = hand-written adjoints (tfjs has no FFT gradient):
 *   out = a·x + b·wet,  wet[n] = Σ_{j≥1} ir[j−1]·x[n−j]  (n < N),  a = 2(1−m), b = 2m (m = 0.5: dry + wet)
 *   ∂L/∂x[i]      = a·g[i] + b·Σ_{j≥1} ir[j−1]·g[i+j]          (correlation of g with h)
 *   ∂L/∂ir[j−1]   = b·Σ_batch Σ_i g[i+j]·x[i]                 (correlation of g with x)
 * both computed as convolutions of the time-reversed g (src/dsp/convolution fftConvolve). Model rate only.
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { fftConvolve } from '../dsp/convolution';
import type { GradForm, TF } from './form.grad';

/** Options of {@link irReverbOp}. */
export interface IRReverbOpOptions {
  /** Reverb mix m in [0, 1] (default 0.5 = dry + wet, the seed's training form). */
  reverbMix?: number;
}

/**
 * Differentiable IRReverb.
 * @param audio [B, N] input
 * @param ir    [L−1] learned IR without the leading zero (e.g. a tf.Variable)
 * @returns [B, N]; gradients flow to audio and ir
 */
export function irReverbOp(tf: TF, audio: tfc.Tensor, ir: tfc.Tensor, o: IRReverbOpOptions = {}): tfc.Tensor2D {
  if (audio.rank !== 2) throw new RangeError(`audio must have rank 2 [B, N], got shape [${audio.shape.join(', ')}]`);
  if (ir.rank !== 1) throw new RangeError(`ir must have rank 1 [L−1], got shape [${ir.shape.join(', ')}]`);
  const m = o.reverbMix ?? 0.5;
  if (!(Number.isFinite(m) && m >= 0 && m <= 1)) throw new RangeError(`reverbMix must be in [0, 1], got ${o.reverbMix}`);
  const a = 2 * (1 - m);
  const bm = 2 * m;
  const [B, N] = audio.shape;
  const L1 = ir.shape[0];
  const op = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [xT, irT] = args as tfc.Tensor[];
    const x = xT.dataSync() as Float32Array;
    const h = new Float32Array(L1 + 1);
    h.set(irT.dataSync() as Float32Array, 1);
    const out = new Float32Array(B * N);
    if (N > 0) {
      for (let b = 0; b < B; b++) {
        const xb = x.subarray(b * N, (b + 1) * N);
        const wet = fftConvolve(xb, h);
        for (let i = 0; i < N; i++) out[b * N + i] = a * xb[i] + bm * wet[i];
      }
    }
    const value = tf.tensor2d(out, [B, N]);
    const gradFunc = (dy: tfc.Tensor): tfc.Tensor[] => {
      const g = dy.dataSync() as Float32Array;
      const gx = new Float32Array(B * N);
      const gh = new Float64Array(L1);
      const gr = new Float32Array(N);
      for (let b = 0; b < B && N > 0; b++) {
        for (let i = 0; i < N; i++) gr[i] = g[b * N + N - 1 - i];
        const c1 = fftConvolve(gr, h);
        for (let i = 0; i < N; i++) gx[b * N + i] = a * g[b * N + i] + bm * c1[N - 1 - i];
        const c2 = fftConvolve(gr, x.subarray(b * N, (b + 1) * N));
        const jMax = Math.min(L1, N - 1);
        for (let j = 1; j <= jMax; j++) gh[j - 1] += bm * c2[N - 1 - j];
      }
      return [tf.tensor2d(gx, [B, N]), tf.tensor1d(Float32Array.from(gh))];
    };
    return { value, gradFunc };
  });
  return op(audio, ir) as tfc.Tensor2D;
}

/** IRReverb's differentiable form for the graph (input: audio; learned: the IR, shape checked by the graph). */
export const IR_REVERB_GRAD: GradForm<'IRReverb'> = (tf, _n, [audio], x) => irReverbOp(tf, audio, x.learned as tfc.Tensor,
  { reverbMix: x.reverbMix });
