// Adds the bundled worklet module to a context, once per context.
import { addAudioWorkletModule as sacAddModule, type TContext } from 'standardized-audio-context';
import { DDSPError } from './errors';

/** A native Web Audio context or one of standardized-audio-context's. */
export type AnyAudioContext = BaseAudioContext | TContext;

/** True for the browser's own contexts (AudioContext, OfflineAudioContext), false for standardized-audio-context's. */
export function isNativeContext(context: AnyAudioContext): context is BaseAudioContext {
  return typeof BaseAudioContext === 'function' && context instanceof BaseAudioContext;
}

/** One addModule promise per context (Tone.js keeps the same map): the module is added at most once. */
const registrations = new WeakMap<object, Promise<void>>();

/**
 * Makes the 'ddsp-stream' processor available in `context` by adding the bundled worklet (dist/worklet.js,
 * inlined at build time into a chunk of its own, loaded here on first use, so a page's bundle stays small until a
 * node is created) from a Blob URL. Called by DDSPNode.create; safe to call again (same promise).
 *
 * The returned promise rejects with a DDSPError 'NOT_REGISTERED' when the worklet source is missing (unbuilt
 * sources), the context has no AudioWorklet, or addModule fails.
 */
export function registerWorklet(context: AnyAudioContext): Promise<void> {
  const known = registrations.get(context);
  if (known !== undefined) return known;
  const p = addModule(context);
  registrations.set(context, p);
  p.catch(() => registrations.delete(context)); // let a later call try again
  return p;
}

async function addModule(context: AnyAudioContext): Promise<void> {
  let workletSource: string;
  try {
    ({ default: workletSource } = await import('./worklet-source'));
  } catch (e) {
    throw new DDSPError('NOT_REGISTERED', `loading the worklet's code failed: ${(e as Error)?.message ?? String(e)}`);
  }
  if (workletSource === '') {
    throw new DDSPError(
      'NOT_REGISTERED',
      'the worklet source is empty: DDSPNode needs the built package (dist/index.js), where rollup inlines dist/worklet.js',
    );
  }
  const url = URL.createObjectURL(new Blob([workletSource], { type: 'application/javascript' }));
  try {
    if (isNativeContext(context)) {
      if (context.audioWorklet === undefined) {
        throw new DDSPError('NOT_REGISTERED', 'this AudioContext has no audioWorklet (a secure context is required)');
      }
      await context.audioWorklet.addModule(url);
    } else {
      if (sacAddModule === undefined) {
        throw new DDSPError('NOT_REGISTERED', 'AudioWorklet is not supported in this browser');
      }
      await sacAddModule(context, url);
    }
  } catch (e) {
    if (e instanceof DDSPError) throw e;
    throw new DDSPError('NOT_REGISTERED', `adding the worklet module failed: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
