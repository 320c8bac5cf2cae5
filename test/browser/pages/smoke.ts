// Harness smoke page: a plain inline worklet (gain 0.5) rendered in an OfflineAudioContext, result as base64.
// Checks the server, the bundler, the browser flags and the float transfer, independently of the library.
import { base64ToFloats, floatsToBase64 } from './page-util';

const PROCESSOR = `
class Half extends AudioWorkletProcessor {
  process(inputs, outputs) {
    const i = inputs[0][0], o = outputs[0][0];
    if (i) for (let k = 0; k < o.length; k++) o[k] = 0.5 * i[k];
    return true;
  }
}
registerProcessor('half', Half);
`;

async function render(inputB64: string): Promise<{ out: string; isolated: boolean }> {
  const input = base64ToFloats(inputB64);
  const ctx = new OfflineAudioContext(1, input.length, 48000);
  const url = URL.createObjectURL(new Blob([PROCESSOR], { type: 'text/javascript' }));
  try {
    await ctx.audioWorklet.addModule(url);
  } finally {
    URL.revokeObjectURL(url);
  }
  const buf = ctx.createBuffer(1, input.length, 48000);
  buf.copyToChannel(input, 0);
  const src = new AudioBufferSourceNode(ctx, { buffer: buf });
  const node = new AudioWorkletNode(ctx, 'half', { outputChannelCount: [1] });
  src.connect(node).connect(ctx.destination);
  src.start(0);
  const rendered = await ctx.startRendering();
  return { out: floatsToBase64(rendered.getChannelData(0)), isolated: globalThis.crossOriginIsolated === true };
}

(globalThis as unknown as { smoke: typeof render }).smoke = render;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
