// Parity kind 'estimator': the seed's EstimatorFL given as a state_dict in JSON (fixture estimator.json).
// Checks our realtime runtime (both kernels) and a model file run by onnxruntime-web against the seed's outputs.
import { expect } from 'vitest';
import { EstimatorRuntime } from '../../../src/estimator/realtime';
import type { Weights } from '../../../src/estimator/network';
import { writeModel } from '../../../src/model/model-file';
import { runEstimatorOrt } from '../../../src/model/ort';
import { diffStats, f32, type ParityCase, type ParityKind, type Tensor } from '../case';

const TOLERANCE = 1e-4;

const kind: ParityKind = {
  prefix: 'estimator',
  async run(c: ParityCase) {
    const cfg = c.config as { hidden_size: number; output_dim: number; f0_range?: [number, number]; db_range?: number };
    const sd = c.state_dict as Record<string, Tensor>;
    const weights: Weights = {};
    for (const [k, t] of Object.entries(sd)) weights[k.replace(/^estimator\./, '')] = { shape: t.shape, data: f32(t) };
    const spec = {
      hiddenSize: cfg.hidden_size, outputSize: cfg.output_dim,
      f0Norm: cfg.f0_range ?? [32, 2000] as [number, number], dbRange: cfg.db_range ?? 80,
    };
    const f0 = c.inputs.f0;
    const loud = c.inputs.loud;
    const [batch, frames] = f0.shape;
    const expected = f32(c.outputs.params);
    const P = spec.outputSize;
    for (const kernel of ['js', 'wasm'] as const) {
      const rt = new EstimatorRuntime(spec, weights, { kernel });
      for (let b = 0; b < batch; b++) {
        rt.reset();
        const got = rt.runSequence(f0.data.slice(b * frames, (b + 1) * frames), loud.data.slice(b * frames, (b + 1) * frames));
        const { max } = diffStats(got, expected.subarray(b * frames * P, (b + 1) * frames * P));
        expect(max, `${kernel} kernel, sequence ${b}`).toBeLessThan(TOLERANCE);
      }
    }
    // The same weights as a model file (a Harmonic-only synth with P − 1 harmonics takes exactly P parameters).
    const bytes = writeModel({
      formatVersion: 1, sampleRate: 48000, frameRate: 50, f0RangeHz: [32, 2000],
      estimator: { ...spec, weights },
      synth: { name: 'parity', conditioned: ['f0'], nodes: [{ name: 'harmonic', type: 'Harmonic', nHarmonics: P - 1,
        normalizeBelowNyquist: true, connections: { amplitudes: 'AMP', harmonic_distribution: 'HARM', f0_hz: 'f0' } }] },
    });
    const ort = await runEstimatorOrt(bytes, f32(f0), f32(loud), { batch, frames });
    expect(diffStats(ort, expected).max, 'onnxruntime-web').toBeLessThan(TOLERANCE);
  },
};

export default kind;
