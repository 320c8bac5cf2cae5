// Frame -> sample linear interpolation with PyTorch's `interpolate(mode='linear', align_corners=False)` semantics
// (the seed's util.resample_frames): sample n reads the frame position
//   p = (n + 0.5) · nFrames / nSamples − 0.5, clamped to [0, nFrames − 1],
// i.e. frame k's value sits exactly at sample k·hop + hop/2 − 0.5 (hop = nSamples / nFrames, may be non-integer),
// and the first/last half hop holds the first/last frame's value.

function checkSizes(fn: string, nFrames: number, nSamples: number): void {
  if (!Number.isInteger(nFrames) || nFrames < 1) {
    throw new RangeError(`${fn}: nFrames must be an integer >= 1 (got ${nFrames})`);
  }
  if (!Number.isInteger(nSamples) || nSamples < 0) {
    throw new RangeError(`${fn}: nSamples must be an integer >= 0 (got ${nSamples})`);
  }
}

/**
 * Frame position read by sample n (align_corners=False): (n + 0.5)·nFrames/nSamples − 0.5 clamped to
 * [0, nFrames − 1]. Units: frames (fractional).
 */
export function framePosition(n: number, nFrames: number, nSamples: number): number {
  const p = ((n + 0.5) * nFrames) / nSamples - 0.5;
  return p <= 0 ? 0 : p >= nFrames - 1 ? nFrames - 1 : p;
}

/**
 * Upsamples frame-rate controls to sample rate by linear interpolation (align_corners=False).
 * @param frames nFrames×channels values, row-major (frame-major).
 * @param nFrames number of frames (≥ 1).
 * @param channels values per frame (≥ 1).
 * @param nSamples output length in samples.
 * @returns nSamples×channels values, row-major (sample-major).
 */
export function upsampleFrames(frames: Float32Array, nFrames: number, channels: number, nSamples: number): Float32Array {
  checkSizes('upsampleFrames', nFrames, nSamples);
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`upsampleFrames: channels must be an integer >= 1 (got ${channels})`);
  }
  if (frames.length < nFrames * channels) {
    throw new RangeError(`upsampleFrames: frames has ${frames.length} values, needs nFrames·channels = ${nFrames * channels}`);
  }
  const out = new Float32Array(nSamples * channels);
  for (let n = 0; n < nSamples; n++) {
    const p = framePosition(n, nFrames, nSamples);
    let k = Math.floor(p);
    if (k > nFrames - 1) k = nFrames - 1;
    const k1 = k < nFrames - 1 ? k + 1 : k;
    const lam = p - k;
    const a = k * channels;
    const b = k1 * channels;
    const o = n * channels;
    for (let c = 0; c < channels; c++) {
      out[o + c] = (1 - lam) * frames[a + c] + lam * frames[b + c];
    }
  }
  return out;
}
