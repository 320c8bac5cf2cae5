/**
 * PyTorch's Adam (torch.optim.Adam with its defaults) on tfjs variables: the one optimiser of the Node trainer, the
 * browser trainer and the benchmark; its state is what checkpoints store (AdamState) and what a seed Lightning
 * checkpoint's optimizer state is read into.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { AdamState, TensorMap } from './checkpoint';

type TF = typeof tfc;

/** Adam hyper-parameters (PyTorch defaults; note eps 1e-8, not tfjs's 1e-7). */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** PyTorch's Adam on tfjs variables. */
export class Adam {
  step = 0;
  readonly m: Record<string, tfc.Variable> = {};
  readonly v: Record<string, tfc.Variable> = {};
  constructor(private tf: TF, private vars: Record<string, tfc.Variable>, public lr: number,
    readonly beta1 = ADAM.beta1, readonly beta2 = ADAM.beta2, readonly eps = ADAM.eps) {
    for (const [k, x] of Object.entries(vars)) {
      this.m[k] = tf.variable(tf.zerosLike(x), false);
      this.v[k] = tf.variable(tf.zerosLike(x), false);
    }
  }

  /** One update: m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps). */
  apply(grads: Record<string, tfc.Tensor>): void {
    const tf = this.tf;
    this.step++;
    const bc1 = 1 - Math.pow(this.beta1, this.step);
    const bc2 = 1 - Math.pow(this.beta2, this.step);
    const stepSize = this.lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    tf.tidy(() => {
      for (const [k, p] of Object.entries(this.vars)) {
        const g = grads[k];
        if (!g) continue;
        const m = tf.add(tf.mul(this.m[k], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[k], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Moments and step as plain data. */
  getState(): AdamState {
    const dump = (o: Record<string, tfc.Variable>): TensorMap => {
      const out: TensorMap = {};
      for (const [k, t] of Object.entries(o)) out[k] = { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) };
      return out;
    };
    return { step: this.step, m: dump(this.m), v: dump(this.v), lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps };
  }

  /**
   * Restores moments (those whose names and shapes match) and the step. Returns the names not restored.
   */
  setState(s: Pick<AdamState, 'step' | 'm' | 'v'>): string[] {
    const tf = this.tf;
    const skipped: string[] = [];
    for (const k of Object.keys(this.vars)) {
      const m = s.m[k];
      const v = s.v[k];
      const shape = this.vars[k].shape.join(',');
      if (!m || !v || m.shape.join(',') !== shape || v.shape.join(',') !== shape) { skipped.push(k); continue; }
      this.m[k].assign(tf.tensor(m.data, m.shape));
      this.v[k].assign(tf.tensor(v.data, v.shape));
    }
    this.step = s.step;
    return skipped;
  }

  dispose(): void {
    for (const k of Object.keys(this.m)) { this.m[k].dispose(); this.v[k].dispose(); }
  }
}
