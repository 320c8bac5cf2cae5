// Sample-rate conversion by a Kaiser-windowed sinc (band-limited interpolation), batch and streaming.
//
// Quality (any ratio; checked on tones by test/dsp/resample.kernels.test.ts):
//   passband  0 .. 0.90 × the lower Nyquist (e.g. 0–19.8 kHz for 44.1 ↔ 48 kHz), ripple < 0.001 dB;
//   stopband  from the lower Nyquist up: ≥ 80 dB attenuation (designed for 90 dB, Kaiser β = 8.96), so nothing
//             above the output Nyquist aliases (downsampling) and no image above the input Nyquist survives
//             (upsampling) louder than −80 dB;
//   kernel    2·W input samples per output sample, W = ceil((90 − 7.95) / (28.72·Δf)), Δf = 0.05 × min(1, to/from)
//             cycles per input sample (W = 58 for 44.1 → 48 kHz, 63 for 48 → 44.1 kHz, 115 for 96 → 48 kHz).
// The ratio is used as an exact fraction to/from = L/M (rates are rounded to 1/1000 Hz first). When L ≤ 4096 every
// output phase has its own exactly computed kernel row; otherwise a 4096-phase table is linearly interpolated
// (error far below the stopband).
//
// Timeline: output sample m sits at input time τ = m·M/L (same start, no delay); input outside [0, nIn) is zero.
// StreamResampler computes the same sums in the same order, delayed by an integer `latency` (output samples), so
// its output equals the batch output delayed by `latency` exactly (up to nothing: the arithmetic is identical).

const STOPBAND_DB = 90;
const PASSBAND = 0.9; // passband edge / lower Nyquist
const MAX_EXACT_PHASES = 4096;
const INTERP_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function checkRates(fn: string, fromRate: number, toRate: number): void {
  if (!(Number.isFinite(fromRate) && fromRate > 0 && fromRate <= 1e7)) {
    throw new RangeError(`${fn}: fromRate must be a finite number in (0, 1e7] Hz (got ${fromRate})`);
  }
  if (!(Number.isFinite(toRate) && toRate > 0 && toRate <= 1e7)) {
    throw new RangeError(`${fn}: toRate must be a finite number in (0, 1e7] Hz (got ${toRate})`);
  }
  const r = toRate / fromRate;
  if (r > 256 || r < 1 / 256) throw new RangeError(`${fn}: toRate/fromRate must be within [1/256, 256] (got ${r})`);
}

/** The kernel design shared by resample() and StreamResampler (one per rate pair). */
class KernelDesign {
  /** Output step = M/L input samples. */
  readonly L: number;
  readonly M: number;
  /** Half-width in input samples; 2W taps per output. */
  readonly W: number;
  readonly taps: number;
  private readonly exact: boolean;
  private readonly table: Float32Array; // rows of `taps` coefficients
  private readonly scratch: Float32Array;

  constructor(fromRate: number, toRate: number) {
    let a = Math.round(toRate * 1000);
    let b = Math.round(fromRate * 1000);
    const g = gcd(a, b);
    a /= g;
    b /= g;
    this.L = a;
    this.M = b;
    const low = 0.5 * Math.min(1, a / b); // lower Nyquist, cycles per input sample
    const df = (1 - PASSBAND) * low; // transition width
    const fc = ((1 + PASSBAND) / 2) * low; // cutoff: middle of the transition band
    const W = Math.ceil((STOPBAND_DB - 7.95) / (2 * 14.36 * df));
    this.W = W;
    this.taps = 2 * W;
    const beta = 0.1102 * (STOPBAND_DB - 8.7);
    const i0b = besselI0(beta);
    this.exact = a <= MAX_EXACT_PHASES;
    const rows = this.exact ? a : INTERP_PHASES + 1;
    this.table = new Float32Array(rows * this.taps);
    for (let r = 0; r < rows; r++) {
      const frac = this.exact ? r / a : r / INTERP_PHASES; // τ − floor(τ)
      for (let t = 0; t < this.taps; t++) {
        const d = frac + W - 1 - t; // τ − j for j = floor(τ) − W + 1 + t
        const x = d / W;
        const win = Math.abs(x) >= 1 ? (Math.abs(x) === 1 ? 1 / i0b : 0) : besselI0(beta * Math.sqrt(1 - x * x)) / i0b;
        const arg = 2 * fc * d;
        const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
        this.table[r * this.taps + t] = 2 * fc * sinc * win;
      }
    }
    this.scratch = new Float32Array(this.exact ? 0 : this.taps);
  }

