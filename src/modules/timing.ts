/**
 * Frame → sample timing shared by the frame-controlled modules (Harmonic, Mix) and the graph.
 *
 * The seed's alignment (`util.resample_frames`, PyTorch `interpolate(mode='linear', align_corners=False)`):
 * sample n reads frame position p(n) = (n + 0.5)/hop − 0.5, clamped to [0, nFrames − 1], so frame k's controls
 * sit at sample k·hop + hop/2 − 0.5 and are linearly interpolated in between. `hop` (samples per frame,
 * = sampleRate / frameRate) may be non-integer. Batch and stream forms both walk the sample axis with the helpers
 * below, so their segment boundaries agree exactly.
 *
 * @packageDocumentation
 */

/** Frame position of sample `n` (align_corners=False), unclamped. */
export function framePosition(n: number, hop: number): number {
  return (n + 0.5) / hop - 0.5;
}

/** First sample index whose frame position is ≥ k (k ≥ 0): ceil((k + 0.5)·hop − 0.5), at least 0. */
export function segmentStart(k: number, hop: number): number {
  const s = Math.ceil((k + 0.5) * hop - 0.5);
  return s > 0 ? s : 0;
}

/** First sample of noise segment k: round(k·hop) (= k·hop for an integer hop). */
export function noiseSegmentStart(k: number, hop: number): number {
  return Math.round(k * hop);
}

/**
 * One linear piece of a frame-interpolated control over samples [n0, n0 + len): value(n0 + i) =
 * v[kA]·(1 − w(i)) + v[kB]·w(i) with w(i) = w0 + i·dw (kA = kB and dw = 0 on the clamped ends).
 */
export interface Segment { n0: number; len: number; kA: number; kB: number; w0: number; dw: number }

/**
 * Splits samples [start, end) into linear pieces given `nFrames` known frames (frames 0..nFrames−1; positions
 * past the last frame hold it, as the seed's clamp does). Calls `visit` once per piece, in order. `seg` is reused
 * (no allocation).
 */
export function forEachSegment(start: number, end: number, hop: number, nFrames: number, seg: Segment,
  visit: (s: Segment) => void): void {
  let n = start;
  if (nFrames <= 0) return;
  while (n < end) {
    // Region before frame 0's centre: hold frame 0.
    const s0 = segmentStart(0, hop);
    if (n < s0) {
      const e = Math.min(end, s0);
      seg.n0 = n; seg.len = e - n; seg.kA = 0; seg.kB = 0; seg.w0 = 0; seg.dw = 0;
      visit(seg);
      n = e;
      continue;
    }
    let k = Math.floor(framePosition(n, hop));
    if (k < 0) k = 0;
    // Make k consistent with segmentStart (rounding at boundaries).
    while (k > 0 && segmentStart(k, hop) > n) k--;
    while (segmentStart(k + 1, hop) <= n) k++;
    if (k >= nFrames - 1) {
      seg.n0 = n; seg.len = end - n; seg.kA = nFrames - 1; seg.kB = nFrames - 1; seg.w0 = 0; seg.dw = 0;
      visit(seg);
      return;
    }
    const e = Math.min(end, segmentStart(k + 1, hop));
    let w0 = framePosition(n, hop) - k;
    if (w0 < 0) w0 = 0; else if (w0 > 1) w0 = 1;
    seg.n0 = n; seg.len = e - n; seg.kA = k; seg.kB = k + 1; seg.w0 = w0; seg.dw = 1 / hop;
    visit(seg);
    n = e;
  }
}

/**
 * Samples [0, readyEnd) of a frame-interpolated control are final once `nFrames` frames are known: every sample
 * before the centre of the last known frame. 0 when no frame is known.
 */
export function interpolationReadyEnd(nFrames: number, hop: number): number {
  return nFrames <= 0 ? 0 : segmentStart(nFrames - 1, hop);
}

/** Smallest number of frames K with interpolationReadyEnd(K) ≥ endSample (0 for endSample ≤ 0). */
export function interpolationFramesNeeded(endSample: number, hop: number): number {
  if (!(endSample > 0)) return 0;
  let k = Math.max(0, Math.floor((endSample + 0.5) / hop - 0.5));
  while (k > 0 && segmentStart(k - 1, hop) >= endSample) k--;
  while (segmentStart(k, hop) < endSample) k++;
  return k + 1;
}

/** Validates a hop (samples per frame); throws a RangeError naming `what`. */
export function assertHop(sampleRate: number, frameRate: number): number {
  if (!(typeof sampleRate === 'number' && Number.isFinite(sampleRate) && sampleRate > 0)) {
    throw new RangeError(`sampleRate must be a positive finite number of Hz, got ${sampleRate}`);
  }
  if (!(typeof frameRate === 'number' && Number.isFinite(frameRate) && frameRate > 0)) {
    throw new RangeError(`frameRate must be a positive finite number of frames per second, got ${frameRate}`);
  }
  const hop = sampleRate / frameRate;
  if (hop < 1) throw new RangeError(`sampleRate / frameRate (the hop) must be at least 1 sample, got ${hop}`);
  return hop;
}
