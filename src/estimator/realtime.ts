// Realtime estimator inference: synchronous, stateful (GRU), allocation-free per frame. Matrix products run in a
// WebAssembly SIMD kernel (gemv-wasm.ts) or, where that is unavailable, in plain JS. Weights are re-laid out at
// construction into 8-row interleaved panels ([rows/8][cols][8]) so each product reads its weights strictly
// sequentially and reuses every input value for 8 rows. Besides the one-frame form (one state, a frame at a time,
// spreadable over quanta), runBatch() evaluates up to `batchRows` frames of independent states in one pass, each
// weight panel read once for all of them (the voices of a polyphonic engine); a row's result equals the one-frame
// form's bit for bit.
import { fillLater, type DeferTo } from '../dsp/deferred';
import { createWasmGemm } from './gemv-wasm';
import {
  LAYER_NORM_EPS, MLP_DEPTH, frameMacs, mlpBlock, validateSpec, validateWeights,
  type EstimatorSpec, type Weights,
} from './network';

export type { EstimatorSpec, Weights } from './network';

/** What runs after a stage's matrix-vector product. */
const enum Post {
  /** LayerNorm (gain, bias) then ReLU, output written in place. */
  LayerNormRelu = 0,
  /** Nothing (GRU input projection: waits for the hidden projection). */
  None = 1,
  /** GRU gate update of the hidden state (after the hidden projection). */
  GruGates = 2,
  /** Sigmoid into the output buffer. */
  Sigmoid = 3,
}

interface Stage {
  /** Interleaved weights [blocks][cols][8] (view into the runtime's memory). */
  w: Float32Array;
  /** Batch form: x and y of all rows (row r at r·xStride / r·yStride floats) and the strides. */
  xB: Float32Array;
  yB: Float32Array;
  xStride: number;
  yStride: number;
  xBOff: number;
  yBOff: number;
  /** Bias, blocks·8 long (zero in padding rows). */
  b: Float32Array;
  x: Float32Array;
  y: Float32Array;
  /** Input length used by the product (even; padding columns hold zero weights and zero inputs). */
  cols: number;
  /** Number of 8-row blocks. */
  blocks: number;
  /** Multiply-accumulates of one block (cols · 8). */
  cost: number;
  post: Post;
  /** LayerNorm gain / bias (LayerNormRelu only). */
  g: Float32Array | null;
  beta: Float32Array | null;
  /** Byte offsets of w, x, y, b in the memory (wasm kernel). */
  wOff: number;
  xOff: number;
  yOff: number;
  bOff: number;
}

const BLOCK = 8;

type WasmGemmFn = (w: number, x: number, y: number, b: number, nBlocks: number, cols: number, rows: number,
  xStride: number, yStride: number) => void;
const roundUp = (n: number, k: number): number => Math.ceil(n / k) * k;

/** Rows of a [rows, cols] row-major matrix → interleaved 8-row panels in dst ([blocks][colsPadded][8]). */
function interleave(src: Float32Array, rows: number, cols: number, colsPadded: number, dst: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const base = (r >> 3) * colsPadded * BLOCK + (r & 7);
    const so = r * cols;
    for (let j = 0; j < cols; j++) dst[base + j * BLOCK] = src[so + j];
  }
}

/**
 * y[yo + 8·block .. +8) = W · x[xo ..) + b for one 8-row panel (plain JS kernel). Accumulates in float64.
 */
function gemvBlock(w: Float32Array, x: Float32Array, y: Float32Array, b: Float32Array, block: number, cols: number,
  xo: number, yo: number): void {
  let p = block * cols * BLOCK;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (let j = 0; j < cols; j++) {
    const xj = x[xo + j];
    a0 += w[p] * xj;
    a1 += w[p + 1] * xj;
    a2 += w[p + 2] * xj;
    a3 += w[p + 3] * xj;
    a4 += w[p + 4] * xj;
    a5 += w[p + 5] * xj;
    a6 += w[p + 6] * xj;
    a7 += w[p + 7] * xj;
    p += 8;
  }
  const r = block * BLOCK;
  const o = yo + r;
  y[o] = a0 + b[r];
  y[o + 1] = a1 + b[r + 1];
  y[o + 2] = a2 + b[r + 2];
  y[o + 3] = a3 + b[r + 3];
  y[o + 4] = a4 + b[r + 4];
  y[o + 5] = a5 + b[r + 5];
  y[o + 6] = a6 + b[r + 6];
  y[o + 7] = a7 + b[r + 7];
}

