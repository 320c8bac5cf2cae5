import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  externalParams, hpn, hpnir, paramCount, renderSynthBatch, resolveGraph, SynthStream, synthFromSeedDag, type SynthConfig,
} from '../../src/synth/graph';
import { allFinite, BLOCK_SIZES, peak, relMaxErr, rng, runFramed, uniform } from '../modules/helpers';

/** Pushes one frame with a scalar f0. */
const push = (s: SynthStream, params: Float32Array, f0Hz: number): boolean => s.pushFrameFrom(params, Float32Array.of(f0Hz), 0);
/** Sets harmonicMix, noiseMix, reverbMix (ramped, or at once if `immediate`). */
const setControls = (s: SynthStream, harmonicMix: number, noiseMix: number, reverbMix: number, immediate = false): void =>
  s.setControlsFrom(Float64Array.of(harmonicMix, noiseMix, reverbMix), 0, immediate);

// The seed's configs/synth/hpnir.yaml (copied: tests never read the seed checkout).
const SEED_HPNIR_YAML = `
name: hpnir
dag:
  harmonic:
    config:
      _target_: diffsynth.modules.generators.Harmonic
      sample_rate: \${sample_rate}
      normalize_below_nyquist: true
      n_harmonics: 256
    connections:
      amplitudes: AMP
      harmonic_distribution: HARM
      f0_hz: f0
  filtnoise:
    config:
      _target_: diffsynth.modules.generators.FilteredNoise
      filter_size: 512
    connections:
      freq_response: FREQRES
  add:
    config:
      _target_: diffsynth.processor.Add
    connections:
      signal_a: harmonic
      signal_b: filtnoise
  irreverb:
    config:
      _target_: diffsynth.modules.reverb.IRReverb
    connections:
      audio: add
conditioned: [f0,]
`;

