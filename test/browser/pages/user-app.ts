// Page script of the three-engine test (test/browser/engines.test.ts): the DDSPNode page of worklet.test.ts
// (globalThis.ddspTest) plus a model swap.
import { DDSPNode } from '../../../src/web';
import { floatsToBase64 } from './page-util';

// The page of worklet.test.ts defines globalThis.ddspTest when it runs. A dynamic import, because package.json's
// `sideEffects` lets the bundler drop a bare `import './ddsp'` of this package's files.
void import('./ddsp');

/** Creates a node with model `a`, swaps to `b` before rendering, and renders `nSamples` of control mode. */
async function swap(a: string, b: string, nSamples: number, f0: number, loudness: number): Promise<{ out: string; name: string; latencySamples: number }> {
  const ctx = new OfflineAudioContext(1, nSamples, 48000);
  const node = await DDSPNode.create(ctx, { model: a, mode: 'control', f0, loudness });
  await node.loadModel(b);
  node.connect(ctx.destination);
  const rendered = await ctx.startRendering();
  return { out: floatsToBase64(rendered.getChannelData(0)), name: node.modelInfo.name ?? '', latencySamples: node.latencySamples };
}

(globalThis as unknown as { userApp: { swap: typeof swap } }).userApp = { swap };
