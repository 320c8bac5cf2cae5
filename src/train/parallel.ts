/**
 * Data-parallel training over worker threads (trainer.devices > 1): tfjs-wasm runs one thread in Node, so the
 * second core is used by a worker that computes the loss and gradients of its share of each batch.
 *
 * Weights live in one SharedArrayBuffer (written by the main thread after each Adam update, read by the workers
 * before each step); each worker writes its gradients into its own SharedArrayBuffer. The main thread computes
 * the first share itself, then averages the shares' gradients weighted by their sizes (the loss is a mean over
 * the batch, so this is the full batch's gradient) and applies Adam. Deterministic for a given device count.
 *
 * The worker runs this library's own code: the built `dist/train.js` (its `workerMain`), or, from TypeScript
 * sources (tests), a bundle esbuild makes on the fly; `ddsp-stream bench` starts its workers through the CLI entry
 * instead, with synthetic batches (no database). {@link trainStep} is the step the trainer and the benchmark run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from './checkpoint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfc from '@tensorflow/tfjs-core';
import type { TrainConfig } from './config-schema';
import { gradientHookUrl, type BackendChoice } from './backend';
import { shareIndices, type StepResult } from './step';
import type { TrainSession, StepReport } from './session';
import type { Batch } from './slices';

/** One tensor's place in a shared buffer. */
export interface SlotLayout { name: string; shape: number[]; offset: number; length: number }

/** What a worker needs to start. */
export interface WorkerInit {
  config: TrainConfig;
  /** The prepared database the batches come from; null: synthetic batches (syntheticBatch, for bench). */
  dbPath: string | null;
  layout: SlotLayout[];
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

/** A step request to a worker. */
export interface WorkerStep { type: 'step'; indices: number[]; noiseSeed: number; weights: Record<string, number> }
/** What a worker is asked: a step, or the size of its tfjs wasm heap. */
export type WorkerRequest = WorkerStep | { type: 'heap' };
/** A worker's answer. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; total: number; parts: Record<string, number> }
  | { type: 'heap'; bytes: number | null }
  | { type: 'error'; message: string };

/** How a worker thread loads the code that runs {@link workerMain}: a module URL and the call on it (`m`). */
export interface WorkerEntry { url: string; call: string }

/** Size of the tfjs wasm backend's heap in bytes (null on other backends). */
export function wasmHeapBytes(tf: typeof tfc): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8 ? b.wasm.HEAPU8.buffer.byteLength : null;
}

/** Layout of named tensors in one float32 buffer. */
export function layoutOf(shapes: Record<string, number[]>): { layout: SlotLayout[]; length: number } {
  const layout: SlotLayout[] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const length = shape.reduce((a, b) => a * b, 1);
    layout.push({ name, shape, offset, length });
    offset += length;
  }
  return { layout, length: offset };
}

let entryUrl: string | null = null;

/** Records the URL of the module that exports `workerMain` (the library entry calls this). */
export function setWorkerEntry(url: string): void {
  if (!entryUrl) entryUrl = url;
}

let bundled: string | null = null;

/** A JS file a worker can import that exports workerMain. */
async function workerModuleUrl(): Promise<string> {
  const self = import.meta.url;
  if (entryUrl && entryUrl.endsWith('.js')) return entryUrl;
  if (self.endsWith('.js')) {
    throw new Error('the worker entry is unknown (import the trainer through ddsp-stream/train)');
  }
  // TypeScript sources (tests, development): bundle src/train/index.ts with esbuild (a dev dependency), inside the
  // project's node_modules so the bundle's bare imports resolve
  if (!bundled) {
    const esbuildName = 'esbuild';
    const esbuild = (await import(/* @vite-ignore */ esbuildName)) as typeof import('esbuild');
    const entry = fileURLToPath(new URL('./index.ts', self));
    const outDir = fileURLToPath(new URL('../../node_modules/.cache/ddsp-stream/', self));
    mkdirSync(outDir, { recursive: true });
    const built = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', write: false, target: 'es2022',
      packages: 'external', logLevel: 'silent', outfile: join(outDir, 'train-worker.mjs'),
    });
    const code = built.outputFiles[0].contents;
    // content-addressed, written atomically: parallel test processes share it, and files only pile up when code changes
    const out = join(outDir, `train-worker-${createHash('sha1').update(code).digest('hex').slice(0, 12)}.mjs`);
    if (!existsSync(out)) writeFileAtomic(out, code);
    bundled = out;
  }
  return new URL(`file://${bundled}`).href;
}

/** A pool of gradient workers. */
export class GradientWorkers {
  private constructor(
    private workers: import('node:worker_threads').Worker[],
    readonly gradViews: Record<string, Float32Array>[],
    readonly weightViews: Record<string, Float32Array>,
    private pending: Array<((r: WorkerReply) => void) | null>,
  ) {}

