// The estimator for training, in @tensorflow/tfjs-core raw ops (no tf.layers): the same network as realtime.ts,
// weights as tf.Variables keyed by the canonical (PyTorch state_dict) names and stored in PyTorch layout.
// The GRU is written from raw ops with PyTorch's reset-after convention (tf.layers.gru refuses resetAfter).
// Matrix products go through `linearNoBias`, whose gradient needs no transposed matmul (matMul's transpose flags
// are 15–25× slower on the wasm backend) and transposes only the small activation gradient.
// The GRU recurrence is one differentiable op over the whole sequence (`gruSequence`): the input projections of all
// steps are one matmul before it, and its hand-written backward (BPTT) forms the recurrent-weight gradient with ONE
// matmul of the stacked per-step gate gradients and hidden states. Written per step with autodiff, every step
// kept its own [3H, H] weight gradient (tfjs holds all of a backward pass's intermediate gradients until it ends):
// the wasm heap grew by ~17 MB per frame (905 MB at 50 frames, hidden 512, batch 16).
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
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, sw), tf.matMul(tf.transpose(dy), sx)];
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D)(x, w);
}

/**
 * The GRU recurrence (PyTorch gates r, z, n, reset-after) over a whole sequence from h0 = 0, as one differentiable
 * op. Per step t, with [xr, xz, xn] = xProj[t] and [hr, hz, hn] = h·whhᵀ + bhh:
 *   r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r ⊙ hn), h' = (1 − z) ⊙ n + z ⊙ h.
 * Backward (BPTT, hand-written): per step the gate gradients gx = ∂L/∂xProj[t] and gh = ∂L/∂(h·whhᵀ + bhh), and
 * ∂L/∂h_{t−1} = ∂L/∂h_t ⊙ z + gh·whh; after the loop ∂L/∂whh = Ghᵀ·Hprev with Gh [T·B, 3H] and Hprev [T·B, H]
 * concatenated over all steps (one matmul), ∂L/∂bhh = Σ Gh. Each step's temporaries are freed as it ends.
 *
 * No tf.slice / tf.split / tf.unstack of a large tensor: the wasm backend's Slice kernel copies its WHOLE input
 * out of the wasm heap for every slice, so unstacking a [T, B, 3H] tensor step by step costs T full copies. Per-step
 * inputs are read once and uploaded step by step; per-step states are kept as separate tensors; gates use separate
 * [H, H] weight blocks; results are joined with concat (which the wasm backend does without that copy).
 * @param xProj input projections W_ih·x + b_ih, [T, B, 3H]
 * @param whh recurrent weight [3H, H] (PyTorch layout)
 * @param bhh recurrent bias [3H]
 * @returns hidden states [T, B, H]; gradients flow to all three inputs
 */
