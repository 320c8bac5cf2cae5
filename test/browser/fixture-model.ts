// A small model and a test input shared by the browser test and the Node-side processor test.
import { estimatorSpec, initWeights, mulberry32 } from '../../src/estimator/network';
import { writeModel, type DDSPModel } from '../../src/model/model-file';
import { hpnir, paramCount } from '../../src/synth/graph';

/** Sample rate of the fixtures, Hz. */
export const SAMPLE_RATE = 48000;

/**
 * A small random model: hidden 32, 16 harmonics, noise filter 64, a 20 ms reverb IR, 48 kHz, 50 frames/s.
 * Estimator weights use PyTorch's default initialisation from a seeded PRNG; the IR is decaying noise.
 */
export function smallModel(seed = 1): DDSPModel {
  const synth = hpnir({ nHarmonics: 16, filterSize: 64, irSeconds: 0.02, sampleRate: SAMPLE_RATE });
  const spec = estimatorSpec(paramCount(synth), 32);
  const irNode = synth.nodes.find((n) => n.type === 'IRReverb');
  const irLength = irNode !== undefined && irNode.type === 'IRReverb' ? irNode.irLength : 960;
  const rand = mulberry32(seed + 1000);
  const ir = new Float32Array(irLength - 1);
  for (let i = 0; i < ir.length; i++) ir[i] = (rand() * 2 - 1) * 0.3 * Math.exp(-i / 200);
  return {
    formatVersion: 1,
    sampleRate: SAMPLE_RATE,
    frameRate: 50,
    f0RangeHz: [32, 2000],
    estimator: { ...spec, weights: initWeights(spec, seed) },
    synth,
    ir,
    name: 'browser-test-small',
  };
}

/** The model file bytes of smallModel(seed). */
export function smallModelBytes(seed = 1): Uint8Array {
  return writeModel(smallModel(seed));
}

/**
 * A sawtooth-ish tone (5 harmonics, 1/k amplitudes) gliding linearly from f0StartHz to f0EndHz, peak ≈ 0.5.
 */
export function glideInput(nSamples: number, sampleRate = SAMPLE_RATE, f0StartHz = 220, f0EndHz = 330): Float32Array {
  const x = new Float32Array(nSamples);
  let phase = 0;
  for (let i = 0; i < nSamples; i++) {
    const f0 = f0StartHz + ((f0EndHz - f0StartHz) * i) / nSamples;
    phase += (2 * Math.PI * f0) / sampleRate;
    if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
    let v = 0;
    for (let k = 1; k <= 5; k++) v += Math.sin(k * phase) / k;
    x[i] = 0.3 * v;
  }
  return x;
}

/** RMS of an array. */
export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}
