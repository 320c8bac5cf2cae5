// onnxruntime-web helper: batch inference of a model file's estimator (Node or browser main thread; it does not
// run inside an AudioWorklet). Used for offline rendering of long files and as the reference our realtime kernels
// must match. The only module under src/model that imports onnxruntime.
import * as ort from 'onnxruntime-web';
import { INPUT_F0, INPUT_LOUDNESS, INPUT_STATE, OUTPUT_PARAMS, OUTPUT_STATE } from './onnx-graph';

/** Options of createEstimatorSession. */
export interface OrtSessionOptions {
  /** wasm threads (default 1; Node and cross-origin-isolated pages can use more). */
  numThreads?: number;
}

/** An onnxruntime-web session over a model file's estimator. */
export interface OrtEstimatorSession {
  /** Graph input names (f0_hz, loudness_db[, gru_state]). */
  readonly inputNames: readonly string[];
  /** True when the file exposes the GRU state. */
  readonly stateIO: boolean;
  /**
   * Runs [batch, frames] sequences. f0Hz, loudnessDb: batch × frames values, row-major.
   * state: [1, batch, H] initial GRU state (files with state I/O only; default zeros).
   * @returns params: batch × frames × P sigmoid outputs; state: final GRU state (state-I/O files).
   */
  run(f0Hz: Float32Array, loudnessDb: Float32Array, batch: number, frames: number, state?: Float32Array):
    Promise<{ params: Float32Array; state?: Float32Array }>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Creates an onnxruntime-web (wasm backend) session from model-file bytes.
 * @throws whatever onnxruntime reports for a file it cannot load (use readModel to validate first).
 */
export async function createEstimatorSession(bytes: Uint8Array, opts: OrtSessionOptions = {}): Promise<OrtEstimatorSession> {
  const threads = opts.numThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`numThreads must be an integer ≥ 1, got ${threads}`);
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    logSeverityLevel: 3, // the reverb IR initializer is unused by the graph: don't warn about it
    graphOptimizationLevel: 'all',
  });
  const stateIO = session.inputNames.includes(INPUT_STATE);
  return {
    inputNames: session.inputNames,
    stateIO,
    async run(f0Hz, loudnessDb, batch, frames, state) {
      if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be an integer ≥ 1, got ${batch}`);
      if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frames must be an integer ≥ 1, got ${frames}`);
      if (f0Hz.length !== batch * frames) throw new RangeError(`f0Hz must hold batch × frames = ${batch * frames} values, got ${f0Hz.length}`);
      if (loudnessDb.length !== batch * frames) throw new RangeError(`loudnessDb must hold batch × frames = ${batch * frames} values, got ${loudnessDb.length}`);
      const feeds: Record<string, ort.Tensor> = {
        [INPUT_F0]: new ort.Tensor('float32', f0Hz, [batch, frames, 1]),
        [INPUT_LOUDNESS]: new ort.Tensor('float32', loudnessDb, [batch, frames, 1]),
      };
      if (stateIO) {
        const H = state ? state.length / batch : 0;
        if (state) {
          if (!Number.isInteger(H) || H < 1) throw new RangeError(`state must hold batch × H values, got ${state.length}`);
          feeds[INPUT_STATE] = new ort.Tensor('float32', state, [1, batch, H]);
        } else {
          throw new RangeError('this model file exposes the GRU state: pass state ([1, batch, H], zeros for a fresh start)');
        }
      }
      const res = await session.run(feeds);
      const params = res[OUTPUT_PARAMS].data as Float32Array;
      const out: { params: Float32Array; state?: Float32Array } = { params: new Float32Array(params) };
      if (stateIO) out.state = new Float32Array(res[OUTPUT_STATE].data as Float32Array);
      return out;
    },
    async release() {
      await session.release();
    },
  };
}

/**
 * One-shot convenience: runs a model file's estimator over one or more sequences (fresh GRU state) and returns
 * batch × frames × P sigmoid outputs.
 */
export async function runEstimatorOrt(bytes: Uint8Array, f0Hz: Float32Array, loudnessDb: Float32Array,
  opts: { batch?: number; frames?: number; hiddenSize?: number } & OrtSessionOptions = {}): Promise<Float32Array> {
  const batch = opts.batch ?? 1;
  const frames = opts.frames ?? f0Hz.length / batch;
  const s = await createEstimatorSession(bytes, opts);
  try {
    let state: Float32Array | undefined;
    if (s.stateIO) {
      if (!opts.hiddenSize) throw new RangeError('hiddenSize is needed to build a zero GRU state for a state-I/O model file');
      state = new Float32Array(batch * opts.hiddenSize);
    }
    return (await s.run(f0Hz, loudnessDb, batch, frames, state)).params;
  } finally {
    await s.release();
  }
}
