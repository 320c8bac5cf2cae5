// WebAssembly SIMD estimator kernels (src/dsp/simd): each kernel vs a float64 JS reference, partial forms vs whole
// calls, the whole estimator network (hidden 32 and 512) vs a float64 forward, instantiation in a bare realm, and
// the committed generated module vs a fresh clang build.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../src/dsp/fft';
import { ESTIMATOR_SIMD_WASM_BASE64, ESTIMATOR_SIMD_WASM_BYTES } from '../../src/dsp/simd/estimator-wasm';
import {
  SimdEstimatorNetwork, SimdKernels, type SimdEstimatorLayers, type SimdMlpLayer, type SimdWeightsRecord,
} from '../../src/dsp/simd/simd';

const SIMD_DIR = join(__dirname, '../../src/dsp/simd');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5; // [-0.5, 0.5)
  };
}

function randArray(n: number, r: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 * scale;
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// float64 references

function gemvRef(w: Float32Array, x: ArrayLike<number>, b: Float32Array | null, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b ? b[r] : 0;
    for (let j = 0; j < cols; j++) s += w[r * cols + j] * x[j];
    y[r] = s;
  }
  return y;
}

/** Σ |w·x| per row: the scale of float32 rounding error of the dot product. */
function gemvAbsRef(w: Float32Array, x: ArrayLike<number>, b: Float32Array | null, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b ? Math.abs(b[r]) : 0;
    for (let j = 0; j < cols; j++) s += Math.abs(w[r * cols + j] * x[j]);
    y[r] = s;
  }
  return y;
}

function layerNormReluRef(v: ArrayLike<number>, g: ArrayLike<number>, beta: ArrayLike<number>, eps = 1e-5): Float64Array {
  const n = v.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (v[i] - mean) ** 2;
  const inv = 1 / Math.sqrt(q / n + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, (v[i] - mean) * inv * g[i] + beta[i]);
  return out;
}

const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));

function gruRef(gi: ArrayLike<number>, gh: ArrayLike<number>, h: Float64Array, H: number): void {
  for (let j = 0; j < H; j++) {
    const r = sigmoidRef(gi[j] + gh[j]);
    const z = sigmoidRef(gi[H + j] + gh[H + j]);
    const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
    h[j] = (1 - z) * n + z * h[j];
  }
}

/** Plain float64 forward of the estimator network, GRU state carried in `h`. */
function forwardRef(L: SimdEstimatorLayers, h: Float64Array, x0: number, x1: number): Float64Array {
  const H = L.hiddenSize;
  let x: ArrayLike<number> = [x0, x1];
  let cols = L.inputSize;
  const block = (l: SimdMlpLayer): void => {
    x = layerNormReluRef(gemvRef(l.weight, x, l.bias, H, cols), l.lnWeight, l.lnBias, L.eps);
    cols = H;
  };
  L.mlp0.forEach(block);
  const gi = gemvRef(L.gru.weightIh, x, L.gru.biasIh, 3 * H, cols);
  const gh = gemvRef(L.gru.weightHh, h, L.gru.biasHh, 3 * H, H);
  gruRef(gi, gh, h, H);
  x = h;
  L.mlp1.forEach(block);
  const logits = gemvRef(L.out.weight, x, L.out.bias, L.outputSize, H);
  return logits.map(sigmoidRef);
}

/** PyTorch-like initialisation (U(±1/√fan_in)), LayerNorm gains/biases perturbed so they matter. */
function randomLayers(H: number, P: number, seed: number, depth = 3): SimdEstimatorLayers {
  const r = rng(seed);
  const lin = (rows: number, cols: number): { weight: Float32Array; bias: Float32Array } => ({
    weight: randArray(rows * cols, r, 1 / Math.sqrt(cols)), bias: randArray(rows, r, 1 / Math.sqrt(cols)),
  });
  const mlp = (firstIn: number): SimdMlpLayer[] => Array.from({ length: depth }, (_, i) => ({
    ...lin(H, i === 0 ? firstIn : H),
    lnWeight: randArray(H, r, 0.2).map((v) => 1 + v), lnBias: randArray(H, r, 0.1),
  }));
  const g = 1 / Math.sqrt(H);
  return {
    inputSize: 2, hiddenSize: H, outputSize: P, mlp0: mlp(2),
    gru: { weightIh: randArray(3 * H * H, r, g), weightHh: randArray(3 * H * H, r, g), biasIh: randArray(3 * H, r, g),
      biasHh: randArray(3 * H, r, g) },
    mlp1: mlp(H), out: lin(P, H), eps: 1e-5,
  };
}

