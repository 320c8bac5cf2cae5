// WebAssembly SIMD kernels for the realtime estimator, and a ready-made network runner built from them.
//
// The kernels (estimator.c, compiled by build.sh into the embedded ./estimator-wasm) run in a private wasm linear
// memory that doubles as a bump arena: weights and scratch are allocated once, at construction (the only time the
// memory grows), then every per-frame call is allocation-free. The module is compiled synchronously from embedded
// bytes, so this works in Node, in a page and inside an AudioWorkletGlobalScope (which has WebAssembly with SIMD
// but no fetch/atob/TextDecoder). Where WebAssembly or its SIMD extension is missing, `create()` returns null and
// the caller keeps its plain JS path.
//
// All offsets in this API are FLOAT indices into `heap()` (a Float32Array over the whole memory), not bytes.

import { decodeBase64 } from '../fft';
import { ESTIMATOR_SIMD_WASM_BASE64, ESTIMATOR_SIMD_WASM_BYTES } from './estimator-wasm';

/** The raw exports of estimator.c (all pointers are BYTE offsets). */
interface RawExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  gemv(w: number, x: number, b: number, y: number, cols: number, r0: number, r1: number): void;
  layernorm_relu(v: number, g: number, beta: number, n: number, eps: number): void;
  linear_ln_relu(w: number, x: number, b: number, g: number, beta: number, y: number, rows: number, cols: number,
    eps: number): void;
  sigmoid(x: number, y: number, i0: number, i1: number): void;
  gru_gates(gi: number, gh: number, h: number, H: number, j0: number, j1: number): void;
  gru_step(wIh: number, bIh: number, wHh: number, bHh: number, x: number, h: number, gi: number, gh: number,
    H: number, inSize: number): void;
  exp_tanh_test(x: number, y: number, n: number): void;
}

const EXPORTED_FUNCTIONS = ['gemv', 'layernorm_relu', 'linear_ln_relu', 'sigmoid', 'gru_gates', 'gru_step',
  'exp_tanh_test'] as const;

/** Allocation granularity in floats (64 bytes: one cache line, and 16-byte SIMD alignment). */
const ALIGN_FLOATS = 16;
const PAGE_BYTES = 65536;
/** LayerNorm epsilon of torch.nn.LayerNorm's default. */
const DEFAULT_EPS = 1e-5;

// One compiled module per JS realm (compiling is cheap, but instantiation per arena is all that is needed).
let compiled: WebAssembly.Module | null | undefined;

function compileModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly !== 'object' || WebAssembly === null) return null;
    const bytes = decodeBase64(ESTIMATOR_SIMD_WASM_BASE64);
    if (bytes.length !== ESTIMATOR_SIMD_WASM_BYTES) return null;
    // validate() is false where the SIMD proposal is unsupported (the module uses v128 throughout).
    if (!WebAssembly.validate(bytes)) return null;
    compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/**
 * A WebAssembly SIMD arena with the estimator's kernels: GEMV (full or row range), LayerNorm+ReLU, fused
 * Linear+LayerNorm+ReLU, sigmoid, and the PyTorch-convention GRU step (whole or gates only).
 *
 * Usage: `create()` once (off the realtime path), `alloc()` every buffer, copy weights in with `set()`, take
 * views with `f32()` AFTER the last `alloc()` (growth detaches earlier views), then call kernels per frame.
 * Kernel methods allocate nothing and do no argument checking beyond what is documented: offsets/sizes outside
 * the arena make the wasm trap (a WebAssembly.RuntimeError), so size them at construction.
 */
export class SimdKernels {
  /** The module's linear memory (grows only inside `alloc`). */
  readonly memory: WebAssembly.Memory;
  private readonly raw: RawExports;
  private heapView: Float32Array;
  /** Next free float index. */
  private top: number;

