// Shared helpers of the module / synth tests: a seeded PRNG, block-wise stream drivers and error measures.

/** Mulberry32: deterministic uniform [0, 1) (the library's own seeded PRNG). */
export { mulberry32 as rng } from '../../src/estimator/network';

/** Float32Array of n uniform values in [lo, hi). */
export function uniform(r: () => number, n: number, lo = 0, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Largest |a − b| divided by the peak |b|. */
export function relMaxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} != ${b.length}`);
  let peak = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    peak = Math.max(peak, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    err = d > err || Number.isNaN(d) ? (Number.isNaN(d) ? Infinity : d) : err;
  }
  return peak > 0 ? err / peak : err;
}

export function peak(a: ArrayLike<number>): number {
  let p = 0;
  for (let i = 0; i < a.length; i++) p = Math.max(p, Math.abs(a[i]));
  return p;
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** A stream with frames: renders nSamples in blocks of `block`, pushing frames just in time via framesNeeded. */
export interface FramedStream {
  framesNeeded(endSample: number): number;
  render(out: Float32Array, offset: number, n: number): void;
}

export function runFramed(s: FramedStream, nFrames: number, nSamples: number, block: number,
  push: (k: number) => void): Float32Array {
  const out = new Float32Array(nSamples);
  let pushed = 0;
  for (let pos = 0; pos < nSamples; pos += block) {
    const n = Math.min(block, nSamples - pos);
    const need = Math.min(nFrames, s.framesNeeded(pos + n));
    while (pushed < need) push(pushed++);
    s.render(out, pos, n);
  }
  return out;
}

export const BLOCK_SIZES = [1, 7, 128, 1000, 2048] as const;
