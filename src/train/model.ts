/**
 * The trainable model: the tfjs estimator (src/estimator/tf), the differentiable synth graph
 * (src/synth/graph.grad) and the learned reverb IR, composed from a training config, with weights named as
 * the seed's PyTorch state_dict (`estimator.<name>`, `synth.processors.<i>.ir`).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { paramCount, type SynthConfig } from '../synth/graph';
import { synthForward } from '../synth/graph.grad';
import { estimatorSpec, type EstimatorSpec } from '../estimator/network';
import type { EstimatorTF } from '../estimator/tf';
import { FORMAT_VERSION, type DDSPModel } from '../model/model-file';
import { analysisWindowSize, type AnalysisAlignment } from '../dsp/analysis-window';
import { synthOfConfig, type TrainConfig } from './config-schema';
import { Rng } from './rng';
import type { TensorMap } from './checkpoint';

type TF = typeof tfc;

/** What fixes a model's shapes (compared when resuming or fine-tuning). */
export interface ModelGraph {
  sampleRate: number;
  frameRate: number;
  f0RangeHz: [number, number];
  /** data.analysis_window and data.analysis_alignment, each only where it differs from what a model file without
   *  it means (analysisWindowSize(sampleRate), 'centred'), so a default run's model file is as before. */
  analysisWindow?: number;
  analysisAlignment?: AnalysisAlignment;
  synth: SynthConfig;
  estimator: EstimatorSpec;
  /** state_dict name of the IR parameter (`synth.processors.<i>.ir`), null without an IRReverb. */
  irName: string | null;
  /** IR length without the leading zero. */
  irLength: number;
}

/** Builds the model graph a config describes. Throws ConfigError for a synth the library cannot train. */
export function graphFromConfig(c: TrainConfig): ModelGraph {
  const synth = synthOfConfig(c);
  const P = paramCount(synth);
  const estimator = estimatorSpec(P, c.model.estimator.hidden_size);
  const irIndex = synth.nodes.findIndex((n) => n.type === 'IRReverb');
  const irNode = irIndex >= 0 ? (synth.nodes[irIndex] as { irLength: number }) : null;
  return {
    sampleRate: c.sample_rate,
    frameRate: c.data.frame_rate,
    f0RangeHz: [c.data.f0_range[0], c.data.f0_range[1]],
    ...(c.data.analysis_window !== analysisWindowSize(c.sample_rate) ? { analysisWindow: c.data.analysis_window } : {}),
    ...(c.data.analysis_alignment !== 'centred' ? { analysisAlignment: c.data.analysis_alignment } : {}),
    synth,
    estimator,
    irName: irIndex >= 0 ? `synth.processors.${irIndex}.ir` : null,
    irLength: irNode ? irNode.irLength - 1 : 0,
  };
}

/** Differences between two graphs as readable lines (empty when they match). */
export function graphDiff(stored: ModelGraph, wanted: ModelGraph): string[] {
  const out: string[] = [];
  if (stored.sampleRate !== wanted.sampleRate) out.push(`sample_rate: checkpoint ${stored.sampleRate}, config ${wanted.sampleRate}`);
  if (stored.frameRate !== wanted.frameRate) out.push(`data.frame_rate: checkpoint ${stored.frameRate}, config ${wanted.frameRate}`);
  if (stored.estimator.hiddenSize !== wanted.estimator.hiddenSize) {
    out.push(`model.estimator.hidden_size: checkpoint ${stored.estimator.hiddenSize}, config ${wanted.estimator.hiddenSize}`);
  }
  const a = stored.synth.nodes;
  const b = wanted.synth.nodes;
  const names = (ns: typeof a) => ns.map((n) => `${n.name}:${n.type}`).join(' → ');
  if (names(a) !== names(b)) out.push(`synth modules: checkpoint ${names(a)}, config ${names(b)}`);
  else {
    a.forEach((n, i) => {
      const m = b[i] as Record<string, unknown>;
      for (const [k, v] of Object.entries(n)) {
        if (k === 'name' || k === 'type' || k === 'design') continue;
        const w = m[k];
        if (JSON.stringify(v) !== JSON.stringify(w)) out.push(`synth ${n.name}.${k}: checkpoint ${JSON.stringify(v)}, config ${JSON.stringify(w)}`);
      }
    });
  }
  if (out.length === 0 && stored.estimator.outputSize !== wanted.estimator.outputSize) {
    out.push(`estimator outputs: checkpoint ${stored.estimator.outputSize}, config ${wanted.estimator.outputSize}`);
  }
  return out;
}

/** The seed's IR initialisation: (U(0,1) − 0.5)·0.1·exp(−5t), t = linspace(0, 1, L), L = irLength − 1 samples. */
export function initIR(length: number, seed: number): Float32Array {
  const rng = new Rng(seed, 0x1e);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const t = length > 1 ? i / (length - 1) : 0;
    out[i] = (rng.next() - 0.5) * 0.1 * Math.exp(-5 * t);
  }
  return out;
}

/** Options of TrainModel.create. */
export interface TrainModelOptions {
  /** Seed of the initialisation. */
  seed: number;
  /** Initial weights by state_dict name (a full set). */
  weights?: TensorMap;
}

/** Estimator + synth + IR as tfjs variables. */
export class TrainModel {
  private constructor(
    readonly tf: TF,
    readonly graph: ModelGraph,
    readonly estimator: EstimatorTF,
    readonly ir: tfc.Variable | null,
  ) {}

