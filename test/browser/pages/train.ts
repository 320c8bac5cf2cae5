// Page script of the browser training test. Type-checked against the sources (src/train/web, src/web), bundled by
// the test against the BUILT package (dist/train-web.js with the configs embedded, dist/index.js with the worklet)
// plus tfjs-core and the WebGL backend, as an application would bundle them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { DDSPNode } from '../../../src/web';
import { trainInBrowser, type WebBackendChoice } from '../../../src/train/web';
import { base64ToFloats, floatsToBase64 } from './page-util';

export interface TrainRequest {
  /** Mono training audio, base64 of float32. */
  audio: string;
  sampleRate: number;
  overrides: string[];
  backend: WebBackendChoice;
}

export interface TrainReply {
  /** What trainInBrowser reports, and what tfjs says is active after it. */
  backend: string;
  tfBackend: string;
  webglVersion: number;
  /** Shader programs the WebGL backend compiled (and ran): the layers and Adam really ran on the GPU. */
  webglPrograms: number;
  losses: number[];
  metrics: Record<string, number>;
  step: number;
  stopReason: string;
  slices: { count: number; train: number; validation: number; skippedSilent: number; skippedUnpitched: number };
  secondsPerStep: number;
  /** Steps reported through onProgress. */
  progressSteps: number[];
  /** The model file, base64. */
  modelFile: string;
  /** The trained model (the DDSPModel object, not the file) played by a DDSPNode over the training audio, at 48 kHz. */
  rendered: string;
  renderSampleRate: number;
  latencySamples: number;
}

async function train(r: TrainRequest): Promise<TrainReply> {
  const samples = base64ToFloats(r.audio);
  const progressSteps: number[] = [];
  const run = await trainInBrowser({
    audio: [{ samples, sampleRate: r.sampleRate }],
    overrides: r.overrides,
    backend: r.backend,
    onProgress: (p) => { if (p.phase === 'train') progressSteps.push(p.step); },
  });

  // play the result right away: the model object straight into a DDSPNode, the training audio as its input
  const renderSampleRate = 48000;
  const n = Math.round((samples.length / r.sampleRate) * renderSampleRate);
  const ctx = new OfflineAudioContext(1, n, renderSampleRate);
  const node = await DDSPNode.create(ctx, { model: run.model });
  const buf = ctx.createBuffer(1, samples.length, r.sampleRate);
  buf.copyToChannel(samples, 0);
  const src = new AudioBufferSourceNode(ctx, { buffer: buf });
  src.connect(node).connect(ctx.destination);
  src.start(0);
  const rendered = await ctx.startRendering();

  const bytes = run.modelFile;
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 0x8000)));
  return {
    backend: run.backend,
    tfBackend: tf.getBackend(),
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    webglPrograms: Object.keys((tf.backend() as unknown as { binaryCache?: object }).binaryCache ?? {}).length,
    losses: run.losses,
    metrics: run.metrics,
    step: run.step,
    stopReason: run.stopReason,
    slices: run.slices,
    secondsPerStep: run.secondsPerStep,
    progressSteps,
    modelFile: btoa(s),
    rendered: floatsToBase64(rendered.getChannelData(0)),
    renderSampleRate,
    latencySamples: node.latencySamples,
  };
}

/** The error trainInBrowser rejects with (a second of silence to train on: it must fail before it gets there). */
async function trainError(overrides: string[], backend: WebBackendChoice): Promise<{ name: string; message: string }> {
  try {
    await trainInBrowser({ audio: [{ samples: new Float32Array(16000), sampleRate: 16000 }], backend, overrides });
    return { name: '', message: '' };
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
}

const api = { train, trainError };
/** What the test calls through page.evaluate. */
export type TrainPageApi = typeof api;
(globalThis as unknown as { trainTest: TrainPageApi }).trainTest = api;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
