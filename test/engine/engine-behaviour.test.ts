// Signal properties of the StreamingEngine: pitch shift, awkward inputs, robustness of process(), model swap.
import { describe, expect, it } from 'vitest';
import { renderOffline } from '../../src/engine/render';
import { StreamingEngine, prepareModel } from '../../src/engine/streaming-engine';
import { syntheticModel } from '../../src/cli/synthetic';
import { allFinite, maxAbs, maxAbsDiff, noise, rms, smallModel, streamBlocks, tone } from './helpers';

/** Fundamental frequency of a periodic signal by normalised autocorrelation (parabolic peak), Hz. */
function periodHz(x: Float32Array, sampleRate: number, fMin = 60, fMax = 2000): number {
  const n = x.length;
  const minLag = Math.floor(sampleRate / fMax);
  const maxLag = Math.ceil(sampleRate / fMin);
  const r = new Float64Array(maxLag + 2);
  for (let lag = minLag - 1; lag <= maxLag + 1; lag++) {
    let s = 0, e0 = 0, e1 = 0;
    for (let i = 0; i + lag < n; i++) { s += x[i] * x[i + lag]; e0 += x[i] * x[i]; e1 += x[i + lag] * x[i + lag]; }
    r[lag] = s / Math.sqrt(e0 * e1 + 1e-20);
  }
  // First lag whose correlation is within 2 % of the global maximum (the fundamental, not a multiple).
  let best = -Infinity;
  for (let lag = minLag; lag <= maxLag; lag++) best = Math.max(best, r[lag]);
  let lag = minLag;
  for (; lag <= maxLag; lag++) if (r[lag] >= best - 0.02 && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) break;
  const a = r[lag - 1], b = r[lag], c = r[lag + 1];
  const den = a - 2 * b + c;
  const delta = den !== 0 ? (0.5 * (a - c)) / den : 0;
  return sampleRate / (lag + delta);
}

describe('pitch shift', () => {
  const model = smallModel(11);
  const sr = 48000;
  const input = tone(sr, sr, 220, 0.5);
  const dry = { noiseMix: 0, reverbMix: 0 };
  const seg = (y: Float32Array) => y.subarray(24000, 40000);

  it('moves the output pitch by 2^(s/12), continuous semitones, in the stream and the batch render', () => {
    const base = periodHz(seg(renderOffline(model, input, { sampleRate: sr, controls: dry }).audio), sr);
    expect(Math.abs(base / 220 - 1)).toBeLessThan(0.01);
    for (const s of [7, -5, 2.5, 12]) {
      const shifted = renderOffline(model, input, { sampleRate: sr, controls: { ...dry, pitchShift: s } }).audio;
      const ratio = periodHz(seg(shifted), sr) / base;
      expect(Math.abs(ratio / 2 ** (s / 12) - 1), `shift ${s}: ratio ${ratio}`).toBeLessThan(0.005);
    }
    const { out, engine } = streamBlocks(model, input, 128, { sampleRate: sr, controls: { ...dry, pitchShift: 7 } }, 0);
    const D = engine.latencySamples;
    const ratio = periodHz(out.subarray(24000 + D, 40000 + D), sr) / base;
    expect(Math.abs(ratio / 2 ** (7 / 12) - 1)).toBeLessThan(0.005);
  });

  it('a pitch-shift change while streaming glides (smoothed per frame) to the new pitch', () => {
    const e = new StreamingEngine(model, { sampleRate: sr, controls: dry });
    const out = new Float32Array(input.length * 2);
    const x = new Float32Array(out.length);
    x.set(input); x.set(input, input.length);
    for (let p = 0; p < out.length; p += 128) {
      if (p === input.length) e.controls.pitchShift = 12;
      e.process(x, out, 128, p, p);
    }
    const D = e.latencySamples;
    const late = periodHz(out.subarray(input.length + D + 20000, input.length + D + 36000), sr);
    const early = periodHz(out.subarray(D + 20000, D + 36000), sr);
    expect(Math.abs(late / early / 2 - 1)).toBeLessThan(0.005);
    // No jump larger than the ones in steady state.
    let jumpSteady = 0, jumpChange = 0;
    for (let i = D + 10000; i < input.length; i++) jumpSteady = Math.max(jumpSteady, Math.abs(out[i + 1] - out[i]));
    for (let i = input.length + D - 2000; i < input.length + D + 8000; i++) jumpChange = Math.max(jumpChange, Math.abs(out[i + 1] - out[i]));
    expect(jumpChange).toBeLessThan(2.5 * jumpSteady);
  });
});