  /** Coefficient row for phase numerator p (τ − floor(τ) = p/L): returns [array, offset]. Allocation-free. */
  row(p: number): number {
    if (this.exact) return p * this.taps;
    const pos = (p / this.L) * INTERP_PHASES;
    const i = Math.min(INTERP_PHASES - 1, Math.floor(pos));
    const w = pos - i;
    const s = this.scratch;
    const t0 = i * this.taps;
    const t1 = t0 + this.taps;
    const tb = this.table;
    for (let t = 0; t < this.taps; t++) s[t] = (1 - w) * tb[t0 + t] + w * tb[t1 + t];
    return -1;
  }

  coeffs(): Float32Array {
    return this.exact ? this.table : this.scratch;
  }
}

const designs = new Map<string, KernelDesign>();
function designFor(fromRate: number, toRate: number): KernelDesign {
  const key = `${fromRate}/${toRate}`;
  let d = designs.get(key);
  if (!d) {
    if (designs.size > 16) designs.clear();
    d = new KernelDesign(fromRate, toRate);
    designs.set(key, d);
  }
  return d;
}

function sanitize(v: number): number {
  return v === v && v - v === 0 ? v : 0;
}

/**
 * out[o] = Σ_{t < taps} c[off + t]·x[xo + t] in four interleaved float64 partial sums: four independent addition
 * chains instead of one run ~3× faster (the single chain waits on each addition's latency). resample() and
 * StreamResampler both sum through here, so the stream still equals the batch exactly.
 */
function dotInto(c: Float32Array, off: number, x: Float32Array, xo: number, taps: number, out: Float32Array,
  o: number): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 4 <= taps; t += 4) {
    s0 += c[off + t] * x[xo + t];
    s1 += c[off + t + 1] * x[xo + t + 1];
    s2 += c[off + t + 2] * x[xo + t + 2];
    s3 += c[off + t + 3] * x[xo + t + 3];
  }
  for (; t < taps; t++) s0 += c[off + t] * x[xo + t];
  out[o] = s0 + s1 + (s2 + s3);
}

/**
 * Resamples a whole signal from fromRate to toRate (Hz). Output length ceil(nIn·toRate/fromRate) (exact fraction);
 * output sample m is the band-limited value at input time m·fromRate/toRate (no delay). Quality: see the file
 * header (passband 0.9 × lower Nyquist, stopband ≥ 80 dB). Non-finite input samples are treated as 0.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  checkRates('resample', fromRate, toRate);
  const d = designFor(fromRate, toRate);
  const { L, M, W, taps } = d;
  const nIn = input.length;
  const nOut = Math.ceil((nIn * L) / M);
  const out = new Float32Array(nOut);
  // input sample j at x[j + W − 1], with zeros before and after the signal for the taps that reach past it
  const x = new Float32Array(nIn + 2 * W); // the last output (base ≤ nIn − 1) reads up to x[nIn + 2W − 2]
  for (let i = 0; i < nIn; i++) x[i + W - 1] = sanitize(input[i]);
  let base = 0; // floor(τ)
  let p = 0; // τ − base = p / L
  for (let m = 0; m < nOut; m++) {
    const r = d.row(p);
    const off = r < 0 ? 0 : r;
    dotInto(d.coeffs(), off, x, base, taps, out, m); // first tap: sample base − W + 1
    p += M;
    if (p >= L) {
      const q = Math.floor(p / L);
      base += q;
      p -= q * L;
    }
  }
  return out;
}

/**
 * Streaming resampler: any block size (blocks larger than maxBlock are split internally), allocation-free,
 * never throws in process(). Its output equals resample() of the whole input delayed by `latency` output samples:
 * stream[m] = batch[m − latency] (the first `latency` outputs are the filter's pre-ringing of the first input,
 * zero for silent input).
 */