  private constructor(raw: RawExports) {
    this.raw = raw;
    this.memory = raw.memory;
    this.heapView = new Float32Array(raw.memory.buffer);
    const heapBaseBytes = Number(raw.__heap_base.value);
    this.top = Math.ceil(heapBaseBytes / 4 / ALIGN_FLOATS) * ALIGN_FLOATS;
  }

  /** True when this JS realm can run the kernels (WebAssembly with SIMD). */
  static available(): boolean {
    return compileModule() !== null;
  }

  /**
   * A fresh arena (its own wasm instance and memory), or null when WebAssembly/SIMD is unavailable or
   * instantiation fails: the caller then keeps its plain JS path. Allocates; call off the realtime path.
   * @param reserveFloats optional capacity to grow to at once (avoids several growth steps while allocating).
   */
  static create(reserveFloats = 0): SimdKernels | null {
    const mod = compileModule();
    if (!mod) return null;
    try {
      const instance = new WebAssembly.Instance(mod, {});
      const e = instance.exports as Record<string, unknown>;
      if (!(e.memory instanceof WebAssembly.Memory) || !(e.__heap_base instanceof WebAssembly.Global)) return null;
      for (const f of EXPORTED_FUNCTIONS) if (typeof e[f] !== 'function') return null;
      const k = new SimdKernels(e as unknown as RawExports);
      if (reserveFloats > 0) k.reserve(reserveFloats);
      return k;
    } catch {
      return null;
    }
  }

  /** Floats allocated so far (including the module's own static data and stack below the arena). */
  get usedFloats(): number {
    return this.top;
  }

  /**
   * Makes sure `nFloats` more floats can be allocated without further growth (grows the memory now if needed).
   * @throws RangeError when nFloats is not a finite integer >= 0 or the memory cannot grow that far.
   */
  reserve(nFloats: number): void {
    if (!Number.isInteger(nFloats) || nFloats < 0) {
      throw new RangeError(`nFloats must be an integer >= 0, got ${nFloats}`);
    }
    this.ensureBytes((this.top + nFloats + ALIGN_FLOATS) * 4);
  }

