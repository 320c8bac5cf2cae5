// The estimator for training, in @tensorflow/tfjs-core raw ops (no tf.layers): the same network as realtime.ts,
// weights as tf.Variables keyed by the canonical (PyTorch state_dict) names and stored in PyTorch layout.
// The GRU is written from raw ops with PyTorch's reset-after convention (tf.layers.gru refuses resetAfter).
// Matrix products go through `linearNoBias`, whose gradient needs no transposed matmul (matMul's transpose flags
// are 15–25× slower on the wasm backend) and transposes only the small activation gradient.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the @tensorflow/tfjs union package does this): register them here.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import {
  LAYER_NORM_EPS, MLP_DEPTH, initWeights, mlpBlock, validateSpec, validateWeights, weightShapes,
  type EstimatorSpec, type Weights,
} from './network';

export type { EstimatorSpec, Weights } from './network';

/**
 * x·wᵀ for x [N, in] and a weight w [out, in] in PyTorch layout, given wT = transpose(w) computed once by the
 * caller (so a recurrent step does not transpose again). Hand-written gradient without transposed-matmul flags:
 * dx = dy·w, dw = transpose(dy)·x (no gradient flows into wT).
 */
export function linearNoBias(x: tf.Tensor2D, w: tf.Tensor2D, wT: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([xi, wi]);
    return {
      value: tf.matMul(xi, wT),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, sw), tf.matMul(tf.transpose(dy), sx)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D)(x, w);
}

/** Options of the EstimatorTF constructor. */
export interface EstimatorTFOptions {
  /** Initial weights (canonical names); default: PyTorch's initialisation from `seed`. */
  weights?: Weights;
  /** PRNG seed of the default initialisation (default 0). */
  seed?: number;
  /** Whether the variables are trainable (default true). */
  trainable?: boolean;
}

/**
 * The estimator as tfjs variables and a differentiable forward pass over [batch, frames] sequences (h0 = 0).
 * Variables are created in the constructor (dispose() frees them).
 */
export class EstimatorTF {
  /** Shapes and normalisation constants. */
  readonly spec: EstimatorSpec;
  /** The weights, keyed by canonical name, PyTorch layout (Linear [out, in], GRU [3H, H] with gates r, z, n). */
  readonly variables: Record<string, tf.Variable>;

  constructor(spec: EstimatorSpec, opts: EstimatorTFOptions = {}) {
    validateSpec(spec);
    this.spec = { hiddenSize: spec.hiddenSize, outputSize: spec.outputSize, f0Norm: [spec.f0Norm[0], spec.f0Norm[1]], dbRange: spec.dbRange };
    const w = opts.weights ?? initWeights(spec, opts.seed ?? 0);
    validateWeights(spec, w);
    const trainable = opts.trainable ?? true;
    this.variables = {};
    for (const [name, shape] of weightShapes(spec)) {
      this.variables[name] = tf.variable(tf.tensor(w[name].data, shape, 'float32'), trainable);
    }
  }

  /** The variables in PyTorch `parameters()` order (the order of a seed checkpoint's Adam state). */
  trainableVariables(): tf.Variable[] {
    return weightShapes(this.spec).map(([n]) => this.variables[n]);
  }