export function gruSequence(xProj: tf.Tensor3D, whh: tf.Tensor2D, bhh: tf.Tensor1D): tf.Tensor3D {
  if (xProj.rank !== 3 || whh.rank !== 2 || bhh.rank !== 1 || whh.shape[0] !== xProj.shape[2] ||
    whh.shape[0] !== 3 * whh.shape[1] || bhh.shape[0] !== whh.shape[0]) {
    throw new RangeError(`gruSequence: shapes must be xProj [T, B, 3H], whh [3H, H], bhh [3H]; got [${xProj.shape}], [${whh.shape}], [${bhh.shape}]`);
  }
  const [T, B] = xProj.shape;
  const H = whh.shape[1];
  const BH = B * H;
  const f = tf.customGrad(((x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    // gate-major copy of the inputs: xg[t][g] = x[t, :, gH:(g+1)H], contiguous [B, H] blocks
    const xg = tf.transpose(tf.reshape(x, [T, B, 3, H]), [0, 2, 1, 3]).dataSync() as Float32Array;
    const gate = (t: number, g: number): tf.Tensor2D => tf.tensor2d(xg.subarray((3 * t + g) * BH, (3 * t + g + 1) * BH), [B, H]);
    const [wr, wz, wn] = [0, 1, 2].map((g) => tf.transpose(tf.slice(w, [g * H, 0], [H, H]))) as tf.Tensor2D[]; // [H, H] each
    const [br, bz, bn] = [0, 1, 2].map((g) => tf.slice(b, [g * H], [H]));
    const hs: tf.Tensor2D[] = [];
    const rs: tf.Tensor2D[] = [];
    const zs: tf.Tensor2D[] = [];
    const ns: tf.Tensor2D[] = [];
    const hns: tf.Tensor2D[] = [];
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    for (let t = 0; t < T; t++) {
      const hPrev = h;
      const step = tf.tidy(() => {
        const r = tf.sigmoid(tf.add(gate(t, 0), tf.add(tf.matMul(hPrev, wr), br)));
        const z = tf.sigmoid(tf.add(gate(t, 1), tf.add(tf.matMul(hPrev, wz), bz)));
        const hn = tf.add(tf.matMul(hPrev, wn), bn);
        const n = tf.tanh(tf.add(gate(t, 2), tf.mul(r, hn)));
        const hNew = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, hPrev));
        return [hNew, r, z, n, hn] as tf.Tensor2D[];
      });
      h = step[0];
      hs.push(h);
      rs.push(step[1]);
      zs.push(step[2]);
      ns.push(step[3]);
      hns.push(step[4]);
    }
    const value = tf.reshape(tf.concat(hs, 0), [T, B, H]) as tf.Tensor3D;
    // per-step tensors are saved as they are (the engine keeps them only when a gradient is being recorded)
    save([w, ...hs, ...rs, ...zs, ...ns, ...hns]);
    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]): tf.Tensor[] => tf.tidy(() => {
      const sW = saved[0] as tf.Tensor2D;
      const at = (k: number, t: number): tf.Tensor2D => saved[1 + k * T + t] as tf.Tensor2D; // k: 0 h, 1 r, 2 z, 3 n, 4 hn
      const dyd = dy.dataSync() as Float32Array;
      const zero = tf.zeros([B, H]) as tf.Tensor2D;
      const gxs: tf.Tensor2D[] = new Array(T);
      const ghs: tf.Tensor2D[] = new Array(T);
      let dh = zero;
      for (let t = T - 1; t >= 0; t--) {
        const dhNext = dh;
        const [dhPrev, gx, gh] = tf.tidy(() => {
          const hPrev = t > 0 ? at(0, t - 1) : zero;
          const r = at(1, t);
          const z = at(2, t);
          const n = at(3, t);
          const dht = tf.add(dhNext, tf.tensor2d(dyd.subarray(t * BH, (t + 1) * BH), [B, H]));
          const dn = tf.mul(dht, tf.sub(1, z));
          const dz = tf.mul(dht, tf.sub(hPrev, n));
          const daN = tf.mul(dn, tf.sub(1, tf.square(n))); // through tanh
          const daR = tf.mul(tf.mul(daN, at(4, t)), tf.mul(r, tf.sub(1, r))); // through σ
          const daZ = tf.mul(dz, tf.mul(z, tf.sub(1, z)));
          const dHn = tf.mul(daN, r);
          const gxT = tf.concat([daR, daZ, daN], 1) as tf.Tensor2D; // ∂L/∂xProj[t]
          const ghT = tf.concat([daR, daZ, dHn], 1) as tf.Tensor2D; // ∂L/∂(h·whhᵀ + bhh)
          return [tf.add(tf.mul(dht, z), tf.matMul(ghT, sW)), gxT, ghT] as tf.Tensor2D[];
        });
        if (dhNext !== zero) dhNext.dispose();
        dh = dhPrev;
        gxs[t] = gx;
        ghs[t] = gh;
      }
      const dX = tf.reshape(tf.concat(gxs, 0), [T, B, 3 * H]);
      const gh = tf.concat(ghs, 0); // [T·B, 3H]
      const hPrevAll = tf.concat([zero, ...Array.from({ length: T - 1 }, (_, t) => at(0, t))], 0); // [T·B, H]
      const dW = tf.matMul(tf.transpose(gh), hPrevAll); // [3H, H]: all steps in one product
      const dB = tf.sum(gh, 0);
      return [dX, dW, dB];
    });
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (f as unknown as (a: tf.Tensor3D, b: tf.Tensor2D, c: tf.Tensor1D) => tf.Tensor3D)(xProj, whh, bhh);
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
      // input projections of all steps in one matmul, then the recurrence as one op (see gruSequence)
      const xProj = tf.add(linearNoBias(x, wih, tf.transpose(wih)), v['gru.bias_ih_l0']);
      const xSeq = tf.transpose(tf.reshape(xProj, [B, T, 3 * H]), [1, 0, 2]) as tf.Tensor3D; // [T, B, 3H]
      const hs = gruSequence(xSeq, v['gru.weight_hh_l0'] as tf.Tensor2D, v['gru.bias_hh_l0'] as tf.Tensor1D); // [T, B, H]
      const seq = tf.reshape(tf.transpose(hs, [1, 0, 2]), [B * T, H]) as tf.Tensor2D; // [B·T, H], batch-major
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