/** The same tensors under the estimator's canonical (PyTorch state_dict) names. */
function canonicalWeights(L: SimdEstimatorLayers): SimdWeightsRecord {
  const w: SimdWeightsRecord = {};
  const H = L.hiddenSize;
  const put = (name: string, shape: number[], data: Float32Array): void => {
    w[name] = { shape, data };
  };
  for (const [m, layers] of [[0, L.mlp0], [1, L.mlp1]] as const) {
    layers.forEach((l, i) => {
      const p = `mlp_${m}.linear.${i}`;
      put(`${p}.0.weight`, [H, l.weight.length / H], l.weight);
      put(`${p}.0.bias`, [H], l.bias);
      put(`${p}.1.weight`, [H], l.lnWeight);
      put(`${p}.1.bias`, [H], l.lnBias);
    });
  }
  put('gru.weight_ih_l0', [3 * H, H], L.gru.weightIh);
  put('gru.weight_hh_l0', [3 * H, H], L.gru.weightHh);
  put('gru.bias_ih_l0', [3 * H], L.gru.biasIh);
  put('gru.bias_hh_l0', [3 * H], L.gru.biasHh);
  put('out.weight', [L.outputSize, H], L.out.weight);
  put('out.bias', [L.outputSize], L.out.bias);
  return w;
}

function kernels(): SimdKernels {
  const k = SimdKernels.create();
  if (!k) throw new Error('SimdKernels.create() returned null in Node 20 (WebAssembly SIMD expected)');
  return k;
}

// ---------------------------------------------------------------------------------------------------------------

