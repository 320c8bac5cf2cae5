/**
 * Seeded random numbers for training (data split, shuffles, noise seeds): xoshiro128** with a
 * serialisable state, so a resumed run draws exactly what an uninterrupted one would.
 */

/** splitmix32 step, used to expand a seed into generator state. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) >>> 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [x, (z ^ (z >>> 16)) >>> 0];
}

/** xoshiro128** generator; `state` is four uint32 (serialise with getState/setState). */
export class Rng {
  private s = new Uint32Array(4);

  /** Seeds from one or more integers (e.g. seed, epoch). */
  constructor(...seeds: number[]) {
    let x = 0x1234567;
    for (const seed of seeds) {
      const [nx] = splitmix32((x ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0);
      x = nx;
    }
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x);
      x = nx;
      this.s[i] = z;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.nextU32() / 4294967296; }

  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  /** The generator state (four uint32). */
  getState(): number[] { return Array.from(this.s); }
  /** Restores a state from getState(). */
  setState(state: number[]): void {
    if (state.length !== 4) throw new RangeError('Rng.setState: state must hold 4 uint32 values');
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

/** A permutation of 0..n-1 drawn from Rng(seed, ...salt). */
export function permutation(n: number, ...seed: number[]): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  return new Rng(...seed).shuffle(a);
}
