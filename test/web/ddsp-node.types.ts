// Compile-time tests of DDSPNode's public types (checked by `tsc --noEmit`, never run).
import { OfflineAudioContext as SacOfflineAudioContext, type IAudioParam, type IAudioWorkletNode, type IOfflineAudioContext } from 'standardized-audio-context';
import { DDSPNode, type DDSPNodeOptions } from '../../src/web';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

export async function nativeContext(ctx: OfflineAudioContext): Promise<void> {
  const node = await DDSPNode.create(ctx, { model: '/m.onnx' });
  assertType<Equals<typeof node.pitchShift, AudioParam>>();
  const asNative: AudioWorkletNode = node;
  asNative.connect(ctx.destination);
  const seconds: number = node.latency;
  node.pitchShift.setValueAtTime(12, 0);
  assertType<Equals<ReturnType<typeof node.setMode>, void>>(); // synchronous: nothing to await
  node.setMode('control');
  // @ts-expect-error not a mode
  node.setMode('midi');
  const db: number = node.levelToLoudness(100 / 127);
  const range: [number, number] = node.modelInfo.loudnessRangeDb;
  void db;
  void range;
  const named = await DDSPNode.create(ctx, { model: 'violin' });
  void named;
  void seconds;
}

export async function standardizedContext(): Promise<void> {
  const ctx = new SacOfflineAudioContext({ length: 128, sampleRate: 48000, numberOfChannels: 1 });
  const node = await DDSPNode.create(ctx, { model: new Uint8Array(8) });
  assertType<Equals<typeof node.reverbMix, IAudioParam>>();
  const asSac: IAudioWorkletNode<IOfflineAudioContext> = node;
  asSac.connect(ctx.destination);
  node.addEventListener('error', (e) => void e);
  node.onerror = (e: ErrorEvent) => void e.error;
}

export const fixedOptionsAreHidden: DDSPNodeOptions = {
  model: new ArrayBuffer(8),
  // @ts-expect-error the channel layout is fixed
  channelCount: 2,
};