describe('embedded module', () => {
  it('decodes to the declared length, validates, and exports the kernels and memory, no imports', () => {
    const bytes = decodeBase64(ESTIMATOR_SIMD_WASM_BASE64);
    expect(bytes.length).toBe(ESTIMATOR_SIMD_WASM_BYTES);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const mod = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    const exports = Object.fromEntries(WebAssembly.Module.exports(mod).map((e) => [e.name, e.kind]));
    expect(exports.memory).toBe('memory');
    expect(exports.__heap_base).toBe('global');
    for (const f of ['gemv', 'layernorm_relu', 'linear_ln_relu', 'sigmoid', 'gru_gates', 'gru_step']) {
      expect(exports[f]).toBe('function');
    }
    expect(SimdKernels.available()).toBe(true);
  });

  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  const clangVersion = clang.status === 0 ? clang.stdout.split('\n')[0] : '';
  const committed = readFileSync(join(SIMD_DIR, 'estimator-wasm.ts'), 'utf8');
  const builtWith = /\((.*clang version [^;]*);/.exec(committed)?.[1] ?? '';
  const canBuild = clangVersion !== '' && spawnSync('wasm-ld', ['--version']).status === 0 && clangVersion === builtWith;
  if (!canBuild) {
    console.warn(`[simd.kernels] skipping the rebuild check: needs clang + wasm-ld "${builtWith}" on PATH ` +
      `(found: ${clangVersion || 'no clang'}); apt-get install clang lld`);
  }
  it.skipIf(!canBuild)('committed estimator-wasm.ts equals a fresh build of estimator.c (clang present)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simd-build-'));
    try {
      const out = join(dir, 'estimator-wasm.ts');
      execFileSync('bash', [join(SIMD_DIR, 'build.sh'), out], { stdio: 'pipe' });
      expect(readFileSync(out, 'utf8')).toBe(committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SimdKernels arena', () => {
  it('alloc returns aligned, zeroed, disjoint offsets; growth keeps data; heap() follows growth', () => {
    const k = kernels();
    const a = k.alloc(5);
    expect(a % 16).toBe(0);
    k.set(a, [1, 2, 3, 4, 5]);
    const before = k.memory.buffer.byteLength;
    const big = k.alloc(1 << 20); // forces growth
    expect(k.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(big).toBeGreaterThanOrEqual(a + 16);
    expect(Array.from(k.f32(a, 5))).toEqual([1, 2, 3, 4, 5]);
    const view = k.f32(big, 1 << 20);
    expect(view.every((v) => v === 0)).toBe(true);
    expect(k.heap().buffer).toBe(k.memory.buffer);
    expect(k.heap()[a + 4]).toBe(5);
  });

  it('rejects bad sizes with RangeError', () => {
    const k = kernels();
    expect(() => k.alloc(-1)).toThrow(RangeError);
    expect(() => k.alloc(1.5)).toThrow(RangeError);
    expect(() => k.reserve(Number.NaN)).toThrow(RangeError);
  });

  it('each create() is an independent arena', () => {
    const k1 = kernels();
    const k2 = kernels();
    expect(k1.memory).not.toBe(k2.memory);
  });
});

describe('gemv', () => {
  const sizes: [number, number][] = [[1, 1], [1, 2], [3, 5], [4, 4], [5, 7], [8, 8], [7, 9], [13, 31], [33, 64],
    [17, 130], [100, 3], [64, 513], [6, 0]];
  it('equals the float64 reference for sizes incl. non-multiples of 4 (with and without bias)', () => {
    const k = kernels();
    const r = rng(1);
    for (const [rows, cols] of sizes) {
      for (const withBias of [true, false]) {
        const w = randArray(rows * cols, r);
        const x = randArray(cols, r);
        const b = withBias ? randArray(rows, r) : null;
        const wOff = k.alloc(w.length);
        const xOff = k.alloc(cols);
        const bOff = b ? k.alloc(rows) : 0;
        const yOff = k.alloc(rows + 4);
        k.set(wOff, w);
        k.set(xOff, x);
        if (b) k.set(bOff, b);
        k.heap().fill(12345, yOff, yOff + rows + 4);
        k.gemv(wOff, xOff, bOff, yOff, rows, cols);
        const ref = gemvRef(w, x, b, rows, cols);
        const scale = gemvAbsRef(w, x, b, rows, cols);
        const y = k.f32(yOff, rows + 4);
        for (let i = 0; i < rows; i++) {
          expect(Math.abs(y[i] - ref[i]), `rows ${rows} cols ${cols} row ${i}`).toBeLessThanOrEqual(2e-7 * (cols + 1) * scale[i] + 1e-30);
        }
        // nothing written past the last row
        for (let i = rows; i < rows + 4; i++) expect(y[i]).toBe(12345);
      }
    }
  });

  it('partial row ranges (any split, incl. unaligned) reproduce one full call bit for bit', () => {
    const k = kernels();
    const r = rng(2);
    for (const [rows, cols] of [[37, 19], [64, 64], [1536, 512], [11, 3]] as const) {
      const wOff = k.alloc(rows * cols);
      const xOff = k.alloc(cols);
      const bOff = k.alloc(rows);
      const yFull = k.alloc(rows);
      const yPart = k.alloc(rows);
      k.set(wOff, randArray(rows * cols, r));
      k.set(xOff, randArray(cols, r));
      k.set(bOff, randArray(rows, r));
      k.gemv(wOff, xOff, bOff, yFull, rows, cols);
      for (const chunk of [1, 3, 4, 5, 8, 13, 100]) {
        k.heap().fill(0, yPart, yPart + rows);
        for (let r0 = 0; r0 < rows; r0 += chunk) k.gemv(wOff, xOff, bOff, yPart, rows, cols, r0, r0 + chunk);
        expect(Array.from(k.f32(yPart, rows)), `rows ${rows} chunk ${chunk}`).toEqual(Array.from(k.f32(yFull, rows)));
      }
      // empty / out-of-range ranges do nothing and do not throw
      k.heap().fill(7, yPart, yPart + rows);
      k.gemv(wOff, xOff, bOff, yPart, rows, cols, 5, 5);
      k.gemv(wOff, xOff, bOff, yPart, rows, cols, rows, rows + 10);
      expect(k.f32(yPart, rows).every((v) => v === 7)).toBe(true);
    }
  });
});

describe('layerNormRelu, linearLnRelu, sigmoid, exp/tanh', () => {
  it('layerNormRelu equals the float64 reference (n incl. non-multiples of 4)', () => {
    const k = kernels();
    const r = rng(3);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 511, 512]) {
      const v = randArray(n, r, 3).map((t) => t + 1.5);
      const g = randArray(n, r).map((t) => 1 + t);
      const beta = randArray(n, r, 0.3);
      const vOff = k.alloc(n);
      const gOff = k.alloc(n);
      const bOff = k.alloc(n);
      k.set(vOff, v);
      k.set(gOff, g);
      k.set(bOff, beta);
      k.layerNormRelu(vOff, gOff, bOff, n);
      expect(maxAbsDiff(k.f32(vOff, n), layerNormReluRef(v, g, beta)), `n ${n}`).toBeLessThan(2e-6);
    }
  });

  it('linearLnRelu equals gemv then layerNormRelu exactly, and the float64 reference', () => {
    const k = kernels();
    const r = rng(4);
    for (const [rows, cols] of [[32, 2], [33, 31], [512, 512]] as const) {
      const w = randArray(rows * cols, r, 1 / Math.sqrt(cols));
      const x = randArray(cols, r);
      const b = randArray(rows, r, 0.1);
      const g = randArray(rows, r).map((t) => 1 + t);
      const beta = randArray(rows, r, 0.1);
      const [wOff, xOff, bOff, gOff, betaOff, y1, y2] = [w.length, cols, rows, rows, rows, rows, rows].map((n) => k.alloc(n));
      k.set(wOff, w); k.set(xOff, x); k.set(bOff, b); k.set(gOff, g); k.set(betaOff, beta);
      k.linearLnRelu(wOff, xOff, bOff, gOff, betaOff, y1, rows, cols);
      k.gemv(wOff, xOff, bOff, y2, rows, cols);
      k.layerNormRelu(y2, gOff, betaOff, rows);
      expect(Array.from(k.f32(y1, rows))).toEqual(Array.from(k.f32(y2, rows)));
      const ref = layerNormReluRef(gemvRef(w, x, b, rows, cols), g, beta);
      expect(maxAbsDiff(k.f32(y1, rows), ref)).toBeLessThan(5e-6);
    }
  });

  it('exp is accurate to ~2 ulp and tanh/sigmoid to ~2e-7 absolute over [-30, 30]; extremes saturate', () => {
    const k = kernels();
    const n = 4003;
    const x = new Float32Array(n);
    for (let i = 0; i < n - 3; i++) x[i] = -30 + (60 * i) / (n - 4);
    x[n - 3] = -200; x[n - 2] = 200; x[n - 1] = 1e-8;
    const xOff = k.alloc(n);
    const yOff = k.alloc(2 * n);
    const sOff = k.alloc(n);
    k.set(xOff, x);
    k.expTanhTest(xOff, yOff, n);
    k.sigmoid(xOff, sOff, n);
    const y = k.f32(yOff, 2 * n);
    const s = k.f32(sOff, n);
    let expRel = 0;
    let tanhAbs = 0;
    let sigAbs = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      if (Math.abs(xi) <= 80) expRel = Math.max(expRel, Math.abs(y[i] / Math.exp(xi) - 1));
      tanhAbs = Math.max(tanhAbs, Math.abs(y[n + i] - Math.tanh(xi)));
      sigAbs = Math.max(sigAbs, Math.abs(s[i] - sigmoidRef(xi)));
      expect(Number.isFinite(y[i]) && Number.isFinite(y[n + i]) && Number.isFinite(s[i])).toBe(true);
    }
    expect(expRel).toBeLessThan(3e-7);
    expect(tanhAbs).toBeLessThan(3e-7);
    expect(sigAbs).toBeLessThan(2e-7);
    expect(s[n - 3]).toBeLessThan(1e-30);
    expect(s[n - 2]).toBe(1);
  });

  it('sigmoid: partial ranges, in place, NaN → 0.5', () => {
    const k = kernels();
    const n = 37;
    const xOff = k.alloc(n);
    const yOff = k.alloc(n);
    const x = randArray(n, rng(5), 8);
    x[6] = Number.NaN;
    k.set(xOff, x);
    k.sigmoid(xOff, yOff, n, 0, 11);
    k.sigmoid(xOff, yOff, n, 11, n);
    k.sigmoid(xOff, xOff, n);
    expect(Array.from(k.f32(xOff, n))).toEqual(Array.from(k.f32(yOff, n)));
    expect(k.f32(yOff, n)[6]).toBe(0.5);
  });
});

