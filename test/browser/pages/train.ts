// Page script of the browser training test. Type-checked against the sources (src/train/web, src/web), bundled by
// the test against the BUILT package (dist/train-web.js with the configs embedded, dist/index.js with the worklet)
// plus tfjs-core and the WebGL backend, as an application would bundle them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { DDSPNode } from '../../../src/web';
import { trainInBrowser, type DDSPModel, type WebBackendChoice, type WebModelSnapshot, type WebTrainRun } from '../../../src/train/web';
import { base64ToFloats, floatsToBase64 } from './page-util';

export interface TrainRequest {
  /** Mono training audio, base64 of float32. */
  audio: string;
  sampleRate: number;
  overrides: string[];
  backend: WebBackendChoice;
  /** trainInBrowser's modelEvery: snapshots handed to onModel. */
  modelEvery: number;
  /** Ask for a snapshot with run.snapshot() from onProgress after this step. */
  snapshotAt: number;
}

/** A snapshot taken during the run, played through a DDSPNode after the run ended. */
export interface SnapshotReply {
  /** How it came: onModel (modelEvery), run.snapshot() during the run, or run.snapshot() after it ended. */
  via: 'onModel' | 'request' | 'after';
  step: number;
  metrics: Record<string, number>;
  /** Its model file, base64. */
  modelFile: string;
  /** Its DDSPModel played by a DDSPNode over the training audio: every sample finite, and the rms after the latency. */
  finite: boolean;
  rms: number;
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
  /** Steps reported through onProgress, with its time per step and time left. */
  progressSteps: number[];
  progressSecondsPerStep: number[];
  progressEta: number[];
  snapshots: SnapshotReply[];
  /** The model file, base64. */
  modelFile: string;
  /** The trained model (the DDSPModel object, not the file) played by a DDSPNode over the training audio, at 48 kHz. */
  rendered: string;
  renderSampleRate: number;
  latencySamples: number;
}

const renderSampleRate = 48000;

/** `model` played by a DDSPNode over `samples` (the model object straight into the node) at 48 kHz. */
async function play(model: DDSPModel, samples: Float32Array<ArrayBuffer>, sampleRate: number): Promise<{ out: Float32Array; latencySamples: number }> {
  const n = Math.round((samples.length / sampleRate) * renderSampleRate);
  const ctx = new OfflineAudioContext(1, n, renderSampleRate);
  const node = await DDSPNode.create(ctx, { model });
  const buf = ctx.createBuffer(1, samples.length, sampleRate);
  buf.copyToChannel(samples, 0);
  const src = new AudioBufferSourceNode(ctx, { buffer: buf });
  src.connect(node).connect(ctx.destination);
  src.start(0);
  return { out: (await ctx.startRendering()).getChannelData(0), latencySamples: node.latencySamples };
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 0x8000)));
  return btoa(s);
}

async function train(r: TrainRequest): Promise<TrainReply> {
  const samples = base64ToFloats(r.audio);
  const progressSteps: number[] = [];
  const progressSecondsPerStep: number[] = [];
  const progressEta: number[] = [];
  const taken: Array<{ via: SnapshotReply['via']; s: WebModelSnapshot }> = [];
  let requested: Promise<WebModelSnapshot> | null = null;
  const running: WebTrainRun = trainInBrowser({
    audio: [{ samples, sampleRate: r.sampleRate }],
    overrides: r.overrides,
    backend: r.backend,
    modelEvery: r.modelEvery,
    onModel: (s) => { taken.push({ via: 'onModel', s }); },
    onProgress: (p) => {
      if (p.phase !== 'train') return;
      progressSteps.push(p.step);
      progressSecondsPerStep.push(p.secondsPerStep);
      progressEta.push(p.etaSeconds);
      if (p.step === r.snapshotAt) requested = running.snapshot();
    },
  });
  const run = await running;
  if (requested) taken.push({ via: 'request', s: await requested });
  taken.push({ via: 'after', s: await running.snapshot() });

  // play every snapshot after the run: the models handed out must not change as training goes on
  const snapshots: SnapshotReply[] = [];
  for (const { via, s } of taken) {
    const { out, latencySamples } = await play(s.model, samples, r.sampleRate);
    const after = out.subarray(latencySamples);
    let sum = 0;
    for (const v of after) sum += v * v;
    snapshots.push({ via, step: s.step, metrics: s.metrics, modelFile: toBase64(s.modelFile), finite: out.every(Number.isFinite), rms: Math.sqrt(sum / after.length) });
  }

  // play the result: the model object straight into a DDSPNode, the training audio as its input
  const { out: rendered, latencySamples } = await play(run.model, samples, r.sampleRate);
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
    progressSecondsPerStep,
    progressEta,
    snapshots,
    modelFile: toBase64(run.modelFile),
    rendered: floatsToBase64(rendered),
    renderSampleRate,
    latencySamples,
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