/** LayerNorm then ReLU of v[o .. o + n), in place. */
function layerNormRelu(v: Float32Array, o: number, n: number, g: Float32Array, beta: Float32Array): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[o + i];
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) {
    const d = v[o + i] - mean;
    q += d * d;
  }
  const inv = 1 / Math.sqrt(q / n + LAYER_NORM_EPS);
  for (let i = 0; i < n; i++) {
    const y = (v[o + i] - mean) * inv * g[i] + beta[i];
    v[o + i] = y > 0 ? y : 0;
  }
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Largest |f0| (Hz) and |loudness| (dB) fed to the network; beyond these the input is clamped. */
const MAX_ABS_F0_HZ = 1e6;
const MAX_ABS_DB = 1e4;
/**
 * Largest budget step() counts with: far above a whole frame (3.2 M multiply-accumulates at hidden 512) and a small
 * integer, so budget arithmetic never boxes, even before V8 optimises step() (docs/architecture.md, "Numbers on the
 * audio path"); step(Infinity) counts with it.
 */
const MAX_BUDGET = 0x3fffffff;

/** Options of the EstimatorRuntime constructor. */
export interface EstimatorRuntimeOptions {
  /**
   * Matrix-vector kernel: 'wasm' (WebAssembly SIMD, float32 accumulation, ~8× faster), 'js' (plain JS, float64
   * accumulation) or 'auto' (default: wasm when the engine supports WebAssembly SIMD, else js).
   */
  kernel?: 'auto' | 'wasm' | 'js';
  /** Most frames one {@link EstimatorRuntime.runBatch} call evaluates (default 0: no batch form; at most 1024). */
  batchRows?: number;
  /**
   * The weights already laid out: the {@link EstimatorRuntime.memoryImage} of a runtime built from the same spec
   * and weights, copied in one go instead of checking and re-laying out every weight (the costly part of the
   * constructor: a page prepares it so that the worklet only copies it). `weights` still gives the LayerNorms.
   */
  image?: Float32Array;
  /** Where copying `image` into place is left (see DeferTo; the runtime must not run before); default: at once. */
  defer?: DeferTo;
}

/**
 * The estimator for realtime use: one frame at a time, GRU state carried between frames (h0 = 0 after
 * construction and `reset()`), nothing allocated after the constructor.
 *
 * Two ways to run a frame:
 *  - `runFrame(f0Hz, loudnessDb, out)`: the whole frame at once;
 *  - `begin(f0Hz, loudnessDb)`, then `step(maxMacs)` until it returns true, then read `output`: the frame's work
 *    cut into slices of about `maxMacs` multiply-accumulates, so a frame can be spread over several audio quanta.
 *
 * Weights live in one block of memory (a WebAssembly memory with the wasm kernel), re-laid out at construction
 * into 8-row panels so every product reads them sequentially. Non-finite inputs are sanitised (NaN/±Inf f0 →
 * 0 Hz, NaN/±Inf loudness → −dbRange dB), absurd finite ones clamped, and the GRU state is kept finite.
 */
export class EstimatorRuntime {
  /** The network's shapes and input normalisation. */
  readonly spec: EstimatorSpec;
  /** The last completed frame's sigmoid outputs (spec.outputSize values in (0, 1)). Overwritten by the next frame. */
  readonly output: Float32Array;
  /** Multiply-accumulates of one frame (for budgeting `step`). */
  readonly frameMacs: number;
  /** The matrix kernel in use. */
  readonly kernel: 'wasm' | 'js';
  /** Rows of the batch form ({@link runBatch}); 0 without one. */
  readonly batchRows: number;
  /**
   * Batch form, per row r < batchRows: the frame's f0 (Hz) and loudness (dB), its GRU state (H values, read and
   * replaced by runBatch; views made once) and its sigmoid outputs (P values).
   */
  readonly batchF0: Float64Array;
  readonly batchLoudness: Float64Array;
  readonly batchStates: readonly Float32Array[];
  readonly batchOutputs: readonly Float32Array[];