describe('GRU', () => {
  it('gruStep equals the float64 reference (PyTorch r, z, n with reset after the hidden matmul) over frames', () => {
    const k = kernels();
    for (const [H, inSize] of [[5, 3], [32, 32], [130, 17]] as const) {
      const r = rng(H);
      const g = 1 / Math.sqrt(H);
      const wIh = randArray(3 * H * inSize, r, g);
      const wHh = randArray(3 * H * H, r, g * 3);
      const bIh = randArray(3 * H, r, g);
      const bHh = randArray(3 * H, r, g);
      const [wIhOff, wHhOff, bIhOff, bHhOff, xOff, hOff, giOff, ghOff] =
        [wIh.length, wHh.length, 3 * H, 3 * H, inSize, H, 3 * H, 3 * H].map((n) => k.alloc(n));
      k.set(wIhOff, wIh); k.set(wHhOff, wHh); k.set(bIhOff, bIh); k.set(bHhOff, bHh);
      const h = new Float64Array(H);
      for (let t = 0; t < 8; t++) {
        const x = randArray(inSize, r, 2);
        k.set(xOff, x);
        k.gruStep(wIhOff, bIhOff, wHhOff, bHhOff, xOff, hOff, giOff, ghOff, H, inSize);
        gruRef(gemvRef(wIh, x, bIh, 3 * H, inSize), gemvRef(wHh, h, bHh, 3 * H, H), h, H);
        expect(maxAbsDiff(k.f32(hOff, H), h), `H ${H} frame ${t}`).toBeLessThan(2e-6);
      }
    }
  });

  it('gruGates over partial unit ranges equals one call; NaN never reaches the state', () => {
    const k = kernels();
    const H = 23;
    const r = rng(9);
    const gi = randArray(3 * H, r, 4);
    const gh = randArray(3 * H, r, 4);
    const h0 = randArray(H, r, 1.8);
    const [giOff, ghOff, h1, h2] = [3 * H, 3 * H, H, H].map((n) => k.alloc(n));
    k.set(giOff, gi); k.set(ghOff, gh); k.set(h1, h0); k.set(h2, h0);
    k.gruGates(giOff, ghOff, h1, H);
    for (const [j0, j1] of [[0, 3], [3, 10], [10, 11], [11, 23]]) k.gruGates(giOff, ghOff, h2, H, j0, j1);
    expect(Array.from(k.f32(h2, H))).toEqual(Array.from(k.f32(h1, H)));
    const ref = Float64Array.from(h0);
    gruRef(gi, gh, ref, H);
    expect(maxAbsDiff(k.f32(h1, H), ref)).toBeLessThan(1e-6);
    k.heap()[giOff + 2 * H + 1] = Number.NaN; // n gate of unit 1 (SIMD lanes)
    k.heap()[giOff + 2 * H + 22] = Number.NaN; // unit 22 (scalar tail)
    k.heap()[h1 + 5] = Number.NaN; // a poisoned state value
    k.heap()[h1 + 21] = Number.NaN;
    k.gruGates(giOff, ghOff, h1, H);
    const h = k.f32(h1, H);
    expect(h.every((v) => Number.isFinite(v))).toBe(true);
    expect(h[5]).toBe(0);
    expect(h[21]).toBe(0);
  });
});