  /** Number of worker threads. */
  get size(): number { return this.workers.length; }

  /**
   * Starts `n` workers for `session` (each builds the same model from its config and opens the database) and hands
   * them the session's weights.
   * @param dbPath the prepared database; null: synthetic batches (bench)
   * @param entry how a worker loads {@link workerMain} (default: this library's entry)
   * @throws Error when a worker fails to start
   */
  static async start(n: number, session: TrainSession, dbPath: string | null, entry?: WorkerEntry): Promise<GradientWorkers> {
    const { Worker } = await import('node:worker_threads');
    const { url, call } = entry ?? { url: await workerModuleUrl(), call: 'm.workerMain()' };
    const { layout, length } = layoutOf(session.model.shapes());
    const weights = new SharedArrayBuffer(length * 4);
    const weightViews: Record<string, Float32Array> = {};
    for (const s of layout) weightViews[s.name] = new Float32Array(weights, s.offset * 4, s.length);
    const workers: import('node:worker_threads').Worker[] = [];
    const gradViews: Record<string, Float32Array>[] = [];
    const pending: Array<((r: WorkerReply) => void) | null> = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const grads = new SharedArrayBuffer(length * 4);
      const views: Record<string, Float32Array> = {};
      for (const s of layout) views[s.name] = new Float32Array(grads, s.offset * 4, s.length);
      gradViews.push(views);
      const data: WorkerInit = { config: session.config, dbPath, layout, weights, grads };
      // the gradient hook first: a bundle may import tfjs's gradients at its top level (see backend.ts). Dynamic
      // imports only: the eval'd code is CommonJS or ESM depending on the process's --input-type
      const code = `import('node:module').then((mod) => { mod.register(${JSON.stringify(gradientHookUrl())}); ` +
        `return import(${JSON.stringify(url)}); }).then((m) => ${call})` +
        `.catch((e) => import('node:worker_threads').then((w) => w.parentPort.postMessage({ type: 'error', message: String(e && e.stack || e) })));`;
      const w = new Worker(code, { eval: true, workerData: data });
      workers.push(w);
      pending.push(null);
      ready.push(new Promise<void>((resolve, reject) => {
        const onMsg = (m: WorkerReply) => {
          if (m.type === 'ready') { w.off('message', onMsg); resolve(); }
          else if (m.type === 'error') { w.off('message', onMsg); reject(new Error(`training worker ${i} failed to start: ${m.message.split('\n')[0]}`)); }
        };
        w.on('message', onMsg);
        w.once('error', (e) => reject(new Error(`training worker ${i} failed to start: ${e.message}`)));
      }));
    }
    const pool = new GradientWorkers(workers, gradViews, weightViews, pending);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    workers.forEach((w, i) => {
      w.on('message', (m: WorkerReply) => { const cb = pool.pending[i]; pool.pending[i] = null; cb?.(m); });
      w.on('error', (e) => { const cb = pool.pending[i]; pool.pending[i] = null; cb?.({ type: 'error', message: e.message }); });
    });
    pool.setWeights(session);
    return pool;
  }

  /** Writes the session's current weights where the workers read them before each share. */
  setWeights(session: TrainSession): void {
    for (const [k, v] of Object.entries(session.model.variables())) this.weightViews[k].set(v.dataSync() as Float32Array);
  }

  /** Sends a request to worker `i` and resolves with its answer (rejects on an error). */
  private ask(i: number, msg: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending[i] = (r) => {
        if (r.type === 'error') reject(new Error(`training worker ${i}: ${r.message.split('\n')[0]}`));
        else resolve(r);
      };
      this.workers[i].postMessage(msg);
    });
  }

  /** Sends one share to worker `i`; resolves with its losses (gradients are then in gradViews[i]). */
  async step(i: number, msg: Omit<WorkerStep, 'type'>): Promise<{ total: number; parts: Record<string, number> }> {
    const r = await this.ask(i, { type: 'step', ...msg });
    if (r.type !== 'done') throw new Error(`training worker ${i}: unexpected reply ${r.type}`);
    return { total: r.total, parts: r.parts };
  }

  /**
   * Loss and gradients of the batch `indices`: shares 1.. in the workers, share 0 here (`own`), averaged by share
   * size (the loss is a mean over the batch, so this is the whole batch's gradient). Share j draws the noise its
   * items would draw in one thread (seed + its first item's place in the batch). Disposes own's gradients.
   */
  async lossAndGrads(tf: typeof tfc, indices: number[], noiseSeed: number, weights: Record<string, number>,
    own: (indices: number[], noiseSeed: number) => StepResult): Promise<StepResult> {
    const shares = shareIndices(indices, 1 + this.size);
    const offsets = shares.map((_, j) => shares.slice(0, j).reduce((a, x) => a + x.length, 0));
    const pending = shares.slice(1).map((ix, j) => this.step(j, { indices: ix, noiseSeed: noiseSeed + offsets[j + 1], weights }));
    const mine = own(shares[0], noiseSeed);
    const others = await Promise.all(pending);
    const B = indices.length;
    const f = shares.map((x) => x.length / B);
    let total = mine.total * f[0];
    const parts: Record<string, number> = {};
    for (const [k, v] of Object.entries(mine.parts)) parts[k] = v * f[0];
    others.forEach((r, j) => {
      total += r.total * f[j + 1];
      for (const [k, v] of Object.entries(r.parts)) parts[k] = (parts[k] ?? 0) + v * f[j + 1];
    });
    const grads: Record<string, tfc.Tensor> = {};
    for (const [k, gk] of Object.entries(mine.grads)) {
      grads[k] = tf.tidy(() => {
        let acc = tf.mul(gk, f[0]);
        others.forEach((_, j) => { acc = tf.add(acc, tf.mul(tf.tensor(this.gradViews[j][k], gk.shape, 'float32'), f[j + 1])); });
        return acc;
      });
      gk.dispose();
    }
    return { total, parts, grads };
  }

  /** The tfjs wasm heaps of the workers, summed (bytes; null unless every worker runs the wasm backend). */
  async heapBytes(): Promise<number | null> {
    let sum = 0;
    for (let i = 0; i < this.size; i++) {
      const r = await this.ask(i, { type: 'heap' });
      if (r.type !== 'heap' || r.bytes === null) return null;
      sum += r.bytes;
    }
    return sum;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => 0)));
    this.workers = [];
  }
}

