// The estimator network (the seed's EstimatorFL): names, shapes, constants and PyTorch's default initialisation.
// One definition shared by the realtime runtime (realtime.ts), the tfjs training form (tf.ts) and the model file
// (src/model). Weight names are the PyTorch state_dict keys of EstimatorFL, so a seed checkpoint's tensors map 1:1.
//
// Network (per frame, h0 = 0 at the start of a sequence):
//   x = [(f0Hz − f0Norm[0]) / (f0Norm[1] − f0Norm[0]), loudnessDb / dbRange + 1]
//   mlp_0: 3 × (Linear → LayerNorm(eps 1e-5) → ReLU), 2→H, H→H, H→H
//   gru:   PyTorch GRU, gates r, z, n:  r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
//          n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
//   mlp_1: 3 × (Linear → LayerNorm → ReLU), H→H
//   out:   Linear H→P, then sigmoid.

/** Named tensors, row-major float32, keyed by the canonical (PyTorch state_dict) names. */
export type Weights = Record<string, { shape: number[]; data: Float32Array }>;

/** What fixes the network's shapes and input normalisation. */
export interface EstimatorSpec {
  /** Width of every hidden layer and of the GRU state (seed default 512). */
  hiddenSize: number;
  /** P, the number of sigmoid outputs (the synth's external parameter count). */
  outputSize: number;
  /** f0 normalisation [min, max] in Hz: f0n = (f0Hz − min)/(max − min). The seed always uses [32, 2000]. */
  f0Norm: [number, number];
  /** Loudness normalisation: loudn = loudnessDb/dbRange + 1. The seed uses 80. */
  dbRange: number;
}

/** Seed defaults (estimator.py, f0.py FMIN/FMAX, spectral.py DB_RANGE). */
export const DEFAULT_HIDDEN_SIZE = 512;
export const SEED_F0_NORM_HZ: [number, number] = [32, 2000];
export const SEED_DB_RANGE = 80;
/** LayerNorm epsilon of PyTorch's nn.LayerNorm default. */
export const LAYER_NORM_EPS = 1e-5;
/** Number of Linear → LayerNorm → ReLU blocks in each MLP. */
export const MLP_DEPTH = 3;

/** A spec with the seed's normalisation constants. */
export function estimatorSpec(outputSize: number, hiddenSize = DEFAULT_HIDDEN_SIZE): EstimatorSpec {
  const spec: EstimatorSpec = { hiddenSize, outputSize, f0Norm: [SEED_F0_NORM_HZ[0], SEED_F0_NORM_HZ[1]], dbRange: SEED_DB_RANGE };
  validateSpec(spec);
  return spec;
}

/** Throws a RangeError/TypeError naming the field when a spec is unusable. */
export function validateSpec(spec: EstimatorSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError('spec must be an EstimatorSpec object');
  if (!Number.isInteger(spec.hiddenSize) || spec.hiddenSize < 1 || spec.hiddenSize > 8192) {
    throw new RangeError(`spec.hiddenSize must be an integer in [1, 8192], got ${spec.hiddenSize}`);
  }
  if (!Number.isInteger(spec.outputSize) || spec.outputSize < 1 || spec.outputSize > 65536) {
    throw new RangeError(`spec.outputSize must be an integer in [1, 65536], got ${spec.outputSize}`);
  }
  if (!Array.isArray(spec.f0Norm) || spec.f0Norm.length !== 2 || !Number.isFinite(spec.f0Norm[0]) ||
      !Number.isFinite(spec.f0Norm[1]) || !(spec.f0Norm[1] > spec.f0Norm[0])) {
    throw new RangeError(`spec.f0Norm must be [min, max] Hz with finite min < max, got ${JSON.stringify(spec.f0Norm)}`);
  }
  if (!Number.isFinite(spec.dbRange) || !(spec.dbRange > 0)) {
    throw new RangeError(`spec.dbRange must be a finite number > 0, got ${spec.dbRange}`);
  }
}

/** Name prefix of MLP block i's Linear ('.0') and LayerNorm ('.1') modules, e.g. 'mlp_0.linear.2'. */
export function mlpBlock(mlp: 0 | 1, i: number): string {
  return `mlp_${mlp}.linear.${i}`;
}

/**
 * Canonical names and shapes in PyTorch's `parameters()` order (the order of a seed Adam optimizer's state):
 * mlp_0 (Linear weight [H, in], bias [H], LayerNorm weight [H], bias [H]) × 3, gru.weight_ih_l0 [3H, H],
 * gru.weight_hh_l0 [3H, H], gru.bias_ih_l0 [3H], gru.bias_hh_l0 [3H], mlp_1 × 3, out.weight [P, H], out.bias [P].
 */
