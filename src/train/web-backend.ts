/**
 * tfjs backend selection in a web page. The page registers the backends it may use by importing their packages
 * (`import '@tensorflow/tfjs-backend-webgl'`, `-webgpu`, `-wasm`, `-cpu`); {@link initWebBackend} picks one.
 *
 * The trainer's custom ops (the synth modules and their gradients, the spectral loss, the GRU's input and
 * gradient reads) read tensors with `dataSync()` and run JS/WebAssembly kernels; the estimator's layers and Adam run
 * on the backend. So every
 * step reads back from the GPU synchronously, many times. WebGL does that with readPixels, its usual path, and is
 * preferred; tfjs's WebGPU backend can only do it through a canvas copy (in headless Chromium on SwiftShader that
 * read returns zeros and loses the device), so a backend is used only after a product computed on it reads back
 * right synchronously.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself (the @tensorflow/tfjs union package does). In a page the bundler
// resolves this file; Node cannot (extension-less imports inside), which is why backend.ts loads it through a hook.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { patchWasmMatMul } from './wasm-matmul';

/** Backends `trainInBrowser` accepts; 'auto' takes the first registered of webgl, webgpu, wasm, cpu that works. */
export type WebBackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The package that registers each backend. */
export const WEB_BACKEND_PACKAGES: Readonly<Record<Exclude<WebBackendChoice, 'auto'>, string>> = {
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The order 'auto' tries: GPU backends first, the one with a native synchronous read before the other. */
const PREFERENCE = ['webgl', 'webgpu', 'wasm', 'cpu'] as const;

/** What initWebBackend chose. */
export interface WebBackendInfo {
  /** The tfjs-core namespace the trainer uses. */
  tf: typeof tf;
  /** The active backend's name. */
  name: Exclude<WebBackendChoice, 'auto'>;
  /** Backends that were registered but did not start, and why. */
  notes: string[];
}

const installHint = (name: Exclude<WebBackendChoice, 'auto'>): string =>
  `npm install ${WEB_BACKEND_PACKAGES[name]}@${tf.version_core} and import '${WEB_BACKEND_PACKAGES[name]}' in the page before training`;

const whyNot: Partial<Record<WebBackendChoice, string>> = {
  webgpu: 'no WebGPU adapter in this browser',
  webgl: 'no WebGL context in this browser',
};

/** Why the active backend cannot train (a product read back synchronously comes out wrong), or null. */
function syncReadProblem(): string | null {
  const x = tf.tidy(() => tf.matMul(tf.fill([2, 80], 0.5), tf.fill([80, 2], 2))); // large enough not to be handed to the CPU
  try {
    const v = Array.from(x.dataSync() as Float32Array);
    return v.every((e) => e === 80) ? null : `a product read back synchronously came out [${v.join(', ')}] instead of [80, 80, 80, 80]`;
  } catch (e) {
    return `reading a result back synchronously failed (${(e as Error).message.split('\n')[0]})`;
  } finally {
    x.dispose();
  }
}

/**
 * Makes a registered tfjs backend the active one.
 * @param choice a backend name, or 'auto' for the first of webgl, webgpu, wasm, cpu that is registered and works
 * @throws Error naming the package to install when the requested backend (or, for 'auto', every backend) is not
 *   registered, or saying why a registered one did not start
 */
export async function initWebBackend(choice: WebBackendChoice = 'auto'): Promise<WebBackendInfo> {
  const notes: string[] = [];
  const candidates = choice === 'auto' ? PREFERENCE.filter((n) => tf.findBackendFactory(n) !== null) : [choice];
  if (choice !== 'auto' && !tf.findBackendFactory(choice)) {
    throw new Error(`the tfjs backend '${choice}' is not registered: ${installHint(choice)}`);
  }
  if (candidates.length === 0) {
    throw new Error(`no tfjs backend is registered: ${installHint('webgl')} (or ${WEB_BACKEND_PACKAGES.webgpu}, ${WEB_BACKEND_PACKAGES.wasm}, ${WEB_BACKEND_PACKAGES.cpu})`);
  }
  for (const name of candidates) {
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      notes.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (ok) {
      await tf.ready();
      const problem = syncReadProblem();
      if (problem === null) {
        if (name === 'wasm') patchWasmMatMul();
        return { tf, name, notes };
      }
      notes.push(`${name}: ${problem}`);
    } else if (notes.length === 0 || !notes[notes.length - 1].startsWith(`${name}:`)) {
      notes.push(`${name}: ${whyNot[name] ?? 'did not start'}`);
    }
  }
  throw new Error(`the tfjs backend ${choice === 'auto' ? `(tried ${candidates.join(', ')})` : `'${choice}'`} cannot train here: ${notes.join('; ')}`);
}