  /**
   * Allocates `nFloats` zeroed floats (64-byte aligned) and returns their FLOAT offset into `heap()`. Never
   * freed (the arena lives as long as this object). Growing the memory detaches every earlier view: take views
   * (`f32`, `heap`) after the last allocation.
   * @throws RangeError when nFloats is not an integer >= 0 or the memory cannot grow (4 GiB limit).
   */
  alloc(nFloats: number): number {
    if (!Number.isInteger(nFloats) || nFloats < 0) {
      throw new RangeError(`nFloats must be an integer >= 0, got ${nFloats}`);
    }
    const off = this.top;
    const end = off + Math.ceil(Math.max(nFloats, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;
    this.ensureBytes(end * 4);
    this.top = end;
    // Memory past the bump pointer has never been written, so it is already zero.
    return off;
  }

  private ensureBytes(nBytes: number): void {
    const cur = this.memory.buffer.byteLength;
    if (nBytes <= cur) return;
    const pages = Math.ceil((nBytes - cur) / PAGE_BYTES);
    try {
      this.memory.grow(pages);
    } catch {
      throw new RangeError(`SimdKernels: cannot grow wasm memory to ${nBytes} bytes`);
    }
  }

  /** The whole memory as floats (cached; re-derived only after growth). Index with float offsets. */
  heap(): Float32Array {
    if (this.heapView.buffer !== this.memory.buffer) this.heapView = new Float32Array(this.memory.buffer);
    return this.heapView;
  }

  /** A Float32Array view of floats [offset, offset + n) (allocates a view object; invalid after growth). */
  f32(offset: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset * 4, n);
  }

  /** Copies `src` into the arena at float offset `offset`. */
  set(offset: number, src: ArrayLike<number>): void {
    this.heap().set(src, offset);
  }

  /**
   * y[r] = W[r, :] · x + b[r] for rows r in [r0, r1) (default all `rows`); W row-major [rows, cols].
   * y and b are indexed by absolute row, so several partial calls covering [0, rows) equal one full call.
   * @param bOff bias offset, or 0 for no bias. Any cols >= 0 (non-multiples of 4 use scalar tails).
   */
  gemv(wOff: number, xOff: number, bOff: number, yOff: number, rows: number, cols: number, r0 = 0, r1 = rows): void {
    if (r1 > rows) r1 = rows;
    if (r0 < 0) r0 = 0;
    if (r1 <= r0) return;
    this.raw.gemv(wOff << 2, xOff << 2, bOff > 0 ? bOff << 2 : 0, yOff << 2, cols, r0, r1);
  }

  /** v ← max(0, LayerNorm(v)·g + beta) in place over n floats (biased variance, eps as torch's default). */
  layerNormRelu(vOff: number, gOff: number, betaOff: number, n: number, eps = DEFAULT_EPS): void {
    this.raw.layernorm_relu(vOff << 2, gOff << 2, betaOff << 2, n, eps);
  }

  /** Fused y = relu(LayerNorm(W·x + b)·g + beta); W [rows, cols]. y must not overlap x. */
  linearLnRelu(wOff: number, xOff: number, bOff: number, gOff: number, betaOff: number, yOff: number, rows: number,
    cols: number, eps = DEFAULT_EPS): void {
    this.raw.linear_ln_relu(wOff << 2, xOff << 2, bOff > 0 ? bOff << 2 : 0, gOff << 2, betaOff << 2, yOff << 2,
      rows, cols, eps);
  }

  /** y[i] = σ(x[i]) for i in [i0, i1) (default [0, n)); x may equal y; NaN → 0.5. */
  sigmoid(xOff: number, yOff: number, n: number, i0 = 0, i1 = n): void {
    if (i1 > n) i1 = n;
    if (i0 < 0) i0 = 0;
    if (i1 <= i0) return;
    this.raw.sigmoid(xOff << 2, yOff << 2, i0, i1);
  }

  /**
   * GRU gate update of h for units [j0, j1) (default all H), PyTorch convention: gi = W_ih x + b_ih and
   * gh = W_hh h + b_hh (3H each, blocks r | z | n) must be complete; r = σ(gi_r + gh_r), z = σ(gi_z + gh_z),
   * n = tanh(gi_n + r ⊙ gh_n), h ← (1 − z) ⊙ n + z ⊙ h. NaN results are stored as 0.
   */
  gruGates(giOff: number, ghOff: number, hOff: number, H: number, j0 = 0, j1 = H): void {
    if (j1 > H) j1 = H;
    if (j0 < 0) j0 = 0;
    if (j1 <= j0) return;
    this.raw.gru_gates(giOff << 2, ghOff << 2, hOff << 2, H, j0, j1);
  }

  /**
   * One whole GRU step: gi = W_ih x + b_ih, gh = W_hh h + b_hh into the scratch gi/gh (3H floats each), then
   * `gruGates`. W_ih [3H, inSize], W_hh [3H, H]; h (H floats) is updated in place.
   */
  gruStep(wIhOff: number, bIhOff: number, wHhOff: number, bHhOff: number, xOff: number, hOff: number,
    giOff: number, ghOff: number, H: number, inSize: number): void {
    this.raw.gru_step(wIhOff << 2, bIhOff << 2, wHhOff << 2, bHhOff << 2, xOff << 2, hOff << 2, giOff << 2,
      ghOff << 2, H, inSize);
  }

  /** Test hook: y[0..n) = exp(x), y[n..2n) = tanh(x) with the kernels' own approximations. */
  expTanhTest(xOff: number, yOff: number, n: number): void {
    this.raw.exp_tanh_test(xOff << 2, yOff << 2, n);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The estimator network on the kernels

/** One Linear → LayerNorm → ReLU block: weight [H, in] row-major, bias [H], LayerNorm gain/bias [H]. */
export interface SimdMlpLayer {
  weight: Float32Array;
  bias: Float32Array;
  lnWeight: Float32Array;
  lnBias: Float32Array;
}

/** The estimator's tensors (row-major float32, PyTorch layouts). */
export interface SimdEstimatorLayers {
  /** Network input size (2: normalised f0, normalised loudness). */
  inputSize: number;
  /** H: every hidden width and the GRU state size. */
  hiddenSize: number;
  /** P: sigmoid outputs. */
  outputSize: number;
  /** inputSize → H, then H → H blocks. */
  mlp0: SimdMlpLayer[];
  /** PyTorch nn.GRU (one layer): weightIh [3H, H], weightHh [3H, H], biases [3H], gate blocks r | z | n. */
  gru: { weightIh: Float32Array; weightHh: Float32Array; biasIh: Float32Array; biasHh: Float32Array };
  /** H → H blocks. */
  mlp1: SimdMlpLayer[];
  /** Output Linear: weight [P, H], bias [P]; sigmoid applied. */
  out: { weight: Float32Array; bias: Float32Array };
  /** LayerNorm epsilon (default 1e-5). */
  eps?: number;
}

/** Structural twin of the estimator's `Weights` record (canonical PyTorch state_dict names). */
export type SimdWeightsRecord = Record<string, { shape: number[]; data: Float32Array }>;

const enum Post { LayerNormRelu = 0, None = 1, GruGates = 2, Sigmoid = 3 }

interface Stage {
  wOff: number; xOff: number; bOff: number; yOff: number; rows: number; cols: number; post: Post;
  gOff: number; betaOff: number;
}

/**
 * The whole estimator network (MLP → GRU → MLP → Linear → sigmoid) on SimdKernels: weights copied into the arena
 * once, GRU state kept in the arena, per-frame calls allocation-free and never throwing.
 *
 * Inputs are the already-normalised network inputs (x0 = (f0Hz − f0Min)/(f0Max − f0Min),
 * x1 = loudnessDb/dbRange + 1); non-finite inputs are taken as 0.
 * Whole frame: `run(x0, x1)`; split: `begin(x0, x1)` then `step(maxMacs)` until true. Either way `output`
 * then holds the P sigmoid outputs.
 */
export class SimdEstimatorNetwork {
  /** The arena the network lives in. */
  readonly kernels: SimdKernels;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly inputSize: number;
  /** Multiply-accumulates of one frame (all Linear layers and both GRU matrices). */
  readonly frameMacs: number;
  private readonly eps: number;
  private readonly stages: Stage[];
  private readonly inOff: number;
  private readonly hOff: number;
  private readonly giOff: number;
  private readonly ghOff: number;
  private readonly outOff: number;
  private readonly gru: { wIh: number; bIh: number; wHh: number; bHh: number; xOff: number };
  private readonly mlp0Stages: number;
  private stage: number;
  private row = 0;
  private outView: Float32Array;
  private hView: Float32Array;

  private constructor(k: SimdKernels, L: SimdEstimatorLayers) {
    this.kernels = k;
    const H = L.hiddenSize;
    const P = L.outputSize;
    const I = L.inputSize;
    this.hiddenSize = H;
    this.outputSize = P;
    this.inputSize = I;
    this.eps = L.eps ?? DEFAULT_EPS;
    const depth0 = L.mlp0.length;
    const depth1 = L.mlp1.length;
    const gruIn = depth0 > 0 ? H : I;
    this.frameMacs = (depth0 > 0 ? I * H + (depth0 - 1) * H * H : 0) + 3 * H * (gruIn + H) + depth1 * H * H + P * H;

    const put = (a: Float32Array): number => {
      const off = k.alloc(a.length);
      k.set(off, a);
      return off;
    };
    this.inOff = k.alloc(Math.max(I, 4));
    const bufA = k.alloc(H);
    const bufB = k.alloc(H);
    this.hOff = k.alloc(H);
    this.giOff = k.alloc(3 * H);
    this.ghOff = k.alloc(3 * H);
    this.outOff = k.alloc(P);

    const stages: Stage[] = [];
    const ping = [bufA, bufB];
    let x = this.inOff;
    let cols = I;
    let pp = 0;
    const mlp = (layers: SimdMlpLayer[]): void => {
      for (const l of layers) {
        const y = ping[pp++ % 2];
        stages.push({ wOff: put(l.weight), xOff: x, bOff: put(l.bias), yOff: y, rows: H, cols, post: Post.LayerNormRelu,
          gOff: put(l.lnWeight), betaOff: put(l.lnBias) });
        x = y;
        cols = H;
      }
    };
    mlp(L.mlp0);
    this.mlp0Stages = stages.length;
    const wIh = put(L.gru.weightIh);
    const bIh = put(L.gru.biasIh);
    const wHh = put(L.gru.weightHh);
    const bHh = put(L.gru.biasHh);
    this.gru = { wIh, bIh, wHh, bHh, xOff: x };
    stages.push({ wOff: wIh, xOff: x, bOff: bIh, yOff: this.giOff, rows: 3 * H, cols, post: Post.None, gOff: 0, betaOff: 0 });
    stages.push({ wOff: wHh, xOff: this.hOff, bOff: bHh, yOff: this.ghOff, rows: 3 * H, cols: H, post: Post.GruGates,
      gOff: 0, betaOff: 0 });
    x = this.hOff;
    cols = H;
    mlp(L.mlp1);
    stages.push({ wOff: put(L.out.weight), xOff: x, bOff: put(L.out.bias), yOff: this.outOff, rows: P, cols: H,
      post: Post.Sigmoid, gOff: 0, betaOff: 0 });
    this.stages = stages;
    this.stage = stages.length;
    this.outView = k.f32(this.outOff, P);
    this.hView = k.f32(this.hOff, H);
  }

  /**
   * Builds the network from explicit layer tensors (copied). Returns null when SIMD wasm is unavailable.
   * @throws RangeError naming the tensor when a size does not match hiddenSize/outputSize/inputSize.
   */
  static create(layers: SimdEstimatorLayers): SimdEstimatorNetwork | null {
    validateLayers(layers);
    const L = layers;
    const H = L.hiddenSize;
    // Exact arena size: every tensor and buffer, plus one alignment pad per allocation.
    const tensors: Float32Array[] = [L.gru.weightIh, L.gru.weightHh, L.gru.biasIh, L.gru.biasHh, L.out.weight, L.out.bias];
    for (const l of [...L.mlp0, ...L.mlp1]) tensors.push(l.weight, l.bias, l.lnWeight, l.lnBias);
    let total = Math.max(L.inputSize, 4) + 3 * H + 6 * H + L.outputSize + 16 * (tensors.length + 7);
    for (const t of tensors) total += t.length;
    const k = SimdKernels.create(total);
    if (!k) return null;
    return new SimdEstimatorNetwork(k, L);
  }

  /**
   * Builds the network from the estimator's canonical weights (PyTorch state_dict names of EstimatorFL):
   * `mlp_{0,1}.linear.{i}.0.weight|bias` (Linear), `mlp_{0,1}.linear.{i}.1.weight|bias` (LayerNorm),
   * `gru.weight_ih_l0`, `gru.weight_hh_l0`, `gru.bias_ih_l0`, `gru.bias_hh_l0`, `out.weight`, `out.bias`.
   * MLP depth is read off the names (3 in the seed). Returns null when SIMD wasm is unavailable.
   * @throws RangeError naming the tensor when one is missing or misshapen.
   */
  static fromWeights(weights: SimdWeightsRecord, eps = DEFAULT_EPS): SimdEstimatorNetwork | null {
    const get = (name: string): Float32Array => {
      const t = weights[name];
      if (!t || !(t.data instanceof Float32Array)) throw new RangeError(`missing tensor '${name}'`);
      return t.data;
    };
    const first = weights['mlp_0.linear.0.0.weight'];
    const out = weights['out.weight'];
    if (!first || first.shape.length !== 2) throw new RangeError("missing tensor 'mlp_0.linear.0.0.weight' [H, in]");
    if (!out || out.shape.length !== 2) throw new RangeError("missing tensor 'out.weight' [P, H]");
    const mlp = (m: 0 | 1): SimdMlpLayer[] => {
      const layers: SimdMlpLayer[] = [];
      for (let i = 0; weights[`mlp_${m}.linear.${i}.0.weight`]; i++) {
        const p = `mlp_${m}.linear.${i}`;
        layers.push({ weight: get(`${p}.0.weight`), bias: get(`${p}.0.bias`), lnWeight: get(`${p}.1.weight`),
          lnBias: get(`${p}.1.bias`) });
      }
      return layers;
    };
    return SimdEstimatorNetwork.create({
      inputSize: first.shape[1], hiddenSize: first.shape[0], outputSize: out.shape[0],
      mlp0: mlp(0), mlp1: mlp(1),
      gru: { weightIh: get('gru.weight_ih_l0'), weightHh: get('gru.weight_hh_l0'), biasIh: get('gru.bias_ih_l0'),
        biasHh: get('gru.bias_hh_l0') },
      out: { weight: get('out.weight'), bias: get('out.bias') },
      eps,
    });
  }

  /** The last completed frame's P sigmoid outputs (a view into the arena; overwritten by the next frame). */
  get output(): Float32Array {
    if (this.outView.buffer !== this.kernels.memory.buffer) this.outView = this.kernels.f32(this.outOff, this.outputSize);
    return this.outView;
  }

  /** The GRU hidden state (H floats, a view into the arena; writable). */
  get hidden(): Float32Array {
    if (this.hView.buffer !== this.kernels.memory.buffer) this.hView = this.kernels.f32(this.hOff, this.hiddenSize);
    return this.hView;
  }

  /** True while a frame started with begin() has work left. */
  get busy(): boolean {
    return this.stage < this.stages.length;
  }

  /** Zeroes the GRU state and abandons an unfinished frame. */
  reset(): void {
    this.hidden.fill(0);
    this.stage = this.stages.length;
    this.row = 0;
  }

  private setInput(x0: number, x1: number): void {
    const heap = this.kernels.heap();
    heap[this.inOff] = Number.isFinite(x0) ? x0 : 0;
    if (this.inputSize > 1) heap[this.inOff + 1] = Number.isFinite(x1) ? x1 : 0;
  }

  /**
   * Starts a frame with normalised inputs (x0, x1); an unfinished frame is abandoned (its GRU update happened
   * only if its GRU stage completed).
   */
  begin(x0: number, x1: number): void {
    this.setInput(x0, x1);
    this.stage = 0;
    this.row = 0;
  }

  /**
   * Does about `maxMacs` multiply-accumulates of the current frame (at least 4 matrix rows, so every call makes
   * progress). Returns true when the frame is complete (`output` holds it) or none is pending. Never throws.
   * @param maxMacs work budget of this call (default: the rest of the frame).
   */
  step(maxMacs = Infinity): boolean {
    const stages = this.stages;
    const n = stages.length;
    const k = this.kernels;
    let budget = maxMacs > 0 ? maxMacs : 1;
    while (this.stage < n) {
      const s = stages[this.stage];
      if (this.row < s.rows) {
        const left = s.rows - this.row;
        let chunk = left;
        if (budget < left * s.cols) {
          chunk = Math.floor(budget / s.cols) & ~3;
          if (chunk < 4) chunk = 4;
          if (chunk > left) chunk = left;
        }
        k.gemv(s.wOff, s.xOff, s.bOff, s.yOff, s.rows, s.cols, this.row, this.row + chunk);
        this.row += chunk;
        budget -= chunk * s.cols;
        if (this.row < s.rows) return false;
      }
      this.finish(s);
      this.stage++;
      this.row = 0;
      if (budget <= 0) return this.stage >= n;
    }
    return true;
  }

  /** One whole frame (fused kernels, fewest calls): afterwards `output` holds the P sigmoid outputs. */
  run(x0: number, x1: number): void {
    this.setInput(x0, x1);
    const k = this.kernels;
    const stages = this.stages;
    const H = this.hiddenSize;
    const g = this.gru;
    for (let i = 0; i < this.mlp0Stages; i++) {
      const s = stages[i];
      k.linearLnRelu(s.wOff, s.xOff, s.bOff, s.gOff, s.betaOff, s.yOff, s.rows, s.cols, this.eps);
    }
    const gruIh = stages[this.mlp0Stages];
    k.gruStep(g.wIh, g.bIh, g.wHh, g.bHh, g.xOff, this.hOff, this.giOff, this.ghOff, H, gruIh.cols);
    const n = stages.length;
    for (let i = this.mlp0Stages + 2; i < n - 1; i++) {
      const s = stages[i];
      k.linearLnRelu(s.wOff, s.xOff, s.bOff, s.gOff, s.betaOff, s.yOff, s.rows, s.cols, this.eps);
    }
    const o = stages[n - 1];
    k.gemv(o.wOff, o.xOff, o.bOff, o.yOff, o.rows, o.cols);
    k.sigmoid(this.outOff, this.outOff, this.outputSize);
    this.stage = n;
    this.row = 0;
  }

  private finish(s: Stage): void {
    const k = this.kernels;
    switch (s.post) {
      case Post.LayerNormRelu:
        k.layerNormRelu(s.yOff, s.gOff, s.betaOff, s.rows, this.eps);
        break;
      case Post.GruGates:
        k.gruGates(this.giOff, this.ghOff, this.hOff, this.hiddenSize);
        break;
      case Post.Sigmoid:
        k.sigmoid(this.outOff, this.outOff, this.outputSize);
        break;
      default:
        break;
    }
  }
}

function validateLayers(L: SimdEstimatorLayers): void {
  if (L === null || typeof L !== 'object') throw new TypeError('layers must be a SimdEstimatorLayers object');
  const { inputSize: I, hiddenSize: H, outputSize: P } = L;
  const int = (v: number, name: string, max: number): void => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${v}`);
  };
  int(I, 'inputSize', 65536);
  int(H, 'hiddenSize', 8192);
  int(P, 'outputSize', 65536);
  const len = (a: Float32Array, n: number, name: string): void => {
    if (!(a instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
    if (a.length !== n) throw new RangeError(`${name} holds ${a.length} values, expected ${n}`);
  };
  if (!Array.isArray(L.mlp0) || !Array.isArray(L.mlp1)) throw new TypeError('mlp0 and mlp1 must be arrays of layers');
  L.mlp0.forEach((l, i) => {
    len(l.weight, H * (i === 0 ? I : H), `mlp0[${i}].weight`);
    len(l.bias, H, `mlp0[${i}].bias`);
    len(l.lnWeight, H, `mlp0[${i}].lnWeight`);
    len(l.lnBias, H, `mlp0[${i}].lnBias`);
  });
  const gruIn = L.mlp0.length > 0 ? H : I;
  len(L.gru.weightIh, 3 * H * gruIn, 'gru.weightIh');
  len(L.gru.weightHh, 3 * H * H, 'gru.weightHh');
  len(L.gru.biasIh, 3 * H, 'gru.biasIh');
  len(L.gru.biasHh, 3 * H, 'gru.biasHh');
  L.mlp1.forEach((l, i) => {
    len(l.weight, H * H, `mlp1[${i}].weight`);
    len(l.bias, H, `mlp1[${i}].bias`);
    len(l.lnWeight, H, `mlp1[${i}].lnWeight`);
    len(l.lnBias, H, `mlp1[${i}].lnBias`);
  });
  len(L.out.weight, P * H, 'out.weight');
  len(L.out.bias, P, 'out.bias');
  if (L.eps !== undefined && !(Number.isFinite(L.eps) && L.eps > 0)) throw new RangeError(`eps must be > 0, got ${L.eps}`);
}
