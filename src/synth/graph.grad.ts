/**
 * The whole synth graph as one differentiable tfjs computation, for training: the estimator's sigmoid outputs
 * [B, F, P] are split per external parameter (graph order), scaled with tfjs ops (differentiable), and run through
 * the modules' differentiable forms (src/modules/*.grad.ts: JS kernels forward, hand-written adjoints backward).
 * Same graph, same maths, same alignment as {@link renderSynthBatch} at the model's sample rate.
 *
 * `tf` is the @tensorflow/tfjs-core namespace, passed in: nothing here imports tfjs at runtime.
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { ADD_GRAD } from '../modules/add.grad';
import { FILTERED_NOISE_GRAD } from '../modules/filtered-noise.grad';
import type { GradForm, TF } from '../modules/form.grad';
import { HARMONIC_GRAD } from '../modules/harmonic.grad';
import { IR_REVERB_GRAD } from '../modules/ir-reverb.grad';
import { MIX_GRAD } from '../modules/mix.grad';
import { MODULES, type ModuleType, type ParamSpec, type SynthConfig, type SynthNode } from '../modules/schema';
import { hzToMidi, EXP_SIGMOID_EXPONENT, EXP_SIGMOID_THRESHOLD } from '../modules/scaling';
import { resolveGraph, type InputSource } from './dag';

export type { TF };

/** The differentiable form of every module type. */
const GRAD_FORMS: { readonly [T in ModuleType]: GradForm<T> } = {
  Harmonic: HARMONIC_GRAD, FilteredNoise: FILTERED_NOISE_GRAD, Add: ADD_GRAD, Mix: MIX_GRAD, IRReverb: IR_REVERB_GRAD,
};

/** Options of {@link synthForward}. */
export interface SynthForwardOptions {
  /** The model's sample rate, Hz (training synthesizes at it). */
  sampleRate: number;
  /** Control frames per second. */
  frameRate: number;
  /** Noise seed of this step: batch item b of the i-th FilteredNoise node uses noiseSeed + i·B + b (default 0). */
  noiseSeed?: number;
  /** Reverb mix m (default 0.5 = dry + wet, as the seed trains). */
  reverbMix?: number;
}

/** Scales x ∈ (0,1) [B, F, size] with tfjs ops per the spec (the seed's scale_params), differentiably. */
export function scaleTensor(tf: TF, x: tfc.Tensor, spec: ParamSpec): tfc.Tensor {
  const [lo, hi] = spec.range;
  switch (spec.scale) {
    case 'raw':
      return x;
    case 'sigmoid':
      return tf.add(tf.mul(x, hi - lo), lo);
    case 'exp_sigmoid':
      return tf.add(tf.mul(tf.pow(x, tf.scalar(EXP_SIGMOID_EXPONENT)), hi), EXP_SIGMOID_THRESHOLD + lo);
    case 'freq_sigmoid': {
      const mMin = hzToMidi(lo);
      const mMax = hzToMidi(hi);
      // 440 · 2^((m − 69)/12) = 440 · exp(ln2/12 · (m − 69))
      const m = tf.add(tf.mul(x, mMax - mMin), mMin - 69);
      return tf.mul(tf.exp(tf.mul(m, Math.LN2 / 12)), 440);
    }
  }
}

/**
 * Differentiable synth: params [B, F, P] (sigmoid outputs), f0 [B, F] (Hz, conditioned, no gradient),
 * irVariable [irLength − 1] (the learned IR without its leading zero; may be null for graphs without IRReverb)
 * → audio [B, nSamples]. Gradients flow to params and irVariable.
 */
export function synthForward(tf: TF, config: SynthConfig, paramsTensor: tfc.Tensor, f0: tfc.Tensor,
  irVariable: tfc.Tensor | null, nSamples: number, opts: SynthForwardOptions): tfc.Tensor2D {
  const g = resolveGraph(config);
  if (paramsTensor.rank !== 3) throw new RangeError(`params must have rank 3 [B, F, P], got shape [${paramsTensor.shape.join(', ')}]`);
  const [B, F, P] = paramsTensor.shape;
  if (P !== g.paramCount) throw new RangeError(`params has ${P} values per frame, the graph '${config.name}' needs ${g.paramCount}`);
  if (f0.rank !== 2 || f0.shape[0] !== B || f0.shape[1] !== F) {
    throw new RangeError(`f0 must have shape [B, F] = [${B}, ${F}], got [${f0.shape.join(', ')}]`);
  }
  if (!Number.isInteger(nSamples) || nSamples < 0) throw new RangeError(`nSamples must be an integer >= 0, got ${nSamples}`);
  const modelRate = config.sampleRate ?? opts.sampleRate;
  if (modelRate !== opts.sampleRate) {
    throw new RangeError(`synthForward runs at the model's sample rate (${modelRate} Hz), got sampleRate ${opts.sampleRate}`);
  }
  const seed = opts.noiseSeed ?? 0;
  const control = (src: InputSource, spec: ParamSpec): tfc.Tensor => {
    if (src.kind === 'conditioned') return tf.expandDims(f0, 2);
    if (src.kind !== 'param') throw new Error('internal: audio input used as control');
    return scaleTensor(tf, tf.slice(paramsTensor, [0, 0, src.offset], [B, F, src.size]), spec);
  };
  const outputs: tfc.Tensor[] = [];
  let noiseIndex = 0;
  config.nodes.forEach((n, i) => {
    const src = g.inputs[i];
    const inputs = g.specs[i].map((spec, j) => {
      const sj = src[j];
      return sj.kind === 'node' ? outputs[sj.index] : control(sj, spec);
    });
    const state = MODULES[n.type].state;
    let learned: tfc.Tensor | null = null;
    if (state.learned) {
      const size = (state.learned.size as (n: SynthNode) => number)(n);
      if (irVariable === null) throw new TypeError(`irVariable is required: node '${n.name}' is an ${n.type}`);
      if (irVariable.rank !== 1 || irVariable.shape[0] !== size) {
        throw new RangeError(`irVariable must have shape [irLength − 1] = [${size}], got [${irVariable.shape.join(', ')}]`);
      }
      learned = irVariable;
    }
    const form = GRAD_FORMS[n.type] as GradForm<ModuleType>;
    outputs.push(form(tf, n, inputs, { B, F, sampleRate: opts.sampleRate, frameRate: opts.frameRate, nSamples,
      noiseSeed: state.noise ? seed + B * noiseIndex++ : seed, reverbMix: opts.reverbMix ?? 0.5, learned }));
  });
  return outputs[outputs.length - 1] as tfc.Tensor2D;
}