  private readonly stages: Stage[];
  /** The laid-out weights and biases (the end of the runtime's memory, after the vectors). */
  private readonly laidOut: Float32Array;
  private readonly input: Float32Array;
  private readonly h: Float32Array;
  /** h's first H values (the view hiddenState returns: made once, not per call). */
  private readonly hView: Float32Array;
  private readonly gi: Float32Array;
  private readonly gh: Float32Array;
  private readonly logits: Float32Array;
  private readonly H: number;
  private readonly wasmGemm: WasmGemmFn | null;
  /** Batch buffers: inputs (rows × 4), GRU states and gate projections, logits (row strides in floats). */
  private readonly inputB: Float32Array;
  private readonly hB: Float32Array;
  private readonly giB: Float32Array;
  private readonly ghB: Float32Array;
  private readonly logitsB: Float32Array;
  private readonly hStride: number;
  private readonly gStride: number;
  private readonly logitStride: number;
  private stage = 0;
  private block = 0;
  private readonly f0Offset: number;
  private readonly f0Scale: number;
  private readonly dbRange: number;
  /** f0 (Hz) and loudness (dB) given to begin(). */
  private readonly features = new Float64Array(2);
  /** Where the pending frame's f0 and loudness are (read by the frame's first step()). */
  private f0Source: Float32Array | Float64Array = this.features;
  private f0Index = 0;
  private loudnessSource: Float32Array | Float64Array = this.features;
  private loudnessIndex = 1;
  /** True between begin() and the frame's first step(). */
  private inputPending = false;

