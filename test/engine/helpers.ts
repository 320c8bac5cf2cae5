// Shared helpers of the engine tests: small models, signals, block-wise streaming.
import { syntheticModel } from '../../src/cli/synthetic';
import { StreamingEngine, type EngineOptions } from '../../src/engine/streaming-engine';
import type { DDSPModel } from '../../src/model/model-file';

/** A small random model (hidden 24, 16 harmonics, noise filter 64, 30 ms IR) at `sampleRate` (default 48 kHz). */
export function smallModel(seed = 1, sampleRate = 48000, extra: Partial<Parameters<typeof syntheticModel>[0]> = {}): DDSPModel {
  return syntheticModel({ hiddenSize: 24, nHarmonics: 16, filterSize: 64, irSeconds: 0.03, sampleRate, seed, ...extra });
}

/** Sine tone. */
export function tone(n: number, sampleRate: number, hz: number, amp = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return x;
}

/** Deterministic uniform noise in [-amp, amp). */
export function noise(n: number, amp = 1, seed = 7): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = amp * ((s / 2 ** 32) * 2 - 1);
  }
  return x;
}

/**
 * Streams `input` followed by `flush` zeros through a fresh engine in blocks of `block` (a list of sizes cycles)
 * and returns the whole output (input.length + flush samples).
 */
export function streamBlocks(model: DDSPModel, input: Float32Array, block: number | number[], opts: EngineOptions,
  flush: number, setup?: (e: StreamingEngine) => void): { out: Float32Array; engine: StreamingEngine } {
  const engine = new StreamingEngine(model, opts);
  setup?.(engine);
  const total = input.length + flush;
  const x = new Float32Array(total);
  x.set(input);
  const out = new Float32Array(total);
  const sizes = Array.isArray(block) ? block : [block];
  let i = 0;
  for (let pos = 0; pos < total; i++) {
    const m = Math.min(sizes[i % sizes.length], total - pos);
    engine.process(x, out, m, pos, pos);
    pos += m;
  }
  return { out, engine };
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): { max: number; at: number } {
  let m = 0;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m || Number.isNaN(d)) { m = Number.isNaN(d) ? Infinity : d; at = i; }
  }
  return { max: m, at };
}

export function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}
