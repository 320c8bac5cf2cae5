// Exact per-call allocation of a piece of code in V8, for the allocation tests (test/engine/alloc.test.ts,
// test/web/processor-alloc.test.ts).
//
// Method. V8 allocates short-lived objects linearly in the young generation ("new space"), so its used size grows
// by exactly the bytes allocated until a scavenge empties it. One measurement: a full gc() (an empty young
// generation, so the window has the whole semi-space to itself), v8.GCProfiler started, new-space used size read,
// the code run n times, the size read again, the profiler stopped. If the profiler saw any GC the measurement is
// thrown away (a scavenge in the window would hide allocations); otherwise the growth is exact. Reading the size
// allocates a little itself (getHeapSpaceStatistics() builds an array of objects), so the same measurement is also
// taken with n = 0 and subtracted: bytes per call = (growth(n) − growth(0)) / n. Two valid results are taken and
// the larger returned (a one-off event in a window, such as V8 installing optimised code, errs on the high side);
// steadyBytesPerCall() repeats that while V8 is still optimising.
import { GCProfiler, getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// gc() without starting Node with --expose-gc: the flag takes effect for contexts created after it is set.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function newSpaceUsed(): number {
  const spaces = getHeapSpaceStatistics();
  for (let i = 0; i < spaces.length; i++) if (spaces[i].space_name === 'new_space') return spaces[i].space_used_size;
  throw new Error('V8 reports no new_space');
}

/** New-space growth over run(n) in bytes, or NaN if a garbage collection happened meanwhile. */
function growth(run: (n: number) => void, n: number): number {
  gc();
  const profiler = new GCProfiler();
  profiler.start();
  const before = newSpaceUsed();
  run(n);
  const after = newSpaceUsed();
  const collections = profiler.stop().statistics.length;
  return collections === 0 ? after - before : NaN;
}

/**
 * Bytes allocated per call of the unit `run(n)` performs n times (see the file comment for the method). Returns
 * Infinity if no window was free of garbage collections (the code allocates so much that it fills the young
 * generation within n calls).
 * @param run runs the measured unit n times (the same closure for every n)
 * @param n   calls per window (the result's resolution is 1/n bytes)
 */
export function allocatedBytesPerCall(run: (n: number) => void, n: number): number {
  let bytes = -Infinity;
  let valid = 0;
  for (let attempt = 0; attempt < 10 && valid < 2; attempt++) {
    const full = growth(run, n);
    const empty = growth(run, 0);
    if (full === full && empty === empty) {
      bytes = Math.max(bytes, (full - empty) / n);
      valid++;
    }
  }
  return valid === 0 ? Infinity : bytes;
}

/**
 * Steady-state bytes per call: {@link allocatedBytesPerCall} repeated (each measurement runs the code 2·n times
 * or more) until it is below `goal`, at most `rounds` times; returns the last value. V8 optimises functions on
 * background threads and at its own pace, and until then interpreted code allocates; code that allocates in its
 * optimised form never gets below the goal, however long it runs.
 */
export function steadyBytesPerCall(run: (n: number) => void, n: number, goal: number, rounds = 4): number {
  let bytes = Infinity;
  for (let r = 0; r < rounds && !(bytes < goal); r++) bytes = allocatedBytesPerCall(run, n);
  return bytes;
}
