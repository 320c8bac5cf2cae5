/**
 * The differentiable counterpart of ./form: the one interface through which src/synth/graph.grad runs a module's
 * differentiable form (`<module>.grad.ts`). Control inputs arrive scaled, [B, F, size]; audio inputs [B, nSamples].
 *
 * @packageDocumentation
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { ModuleType, NodeOf } from './schema';

/** The @tensorflow/tfjs-core namespace (passed in by the caller: nothing here imports tfjs at runtime). */
export type TF = typeof tfc;

/** What the graph hands a differentiable form. */
export interface GradContext {
  /** Batch size B and frames F. */
  B: number;
  F: number;
  /** The model's sample rate, Hz (training synthesizes at it). */
  sampleRate: number;
  frameRate: number;
  /** Output length in samples. */
  nSamples: number;
  /** This node's noise seed: batch item b draws with noiseSeed + b. */
  noiseSeed: number;
  /** Reverb mix m (0.5 = dry + wet, as the seed trains). */
  reverbMix: number;
  /** This node's learned tensor (schema state `learned`: the IR without its leading zero), else null. */
  learned: tfc.Tensor | null;
}

/** A module's differentiable form: inputs in spec order → output [B, nSamples]. */
export type GradForm<T extends ModuleType> = (tf: TF, node: NodeOf<T>, inputs: readonly tfc.Tensor[], x: GradContext) => tfc.Tensor;
