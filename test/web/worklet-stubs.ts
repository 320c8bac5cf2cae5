// Stubs of the AudioWorkletGlobalScope for running worklet/processor.ts in Node (as chrisguttandin's
// limiter-audio-worklet-processor does in its unit setup).
import type { DDSPReply } from '../../src/web/protocol';
import type { ParameterDescriptor } from '../../worklet/scope';
import type { DDSPProcessor } from '../../worklet/ddsp-processor';

/** A port that records what the processor posts. */
export class FakePort {
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  readonly sent: DDSPReply[] = [];
  postMessage(m: unknown): void {
    this.sent.push(m as DDSPReply);
  }
  /**
   * Delivers `data` as the node would send it, a load followed by 'step' requests until it is answered (as
   * DDSPNode.loadModel does; their replies are not kept); returns the processor's last post.
   */
  deliver(data: unknown): DDSPReply | undefined {
    this.onmessage?.({ data });
    if ((data as { type?: unknown } | null)?.type === 'load') {
      const id = (data as { id: number }).id;
      while (!this.sent.some((m) => m.id === id) && this.step()) { /* next step */ }
    }
    return this.sent[this.sent.length - 1];
  }

  /** Steps the loads queued until none is left (the processorOptions model's, say), as DDSPNode's steps would. */
  finishLoads(): void {
    while (this.step()) { /* next step */ }
  }

  /** Sends one 'step' request and drops its reply; returns whether a load is still being built. */
  step(): boolean {
    this.onmessage?.({ data: { type: 'step', id: STEP_ID } });
    const reply = this.sent.pop();
    if (reply?.id !== STEP_ID) throw new Error(`a step was answered with ${JSON.stringify(reply)}`);
    return reply.result === true;
  }
}

/** The id of the harness's 'step' requests (the tests' own requests use small ids). */
const STEP_ID = 1e9;

/**
 * Installs AudioWorkletProcessor (with a FakePort), registerProcessor (recording into `registered`; a second
 * registration of a name throws, as in browsers), sampleRate and currentFrame, then imports the processor.
 */
export async function loadProcessor(registered: Map<string, unknown>, sampleRate = 48000): Promise<typeof DDSPProcessor> {
  const g = globalThis as Record<string, unknown>;
  g.AudioWorkletProcessor = class {
    readonly port = new FakePort();
  };
  g.registerProcessor = (name: string, ctor: unknown) => {
    if (registered.has(name)) throw new Error(`NotSupportedError: '${name}' already registered`);
    registered.set(name, ctor);
  };
  g.sampleRate = sampleRate;
  g.currentFrame = 0;
  await import('../../worklet/processor'); // registers
  return (await import('../../worklet/ddsp-processor')).DDSPProcessor;
}

/** The processor's AudioParams at their default values, one value per quantum (k-rate form), by name. */
export function defaultParams(processor: typeof DDSPProcessor): Record<string, Float32Array> {
  const p: Record<string, Float32Array> = {};
  for (const d of (processor as unknown as { parameterDescriptors: ParameterDescriptor[] }).parameterDescriptors) {
    p[d.name] = new Float32Array([d.defaultValue ?? 0]);
  }
  return p;
}