describe('SimdEstimatorNetwork', () => {
  for (const [H, P, nFrames] of [[32, 10, 12], [30, 7, 6], [512, 514, 4]] as const) {
    it(`hidden ${H}, ${P} outputs: run() over ${nFrames} frames equals a float64 forward within 1e-5`, () => {
      const L = randomLayers(H, P, 100 + H);
      const net = SimdEstimatorNetwork.create(L);
      expect(net).not.toBeNull();
      const h = new Float64Array(H);
      const r = rng(7);
      for (let t = 0; t < nFrames; t++) {
        const x0 = (220 + 300 * r() - 32) / (2000 - 32);
        const x1 = (-40 + 30 * r()) / 80 + 1;
        net!.run(x0, x1);
        const ref = forwardRef(L, h, x0, x1);
        expect(maxAbsDiff(net!.output, ref), `frame ${t} output`).toBeLessThan(1e-5);
        expect(maxAbsDiff(net!.hidden, h), `frame ${t} hidden state`).toBeLessThan(1e-5);
      }
    });
  }

  it('begin + step(maxMacs) for any budget equals run() bit for bit (hidden 512)', () => {
    const L = randomLayers(512, 514, 3);
    const a = SimdEstimatorNetwork.create(L)!;
    const b = SimdEstimatorNetwork.create(L)!;
    expect(a.frameMacs).toBe(2 * 512 + 11 * 512 * 512 + 514 * 512);
    const inputs: [number, number][] = [[0.1, 0.5], [0.2, 0.6], [0.05, 0.9], [0.3, 0.2]];
    const budgets = [1, 1000, 65536, 100003, 1e6, Infinity];
    for (let t = 0; t < inputs.length; t++) {
      a.run(inputs[t][0], inputs[t][1]);
      b.begin(inputs[t][0], inputs[t][1]);
      const budget = budgets[t % budgets.length];
      let calls = 0;
      while (!b.step(budget)) calls++;
      expect(b.busy).toBe(false);
      if (budget === 65536) expect(calls).toBeGreaterThan(40);
      expect(Array.from(b.output)).toEqual(Array.from(a.output));
      expect(Array.from(b.hidden)).toEqual(Array.from(a.hidden));
    }
    // all budgets on one frame
    for (const budget of budgets) {
      const c = SimdEstimatorNetwork.create(L)!;
      c.begin(0.4, 0.4);
      while (!c.step(budget));
      const d = SimdEstimatorNetwork.create(L)!;
      d.run(0.4, 0.4);
      expect(Array.from(c.output), `budget ${budget}`).toEqual(Array.from(d.output));
    }
  });

  it('fromWeights (canonical names) equals create(layers); reset() restores h0 = 0; non-finite inputs are safe', () => {
    const L = randomLayers(32, 7, 11);
    const a = SimdEstimatorNetwork.create(L)!;
    const b = SimdEstimatorNetwork.fromWeights(canonicalWeights(L))!;
    expect(b.hiddenSize).toBe(32);
    expect(b.outputSize).toBe(7);
    const first = new Float32Array(7);
    for (let t = 0; t < 3; t++) {
      a.run(0.1 * t, 0.5);
      b.run(0.1 * t, 0.5);
      if (t === 0) first.set(a.output);
      expect(Array.from(b.output)).toEqual(Array.from(a.output));
    }
    a.reset();
    a.run(0, 0.5);
    expect(Array.from(a.output)).toEqual(Array.from(first));
    a.run(Number.NaN, Number.POSITIVE_INFINITY);
    expect(a.output.every((v) => Number.isFinite(v))).toBe(true);
    expect(a.hidden.every((v) => Number.isFinite(v))).toBe(true);
    b.begin(Number.NaN, -Infinity);
    while (!b.step(100));
    expect(b.hidden.every((v) => Number.isFinite(v))).toBe(true);
    expect(b.step()).toBe(true); // nothing pending
  });

  it('rejects misshapen tensors with RangeError naming them', () => {
    const L = randomLayers(8, 3, 1);
    expect(() => SimdEstimatorNetwork.create({ ...L, out: { weight: new Float32Array(5), bias: L.out.bias } }))
      .toThrow(/out\.weight/);
    const w = canonicalWeights(L);
    delete w['gru.bias_hh_l0'];
    expect(() => SimdEstimatorNetwork.fromWeights(w)).toThrow(/gru\.bias_hh_l0/);
  });
});

