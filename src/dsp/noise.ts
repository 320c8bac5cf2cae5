// The seed's noise source (generators.FilteredNoise: torch.rand·2 − 1, uniform in [−1, 1)), made counter-based:
// the value of sample i is a hash of (seed, i) only, so a stream and a batch render — or two streams started at
// different times — draw identical noise for the same sample index, whatever the block sizes.
//
// value(seed, i) = (h >>> 8)·2^−23 − 1, h = a 32-bit hash of the seed and the two 32-bit words of i (i < 2^53)
// built from the "lowbias32" integer mixer (C. Wellons). Values lie on the 2^24-point grid of [−1, 1), exactly
// representable in float32; mean 0, variance 1/3.

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  // Signed (x | 0), not x >>> 0: every use below only looks at the 32 bits, and V8 stores an unsigned value above
  // 2^31 as a heap number (allocated when passed to or returned from a call it does not inline), a signed one as a
  // small integer (in 64-bit Node; with pointer compression, as in Chrome, only up to ±2^30).
  return x | 0;
}

const TWO32 = 4294967296;
const SCALE = 1 / 8388608; // 2^-23

function checkSeed(fn: string, seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: seed must be a safe integer (got ${seed})`);
}

function seedKey(seed: number): number {
  // fold a safe integer into 32 bits, then mix
  const lo = seed | 0;
  const hi = Math.floor(seed / TWO32) | 0;
  return mix32(lo ^ mix32(hi + 0x9e3779b9));
}

function hiKey(key: number, hi: number): number {
  return mix32((hi ^ key) + 0x85ebca6b);
}

function valueFor(hk: number, lo: number): number {
  const h = mix32(mix32(lo ^ hk) + 0xc2b2ae35);
  return (h >>> 8) * SCALE - 1;
}

/**
 * Counter-based uniform noise in [−1, 1): `fill` writes the values of sample indices position..position+n−1 and
 * advances `position`. Allocation-free; never throws in `fill`.
 */
export class NoiseSource {
  /** Seed (a safe integer; change it with {@link reseed}). */
  get seed(): number {
    return this.seedValue;
  }
  /** Index of the next sample `fill` writes (settable: seek). */
  position = 0;
  private seedValue = 0;
  private key = 0;

  constructor(seed = 0) {
    checkSeed('NoiseSource', seed);
    this.seedValue = seed;
    this.key = seedKey(seed);
  }

  /**
   * Switches to the noise of another seed (the position is kept). Allocation-free; a seed that is not a safe
   * integer is ignored.
   */
  reseed(seed: number): void {
    if (!Number.isSafeInteger(seed)) return;
    this.seedValue = seed;
    this.key = seedKey(seed);
  }

  /** Back to sample index 0. */
  reset(): void {
    this.position = 0;
  }

  /** Writes n samples into out[offset..offset+n) and advances position by n. */
  fill(out: Float32Array, offset: number, n: number): void {
    let pos = this.position;
    if (!(pos >= 0 && Number.isSafeInteger(pos))) pos = 0;
    fillFrom(this.key, pos, out, offset, n);
    this.position = pos + Math.max(0, n);
  }
}

function fillFrom(key: number, start: number, out: Float32Array, offset: number, n: number): void {
  let hi = Math.floor(start / TWO32);
  let lo = start - hi * TWO32;
  let hk = hiKey(key, hi | 0);
  for (let i = 0; i < n; i++) {
    out[offset + i] = valueFor(hk, lo);
    lo++;
    if (lo === TWO32) {
      lo = 0;
      hi++;
      hk = hiKey(key, hi | 0);
    }
  }
}

/** The noise of samples start..start+n−1 for a seed (allocates): equal to what a NoiseSource fills there. */
export function noiseAt(seed: number, start: number, n: number): Float32Array {
  checkSeed('noiseAt', seed);
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new RangeError(`noiseAt: start must be a non-negative safe integer sample index (got ${start})`);
  }
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`noiseAt: n must be an integer >= 0 (got ${n})`);
  const out = new Float32Array(n);
  fillFrom(seedKey(seed), start, out, 0, n);
  return out;
}