export class StreamResampler {
  /** Latency in OUTPUT samples: ceil(W·toRate/fromRate), W the kernel half-width in input samples. */
  readonly latency: number;
  readonly fromRate: number;
  readonly toRate: number;
  readonly maxBlock: number;
  private readonly d: KernelDesign;
  /**
   * Input history, linear: input sample j is at hist[j − histStart], so every output's taps are one contiguous run
   * (the inner loop has no wrap-around and no test for samples before the stream; those are the zeros the buffer
   * starts with). When a chunk would not fit, the part still needed moves to the front (once per few blocks).
   */
  private readonly hist: Float32Array;
  private histStart = 0;
  private nIn = 0; // input samples received
  private base = 0; // floor(τ) of the next output
  private p = 0; // phase numerator of the next output
  private readonly base0: number;
  private readonly p0: number;

  constructor(fromRate: number, toRate: number, maxBlock: number) {
    checkRates('StreamResampler', fromRate, toRate);
    if (!Number.isInteger(maxBlock) || maxBlock < 1 || maxBlock > 1 << 20) {
      throw new RangeError(`StreamResampler: maxBlock must be an integer in [1, 2^20] (got ${maxBlock})`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.maxBlock = maxBlock;
    // the design of a rate pair is shared (designFor): a model load at a rate designs its resampler kernels once,
    // not per stream (a design's scratch row is used only between row() and the product that follows it)
    const d = designFor(fromRate, toRate);
    this.d = d;
    this.latency = Math.ceil((d.W * d.L) / d.M);
    // next output m = 0 sits at τ = −latency·M/L
    const num = -this.latency * d.M;
    this.base0 = Math.floor(num / d.L);
    this.p0 = num - this.base0 * d.L;
    // room for the taps still needed (< taps + a few) and a chunk, times two so the moves stay rare
    this.hist = new Float32Array(2 * (d.taps + maxBlock + 4));
    this.reset();
  }

  /** Upper bound of the samples one process() call of n input samples writes. */
  maxOutput(n: number): number {
    return Math.ceil((Math.max(0, n) * this.d.L) / this.d.M) + 1;
  }

  /** Clears the history: the next input is sample 0 of a new stream. */
  reset(): void {
    this.hist.fill(0);
    this.nIn = 0;
    this.base = this.base0;
    this.p = this.p0;
    // the first output reads from j0 = base0 − W + 1 < 0: zeros until sample 0
    this.histStart = this.base0 - this.d.W + 1;
  }

  /**
   * Pushes input[inOffset..+n), writes every output that is now complete to out[outOffset..], returns how many
   * (≤ maxOutput(n)); `out` must have room for maxOutput(n) samples.
   */
  process(input: Float32Array, inOffset: number, n: number, out: Float32Array, outOffset: number): number {
    let produced = 0;
    let done = 0;
    while (done < n) {
      const chunk = Math.min(this.maxBlock, n - done);
      const hist = this.hist;
      if (this.nIn + chunk - this.histStart > hist.length) {
        // keep the samples from the next output's first tap on (any before sample 0 are the zeros of reset())
        const keepFrom = this.base - this.d.W + 1;
        hist.copyWithin(0, keepFrom - this.histStart, this.nIn - this.histStart);
        hist.fill(0, this.nIn - keepFrom);
        this.histStart = keepFrom;
      }
      let w = this.nIn - this.histStart;
      for (let i = 0; i < chunk; i++, w++) hist[w] = sanitize(input[inOffset + done + i]);
      this.nIn += chunk;
      done += chunk;
      produced += this.produce(out, outOffset + produced);
    }
    return produced;
  }

  private produce(out: Float32Array, outOffset: number): number {
    const d = this.d;
    const { L, M, W, taps } = d;
    const hist = this.hist;
    let base = this.base;
    let p = this.p;
    let k = 0;
    while (base + W < this.nIn) {
      const r = d.row(p);
      const c = d.coeffs();
      const off = r < 0 ? 0 : r;
      dotInto(c, off, hist, base - W + 1 - this.histStart, taps, out, outOffset + k++);
      p += M;
      if (p >= L) {
        const q = Math.floor(p / L);
        base += q;
        p -= q * L;
      }
    }
    this.base = base;
    this.p = p;
    return k;
  }
}