  /**
   * @param spec hiddenSize H, outputSize P, normalisation constants.
   * @param weights the canonical tensors (PyTorch state_dict names and shapes, see network.ts); copied.
   * @param opts kernel choice.
   * @throws RangeError/TypeError naming the tensor when a weight is missing, misshapen or non-finite, or when
   *   kernel 'wasm' is asked for and WebAssembly SIMD is unavailable.
   */
  constructor(spec: EstimatorSpec, weights: Weights, opts: EstimatorRuntimeOptions = {}) {
    const image = opts.image;
    if (image === undefined) validateWeights(spec, weights);
    else validateSpec(spec);
    const kernelOpt = opts.kernel ?? 'auto';
    const rows = opts.batchRows ?? 0;
    if (!(Number.isInteger(rows) && rows >= 0 && rows <= 1024)) {
      throw new RangeError(`opts.batchRows must be an integer in [0, 1024], got ${rows}`);
    }
    this.batchRows = rows;
    if (kernelOpt !== 'auto' && kernelOpt !== 'wasm' && kernelOpt !== 'js') {
      throw new RangeError(`opts.kernel must be 'auto', 'wasm' or 'js', got ${String(kernelOpt)}`);
    }
    this.spec = { hiddenSize: spec.hiddenSize, outputSize: spec.outputSize, f0Norm: [spec.f0Norm[0], spec.f0Norm[1]], dbRange: spec.dbRange };
    const H = spec.hiddenSize;
    const P = spec.outputSize;
    this.H = H;
    this.frameMacs = frameMacs(spec);
    this.f0Offset = spec.f0Norm[0];
    this.f0Scale = spec.f0Norm[1] - spec.f0Norm[0];
    this.dbRange = spec.dbRange;

    // Memory layout (floats, every region 16-byte aligned).
    const Hp = roundUp(H, BLOCK);
    const colsH = roundUp(H, 2);
    let top = 0;
    const alloc = (n: number): number => {
      const at = top;
      top += roundUp(n, 4);
      return at;
    };
    const inputAt = alloc(4);
    const aAt = alloc(Hp);
    const bAt = alloc(Hp);
    const hAt = alloc(Hp);
    const giAt = alloc(roundUp(3 * H, BLOCK));
    const ghAt = alloc(roundUp(3 * H, BLOCK));
    const logitsAt = alloc(roundUp(P, BLOCK));
    // The batch form's regions: per single-frame region its batch twin, `rows` rows of the region's padded size.
    const G = roundUp(3 * H, BLOCK);
    const Pp = roundUp(P, BLOCK);
    const twin = new Map<number, { at: number; stride: number }>();
    for (const [at, size] of [[inputAt, 4], [aAt, Hp], [bAt, Hp], [hAt, Hp], [giAt, G], [ghAt, G], [logitsAt, Pp]]) {
      twin.set(at, { at: alloc(rows * size), stride: size });
    }
    interface Plan { w: string; b: string; rows: number; cols: number; colsPadded: number; x: number; y: number; post: Post; ln: string | null }
    const plans: Plan[] = [];
    let x = inputAt;
    let cols = 2;
    let colsPadded = 2;
    for (let i = 0; i < MLP_DEPTH; i++) {
      const y = i % 2 === 0 ? aAt : bAt;
      const p = mlpBlock(0, i);
      plans.push({ w: `${p}.0.weight`, b: `${p}.0.bias`, rows: H, cols, colsPadded, x, y, post: Post.LayerNormRelu, ln: `${p}.1` });
      x = y;
      cols = H;
      colsPadded = colsH;
    }
    plans.push({ w: 'gru.weight_ih_l0', b: 'gru.bias_ih_l0', rows: 3 * H, cols: H, colsPadded: colsH, x, y: giAt, post: Post.None, ln: null });
    plans.push({ w: 'gru.weight_hh_l0', b: 'gru.bias_hh_l0', rows: 3 * H, cols: H, colsPadded: colsH, x: hAt, y: ghAt, post: Post.GruGates, ln: null });
    x = hAt;
    for (let i = 0; i < MLP_DEPTH; i++) {
      const y = i % 2 === 0 ? aAt : bAt;
      const p = mlpBlock(1, i);
      plans.push({ w: `${p}.0.weight`, b: `${p}.0.bias`, rows: H, cols: H, colsPadded: colsH, x, y, post: Post.LayerNormRelu, ln: `${p}.1` });
      x = y;
    }
    plans.push({ w: 'out.weight', b: 'out.bias', rows: P, cols: H, colsPadded: colsH, x, y: logitsAt, post: Post.Sigmoid, ln: null });
    // The laid-out weights and biases come last, after every vector, so that their image does not depend on batchRows.
    const weightsAt = top;
    const placed = plans.map((pl) => {
      const blocks = Math.ceil(pl.rows / BLOCK);
      return { pl, blocks, wAt: alloc(blocks * BLOCK * pl.colsPadded), bAt: alloc(blocks * BLOCK) };
    });
    const totalBytes = top * 4;

    let buffer: ArrayBuffer;
    let wasm: ReturnType<typeof createWasmGemm> = null;
    if (kernelOpt !== 'js') {
      wasm = createWasmGemm(totalBytes);
      if (!wasm && kernelOpt === 'wasm') throw new RangeError("opts.kernel 'wasm': WebAssembly SIMD is not available here");
    }
    if (wasm) {
      buffer = wasm.memory.buffer;
      this.wasmGemm = wasm.gemm;
      this.kernel = 'wasm';
    } else {
      buffer = new ArrayBuffer(totalBytes);
      this.wasmGemm = null;
      this.kernel = 'js';
    }
    this.laidOut = new Float32Array(buffer, weightsAt * 4, top - weightsAt);
    if (image !== undefined) {
      const n = top - weightsAt;
      if (!(image instanceof Float32Array) || image.length !== n) {
        throw new RangeError(`opts.image must be a Float32Array of ${n} values (the memoryImage of this spec), got ${(image as { length?: unknown })?.length}`);
      }
      fillLater(opts.defer, () => this.laidOut, 0, image, n);
      for (const pl of plans) {
        if (pl.ln === null) continue;
        for (const t of [`${pl.ln}.weight`, `${pl.ln}.bias`]) {
          if (!(weights?.[t]?.data instanceof Float32Array) || weights[t].data.length !== H) {
            throw new RangeError(`tensor '${t}' must hold hiddenSize = ${H} values`);
          }
        }
      }
    }
    const view = (at: number, n: number): Float32Array => new Float32Array(buffer, at * 4, n);
    this.input = view(inputAt, 4);
    this.h = view(hAt, Hp);
    this.hView = this.h.subarray(0, H);
    this.gi = view(giAt, roundUp(3 * H, BLOCK));
    this.gh = view(ghAt, roundUp(3 * H, BLOCK));
    this.logits = view(logitsAt, roundUp(P, BLOCK));
    const vecView = (at: number): Float32Array => {
      if (at === inputAt) return this.input;
      if (at === hAt) return this.h;
      if (at === giAt) return this.gi;
      if (at === ghAt) return this.gh;
      if (at === logitsAt) return this.logits;
      return view(at, Hp);
    };
    this.output = new Float32Array(P);
    const region = (at: number): { at: number; stride: number } => twin.get(at) as { at: number; stride: number };
    const batchView = (at: number): Float32Array => view(region(at).at, Math.max(1, rows) * region(at).stride);
    this.inputB = batchView(inputAt);
    this.hB = batchView(hAt);
    this.giB = batchView(giAt);
    this.ghB = batchView(ghAt);
    this.logitsB = batchView(logitsAt);
    this.hStride = Hp;
    this.gStride = G;
    this.logitStride = Pp;
    this.batchF0 = new Float64Array(rows);
    this.batchLoudness = new Float64Array(rows);
    this.batchStates = Array.from({ length: rows }, (_, r) => this.hB.subarray(r * Hp, r * Hp + H));
    this.batchOutputs = Array.from({ length: rows }, () => new Float32Array(P));
    this.stages = placed.map(({ pl, blocks, wAt, bAt: biasAt }) => {
      const w = view(wAt, blocks * BLOCK * pl.colsPadded);
      const b = view(biasAt, blocks * BLOCK);
      if (image === undefined) {
        interleave(weights[pl.w].data, pl.rows, pl.cols, pl.colsPadded, w);
        b.set(weights[pl.b].data.subarray(0, pl.rows));
      }
      const xr = region(pl.x);
      const yr = region(pl.y);
      return {
        w, b, x: vecView(pl.x), y: vecView(pl.y), cols: pl.colsPadded, blocks, cost: pl.colsPadded * BLOCK, post: pl.post,
        xB: batchView(pl.x), yB: batchView(pl.y), xStride: xr.stride, yStride: yr.stride, xBOff: xr.at * 4, yBOff: yr.at * 4,
        g: pl.ln ? weights[`${pl.ln}.weight`].data.slice() : null, beta: pl.ln ? weights[`${pl.ln}.bias`].data.slice() : null,
        wOff: wAt * 4, xOff: pl.x * 4, yOff: pl.y * 4, bOff: biasAt * 4,
      };
    });
    this.stage = this.stages.length; // idle
  }

