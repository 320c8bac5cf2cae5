/**
 * Synthetic models and test signals: a randomly initialised model of any size (PyTorch's default initialisation
 * from a seeded PRNG, a decaying-noise reverb IR) for tests, benchmarks and `ddsp-stream bench`, and a few
 * deterministic input signals.
 *
 * @packageDocumentation
 */

import { estimatorSpec, initWeights, mulberry32 } from '../estimator/network';
import { FORMAT_VERSION, type DDSPModel } from '../model/model-file';
import { hpnir, paramCount } from '../synth/graph';
import type { NoiseFilterDesign } from '../dsp/fir';

/** Size and rates of a synthetic model; every field optional (defaults = the seed's default model size). */
export interface SyntheticModelOptions {
  /** Estimator width (default 512). */
  hiddenSize?: number;
  /** Harmonics (default 256). */
  nHarmonics?: number;
  /** Noise filter size (default 512). */
  filterSize?: number;
  /** Reverb IR length, seconds (default 1). */
  irSeconds?: number;
  /** Model sample rate, Hz (default 48000). */
  sampleRate?: number;
  /** Frames per second (default 50). */
  frameRate?: number;
  /** Noise filter design (default 'linear-phase'). */
  design?: NoiseFilterDesign;
  /** PRNG seed (default 1). */
  seed?: number;
}

/** A randomly initialised hpnir model (Harmonic + FilteredNoise → Add → IRReverb). */
export function syntheticModel(o: SyntheticModelOptions = {}): DDSPModel {
  const sampleRate = o.sampleRate ?? 48000;
  const seed = o.seed ?? 1;
  const synth = hpnir({ nHarmonics: o.nHarmonics ?? 256, filterSize: o.filterSize ?? 512, irSeconds: o.irSeconds ?? 1,
    sampleRate, design: o.design ?? 'linear-phase' });
  const spec = estimatorSpec(paramCount(synth), o.hiddenSize ?? 512);
  const irNode = synth.nodes.find((n) => n.type === 'IRReverb');
  const irLength = irNode && irNode.type === 'IRReverb' ? irNode.irLength : 2;
  const rand = mulberry32(seed + 1000);
  const ir = new Float32Array(irLength - 1);
  const tau = Math.max(1, ir.length / 5);
  for (let i = 0; i < ir.length; i++) ir[i] = (rand() - 0.5) * 0.1 * Math.exp(-i / tau);
  return {
    formatVersion: FORMAT_VERSION,
    sampleRate,
    frameRate: o.frameRate ?? 50,
    f0RangeHz: [32, 2000],
    estimator: { ...spec, weights: initWeights(spec, seed) },
    synth,
    ir,
    name: `synthetic-h${spec.hiddenSize}`,
  };
}

/**
 * A harmonic tone (5 harmonics, 1/k amplitudes, peak ≈ 0.7·amplitude) gliding from f0StartHz to f0EndHz with a
 * slow tremolo, at sampleRate.
 */
export function glideSignal(nSamples: number, sampleRate: number, f0StartHz = 220, f0EndHz = 440, amplitude = 0.5): Float32Array {
  const x = new Float32Array(nSamples);
  let phase = 0;
  for (let i = 0; i < nSamples; i++) {
    const f0 = f0StartHz + ((f0EndHz - f0StartHz) * i) / Math.max(1, nSamples);
    phase += (2 * Math.PI * f0) / sampleRate;
    if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
    let v = 0;
    for (let k = 1; k <= 5; k++) v += Math.sin(k * phase) / k;
    const trem = 0.75 + 0.25 * Math.sin((2 * Math.PI * 3 * i) / sampleRate);
    x[i] = amplitude * 0.45 * v * trem;
  }
  return x;
}
