// `npx vitest bench --run test/bench/simd.bench.ts`: the WebAssembly SIMD estimator kernels (src/dsp/simd) vs
// plain JS. One estimator frame is due every 20 ms; the target is well under 1 ms per frame (hidden 512).
import { bench, describe } from 'vitest';
import { SimdEstimatorNetwork, SimdKernels, type SimdEstimatorLayers, type SimdMlpLayer } from '../../src/dsp/simd/simd';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}
const randArray = (n: number, r: () => number, scale = 1): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 * scale;
  return a;
};

/** Plain JS row-major GEMV, 4 rows × 1 column per step (what a careful JS port does). */
function gemvJs(w: Float32Array, x: Float32Array, b: Float32Array, y: Float32Array, rows: number, cols: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const o0 = r * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
    for (let j = 0; j < cols; j++) {
      const xj = x[j];
      a0 += w[o0 + j] * xj;
      a1 += w[o1 + j] * xj;
      a2 += w[o2 + j] * xj;
      a3 += w[o3 + j] * xj;
    }
    y[r] = a0 + b[r]; y[r + 1] = a1 + b[r + 1]; y[r + 2] = a2 + b[r + 2]; y[r + 3] = a3 + b[r + 3];
  }
  for (; r < rows; r++) {
    let a = 0;
    const o = r * cols;
    for (let j = 0; j < cols; j++) a += w[o + j] * x[j];
    y[r] = a + b[r];
  }
}

function layerNormReluJs(v: Float32Array, g: Float32Array, beta: Float32Array, n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i];
  const mean = s / n;
  let q = 0;
  for (let i = 0; i < n; i++) q += (v[i] - mean) ** 2;
  const inv = 1 / Math.sqrt(q / n + 1e-5);
  for (let i = 0; i < n; i++) {
    const t = (v[i] - mean) * inv * g[i] + beta[i];
    v[i] = t > 0 ? t : 0;
  }
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** A plain JS allocation-free frame (the reference the SIMD path replaces). */
function makeJsFrame(L: SimdEstimatorLayers): (x0: number, x1: number, out: Float32Array) => void {
  const H = L.hiddenSize;
  const P = L.outputSize;
  const input = new Float32Array(2);
  const bufs = [new Float32Array(H), new Float32Array(H)];
  const h = new Float32Array(H);
  const gi = new Float32Array(3 * H);
  const gh = new Float32Array(3 * H);
  const logits = new Float32Array(P);
  return (x0, x1, out) => {
    input[0] = x0;
    input[1] = x1;
    let x = input;
    let cols = 2;
    let p = 0;
    const mlp = (layers: SimdMlpLayer[]): void => {
      for (const l of layers) {
        const y = bufs[p++ % 2];
        gemvJs(l.weight, x, l.bias, y, H, cols);
        layerNormReluJs(y, l.lnWeight, l.lnBias, H);
        x = y;
        cols = H;
      }
    };
    mlp(L.mlp0);
    gemvJs(L.gru.weightIh, x, L.gru.biasIh, gi, 3 * H, H);
    gemvJs(L.gru.weightHh, h, L.gru.biasHh, gh, 3 * H, H);
    for (let j = 0; j < H; j++) {
      const r = sig(gi[j] + gh[j]);
      const z = sig(gi[H + j] + gh[H + j]);
      const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
      h[j] = (1 - z) * n + z * h[j];
    }
    x = h;
    mlp(L.mlp1);
    gemvJs(L.out.weight, x, L.out.bias, logits, P, H);
    for (let i = 0; i < P; i++) out[i] = sig(logits[i]);
  };
}

function randomLayers(H: number, P: number, seed: number): SimdEstimatorLayers {
  const r = rng(seed);
  const lin = (rows: number, cols: number) => ({ weight: randArray(rows * cols, r, 1 / Math.sqrt(cols)), bias: randArray(rows, r, 0.05) });
  const mlp = (firstIn: number): SimdMlpLayer[] => [0, 1, 2].map((i) => ({
    ...lin(H, i === 0 ? firstIn : H), lnWeight: new Float32Array(H).fill(1), lnBias: new Float32Array(H),
  }));
  const g = 1 / Math.sqrt(H);
  return {
    inputSize: 2, hiddenSize: H, outputSize: P, mlp0: mlp(2),
    gru: { weightIh: randArray(3 * H * H, r, g), weightHh: randArray(3 * H * H, r, g), biasIh: randArray(3 * H, r, g),
      biasHh: randArray(3 * H, r, g) },
    mlp1: mlp(H), out: lin(P, H),
  };
}

describe('GEMV 1536 × 512 (one GRU matrix; 0.79 M MAC)', () => {
  const rows = 1536;
  const cols = 512;
  const r = rng(1);
  const w = randArray(rows * cols, r);
  const x = randArray(cols, r);
  const b = randArray(rows, r);
  const y = new Float32Array(rows);
  bench('plain JS (row-major, 4 rows per pass)', () => {
    gemvJs(w, x, b, y, rows, cols);
  }, { time: 1000 });

  const k = SimdKernels.create();
  if (k) {
    const wOff = k.alloc(rows * cols);
    const xOff = k.alloc(cols);
    const bOff = k.alloc(rows);
    const yOff = k.alloc(rows);
    k.set(wOff, w);
    k.set(xOff, x);
    k.set(bOff, b);
    bench('wasm SIMD gemv', () => {
      k.gemv(wOff, xOff, bOff, yOff, rows, cols);
    }, { time: 1000 });
    bench('wasm SIMD gemv in 12 partial calls of 128 rows', () => {
      for (let r0 = 0; r0 < rows; r0 += 128) k.gemv(wOff, xOff, bOff, yOff, rows, cols, r0, r0 + 128);
    }, { time: 1000 });
  }
});

for (const [H, P] of [[512, 514], [256, 322]] as const) {
  const L = randomLayers(H, P, H);
  const net = SimdEstimatorNetwork.create(L);
  const jsFrame = makeJsFrame(L);
  const out = new Float32Array(P);
  const macs = net ? net.frameMacs : 0;
  let t = 0;
  describe(`estimator frame, hidden ${H}, ${P} outputs (${(macs / 1e6).toFixed(2)} M MAC)`, () => {
    bench('plain JS frame (row-major GEMVs)', () => {
      jsFrame(0.1 + (t++ % 100) * 1e-3, 0.6, out);
    }, { time: 1500 });
    if (net) {
      bench('SimdEstimatorNetwork.run', () => {
        net.run(0.1 + (t++ % 100) * 1e-3, 0.6);
      }, { time: 1500 });
      bench('SimdEstimatorNetwork begin + step(65536 MAC) until done', () => {
        net.begin(0.1 + (t++ % 100) * 1e-3, 0.6);
        while (!net.step(65536));
      }, { time: 1500 });
    }
  });
}
