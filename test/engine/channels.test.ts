// Audio mode with one voice per input channel (StreamingEngine.processChannels): each channel tracked and
// resynthesised as its own voice, summed through the one reverb.
import { describe, expect, it } from 'vitest';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { maxAbs, smallModel, tone } from './helpers';

const SR = 48000;

function render(e: StreamingEngine, inputs: (Float32Array | null)[], n: number, block: number, perChannel: boolean): Float32Array {
  const out = new Float32Array(n);
  for (let p = 0; p < n; p += block) {
    const m = Math.min(block, n - p);
    if (perChannel) e.processChannels(inputs, out, m, p, p);
    else e.process(inputs[0], out, m, p, p);
  }
  return out;
}

describe('processChannels', () => {
  const model = smallModel(6);
  const n = SR;
  const a = tone(n, SR, 196, 0.4);
  const b = tone(n, SR, 330, 0.3);

  it('each channel is audio mode of that channel, and the channels add up (through the one linear reverb)', () => {
    // Silence in a channel still renders its voice (the model's output for silent input), so by linearity:
    // channels([a, −]) − channels([−, −]) = process(a) − process(silence), and
    // channels([a, b]) = channels([a, −]) + channels([−, b]) − channels([−, −]).
    const two = (inputs: (Float32Array | null)[], block = 128): Float32Array =>
      render(new StreamingEngine(model, { sampleRate: SR, inputChannels: 2 }), inputs, n, block, true);
    const mono = render(new StreamingEngine(model, { sampleRate: SR }), [a], n, 128, false);
    const monoSilent = render(new StreamingEngine(model, { sampleRate: SR }), [null], n, 128, false);
    const onlyA = two([a, null]);
    const onlyB = two([null, b]);
    const silent = two([null, null]);
    const both = two([a, b], 100);
    const peak = maxAbs(mono);
    expect(maxAbs(onlyB.map((v, i) => v - silent[i]))).toBeGreaterThan(1e-3);
    let d1 = 0;
    let d2 = 0;
    for (let i = 0; i < n; i++) {
      d1 = Math.max(d1, Math.abs(onlyA[i] - silent[i] - (mono[i] - monoSilent[i])));
      d2 = Math.max(d2, Math.abs(both[i] - onlyA[i] - onlyB[i] + silent[i]));
    }
    expect(d1).toBeLessThanOrEqual(1e-5 * peak);
    expect(d2).toBeLessThanOrEqual(1e-5 * peak);
  });

  it('refuses a bad inputChannels; without it processChannels plays channel 0 as process()', () => {
    expect(() => new StreamingEngine(model, { sampleRate: SR, inputChannels: 17 })).toThrow(/inputChannels must be an integer in \[1, 16\]/);
    const plain = render(new StreamingEngine(model, { sampleRate: SR }), [a, b], 4096, 128, true);
    const mono = render(new StreamingEngine(model, { sampleRate: SR }), [a], 4096, 128, false);
    expect(Array.from(plain)).toEqual(Array.from(mono));
  });
});