describe('synth graph: config', () => {
  it('hpnir / hpn: external params in graph order (the seed ext_param_sizes), P', () => {
    const c = hpnir();
    expect(c.nodes.map((n) => n.name)).toEqual(['harmonic', 'filtnoise', 'add', 'irreverb']);
    expect(externalParams(c).map((p) => [p.key, p.size, p.offset, p.scale, p.range])).toEqual([
      ['AMP', 1, 0, 'exp_sigmoid', [0, 1]], ['HARM', 256, 1, 'exp_sigmoid', [0, 1]], ['FREQRES', 257, 257, 'exp_sigmoid', [0, 2]]]);
    expect(paramCount(c)).toBe(514);
    expect(paramCount(hpnir({ nHarmonics: 64 }))).toBe(322);
    expect(paramCount(hpn({ nHarmonics: 64, filterSize: 256 }))).toBe(1 + 64 + 129);
    expect((c.nodes[3] as { irLength: number }).irLength).toBe(48000);
    expect((c.nodes[1] as { design: string }).design).toBe('linear-phase');
  });

  it('synthFromSeedDag reads the seed YAML (interpolation, class defaults) and equals hpnir', () => {
    const y = parse(SEED_HPNIR_YAML);
    const a = synthFromSeedDag(y, { sampleRate: 48000, design: 'seed' });
    const b = hpnir({ design: 'seed' });
    expect(a.nodes).toEqual(b.nodes);
    expect(a.conditioned).toEqual(['f0']);
    expect(a.name).toBe('hpnir');
    const c = synthFromSeedDag(y.dag, { sampleRate: 48000, design: 'linear-phase' }); // the bare dag mapping
    expect(paramCount(c)).toBe(514);
  });

  it('synthFromSeedDag refuses modules it cannot run, by name, and seed defaults that cannot work', () => {
    for (const cls of ['WaveShaper', 'DecayReverb', 'VCA', 'SawOscillator', 'SineOscillator', 'IRReverbMix']) {
      const y = parse(SEED_HPNIR_YAML);
      y.dag.extra = { config: { _target_: `diffsynth.modules.x.${cls}` }, connections: { audio: 'irreverb' } };
      expect(() => synthFromSeedDag(y, { sampleRate: 48000, design: 'seed' })).toThrow(new RegExp(`synth module ${cls} \\(DAG node 'extra'\\) is not supported`));
    }
    const y = parse(SEED_HPNIR_YAML);
    delete y.dag.harmonic.config.sample_rate;
    expect(() => synthFromSeedDag(y, { sampleRate: 48000, design: 'seed' })).toThrow(/sample_rate 16000.*class default/);
    const z = parse(SEED_HPNIR_YAML);
    delete z.dag.filtnoise.config.filter_size;
    expect(() => synthFromSeedDag(z, { sampleRate: 48000, design: 'seed' })).toThrow(/filter_size must be an even.*257/);
    const w = parse(SEED_HPNIR_YAML);
    w.dag.harmonic.config._target_ = 'foo.Bar';
    expect(() => synthFromSeedDag(w, { sampleRate: 48000, design: 'seed' })).toThrow(/unknown _target_ 'foo.Bar'/);
  });

  it('validation: clear errors naming the node', () => {
    const base = hpnir();
    const bad = (f: (c: SynthConfig) => void) => { const c = structuredClone(base); f(c); return () => resolveGraph(c); };
    expect(bad((c) => { c.nodes[1].name = 'harmonic'; })).toThrow(/duplicate node name 'harmonic'/);
    expect(bad((c) => { (c.nodes[2].connections as Record<string, string>).signal_a = 'irreverb'; })).toThrow(/not processed before/);
    expect(bad((c) => { (c.nodes[2].connections as Record<string, string>).signal_a = 'NOPE'; })).toThrow(/must name an earlier node/);
    expect(bad((c) => { (c.nodes[0] as { type: string }).type = 'WaveShaper'; })).toThrow(/unknown module type 'WaveShaper' \(a seed module/);
    expect(bad((c) => { (c.nodes[1] as { filterSize: number }).filterSize = 257; })).toThrow(/'filtnoise'.*even/);
    expect(bad((c) => { (c.nodes[0].connections as Record<string, string>).amplitudes = 'add'; })).toThrow(/control input 'amplitudes'/);
    expect(bad((c) => { delete (c.nodes[0].connections as Record<string, string>).f0_hz; })).toThrow(/'f0_hz' must be connected/);
    expect(bad((c) => { c.conditioned = ['f0', 'loud']; })).toThrow(/at most one conditioned/);
  });
});

describe('synth graph: rendering', () => {
  const sr = 48000;
  const fr = 50;
  const F = 30;
  const N = 28000;
  const r = rng(31);
  const ir = new Float32Array(47999);
  for (let i = 0; i < ir.length; i++) ir[i] = (r() - 0.5) * 0.1 * Math.exp((-5 * i) / 48000);

  for (const design of ['seed', 'linear-phase'] as const) {
    for (const [name, cfg] of [['hpnir', hpnir({ design })], ['hpn', hpn({ design })]] as const) {
      it(`${name} (${design}): SynthStream == renderSynthBatch, same noise, block sizes ${BLOCK_SIZES.join(', ')}`, () => {
        const P = paramCount(cfg);
        const params = uniform(r, F * P, 0.1, 0.9);
        const f0 = uniform(r, F, 100, 600);
        const o = { sampleRate: sr, frameRate: fr, ir, noiseSeed: 4 };
        const want = renderSynthBatch(cfg, params, f0, F, N, o);
        expect(peak(want)).toBeGreaterThan(0.01);
        for (const bs of BLOCK_SIZES) {
          const s = new SynthStream(cfg, o);
          const got = runFramed(s, F, N, bs, (k) => s.pushFrameFrom(params.subarray(k * P, (k + 1) * P), f0, k));
          expect(relMaxErr(got, want), `block ${bs}`).toBeLessThanOrEqual(1e-5);
        }
      });
    }
  }

  it('at another context rate (44.1 kHz, model 48 kHz) with user controls: stream == batch', () => {
    const cfg = hpnir({ nHarmonics: 64 });
    const P = paramCount(cfg);
    const params = uniform(r, F * P, 0.1, 0.9);
    const f0 = uniform(r, F, 100, 600);
    const o = { sampleRate: 44100, frameRate: fr, ir, noiseSeed: 8, harmonicMix: 0.5, noiseMix: 1.7, reverbMix: 0.3 };
    const n = Math.round(F * 882) - 500;
    const want = renderSynthBatch(cfg, params, f0, F, n, o);
    for (const bs of [7, 128, 2048]) {
      const s = new SynthStream(cfg, o);
      const got = runFramed(s, F, n, bs, (k) => s.pushFrameFrom(params.subarray(k * P, (k + 1) * P), f0, k));
      expect(relMaxErr(got, want), `block ${bs}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('readyUntil / framesNeeded: frame k is needed before sample k·hop − hop/2', () => {
    const cfg = hpnir({ nHarmonics: 8 });
    const s = new SynthStream(cfg, { sampleRate: sr, frameRate: fr, ir });
    expect(s.readyUntil()).toBe(0);
    expect(s.framesNeeded(480)).toBe(1);
    expect(s.framesNeeded(481)).toBe(2);
    expect(s.framesNeeded(960 * 3 - 480)).toBe(3);
    expect(s.framesNeeded(960 * 3 - 479)).toBe(4);
    const p = new Float32Array(paramCount(cfg)).fill(0.5);
    for (let k = 0; k < 3; k++) push(s, p, 220);
    expect(s.readyUntil()).toBe(960 * 3 - 480);
  });

  it('controls: a jump ramps over 5 ms; constant controls equal the batch with those controls', () => {
    const cfg = hpn({ nHarmonics: 16 });
    const P = paramCount(cfg);
    const params = uniform(r, 10 * P, 0.3, 0.9);
    const f0 = new Float32Array(10).fill(220);
    const o = { sampleRate: sr, frameRate: fr, noiseSeed: 1 };
    const s = new SynthStream(cfg, o);
    for (let k = 0; k < 10; k++) s.pushFrameFrom(params.subarray(k * P, (k + 1) * P), f0, k);
    const y = new Float32Array(9000);
    s.render(y, 0, 4000);
    setControls(s, 0, 0, 0.5); // mute both
    s.render(y, 4000, 5000);
    expect(peak(y.subarray(4000 + 240))).toBe(0);
    expect(peak(y.subarray(4000, 4000 + 100))).toBeGreaterThan(0);
    let maxStep = 0;
    for (let i = 3990; i < 4300; i++) maxStep = Math.max(maxStep, Math.abs(y[i] - y[i - 1]));
    let maxStepBefore = 0;
    for (let i = 1; i < 4000; i++) maxStepBefore = Math.max(maxStepBefore, Math.abs(y[i] - y[i - 1]));
    expect(maxStep).toBeLessThanOrEqual(maxStepBefore * 1.01);
  });

  it('harmonicMix / noiseMix are gains on the Harmonic / FilteredNoise outputs (batch: exactly × the gain)', () => {
    const cfg = hpn({ nHarmonics: 16, filterSize: 64 });
    const P = paramCount(cfg);
    const params = uniform(r, 10 * P, 0.3, 0.9);
    const f0 = new Float32Array(10).fill(220);
    const o = { sampleRate: sr, frameRate: fr, noiseSeed: 3 };
    const render = (harmonicMix: number, noiseMix: number) => renderSynthBatch(cfg, params, f0, 10, 9000, { ...o, harmonicMix, noiseMix });
    const h1 = render(1, 0);
    const h2 = render(2, 0);
    const n1 = render(0, 1);
    const n05 = render(0, 0.5);
    const both = render(2, 0.5);
    expect(peak(h1)).toBeGreaterThan(0.01);
    expect(peak(n1)).toBeGreaterThan(0.01);
    for (let i = 0; i < 9000; i++) {
      expect(h2[i]).toBe(Math.fround(2 * h1[i]));
      expect(n05[i]).toBe(Math.fround(0.5 * n1[i]));
      expect(both[i]).toBe(Math.fround(h2[i] + n05[i]));
    }
  });

  it('setControlsFrom(…, immediate), reset() and setNoiseSeed(): the controls and seed apply with no ramp, as if constructed with them', () => {
    const cfg = hpnir({ nHarmonics: 16, filterSize: 64, irSeconds: 0.01 });
    const P = paramCount(cfg);
    const params = uniform(r, 10 * P, 0.3, 0.9);
    const ir = uniform(r, 479, -0.1, 0.1);
    const base = { sampleRate: sr, frameRate: fr, ir };
    const render = (s: SynthStream): Float32Array => {
      for (let k = 0; k < 10; k++) push(s, params.subarray(k * P, (k + 1) * P), 220 + 10 * k);
      const y = new Float32Array(8000);
      s.render(y, 0, 3000);
      s.render(y, 3000, 5000);
      return y;
    };
    const mixes = { harmonicMix: 0.5, noiseMix: 1.5, reverbMix: 0.8 };
    const built = render(new SynthStream(cfg, { ...base, ...mixes, noiseSeed: 7 }));
    // Set at once on a stream built with the defaults.
    const a = new SynthStream(cfg, base);
    setControls(a, mixes.harmonicMix, mixes.noiseMix, mixes.reverbMix, true);
    a.setNoiseSeed(7);
    expect(render(a)).toEqual(built);
    // Ramped to while playing, then reset: the reset keeps them (no ramp from the construction values).
    const b = new SynthStream(cfg, { ...base, noiseSeed: 7 });
    render(b);
    setControls(b, mixes.harmonicMix, mixes.noiseMix, mixes.reverbMix);
    b.render(new Float32Array(100), 0, 100); // mid-ramp
    b.reset();
    expect(render(b)).toEqual(built);
    // The offset form reads the same values.
    const c = new SynthStream(cfg, { ...base, noiseSeed: 7 });
    c.setControlsFrom(Float64Array.of(9, mixes.harmonicMix, mixes.noiseMix, mixes.reverbMix), 1, true);
    expect(render(c)).toEqual(built);
    // A ramp (setControls) differs from the immediate form: over the 5 ms ramp, and by rounding through the
    // reverb's FFT partitions for a while after.
    const d = new SynthStream(cfg, { ...base, noiseSeed: 7 });
    setControls(d, mixes.harmonicMix, mixes.noiseMix, mixes.reverbMix);
    const yd = render(d);
    expect(relMaxErr(yd.subarray(0, 240), built.subarray(0, 240))).toBeGreaterThan(0.01);
    expect(relMaxErr(yd.subarray(2000), built.subarray(2000))).toBeLessThan(1e-5);
  });

  it('bad input: clear errors from the batch and constructor; per-block calls never throw', () => {
    const cfg = hpnir({ nHarmonics: 4, filterSize: 8, irSeconds: 0.01 });
    const P = paramCount(cfg);
    const ok = new Float32Array(2 * P).fill(0.5);
    const irOk = new Float32Array(479);
    const o = { sampleRate: sr, frameRate: fr, ir: irOk };
    expect(() => renderSynthBatch(cfg, ok.subarray(1), Float32Array.of(100, 100), 2, 960, o)).toThrow(/params must have nFrames × P/);
    expect(() => renderSynthBatch(cfg, ok, Float32Array.of(100, 0), 2, 960, o)).toThrow(/f0Hz\[1\]/);
    expect(() => renderSynthBatch(cfg, ok, Float32Array.of(100, NaN), 2, 960, o)).toThrow(/f0Hz\[1\]/);
    const nan = Float32Array.from(ok); nan[3] = NaN;
    expect(() => renderSynthBatch(cfg, nan, Float32Array.of(100, 100), 2, 960, o)).toThrow(/params\[3\]/);
    expect(() => renderSynthBatch(cfg, ok, Float32Array.of(100, 100), 2, 960, { sampleRate: sr, frameRate: fr })).toThrow(/ir is required/);
    expect(() => new SynthStream(cfg, { sampleRate: sr, frameRate: fr, ir: new Float32Array(10) })).toThrow(/irLength − 1 = 479/);
    expect(() => new SynthStream(cfg, { ...o, reverbMix: 3 })).toThrow(/reverbMix/);
    expect(() => new SynthStream(cfg, { ...o, frameRate: 0 })).toThrow(/frameRate/);
    const s = new SynthStream(cfg, o);
    const y = new Float32Array(4000);
    expect(() => s.render(y, 0, 0)).not.toThrow();
    s.render(y, 0, 100); // nothing pushed yet
    push(s, new Float32Array(3), 100); // wrong length: all-zero outputs
    const bad = Float32Array.from(ok.subarray(0, P)); bad[0] = NaN; bad[5] = Infinity;
    push(s, bad, NaN);
    push(s, ok.subarray(0, P), -10);
    push(s, ok.subarray(0, P), 200);
    setControls(s, NaN, Infinity, -Infinity); // non-finite: ignored
    s.render(y, 100, 3900); // past the pushed frames too (underrun): holds, no throw
    expect(allFinite(y)).toBe(true);
  });
});