  /**
   * A copy of the runtime's laid-out weights and biases (the same whatever batchRows is): what
   * {@link EstimatorRuntimeOptions.image} takes.
   */
  get memoryImage(): Float32Array {
    return this.laidOut.slice();
  }

  /** Zeroes the GRU state (as at construction) and abandons an unfinished frame. */
  reset(): void {
    this.h.fill(0);
    this.stage = this.stages.length;
    this.block = 0;
    this.inputPending = false;
  }

  /** The GRU hidden state (H values; a read-only view of internal memory that changes with every frame). */
  get hiddenState(): Float32Array {
    return this.hView;
  }

  /** Sets the GRU hidden state (H values; non-finite values become 0). */
  setHiddenState(state: ArrayLike<number>): void {
    if (state.length !== this.H) throw new RangeError(`state must hold hiddenSize = ${this.H} values, got ${state.length}`);
    for (let i = 0; i < this.H; i++) {
      const v = state[i];
      this.h[i] = Number.isFinite(v) ? v : 0;
    }
  }

  /** True while a frame started with begin() has work left. */
  get busy(): boolean {
    return this.stage < this.stages.length;
  }

  /**
   * Starts a frame. Any unfinished frame is abandoned (its GRU update happens only if its GRU stage completed).
   * @param f0Hz fundamental frequency in Hz (non-finite → 0).
   * @param loudnessDb A-weighted loudness in dB (non-finite → −dbRange).
   */
  begin(f0Hz: number, loudnessDb: number): void {
    const q = this.features;
    q[0] = f0Hz;
    q[1] = loudnessDb;
    this.f0Source = q;
    this.f0Index = 0;
    this.loudnessSource = q;
    this.loudnessIndex = 1;
    this.startFrame();
  }

  /**
   * {@link begin} with the frame's features in arrays: f0 = f0Hz[index] (Hz), loudness = loudnessDb[index] (dB),
   * read by the frame's first {@link step} (leave those two entries alone until then). The audio-thread form: it
   * handles no fractional number itself, so it allocates nothing even before V8 has optimised it (a function
   * called once per frame stays interpreted for long, and interpreted code boxes every fractional number).
   */
  beginFrom(f0Hz: Float32Array | Float64Array, loudnessDb: Float32Array | Float64Array, index: number): void {
    this.f0Source = f0Hz;
    this.f0Index = index;
    this.loudnessSource = loudnessDb;
    this.loudnessIndex = index;
    this.startFrame();
  }

