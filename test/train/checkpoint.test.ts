import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint, type TrainState } from '../../src/train/checkpoint';
import { Rng, permutation } from '../../src/train/rng';

describe('checkpoint files', () => {
  it('round-trips weights, Adam state, position, RNG and config; writes atomically', () => {
    const state: TrainState = {
      step: 42, epoch: 3, batchInEpoch: 1,
      weights: { 'estimator.out.bias': { shape: [3], data: Float32Array.of(1, -2, 3.5) }, 'synth.processors.3.ir': { shape: [2, 2], data: Float32Array.of(0.1, 0.2, 0.3, 0.4) } },
      adam: { step: 42, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8,
        m: { 'estimator.out.bias': { shape: [3], data: Float32Array.of(0.5, 0.25, 0) } },
        v: { 'estimator.out.bias': { shape: [3], data: Float32Array.of(1e-8, 2e-8, 3e-8) } } },
      rng: { data: [1, 2, 3, 4] },
      config: { name: 'x', batch_size: 16 },
      meta: { note: 'hi' },
    };
    const dir = mkdtempSync(join(tmpdir(), 'ddsp-ck-'));
    const p = join(dir, 'a.ckpt');
    writeCheckpoint(p, state);
    expect(readdirSync(dir)).toEqual(['a.ckpt']);
    const back = readCheckpoint(p);
    expect(back).toEqual(state);
    expect(() => decodeCheckpoint(new Uint8Array(20))).toThrow(/not a ddsp-stream checkpoint/);
    const bytes = encodeCheckpoint(state);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
    expect(existsSync(`${p}.tmp-${process.pid}`)).toBe(false);
  });
});

describe('rng', () => {
  it('is reproducible and resumable', () => {
    const a = new Rng(7);
    const first = [a.nextU32(), a.nextU32()];
    const saved = a.getState();
    const next = [a.nextU32(), a.nextU32()];
    const b = new Rng(7);
    expect([b.nextU32(), b.nextU32()]).toEqual(first);
    const c = new Rng(0);
    c.setState(saved);
    expect([c.nextU32(), c.nextU32()]).toEqual(next);
    expect(permutation(10, 0, 1)).toEqual(permutation(10, 0, 1));
    expect(permutation(10, 0, 1)).not.toEqual(permutation(10, 0, 2));
    expect([...permutation(10, 5)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
