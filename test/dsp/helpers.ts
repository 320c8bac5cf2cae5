// Shared helper of the dsp kernel tests.

/**
 * Deterministic LCG (Numerical Recipes constants) for test inputs: uniform [0, 1), or [−0.5, 0.5) if `centred`.
 * Not the library's mulberry32: these tests' tolerances were set on the inputs this generator draws.
 */
export function lcg(seed: number, centred = false): () => number {
  let s = seed >>> 0;
  const offset = centred ? 0.5 : 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - offset;
  };
}

/** Deterministic white noise in [−a, a) from {@link lcg}. */
export function lcgNoise(n: number, a = 0.5, seed = 1): Float32Array {
  const next = lcg(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a * (2 * next() - 1);
  return x;
}