  /**
   * Forward pass. f0Hz, loudnessDb: [batch, frames] or [batch, frames, 1] (Hz, dB).
   * @returns sigmoid outputs [batch, frames, outputSize]. Differentiable with respect to the variables.
   */
  forward(f0Hz: tf.Tensor, loudnessDb: tf.Tensor): tf.Tensor3D {
    const shape = f0Hz.shape;
    const ok = (s: number[]): boolean => s.length === 2 || (s.length === 3 && s[2] === 1);
    const ls = loudnessDb.shape;
    if (!ok(shape) || !ok(ls) || ls[0] !== shape[0] || ls[1] !== shape[1]) {
      throw new RangeError(`f0Hz and loudnessDb must both be [batch, frames] or [batch, frames, 1], got [${shape}] and [${loudnessDb.shape}]`);
    }
    const B = shape[0] as number;
    const T = shape[1] as number;
    const H = this.spec.hiddenSize;
    const P = this.spec.outputSize;
    const v = this.variables;
    return tf.tidy(() => {
      const f0 = tf.reshape(f0Hz, [B * T, 1]);
      const loud = tf.reshape(loudnessDb, [B * T, 1]);
      const [lo, hi] = this.spec.f0Norm;
      const f0n = tf.div(tf.sub(f0, lo), hi - lo);
      const loudn = tf.add(tf.div(loud, this.spec.dbRange), 1);
      let x = tf.concat([f0n, loudn], 1) as tf.Tensor2D; // [B·T, 2]

      const linear = (inp: tf.Tensor2D, name: string): tf.Tensor2D => {
        const w = v[`${name}.weight`] as tf.Tensor2D;
        return tf.add(linearNoBias(inp, w, tf.transpose(w)), v[`${name}.bias`]) as tf.Tensor2D;
      };
      const mlp = (inp: tf.Tensor2D, m: 0 | 1): tf.Tensor2D => {
        let y = inp;
        for (let i = 0; i < MLP_DEPTH; i++) {
          const p = mlpBlock(m, i);
          const lin = linear(y, `${p}.0`);
          const { mean, variance } = tf.moments(lin, -1, true);
          const normed = tf.mul(tf.sub(lin, mean), tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)));
          y = tf.relu(tf.add(tf.mul(normed, v[`${p}.1.weight`]), v[`${p}.1.bias`])) as tf.Tensor2D;
        }
        return y;
      };

      x = mlp(x, 0);
      // GRU (PyTorch gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h).
      const wih = v['gru.weight_ih_l0'] as tf.Tensor2D;
      const xProj = tf.add(linearNoBias(x, wih, tf.transpose(wih)), v['gru.bias_ih_l0']);
      const steps = tf.unstack(tf.transpose(tf.reshape(xProj, [B, T, 3 * H]), [1, 0, 2])); // T × [B, 3H]
      const whh = v['gru.weight_hh_l0'] as tf.Tensor2D;
      const whhT = tf.transpose(whh); // [H, 3H], once for all steps
      const bhh = v['gru.bias_hh_l0'];
      let h = tf.zeros([B, H]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const [xr, xz, xn] = tf.split(steps[t], 3, 1);
        const [hr, hz, hn] = tf.split(tf.add(linearNoBias(h, whh, whhT), bhh), 3, 1);
        const r = tf.sigmoid(tf.add(xr, hr));
        const z = tf.sigmoid(tf.add(xz, hz));
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D;
        hs.push(h);
      }
      const seq = tf.reshape(tf.transpose(tf.stack(hs), [1, 0, 2]), [B * T, H]) as tf.Tensor2D; // [B·T, H], batch-major
      const y = mlp(seq, 1);
      return tf.reshape(tf.sigmoid(linear(y, 'out')), [B, T, P]) as tf.Tensor3D;
    });
  }

  /** Copies the current variable values out (canonical names, PyTorch layout). */
  getWeights(): Weights {
    const out: Weights = {};
    for (const [name, shape] of weightShapes(this.spec)) {
      out[name] = { shape: shape.slice(), data: Float32Array.from(this.variables[name].dataSync() as Float32Array) };
    }
    return out;
  }

  /** Assigns all variables from a Weights record (validated: names, shapes, finite values). */
  setWeights(w: Weights): void {
    validateWeights(this.spec, w);
    for (const [name, shape] of weightShapes(this.spec)) {
      const t = tf.tensor(w[name].data, shape, 'float32');
      this.variables[name].assign(t);
      t.dispose();
    }
  }

  /** Frees the variables. */
  dispose(): void {
    for (const k of Object.keys(this.variables)) this.variables[k].dispose();
  }
}