  /** Creates the variables (PyTorch initialisation unless weights are given). */
  static async create(tf: TF, graph: ModelGraph, o: TrainModelOptions): Promise<TrainModel> {
    // imported lazily: src/estimator/tf imports tfjs gradients, which must load after the backend (see backend.ts)
    const { EstimatorTF } = await import('../estimator/tf');
    const est = new EstimatorTF(graph.estimator, { seed: o.seed });
    let ir: tfc.Variable | null = null;
    if (graph.irName) ir = tf.variable(tf.tensor1d(initIR(graph.irLength, o.seed)), true);
    const m = new TrainModel(tf, graph, est, ir);
    if (o.weights) m.setWeights(o.weights);
    return m;
  }

  /** Trainable variables by state_dict name, in the seed's optimizer order (estimator, then IR). */
  variables(): Record<string, tfc.Variable> {
    const out: Record<string, tfc.Variable> = {};
    for (const v of this.estimator.trainableVariables()) {
      const name = Object.keys(this.estimator.variables).find((k) => this.estimator.variables[k] === v)!;
      out[`estimator.${name}`] = v;
    }
    if (this.ir && this.graph.irName) out[this.graph.irName] = this.ir;
    return out;
  }

  /** Shapes by state_dict name. */
  shapes(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(this.variables())) out[k] = v.shape.slice();
    return out;
  }

  /**
   * Audio [B, nSamples] from f0 [B, F] (Hz) and loudness [B, F] (dB). Differentiable with respect to the variables.
   * @param noiseSeed seed of this call's noise (each batch item and noise node draws its own stream)
   */
  forward(f0: tfc.Tensor2D, loudness: tfc.Tensor2D, nSamples: number, noiseSeed: number): tfc.Tensor2D {
    const params = this.estimator.forward(f0, loudness);
    const audio = synthForward(this.tf, this.graph.synth, params, f0, this.ir, nSamples,
      { sampleRate: this.graph.sampleRate, frameRate: this.graph.frameRate, noiseSeed });
    return audio;
  }

  /** Copies the weights out, by state_dict name. */
  getWeights(): TensorMap {
    const out: TensorMap = {};
    for (const [k, v] of Object.entries(this.variables())) {
      out[k] = { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    return out;
  }

  /**
   * Assigns weights by state_dict name. Every variable must be present with its shape.
   * @throws Error listing missing tensors and shape differences
   */
  setWeights(w: TensorMap): void {
    const problems = weightProblems(this.shapes(), w);
    if (problems.length) throw new Error(`weights do not fit the model: ${problems.join('; ')}`);
    const tf = this.tf;
    for (const [k, v] of Object.entries(this.variables())) {
      const t = tf.tensor(w[k].data, w[k].shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  /** The model in the library's model-file form. */
  toDDSPModel(opts: { name?: string; meta?: Record<string, string> } = {}): DDSPModel {
    const w = this.getWeights();
    const weights: DDSPModel['estimator']['weights'] = {};
    for (const [k, t] of Object.entries(w)) if (k.startsWith('estimator.')) weights[k.slice('estimator.'.length)] = t;
    const g = this.graph;
    const m: DDSPModel = {
      formatVersion: FORMAT_VERSION,
      sampleRate: g.sampleRate,
      frameRate: g.frameRate,
      f0RangeHz: [g.f0RangeHz[0], g.f0RangeHz[1]],
      ...analysisOf(g),
      estimator: { ...g.estimator, weights },
      synth: g.synth as DDSPModel['synth'],
      name: opts.name,
      meta: opts.meta,
    };
    if (g.irName) m.ir = w[g.irName].data;
    return m;
  }

  /** Frees the variables. */
  dispose(): void {
    this.estimator.dispose();
    this.ir?.dispose();
  }
}

/** The graph's analysis keys for a model file (only those it holds). */
function analysisOf(g: ModelGraph): Pick<DDSPModel, 'analysisWindow' | 'analysisAlignment'> {
  return {
    ...(g.analysisWindow !== undefined ? { analysisWindow: g.analysisWindow } : {}),
    ...(g.analysisAlignment !== undefined ? { analysisAlignment: g.analysisAlignment } : {}),
  };
}

/** Missing tensors and shape mismatches of `w` against `shapes` (extra tensors are ignored). */
export function weightProblems(shapes: Record<string, number[]>, w: TensorMap): string[] {
  const out: string[] = [];
  for (const [k, s] of Object.entries(shapes)) {
    const t = w[k];
    if (!t) out.push(`'${k}' is missing`);
    else if (t.shape.join(',') !== s.join(',')) out.push(`'${k}' is [${t.shape}] in the checkpoint, [${s}] in the config`);
  }
  return out;
}

/** A DDSPModel from a graph and state_dict weights (no tfjs needed: export from a checkpoint). */
export function ddspModelFromWeights(g: ModelGraph, w: TensorMap, opts: { name?: string; meta?: Record<string, string> } = {}): DDSPModel {
  const weights: DDSPModel['estimator']['weights'] = {};
  for (const [k, t] of Object.entries(w)) if (k.startsWith('estimator.')) weights[k.slice('estimator.'.length)] = t;
  const m: DDSPModel = {
    formatVersion: FORMAT_VERSION, sampleRate: g.sampleRate, frameRate: g.frameRate,
    f0RangeHz: [g.f0RangeHz[0], g.f0RangeHz[1]], ...analysisOf(g), estimator: { ...g.estimator, weights }, synth: g.synth as DDSPModel['synth'],
    name: opts.name, meta: opts.meta,
  };
  if (g.irName) {
    const ir = w[g.irName];
    if (!ir) throw new Error(`checkpoint has no '${g.irName}' (the reverb IR)`);
    m.ir = ir.data;
  }
  return m;
}
