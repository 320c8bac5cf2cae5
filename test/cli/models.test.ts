// Bundled models by name (`--model violin`, or no --model): lookup, default and the errors that list them; and
// the shipped model files themselves.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, bundledModels, isModelName, modelsDir, resolveModel } from '../../src/cli/models';
import { readModel } from '../../src/model/model-file';
import { renderOffline } from '../../src/engine/render';
import { YinTracker } from '../../src/dsp/yin';

describe('bundled models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddsp-models-'));
  writeFileSync(join(dir, 'violin.onnx'), 'x');
  writeFileSync(join(dir, 'flute.onnx'), 'x');
  writeFileSync(join(dir, 'notes.txt'), 'x');

  it('finds the package models folder from the sources', () => {
    expect(modelsDir()).toMatch(/models$/);
  });

  it('lists .onnx files by name', () => {
    expect(bundledModels(dir)).toEqual(['flute', 'violin']);
  });

  it('resolves names, defaults to the violin, passes paths through', () => {
    expect(resolveModel('flute', dir)).toBe(join(dir, 'flute.onnx'));
    expect(resolveModel(undefined, dir)).toBe(join(dir, 'violin.onnx'));
    expect(resolveModel('my/model.onnx', dir)).toBe('my/model.onnx');
    expect(resolveModel('model.onnx', dir)).toBe('model.onnx');
    expect(isModelName('cello')).toBe(true);
    expect(isModelName('./cello')).toBe(false);
  });

  it('an unknown name lists the bundled models', () => {
    expect(() => resolveModel('oboe', dir)).toThrow("unknown model 'oboe' (bundled models: flute, violin; or give a path to a .onnx model file)");
    const empty = mkdtempSync(join(tmpdir(), 'ddsp-models-'));
    expect(() => resolveModel(undefined, empty)).toThrow(/--model is required \(no models are bundled/);
  });
});

describe('the shipped models (models/*.onnx)', () => {
  const dir = modelsDir()!;
  const names = bundledModels(dir);
  const sr = 48000;
  // 1.5 s of a tone with the loudness of a played note
  const tone = (hz: number): Float32Array => Float32Array.from({ length: 1.5 * sr }, (_, i) => 0.3 * Math.sin((2 * Math.PI * hz * i) / sr));

  it('include the violin, the default', () => {
    expect(names).toContain(DEFAULT_MODEL);
  });

  it.each(names)('%s: at most 4 MB, a 48 kHz model file, and it plays the pitch it is given', (name) => {
    const bytes = readFileSync(join(dir, `${name}.onnx`));
    expect(bytes.length).toBeLessThanOrEqual(4 * 1024 * 1024);
    const model = readModel(bytes);
    expect(model.sampleRate).toBe(sr);
    const hz = name === 'cello' ? 196 : name === 'flute' ? 660 : 440;
    const { audio } = renderOffline(model, tone(hz), { sampleRate: sr });
    const tail = audio.subarray(sr / 2 + 1024, sr + 1024); // past the latency and the estimator's warm-up
    let energy = 0;
    for (const v of tail) energy += v * v;
    expect(Math.sqrt(energy / tail.length)).toBeGreaterThan(1e-3);
    const yin = new YinTracker({ sampleRate: sr });
    const est = { f0Hz: 0, confidence: 0 };
    yin.detect(tail, 0, est);
    expect(Math.abs(1200 * Math.log2(est.f0Hz / hz))).toBeLessThan(50); // cents
  });
});
