// Page script of the DDSPNode browser test. Type-checked against the sources (src/web), bundled by the test
// against the BUILT package (dist/index.js) — see bundlePage's redirect in worklet.test.ts.
import {
  AudioWorkletNode as SacAudioWorkletNode,
  OfflineAudioContext as SacOfflineAudioContext,
  type IOfflineAudioContext,
} from 'standardized-audio-context';
import { readModel } from '../../../src';
import { DDSPNode, PROCESSOR_NAME, type DDSPMode } from '../../../src/web';
import { base64ToFloats, fetchBytes, floatsToBase64 } from './page-util';

/** Which OfflineAudioContext to render in. */
export type Flavour = 'native' | 'standardized';

export interface RenderRequest {
  flavour: Flavour;
  /** URL of the model file. */
  modelUrl: string;
  /** How the node gets the model: the URL itself (default), the fetched bytes, or the model read on the page. */
  modelAs?: 'url' | 'bytes' | 'object';
  /** URL of the input as raw float32 samples (mono); null in control mode. */
  inputUrl: string | null;
  nSamples: number;
  sampleRate: number;
  mode?: DDSPMode;
  /** Initial AudioParam values (pitchShift, harmonicMix, noiseMix, reverbMix, f0, loudness). */
  params?: Partial<Record<'pitchShift' | 'harmonicMix' | 'noiseMix' | 'reverbMix' | 'f0' | 'loudness', number>>;
}

export interface RenderResult {
  /** Rendered mono output, base64 of float32. */
  out: string;
  latency: number;
  latencySamples: number;
  modelName?: string;
}

function makeContext(flavour: Flavour, nSamples: number, sampleRate: number) {
  return flavour === 'native'
    ? new OfflineAudioContext(1, nSamples, sampleRate)
    : new SacOfflineAudioContext({ numberOfChannels: 1, length: nSamples, sampleRate });
}

/** Renders the input (or nothing, in control mode) through a DDSPNode in an OfflineAudioContext. */
async function render(r: RenderRequest): Promise<RenderResult> {
  const ctx = makeContext(r.flavour, r.nSamples, r.sampleRate);
  const model =
    r.modelAs === 'bytes' ? await fetchBytes(r.modelUrl)
    : r.modelAs === 'object' ? readModel(await fetchBytes(r.modelUrl))
    : r.modelUrl;
  const node = await DDSPNode.create(ctx as OfflineAudioContext, {
    model,
    mode: r.mode,
    ...r.params,
  });
  if (r.inputUrl !== null) {
    const input = new Float32Array((await fetchBytes(r.inputUrl)).buffer);
    const buf = ctx.createBuffer(1, r.nSamples, r.sampleRate);
    buf.copyToChannel(input.subarray(0, r.nSamples), 0);
    const src = ctx.createBufferSource();
    src.buffer = buf;
    (src as AudioBufferSourceNode).connect(node as AudioWorkletNode);
    src.start(0);
  }
  (node as AudioWorkletNode).connect(ctx.destination as AudioDestinationNode);
  const rendered = await ctx.startRendering();
  const res: RenderResult = {
    out: floatsToBase64(rendered.getChannelData(0)),
    latency: node.latency,
    latencySamples: node.latencySamples,
  };
  if (node.modelInfo.name !== undefined) res.modelName = node.modelInfo.name;
  return res;
}

/**
 * After DDSPNode.register, a bare AudioWorkletNode of the processor's name can be built: the worklet module
 * evaluated without throwing and registered its processor (a top-level throw would be silent otherwise).
 */
async function processorRegistered(flavour: Flavour): Promise<{ ok: boolean; message: string }> {
  const ctx = makeContext(flavour, 128, 48000);
  await DDSPNode.register(ctx as OfflineAudioContext);
  try {
    if (flavour === 'native') new AudioWorkletNode(ctx as OfflineAudioContext, PROCESSOR_NAME, { outputChannelCount: [1] });
    else new SacAudioWorkletNode!(ctx as IOfflineAudioContext, PROCESSOR_NAME, { outputChannelCount: [1] });
    return { ok: true, message: '' };
  } catch (e) {
    return { ok: false, message: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** Tries to create a node from `modelUrl`; returns how it failed (or that it did not). */
async function createFails(flavour: Flavour, modelUrl: string): Promise<{ rejected: boolean; name: string; code: string; message: string }> {
  const ctx = makeContext(flavour, 128, 48000);
  try {
    await DDSPNode.create(ctx as OfflineAudioContext, { model: modelUrl });
    return { rejected: false, name: '', code: '', message: '' };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { rejected: true, name: err.name, code: err.code ?? '', message: err.message };
  }
}

/** Loads a good model, then asks loadModel for a bad one: rejects, and the node keeps rendering the old model. */
async function loadModelRejects(modelUrl: string, badUrl: string): Promise<{ rejected: boolean; code: string; message: string; latencySamples: number }> {
  const ctx = new OfflineAudioContext(1, 128, 48000);
  const node = await DDSPNode.create(ctx, { model: await fetchBytes(modelUrl) });
  try {
    await node.loadModel(badUrl);
    return { rejected: false, code: '', message: '', latencySamples: node.latencySamples };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { rejected: true, code: err.code ?? '', message: err.message, latencySamples: node.latencySamples };
  }
}

/** An onset probe: what renderOnsets renders. */
export interface OnsetRequest {
  modelUrl: string;
  sampleRate: number;
  nSamples: number;
  mode: DDSPMode;
  /** Audio mode: the input (raw float32 samples). */
  inputUrl?: string;
  /** Control mode: f0 (Hz) held, and note-ons/offs as [time s, level 0..1] (node.levelToLoudness), k-rate. */
  f0?: number;
  notes?: [number, number][];
  /** Initial reverbMix (0: dry, onsets not smeared by the reverb's tail). */
  reverbMix?: number;
}

/** Renders onsets through a DDSPNode in a native OfflineAudioContext; returns the output and the node's latency. */
async function renderOnsets(r: OnsetRequest): Promise<RenderResult> {
  const ctx = new OfflineAudioContext(1, r.nSamples, r.sampleRate);
  const node = await DDSPNode.create(ctx, { model: r.modelUrl, mode: r.mode, f0: r.f0, reverbMix: r.reverbMix });
  if (r.inputUrl !== undefined) {
    const input = new Float32Array((await fetchBytes(r.inputUrl)).buffer);
    const buf = ctx.createBuffer(1, r.nSamples, r.sampleRate);
    buf.copyToChannel(input.subarray(0, r.nSamples), 0);
    const src = new AudioBufferSourceNode(ctx, { buffer: buf });
    src.connect(node);
    src.start(0);
  }
  for (const [t, level] of r.notes ?? []) node.loudness.setValueAtTime(node.levelToLoudness(level), t);
  node.connect(ctx.destination);
  const rendered = await ctx.startRendering();
  return { out: floatsToBase64(rendered.getChannelData(0)), latency: node.latency, latencySamples: node.latencySamples };
}

const api = { render, renderOnsets, processorRegistered, createFails, loadModelRejects, base64ToFloats };
/** What the test calls through page.evaluate. */
export type PageApi = typeof api;
(globalThis as unknown as { ddspTest: PageApi }).ddspTest = api;
(globalThis as unknown as { pageReady: boolean }).pageReady = true;