describe('bare realm (WebAssembly only, as in an AudioWorkletGlobalScope)', () => {
  const bundle = buildSync({
    entryPoints: [join(SIMD_DIR, 'simd.ts')], bundle: true, format: 'iife', globalName: 'SimdLib', write: false,
    platform: 'neutral', target: 'es2022',
  }).outputFiles[0].text;
  const program = `${bundle}
    (() => {
      if (!SimdLib.SimdKernels.available()) return 'unavailable';
      const k = SimdLib.SimdKernels.create();
      const w = k.alloc(6), x = k.alloc(3), y = k.alloc(2);
      k.set(w, [1, 2, 3, 4, 5, 6]); k.set(x, [1, 1, 2]);
      k.gemv(w, x, 0, y, 2, 3);
      return Array.from(k.f32(y, 2)).join(',');
    })()`;

  it('instantiates synchronously and computes with no atob/TextDecoder/fetch/performance', () => {
    const ctx = vm.createContext({});
    const globals = vm.runInContext('[typeof atob, typeof TextDecoder, typeof fetch, typeof performance, typeof WebAssembly]', ctx);
    expect(globals).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'object']);
    expect(vm.runInContext(program, ctx)).toBe('9,21');
  });

  it('create() returns null (no throw) where WebAssembly is missing', () => {
    const ctx = vm.createContext({});
    vm.runInContext('delete globalThis.WebAssembly', ctx);
    expect(vm.runInContext(`${bundle}; String(SimdLib.SimdKernels.create())`, ctx)).toBe('null');
  });
});
