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
 * sources (tests), a bundle esbuild makes on the fly.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from './checkpoint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComposedConfig } from './config';
import { gradientHookUrl, type BackendChoice } from './backend';

/** One tensor's place in a shared buffer. */
export interface SlotLayout { name: string; shape: number[]; offset: number; length: number }

/** What a worker needs to start. */
export interface WorkerInit {
  composed: ComposedConfig;
  backend: BackendChoice;
  dbPath: string;
  layout: SlotLayout[];
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

/** A step request to a worker. */
export interface WorkerStep { type: 'step'; indices: number[]; noiseSeed: number; weights: Record<string, number> }
/** A worker's answer. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; total: number; parts: Record<string, number> }
  | { type: 'error'; message: string };

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
   * Starts `n` workers (each builds the same model and opens the database).
   * @throws Error when a worker fails to start
   */
  static async start(n: number, init: Omit<WorkerInit, 'grads' | 'weights'> & { weightsLength: number }): Promise<GradientWorkers> {
    const { Worker } = await import('node:worker_threads');
    const url = await workerModuleUrl();
    const weights = new SharedArrayBuffer(init.weightsLength * 4);
    const weightViews: Record<string, Float32Array> = {};
    for (const s of init.layout) weightViews[s.name] = new Float32Array(weights, s.offset * 4, s.length);
    const workers: import('node:worker_threads').Worker[] = [];
    const gradViews: Record<string, Float32Array>[] = [];
    const pending: Array<((r: WorkerReply) => void) | null> = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const grads = new SharedArrayBuffer(init.weightsLength * 4);
      const views: Record<string, Float32Array> = {};
      for (const s of init.layout) views[s.name] = new Float32Array(grads, s.offset * 4, s.length);
      gradViews.push(views);
      const data: WorkerInit = { composed: init.composed, backend: init.backend, dbPath: init.dbPath, layout: init.layout, weights, grads };
      // the gradient hook first: a bundle may import tfjs's gradients at its top level (see backend.ts)
      const code = `require('node:module').register(${JSON.stringify(gradientHookUrl())}); import(${JSON.stringify(url)}).then((m) => m.workerMain()).catch((e) => { require('node:worker_threads').parentPort.postMessage({ type: 'error', message: String(e && e.stack || e) }); });`;
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
    return pool;
  }

  /** Sends one share to worker `i`; resolves with its losses (gradients are then in gradViews[i]). */
  step(i: number, msg: Omit<WorkerStep, 'type'>): Promise<{ total: number; parts: Record<string, number> }> {
    return new Promise((resolve, reject) => {
      this.pending[i] = (r) => {
        if (r.type === 'done') resolve({ total: r.total, parts: r.parts });
        else reject(new Error(`training worker ${i}: ${r.type === 'error' ? r.message.split('\n')[0] : 'unexpected reply'}`));
      };
      this.workers[i].postMessage({ type: 'step', ...msg } satisfies WorkerStep);
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => 0)));
    this.workers = [];
  }
}

/** Worker thread body: builds the model, then answers step requests until terminated. */
export async function workerMain(): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (!parentPort) throw new Error('workerMain must run in a worker thread');
  const init = workerData as WorkerInit;
  const { initBackend } = await import('./backend');
  const { graphFromConfig, TrainModel } = await import('./model');
  const { SliceStore, readBatch } = await import('./dataset');
  const { lossAndGrads } = await import('./step');
  const { tf } = await initBackend(init.backend === 'auto' ? 'auto' : init.backend);
  const c = init.composed.config;
  const model = await TrainModel.create(tf, graphFromConfig(c), { seed: c.seed });
  const store = SliceStore.open(init.dbPath);
  const vars = model.variables();
  const wViews: Record<string, Float32Array> = {};
  const gViews: Record<string, Float32Array> = {};
  for (const s of init.layout) {
    wViews[s.name] = new Float32Array(init.weights, s.offset * 4, s.length);
    gViews[s.name] = new Float32Array(init.grads, s.offset * 4, s.length);
  }
  parentPort.on('message', (m: WorkerStep) => {
    if (m.type !== 'step') return;
    try {
      for (const [k, v] of Object.entries(vars)) {
        const t = tf.tensor(wViews[k].slice(), v.shape, 'float32');
        v.assign(t);
        t.dispose();
      }
      const batch = readBatch(store, m.indices);
      const r = lossAndGrads(tf, model, c, batch, m.weights, m.noiseSeed);
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