/**
 * One training step of `session` on the batch it plans (`batchOf` reads it): with a pool, shares 1.. in the
 * workers and share 0 here, and the workers get the updated weights. The step of the trainer and of the benchmark.
 * @throws Error when the loss is not finite or a worker fails
 */
export async function trainStep(session: TrainSession, batchOf: (indices: number[]) => Batch,
  pool: GradientWorkers | null): Promise<StepReport> {
  const plan = session.plan();
  if (!pool) return session.step(batchOf(plan.indices));
  const r = await pool.lossAndGrads(session.tf, plan.indices, plan.noiseSeed, plan.weights,
    (ix, seed) => session.lossAndGrads(batchOf(ix), plan, seed));
  const report = session.applyStep(plan, r);
  pool.setWeights(session);
  return report;
}

/** Worker thread body: builds the model, then answers step requests until terminated. */
export async function workerMain(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (!parentPort) throw new Error('workerMain must run in a worker thread');
  const init = workerData as WorkerInit;
  const { initBackend } = await import('./backend');
  const { graphFromConfig, TrainModel } = await import('./model');
  const { lossAndGrads } = await import('./step');
  const c = init.config;
  const { tf } = await initBackend(c.backend as BackendChoice);
  const model = await TrainModel.create(tf, graphFromConfig(c), { seed: c.seed });
  let batchOf: (indices: number[]) => Batch;
  if (init.dbPath === null) {
    const { syntheticBatch } = await import('./synthetic-batch');
    batchOf = (ix) => syntheticBatch(c, ix);
  } else {
    const { SliceStore, readBatch } = await import('./dataset');
    const store = SliceStore.open(init.dbPath);
    batchOf = (ix) => readBatch(store, ix);
  }
  const vars = model.variables();
  const wViews: Record<string, Float32Array> = {};
  const gViews: Record<string, Float32Array> = {};
  for (const s of init.layout) {
    wViews[s.name] = new Float32Array(init.weights, s.offset * 4, s.length);
    gViews[s.name] = new Float32Array(init.grads, s.offset * 4, s.length);
  }
  parentPort.on('message', (m: WorkerRequest) => {
    try {
      if (m.type === 'heap') { parentPort.postMessage({ type: 'heap', bytes: wasmHeapBytes(tf) } satisfies WorkerReply); return; }
      for (const [k, v] of Object.entries(vars)) {
        const t = tf.tensor(wViews[k].slice(), v.shape, 'float32');
        v.assign(t);
        t.dispose();
      }
      const r = lossAndGrads(tf, model, c, batchOf(m.indices), m.weights, m.noiseSeed);
      for (const [k, g] of Object.entries(r.grads)) {
        gViews[k].set(g.dataSync() as Float32Array);
        g.dispose();
      }
      parentPort.postMessage({ type: 'done', total: r.total, parts: r.parts } satisfies WorkerReply);
    } catch (e) {
      parentPort.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies WorkerReply);
    }
  });
  parentPort.postMessage({ type: 'ready' } satisfies WorkerReply);
}
