// Work a constructor may leave for later, so that what builds a model's pipeline on the render thread (the worklet)
// can be cut into bounded steps: the costly part of wiring up a model whose parts were computed elsewhere is
// touching fresh memory (the estimator's weights, the reverb's spectra: megabytes), not computing.

/**
 * Work left for later, done in pieces: each call does about `floats` floats' worth of copying or zeroing (at least
 * one piece) and returns true once all of it is done.
 */
export type Deferred = (floats: number) => boolean;

/** Where a constructor leaves its {@link Deferred} work (a builder's queue); without one, the work is done at once. */
export type DeferTo = (work: Deferred) => void;

/**
 * Copies `src` (or zeros, when `src` is null) into `memory()[offset, offset + n)`, in pieces, or at once when `defer`
 * is undefined. `memory` is called for each piece (a wasm heap's view is replaced when the memory grows).
 */
export function fillLater(defer: DeferTo | undefined, memory: () => Float32Array, offset: number, src: Float32Array | null, n: number): void {
  let done = 0;
  const work: Deferred = (floats) => {
    const end = Math.min(n, done + Math.max(1, floats));
    const dst = memory();
    if (src === null) dst.fill(0, offset + done, offset + end);
    else dst.set(src.subarray(done, end), offset + done);
    done = end;
    return done >= n;
  };
  if (defer === undefined) work(n);
  else defer(work);
}
