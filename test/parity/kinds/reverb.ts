// Parity runner for 'reverb*' cases: the seed's IRReverb = audio + the first N samples of conv(audio, [0, ...ir]).
// Run through BOTH src/dsp/convolution.ts paths: fftConvolve (batch) and PartitionedConvolver streamed with odd
// call sizes. Shapes come from the case: audio [1, N], ir [L − 1]. Max abs ≤ 1e-4.
import { expect } from 'vitest';
import { PartitionedConvolver, fftConvolve } from '../../../src/dsp/convolution';
import { diffStats, f32, type ParityCase, type ParityKind } from '../case';

const kind: ParityKind = {
  prefix: 'reverb',
  run(c: ParityCase) {
    const audio = f32(c.inputs.audio);
    const irIn = f32(c.inputs.ir);
    const ir = new Float32Array(irIn.length + 1);
    ir.set(irIn, 1); // the learned IR has a leading zero so the dry signal is not doubled
    const n = audio.length;
    const want = c.outputs.audio.data;
    expect(c.outputs.audio.shape[c.outputs.audio.shape.length - 1]).toBe(n);

    const wet = fftConvolve(audio, ir);
    const batch = new Float32Array(n);
    for (let i = 0; i < n; i++) batch[i] = audio[i] + wet[i];
    expect(diffStats(batch, want).max).toBeLessThanOrEqual(1e-4);

    const conv = new PartitionedConvolver(ir);
    const stream = new Float32Array(n);
    stream.set(audio); // dry
    const sizes = [1, 7, 128, 1000, 333, 2048, 5];
    for (let s = 0, j = 0; s < n; j++) {
      const m = Math.min(sizes[j % sizes.length], n - s);
      conv.process(audio, s, stream, s, m, true);
      s += m;
    }
    expect(diffStats(stream, want).max).toBeLessThanOrEqual(1e-4);
  },
};
export default kind;
