/**
 * tfjs backend selection for training in Node.
 *
 * - `tensorflow`: @tensorflow/tfjs-node when the user has installed it (optional, never required).
 * - `wasm` (default): @tensorflow/tfjs-backend-wasm, SIMD, one thread in Node (~27 GFLOP/s matmul).
 * - `cpu`: the pure-JS backend (~1 GFLOP/s), used when wasm cannot start (a note says so).
 *
 * The wasm backend's matmul kernels are wrapped so transposed operands take its fast path (wasm-matmul.ts).
 *
 * tfjs-core's Node bundle registers no gradients (only the union package `@tensorflow/tfjs` does), and its
 * `dist/register_all_gradients.js` is ESM with extension-less relative imports that Node cannot resolve.
 * {@link ensureGradients} loads it through a resolve hook scoped to `@tensorflow/tfjs-core/dist/`; tfjs keeps
 * its engine and registries on globalThis, so the gradients reach the engine the rest of the code uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { patchWasmMatMul } from './wasm-matmul';

export { patchWasmMatMul } from './wasm-matmul';

/** Backends `initBackend` accepts. */
export type BackendChoice = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

/** The tfjs-core namespace, as the training code uses it. */
export type TF = typeof tf;

/** What initBackend chose. */
export interface BackendInfo { tf: TF; name: string; notes: string[] }

let active: Promise<BackendInfo> | null = null;
let activeChoice: BackendChoice | null = null;

/** Loads an optional package without letting bundlers or tsc resolve it. */
async function optionalImport(name: string): Promise<unknown> {
  const spec = name;
  return import(/* @vite-ignore */ spec);
}

/**
 * Selects and initialises the tfjs backend (once per process; later calls return the same one).
 * @param choice 'auto' tries tensorflow (if installed), then wasm, then cpu.
 * @throws Error when an explicitly requested backend cannot start.
 */
export function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (active && (activeChoice === choice || choice === 'auto')) return active;
  activeChoice = choice;
  active = doInit(choice);
  return active;
}

async function doInit(choice: BackendChoice): Promise<BackendInfo> {
  const notes: string[] = [];
  await ensureGradients();
  if (choice === 'tensorflow' || choice === 'auto') {
    try {
      await optionalImport('@tensorflow/tfjs-node');
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        return { tf, name: 'tensorflow', notes };
      }
      throw new Error('backend did not start');
    } catch (e) {
      if (choice === 'tensorflow') {
        throw new Error(`backend=tensorflow needs @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node): ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  if (choice === 'wasm' || choice === 'auto') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) returned false');
      await tf.ready();
      patchWasmMatMul();
      return { tf, name: 'wasm', notes };
    } catch (e) {
      if (choice === 'wasm') throw new Error(`the wasm backend did not start: ${(e as Error).message.split('\n')[0]}`);
      notes.push(`tfjs wasm backend unavailable (${(e as Error).message.split('\n')[0]}); training on the cpu backend (about 20× slower)`);
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend did not start');
  await tf.ready();
  return { tf, name: 'cpu', notes };
}

const GRADIENT_HOOK = `
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (e) {
    const p = context.parentURL || '';
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'ERR_UNSUPPORTED_DIR_IMPORT') &&
        p.includes('/@tensorflow/tfjs-core/dist/') && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith('.js')) {
      try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
    }
    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && specifier.startsWith('@tensorflow/tfjs-core/dist/') && !specifier.endsWith('.js')) {
      return next(specifier + '.js', context);
    }
    throw e;
  }
}
export async function load(url, context, next) {
  if (url.includes('/@tensorflow/tfjs-core/dist/') && url.endsWith('.js') && !/\\/tf-core\\.[^/]*js$/.test(url)) {
    return next(url, { ...context, format: 'module' });
  }
  return next(url, context);
}`;

let gradientsLoaded: Promise<void> | null = null;

/** The resolve/load hook (a data: URL for module.register) that lets Node load tfjs-core's ESM gradient files. */
export function gradientHookUrl(): string {
  return `data:text/javascript,${encodeURIComponent(GRADIENT_HOOK)}`;
}

/**
 * Makes sure tfjs's op gradients are registered (see the module comment). A no-op when they already are
 * (e.g. @tensorflow/tfjs or tfjs-node is loaded).
 * @throws Error when they cannot be loaded (Node < 20.6 has no module.register).
 */
export function ensureGradients(): Promise<void> {
  if (tf.getGradient('Sum') && tf.getGradient('BatchMatMul')) return Promise.resolve();
  if (!gradientsLoaded) {
    gradientsLoaded = (async () => {
      const mod = (await import('node:module')) as { register?: (url: string) => void };
      if (typeof mod.register !== 'function') {
        throw new Error('training needs Node >= 20.6 (module.register) to load tfjs gradients, or @tensorflow/tfjs installed');
      }
      mod.register(gradientHookUrl());
      await optionalImport('@tensorflow/tfjs-core/dist/register_all_gradients.js');
      if (!tf.getGradient('Sum')) throw new Error('tfjs gradients did not register');
    })();
  }
  return gradientsLoaded;
}
