// Bundled models by name (`--model violin`, or no --model): lookup, default and the errors that list them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModels, isModelName, modelsDir, resolveModel } from '../../src/cli/models';

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