  private startFrame(): void {
    this.inputPending = true;
    this.stage = 0;
    this.block = 0;
  }

  /**
   * Does up to about `maxMacs` multiply-accumulates of the current frame's work (at least one 8-row panel, so
   * every call makes progress). Returns true when the frame is complete (`output` then holds it) or when no frame
   * is pending. Never throws, never allocates.
   * @param maxMacs work budget of this call (default: the rest of the frame).
   */
  step(maxMacs = Infinity): boolean {
    if (this.inputPending) {
      // The frame's network input, from the features given to begin()/beginFrom(). Here rather than in a helper:
      // step() carries the loops, so V8 optimises it early and the fractional numbers below never get boxed.
      // Non-finite → 0 Hz / −dbRange dB; finite values clamped with Math.min/max (assigning a module constant to a
      // variable instead would make V8 box that variable).
      this.inputPending = false;
      const f0Hz = this.f0Source[this.f0Index];
      const loudnessDb = this.loudnessSource[this.loudnessIndex];
      const f = Number.isFinite(f0Hz) ? Math.min(Math.max(f0Hz, -MAX_ABS_F0_HZ), MAX_ABS_F0_HZ) : 0;
      const l = Number.isFinite(loudnessDb) ? Math.min(Math.max(loudnessDb, -MAX_ABS_DB), MAX_ABS_DB) : -this.dbRange;
      this.input[0] = (f - this.f0Offset) / this.f0Scale;
      this.input[1] = l / this.dbRange + 1;
    }
    const stages = this.stages;
    const n = stages.length;
    let budget = maxMacs >= MAX_BUDGET ? MAX_BUDGET : maxMacs > 0 ? maxMacs : 1;
    while (this.stage < n) {
      const s = stages[this.stage];
      const remaining = s.blocks - this.block;
      let nb = remaining;
      if (budget < remaining * s.cost) {
        nb = Math.floor(budget / s.cost);
        if (nb < 1) nb = 1;
      }
      this.gemv(s, this.block, nb);
      this.block += nb;
      budget -= nb * s.cost;
      if (this.block < s.blocks) return false;
      this.finishStage(s);
      this.stage++;
      this.block = 0;
      if (budget <= 0) return this.stage >= n;
    }
    return true;
  }

  /**
   * Runs one whole frame: `out[0..outputSize)` = sigmoid outputs (a shorter `out` gets the first out.length).
   * Synchronous, allocation-free, never throws.
   * @param f0Hz fundamental frequency in Hz; @param loudnessDb loudness in dB; @param out ≥ outputSize values.
   */
  runFrame(f0Hz: number, loudnessDb: number, out: Float32Array): void {
    this.begin(f0Hz, loudnessDb);
    this.step(Infinity);
    if (out === this.output) return;
    const o = this.output;
    const n = o.length < out.length ? o.length : out.length;
    for (let i = 0; i < n; i++) out[i] = o[i];
  }

  /**
   * Convenience for batch use (allocates): runs `nFrames` frames from the current state and returns
   * [nFrames × outputSize] row-major sigmoid outputs.
   */
  runSequence(f0Hz: ArrayLike<number>, loudnessDb: ArrayLike<number>, nFrames = f0Hz.length): Float32Array {
    if (!Number.isInteger(nFrames) || nFrames < 0 || nFrames > f0Hz.length || nFrames > loudnessDb.length) {
      throw new RangeError(`nFrames must be an integer in [0, min(f0Hz.length, loudnessDb.length)], got ${nFrames}`);
    }
    const P = this.output.length;
    const out = new Float32Array(nFrames * P);
    for (let t = 0; t < nFrames; t++) {
      this.begin(f0Hz[t], loudnessDb[t]);
      this.step(Infinity);
      out.set(this.output, t * P);
    }
    return out;
  }