describe('awkward inputs give finite, sensible output', () => {
  const model = smallModel(12);
  const sr = 48000;
  const n = 24000;
  const cases: [string, Float32Array][] = [
    ['silence', new Float32Array(n)],
    ['DC', new Float32Array(n).fill(0.8)],
    ['full-scale noise', noise(n, 1)],
    ['30 Hz tone', tone(n, sr, 30, 0.9)],
    ['3 kHz tone', tone(n, sr, 3000, 0.9)],
    ['clipping square', Float32Array.from(tone(n, sr, 110, 1), (v) => (v >= 0 ? 1 : -1))],
  ];
  for (const [name, input] of cases) {
    it(name, () => {
      for (const block of [1, 128]) {
        const { out } = streamBlocks(model, input, block, { sampleRate: sr }, 0);
        expect(allFinite(out)).toBe(true);
        expect(maxAbs(out)).toBeLessThan(8);
      }
      const ref = renderOffline(model, input, { sampleRate: sr });
      expect(allFinite(ref.audio)).toBe(true);
    });
  }

  it('NaN / ±Inf samples count as zeros (same output as with zeros there)', () => {
    const clean = tone(n, sr, 262, 0.5);
    const dirty = clean.slice();
    const zeroed = clean.slice();
    for (let i = 5000; i < 5200; i++) { dirty[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? Infinity : -Infinity; zeroed[i] = 0; }
    const a = streamBlocks(model, dirty, 128, { sampleRate: sr }, 0).out;
    const b = streamBlocks(model, zeroed, 128, { sampleRate: sr }, 0).out;
    expect(allFinite(a)).toBe(true);
    expect(maxAbsDiff(a, b).max).toBe(0);
    const r = renderOffline(model, dirty, { sampleRate: sr }).audio;
    expect(allFinite(r)).toBe(true);
  });

  it('silence in, the synthesizer still starts from the held 440 Hz (unvoiced hold) and stays finite', () => {
    const ref = renderOffline(model, new Float32Array(n), { sampleRate: sr });
    expect(Array.from(ref.f0Hz).every((f) => f === 440)).toBe(true);
    expect(ref.loudnessDb[5]).toBeLessThanOrEqual(-79.9);
  });

  it('unvoiced frames hold the last voiced pitch', () => {
    const x = new Float32Array(n);
    x.set(tone(12000, sr, 330, 0.5));
    const ref = renderOffline(model, x, { sampleRate: sr });
    const last = ref.f0Hz[ref.nFrames - 1];
    expect(Math.abs(last / 330 - 1)).toBeLessThan(0.01);
  });
});

describe('process() robustness', () => {
  it('never throws on odd arguments and allocates its buffers up front', () => {
    const model = smallModel(13);
    const e = new StreamingEngine(model, { sampleRate: 48000 });
    const out = new Float32Array(4096);
    const x = tone(4096, 48000, 440);
    expect(() => {
      e.process(x, out, 0);
      e.process(x, out, -5);
      e.process(x, out, NaN);
      e.process(x, out, 4096); // larger than a quantum: split internally
      e.process(x, out, 100, 4090, 0); // input runs out: zeros
      e.process(x, out, 100, 0, 4090); // output shorter than n: clipped
      e.process(null, out, 64);
      e.process(x.subarray(0, 3), out, 64);
      e.controls.pitchShift = NaN;
      e.controls.harmonicMix = Infinity;
      e.controls.reverbMix = -3;
      e.process(x, out, 128);
      e.setControlFeatures(Float64Array.of(NaN), Float64Array.of(Infinity));
      e.setMode('control');
      e.process(x, out, 128);
      e.setMode('audio');
      e.process(x, out, 128);
    }).not.toThrow();
    expect(allFinite(out)).toBe(true);
  });

  it('rejects bad construction arguments with RangeError / TypeError naming them', () => {
    const model = smallModel(13);
    expect(() => new StreamingEngine(model, { sampleRate: 0 })).toThrow(/sampleRate/);
    expect(() => new StreamingEngine(model, { sampleRate: 48000, mode: 'x' as 'audio' })).toThrow(/mode/);
    expect(() => renderOffline(model, [] as unknown as Float32Array, { sampleRate: 48000 })).toThrow(TypeError);
    expect(() => prepareModel(model, -1)).toThrow(RangeError);
  });

  it('accepts a model whose f0 range exceeds what the tracker can search (clipped)', () => {
    const model = { ...smallModel(14), f0RangeHz: [5, 30000] as [number, number] };
    const { out } = streamBlocks(model, tone(12000, 48000, 440), 128, { sampleRate: 48000 }, 0);
    expect(allFinite(out)).toBe(true);
  });
});

describe('estimator work spread', () => {
  /** Per estimated frame, the number of quanta whose process() stepped its estimator. */
  function frameSpans(spreadQuanta: number | undefined): { spans: number[]; e: StreamingEngine } {
    const model = syntheticModel({ hiddenSize: 96, nHarmonics: 16, filterSize: 64, irSeconds: 0.02 });
    const e = new StreamingEngine(model, { sampleRate: 48000, spreadQuanta });
    // Spy on the audio path's estimator (internal): which quanta call step() for each frame.
    type Est = { step: (m?: number) => boolean; beginFrom: (f: Float32Array, l: Float32Array, i: number) => void };
    const est = (e as unknown as { pipeline: { audio: { estimator: Est } } }).pipeline.audio.estimator;
    const step = est.step.bind(est);
    const beginFrom = est.beginFrom.bind(est);
    let quantum = 0;
    let frameQuanta = new Set<number>();
    const spans: number[] = [];
    est.beginFrom = (f, l, i) => { frameQuanta = new Set(); beginFrom(f, l, i); };
    est.step = (m?: number) => { frameQuanta.add(quantum); const done = step(m); if (done) spans.push(frameQuanta.size); return done; };
    const x = tone(48000, 48000, 330);
    const out = new Float32Array(128);
    for (let p = 0; p + 128 <= x.length; p += 128, quantum++) e.process(x, out, 128, p, 0);
    return { spans, e };
  }

  it('spreadQuanta 5 spreads each frame over several 128-sample quanta: no quantum runs a whole frame', () => {
    const { spans, e } = frameSpans(5);
    expect(spans.length).toBeGreaterThan(40);
    expect(Math.min(...spans)).toBeGreaterThanOrEqual(5);
    expect(e.diagnostics).toEqual({ forcedFrames: 0, lateFrames: 0, droppedEvents: 0, malformedMidi: 0, ignoredNotes: 0 });
  });

  it('by default a frame is estimated whole in the quantum its window completes', () => {
    const { spans, e } = frameSpans(undefined);
    expect(spans.length).toBeGreaterThan(40);
    expect(Math.max(...spans)).toBe(1);
    expect(e.diagnostics).toEqual({ forcedFrames: 0, lateFrames: 0, droppedEvents: 0, malformedMidi: 0, ignoredNotes: 0 });
  });
});

describe('mode switch', () => {
  it('crossfades without a click both ways; after each fade the output is that mode started fresh at the switch', () => {
    const sr = 48000;
    const model = smallModel(23);
    const n = 2 * sr;
    const input = tone(n, sr, 247, 0.5);
    const toControl = 29952; // quantum boundaries
    const toAudio = 59904;
    const f0 = Float64Array.of(262);
    const loudness = Float64Array.of(-30);
    const e = new StreamingEngine(model, { sampleRate: sr });
    const audioLatency = e.latencySamples;
    const out = new Float32Array(n);
    const latencies: number[] = [];
    for (let p = 0; p < n; p += 128) {
      if (p === toControl) e.setMode('control');
      if (p === toAudio) e.setMode('audio');
      if (p === toControl || p === toAudio) latencies.push(e.latencySamples);
      e.setControlFeatures(f0, loudness);
      e.process(input, out, 128, p, p);
    }
    // The latency reported is the incoming mode's from the switch on.
    expect(latencies).toEqual([64, audioLatency]);
    // Control mode's path from the switch: a fresh control-mode engine with the same features.
    const c = new StreamingEngine(model, { sampleRate: sr, mode: 'control' });
    const fresh = new Float32Array(toAudio - toControl);
    for (let p = 0; p < fresh.length; p += 128) {
      c.setControlFeatures(f0, loudness);
      c.process(null, fresh, 128, 0, p);
    }
    const controlFadeEnd = toControl + 64 + 3 * 128 + 480;
    expect(maxAbsDiff(out.subarray(controlFadeEnd, toAudio), fresh.subarray(controlFadeEnd - toControl)).max).toBe(0);
    // And audio mode's path from the switch back: a fresh engine fed the input from there.
    const audioFadeEnd = toAudio + audioLatency + 3 * 960 + 480;
    const freshAudio = streamBlocks(model, input.subarray(toAudio), 128, { sampleRate: sr }, 0).out;
    expect(maxAbsDiff(out.subarray(audioFadeEnd), freshAudio.subarray(audioFadeEnd - toAudio)).max).toBe(0);
    // No click: no sample-to-sample step during a switch larger than in either mode's steady state (with the model
    // swap test's 20 % for the sum of two uncorrelated signals mid-fade).
    const jump = (y: Float32Array, from: number, to: number) => {
      let m = 0;
      for (let i = from; i < to - 1; i++) m = Math.max(m, Math.abs(y[i + 1] - y[i]));
      return m;
    };
    const steady = Math.max(jump(out, audioLatency + 4000, toControl), jump(out, controlFadeEnd + 2000, toAudio),
      jump(out, audioFadeEnd + 2000, n));
    expect(jump(out, toControl, controlFadeEnd + 2000)).toBeLessThanOrEqual(1.2 * steady);
    expect(jump(out, toAudio, audioFadeEnd + 2000)).toBeLessThanOrEqual(1.2 * steady);
    expect(rms(out, toControl, toControl + 2000)).toBeGreaterThan(0);
    expect(rms(out, toAudio, toAudio + 2000)).toBeGreaterThan(0);
  });

  it('switching back before the fade completes returns without a jump', () => {
    const sr = 48000;
    const model = smallModel(24);
    const n = sr;
    const input = tone(n, sr, 247, 0.5);
    const e = new StreamingEngine(model, { sampleRate: sr });
    const f0 = Float64Array.of(300);
    const loudness = Float64Array.of(-30);
    const out = new Float32Array(n);
    const sw = 19968;
    const back = sw + 640; // mid-fade (control's fade starts at sw + 64 + 3·128)
    for (let p = 0; p < n; p += 128) {
      if (p === sw) e.setMode('control');
      if (p === back) e.setMode('audio');
      e.setControlFeatures(f0, loudness);
      e.process(input, out, 128, p, p);
    }
    expect(e.getMode()).toBe('audio');
    expect(e.latencySamples).toBe(1503);
    // Back on the audio path that never stopped: after the reversed fade it equals an engine never switched.
    const plain = streamBlocks(model, input, 128, { sampleRate: sr }, 0).out;
    expect(maxAbsDiff(out.subarray(back + 480), plain.subarray(back + 480)).max).toBe(0);
    let m = 0;
    let steady = 0;
    for (let i = sw; i < back + 2000; i++) m = Math.max(m, Math.abs(out[i + 1] - out[i]));
    for (let i = 4000; i < sw; i++) steady = Math.max(steady, Math.abs(out[i + 1] - out[i]));
    expect(m).toBeLessThanOrEqual(1.2 * steady);
  });
});

describe('model swap', () => {
  it('crossfades without a click, then plays the new model exactly', () => {
    const sr = 48000;
    const a = smallModel(21);
    const b = smallModel(22);
    const n = sr;
    const input = tone(n, sr, 247, 0.5);
    const swapAt = 19968; // a quantum boundary
    const e = new StreamingEngine(a, { sampleRate: sr });
    const prepared = prepareModel(b, sr);
    const out = new Float32Array(n);
    for (let p = 0; p < n; p += 128) {
      if (p === swapAt) e.setModel(prepared);
      e.process(input, out, 128, p, p);
    }
    // After the fade the output is model B started fresh at the swap point.
    const fresh = streamBlocks(b, input.subarray(swapAt), 128, { sampleRate: sr }, 0).out;
    const fadeEnd = swapAt + e.latencySamples + Math.ceil(3 * 960) + 480;
    const tail = maxAbsDiff(out.subarray(fadeEnd), fresh.subarray(fadeEnd - swapAt));
    expect(tail.max).toBe(0);
    expect(e.model).toBe(b);
    // No click: the largest sample-to-sample step during the swap is no larger than in either model's steady state.
    const jump = (y: Float32Array, from: number, to: number) => {
      let m = 0;
      for (let i = from; i < to - 1; i++) m = Math.max(m, Math.abs(y[i + 1] - y[i]));
      return m;
    };
    const D = e.latencySamples;
    const steadyA = jump(out, D + 4000, swapAt);
    const steadyB = jump(out, fadeEnd + 2000, n);
    const during = jump(out, swapAt, fadeEnd + 2000);
    expect(during).toBeLessThanOrEqual(1.2 * Math.max(steadyA, steadyB));
    expect(rms(out, swapAt, fadeEnd)).toBeGreaterThan(0);
  });

  it('a swap requested during a fade waits for it, then plays the newest model', () => {
    const sr = 48000;
    const [a, b, c] = [smallModel(31), smallModel(32), smallModel(33)];
    const e = new StreamingEngine(a, { sampleRate: sr });
    const input = tone(sr, sr, 196, 0.5);
    const out = new Float32Array(sr);
    const pb = prepareModel(b, sr);
    const pc = prepareModel(c, sr);
    const swapB = 4992;
    const fadeB = swapB + e.latencySamples + 3 * 960; // B's fade starts here
    let swapC = -1;
    for (let p = 0; p < sr; p += 128) {
      if (p === swapB) e.setModel(pb);
      if (swapC < 0 && p >= fadeB + 128) { e.setModel(pc); swapC = p; } // mid-fade
      e.process(input, out, 128, p, p);
    }
    expect(e.model).toBe(c);
    // C started when B's fade ended (fadeB + 480, rounded up to the quantum), so it equals a fresh C from there.
    const cStart = Math.ceil((fadeB + 480) / 128) * 128;
    const fresh = streamBlocks(c, input.subarray(cStart), 128, { sampleRate: sr }, 0).out;
    const settled = cStart + e.latencySamples + 3 * 960 + 480;
    expect(maxAbsDiff(out.subarray(settled), fresh.subarray(settled - cStart)).max).toBe(0);
    expect(allFinite(out)).toBe(true);
  });

  it('refuses a model prepared for another rate, and swaps between different rates of model', () => {
    const e = new StreamingEngine(smallModel(1), { sampleRate: 48000 });
    expect(() => e.setModel(prepareModel(smallModel(2), 44100))).toThrow(RangeError);
    const m16 = syntheticModel({ hiddenSize: 16, nHarmonics: 8, filterSize: 32, irSeconds: 0.02, sampleRate: 16000, frameRate: 50 });
    e.setModel(prepareModel(m16, 48000));
    const out = new Float32Array(48000);
    const x = tone(48000, 48000, 300);
    for (let p = 0; p < 48000; p += 128) e.process(x, out, 128, p, p);
    expect(allFinite(out)).toBe(true);
    expect(e.model).toBe(m16);
    expect(rms(out, 40000, 48000)).toBeGreaterThan(0);
  });
});

describe('reset and swaps keep the session settings', () => {
  const sr = 48000;
  const mixes = { harmonicMix: 0.5, noiseMix: 0.25, reverbMix: 0.8 };
  const input = tone(sr / 2, sr, 220, 0.5);
  /** Runs `x` through `e` in 128-sample blocks. */
  const run = (e: StreamingEngine, x: Float32Array): Float32Array => {
    const out = new Float32Array(x.length);
    for (let p = 0; p < x.length; p += 128) e.process(x, out, Math.min(128, x.length - p), p, p);
    return out;
  };

  it('reset() keeps the current mix controls without a smoothing ramp: output as a fresh engine built with them', () => {
    const model = smallModel(3);
    const fresh = run(new StreamingEngine(model, { sampleRate: sr, controls: mixes }), input);
    const e = new StreamingEngine(model, { sampleRate: sr });
    run(e, noise(4800, 0.3)); // played with the defaults
    Object.assign(e.controls, mixes);
    run(e, noise(4800, 0.3)); // the new mixes reached (5 ms ramps)
    e.reset();
    expect(maxAbsDiff(run(e, input), fresh).max).toBe(0);
  });

  it("a model swapped in plays with the engine's noise seed unless prepareModel() was given one", () => {
    const a = smallModel(4);
    const b = smallModel(5);
    const seeded = { sampleRate: sr, noiseSeed: 1234 };
    const swapTo = (prepared: ReturnType<typeof prepareModel>): Float32Array => {
      const e = new StreamingEngine(a, seeded);
      run(e, noise(2048, 0.3));
      e.setModel(prepared);
      e.reset(); // completes the swap at once
      return run(e, input);
    };
    const withEngineSeed = run(new StreamingEngine(b, seeded), input);
    expect(maxAbsDiff(swapTo(prepareModel(b, sr)), withEngineSeed).max).toBe(0);
    const withOwnSeed = run(new StreamingEngine(b, { sampleRate: sr, noiseSeed: 99 }), input);
    expect(maxAbsDiff(swapTo(prepareModel(b, sr, { noiseSeed: 99 })), withOwnSeed).max).toBe(0);
    expect(maxAbsDiff(withOwnSeed, withEngineSeed).max).toBeGreaterThan(0); // the seed matters
  });

  it("engine.prepare() gives a swapped-in model the engine's spreadQuanta (latency) and noise seed", () => {
    const a = smallModel(4);
    const b = smallModel(5);
    const opts = { sampleRate: sr, noiseSeed: 77, spreadQuanta: 1 };
    const e = new StreamingEngine(a, opts);
    const fresh = new StreamingEngine(b, opts);
    expect(fresh.latencySamples).not.toBe(new StreamingEngine(b, { sampleRate: sr }).latencySamples);
    run(e, noise(2048, 0.3));
    e.setModel(e.prepare(b));
    e.reset(); // completes the swap at once
    expect(e.latencySamples).toBe(fresh.latencySamples);
    expect(maxAbsDiff(run(e, input), run(fresh, input)).max).toBe(0);
  });
});

describe('warm-up at construction', () => {
  it('leaves the engine exactly as a fresh one: the same samples with and without it, in both modes', () => {
    const model = smallModel(3);
    const x = tone(48000, 48000, 330, 0.4);
    for (const mode of ['audio', 'control'] as const) {
      const features = (e: StreamingEngine) => e.setControlFeatures(Float32Array.of(330), Float32Array.of(-5));
      const cold = streamBlocks(model, x, 128, { sampleRate: 48000, mode, noiseSeed: 5 }, 4096, features).out;
      const warm = streamBlocks(model, x, 128, { sampleRate: 48000, mode, noiseSeed: 5, warmUpQuanta: 64 }, 4096, features).out;
      expect(rms(cold), mode).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(cold, warm).max, mode).toBe(0);
    }
    expect(() => new StreamingEngine(model, { sampleRate: 48000, warmUpQuanta: -1 })).toThrow(RangeError);
  });
});