export function weightShapes(spec: Pick<EstimatorSpec, 'hiddenSize' | 'outputSize'>): [string, number[]][] {
  const H = spec.hiddenSize;
  const P = spec.outputSize;
  const list: [string, number[]][] = [];
  for (const mlp of [0, 1] as const) {
    if (mlp === 1) {
      list.push(['gru.weight_ih_l0', [3 * H, H]], ['gru.weight_hh_l0', [3 * H, H]],
        ['gru.bias_ih_l0', [3 * H]], ['gru.bias_hh_l0', [3 * H]]);
    }
    for (let i = 0; i < MLP_DEPTH; i++) {
      const p = mlpBlock(mlp, i);
      const inSize = mlp === 0 && i === 0 ? 2 : H;
      list.push([`${p}.0.weight`, [H, inSize]], [`${p}.0.bias`, [H]], [`${p}.1.weight`, [H]], [`${p}.1.bias`, [H]]);
    }
  }
  list.push(['out.weight', [P, H]], ['out.bias', [P]]);
  return list;
}

/** The canonical weight names, in PyTorch `parameters()` order. */
export function weightNames(spec: Pick<EstimatorSpec, 'hiddenSize' | 'outputSize'>): string[] {
  return weightShapes(spec).map(([n]) => n);
}

/** Multiply-accumulates of one frame (all Linear layers and the GRU's two matrices). */
export function frameMacs(spec: Pick<EstimatorSpec, 'hiddenSize' | 'outputSize'>): number {
  const H = spec.hiddenSize;
  return 2 * H + 5 * H * H + 6 * H * H + H * spec.outputSize;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Reads hiddenSize and outputSize off a set of weights (from `mlp_0.linear.0.0.weight` [H, 2] and
 * `out.weight` [P, H]). Throws a RangeError naming the tensor when they are missing or malformed.
 */
export function inferSizes(weights: Weights): { hiddenSize: number; outputSize: number } {
  const first = weights['mlp_0.linear.0.0.weight'];
  const out = weights['out.weight'];
  if (!first) throw new RangeError("missing tensor 'mlp_0.linear.0.0.weight'");
  if (!out) throw new RangeError("missing tensor 'out.weight'");
  if (first.shape.length !== 2 || first.shape[1] !== 2) {
    throw new RangeError(`tensor 'mlp_0.linear.0.0.weight' has shape [${first.shape}], expected [H, 2]`);
  }
  if (out.shape.length !== 2) throw new RangeError(`tensor 'out.weight' has shape [${out.shape}], expected [P, H]`);
  return { hiddenSize: first.shape[0], outputSize: out.shape[0] };
}

/**
 * Checks that every canonical tensor is present with the right shape, a matching data length and finite values.
 * Extra tensors are ignored. Throws a RangeError naming the tensor.
 */
export function validateWeights(spec: EstimatorSpec, weights: Weights): void {
  validateSpec(spec);
  if (weights === null || typeof weights !== 'object') throw new TypeError('weights must be a Weights record');
  for (const [name, shape] of weightShapes(spec)) {
    const t = weights[name];
    if (!t) throw new RangeError(`missing tensor '${name}' (expected shape [${shape}])`);
    if (!(t.data instanceof Float32Array)) throw new TypeError(`tensor '${name}' data must be a Float32Array`);
    if (!Array.isArray(t.shape) || !sameShape(t.shape, shape)) {
      throw new RangeError(`tensor '${name}' has shape [${t.shape}], expected [${shape}] ` +
        `(hiddenSize ${spec.hiddenSize}, outputSize ${spec.outputSize})`);
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new RangeError(`tensor '${name}' holds ${t.data.length} values, shape [${shape}] needs ${n}`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(t.data[i])) {
        throw new RangeError(`tensor '${name}' contains a non-finite value (${t.data[i]}) at flat index ${i}`);
      }
    }
  }
}

/**
 * A small, fast, seeded PRNG (mulberry32): uniform floats in [0, 1). Deterministic for a given seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * PyTorch's default initialisation from a seeded PRNG: Linear weights and biases U(±1/√fan_in) (what
 * kaiming_uniform(a=√5) gives), GRU weights and biases U(±1/√H), LayerNorm weight 1 and bias 0.
 * The draws are not PyTorch's bit for bit (different generator), only the same distributions.
 */
export function initWeights(spec: EstimatorSpec, seed = 0): Weights {
  validateSpec(spec);
  const rand = mulberry32(seed);
  const H = spec.hiddenSize;
  const w: Weights = {};
  for (const [name, shape] of weightShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    let bound = 0;
    if (name.startsWith('gru.')) bound = 1 / Math.sqrt(H);
    else if (/\.1\.weight$/.test(name)) data.fill(1);
    else if (/\.1\.bias$/.test(name)) bound = 0;
    else {
      // Linear weight [out, in] or bias [out]: fan_in is the Linear's input size.
      const fanIn = name.startsWith('mlp_0.linear.0.0.') ? 2 : H;
      bound = 1 / Math.sqrt(fanIn);
    }
    if (bound > 0) for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * bound;
    w[name] = { shape: shape.slice(), data };
  }
  return w;
}

/** Deep copy of a Weights record (new Float32Arrays). */
export function cloneWeights(w: Weights): Weights {
  const out: Weights = {};
  for (const [k, t] of Object.entries(w)) out[k] = { shape: t.shape.slice(), data: t.data.slice() };
  return out;
}