  /**
   * Batch form: evaluates rows 0..n−1 (n ≤ batchRows), each a frame of its own state: inputs batchF0[r] (Hz) and
   * batchLoudness[r] (dB), GRU state batchStates[r] (replaced by the state after the frame), outputs into
   * batchOutputs[r]. One pass over the weights for all rows; row r's results equal those of the one-frame form
   * from the same state and features, bit for bit. Never throws, never allocates.
   */
  runBatch(n: number): void {
    if (n > this.batchRows) n = this.batchRows;
    if (!(n > 0)) return;
    const inp = this.inputB;
    for (let r = 0; r < n; r++) {
      // As step(), without merging a fractional value with a constant (V8 boxing: docs/architecture.md): clamped,
      // then a non-finite input (NaN, ±Inf) overwritten with what 0 Hz / −dbRange dB give.
      const f0Hz = this.batchF0[r];
      const loudnessDb = this.batchLoudness[r];
      inp[4 * r] = (Math.min(Math.max(f0Hz, -MAX_ABS_F0_HZ), MAX_ABS_F0_HZ) - this.f0Offset) / this.f0Scale;
      if (!(f0Hz - f0Hz === 0)) inp[4 * r] = (0 - this.f0Offset) / this.f0Scale;
      inp[4 * r + 1] = Math.min(Math.max(loudnessDb, -MAX_ABS_DB), MAX_ABS_DB) / this.dbRange + 1;
      if (!(loudnessDb - loudnessDb === 0)) inp[4 * r + 1] = -this.dbRange / this.dbRange + 1;
    }
    const stages = this.stages;
    for (let k = 0; k < stages.length; k++) {
      const s = stages[k];
      if (this.wasmGemm) {
        this.wasmGemm(s.wOff, s.xBOff, s.yBOff, s.bOff, s.blocks, s.cols, n, s.xStride * 4, s.yStride * 4);
      } else {
        for (let r = 0; r < n; r++) {
          for (let b = 0; b < s.blocks; b++) gemvBlock(s.w, s.xB, s.yB, s.b, b, s.cols, r * s.xStride, r * s.yStride);
        }
      }
      for (let r = 0; r < n; r++) {
        if (s.post === Post.LayerNormRelu) layerNormRelu(s.yB, r * s.yStride, this.H, s.g as Float32Array, s.beta as Float32Array);
        else if (s.post === Post.GruGates) this.gruGates(this.giB, this.ghB, r * this.gStride, this.hB, r * this.hStride);
        else if (s.post === Post.Sigmoid) this.sigmoidInto(this.logitsB, r * this.logitStride, this.batchOutputs[r]);
      }
    }
  }

  private gemv(s: Stage, block: number, nb: number): void {
    if (this.wasmGemm) {
      const rowBytes = BLOCK * 4;
      this.wasmGemm(s.wOff + block * s.cost * 4, s.xOff, s.yOff + block * rowBytes, s.bOff + block * rowBytes, nb, s.cols, 1, 0, 0);
      return;
    }
    for (let k = block; k < block + nb; k++) gemvBlock(s.w, s.x, s.y, s.b, k, s.cols, 0, 0);
  }

  private finishStage(s: Stage): void {
    switch (s.post) {
      case Post.LayerNormRelu:
        layerNormRelu(s.y, 0, this.H, s.g as Float32Array, s.beta as Float32Array);
        break;
      case Post.GruGates:
        this.gruGates(this.gi, this.gh, 0, this.h, 0);
        break;
      case Post.Sigmoid:
        this.sigmoidInto(this.logits, 0, this.output);
        break;
      default:
        break;
    }
  }

  /** The GRU's gate update of the state h[ho ..) from the projections gi[go ..), gh[go ..). */
  private gruGates(gi: Float32Array, gh: Float32Array, go: number, h: Float32Array, ho: number): void {
    const H = this.H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gi[go + j] + gh[go + j]);
      const z = sigmoid(gi[go + H + j] + gh[go + H + j]);
      const nn = Math.tanh(gi[go + 2 * H + j] + r * gh[go + 2 * H + j]);
      const v = (1 - z) * nn + z * h[ho + j];
      h[ho + j] = v === v ? v : 0; // never let a NaN into the state
    }
  }

  private sigmoidInto(l: Float32Array, lo: number, o: Float32Array): void {
    for (let i = 0; i < o.length; i++) {
      const v = sigmoid(l[lo + i]);
      o[i] = v === v ? v : 0.5;
    }
  }
}
