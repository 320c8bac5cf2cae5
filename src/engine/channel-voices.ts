/**
 * Audio mode with one voice per input channel (a hexaphonic pickup, a multitrack, several singers): each channel is
 * tracked (YIN + loudness) and resynthesised by a path of its own — audio mode's FramePath running the graph's
 * voice part (`voiceGraph`, src/synth/graph.ts) with its own estimator state — and the voices are summed through the graph's one
 * reverb. Channel c alone equals the monophonic audio mode of that channel (its synth is the same graph cut before
 * the reverb, which is linear), with the same latency.
 *
 * Each channel owns an EstimatorRuntime (the audio path keeps its GRU state in its runtime), so the weights are held
 * once per channel (12.6 MB at hidden 512, 3.2 MB at 256) and a frame's estimator work is one pass per channel.
 *
 * @packageDocumentation
 */

import type { TailStream } from '../synth/graph';
import { QUANTUM } from './framer';
import type { FramePath } from './frame-path';

/** Most input channels of the per-channel form. */
export const MAX_INPUT_CHANNELS = 16;

/** @throws RangeError unless `channels` is an integer in [2, MAX_INPUT_CHANNELS] (1 is audio mode's own path) */
export function checkInputChannels(channels: number): void {
  if (!(Number.isInteger(channels) && channels >= 2 && channels <= MAX_INPUT_CHANNELS)) {
    throw new RangeError(`inputChannels must be an integer in [1, ${MAX_INPUT_CHANNELS}], got ${channels}`);
  }
}

/** The per-channel voices of a model at one context rate (see the module notes; built by buildPipeline). */
export class ChannelVoices {
  readonly channels: number;
  readonly latencySamples: number;
  private readonly paths: FramePath[];
  private readonly tail: TailStream | null;
  private readonly mix = new Float32Array(QUANTUM);
  private readonly one = new Float32Array(QUANTUM);
  private readonly wet = new Float32Array(QUANTUM);

  /**
   * @param paths per channel, an audio-mode path with its own estimator running the graph's voice part
   *   (`voiceGraph`)
   * @param tail the graph's reverb the voices are summed through (null: none)
   */
  constructor(paths: FramePath[], tail: TailStream | null) {
    this.channels = paths.length;
    this.paths = paths;
    this.tail = tail;
    this.latencySamples = paths[0].latencySamples;
  }

  /** As FramePath.setControls (values = [pitchShift, harmonicMix, noiseMix, reverbMix]). */
  setControls(values: Float64Array, immediate: boolean): void {
    for (let c = 0; c < this.paths.length; c++) this.paths[c].setControls(values, immediate);
    this.tail?.setControlsFrom(values, 1, immediate);
  }

  reset(): void {
    for (let c = 0; c < this.paths.length; c++) this.paths[c].reset();
    this.tail?.reset();
  }

  /** n ≤ 128 samples of each channel (sanitised; a missing channel is silence) → output[outOffset ..) (written). */
  process(inputs: readonly (Float32Array | null)[], inOffset: number, output: Float32Array, outOffset: number, n: number): void {
    const mix = this.mix;
    mix.fill(0, 0, n);
    for (let c = 0; c < this.paths.length; c++) {
      const x = c < inputs.length ? inputs[c] : null;
      this.paths[c].process(x, inOffset, this.one, 0, n);
      for (let i = 0; i < n; i++) mix[i] += this.one[i];
    }
    if (this.tail !== null) {
      this.tail.process(mix, this.wet, n);
      for (let i = 0; i < n; i++) output[outOffset + i] = this.wet[i];
    } else {
      for (let i = 0; i < n; i++) output[outOffset + i] = mix[i];
    }
  }
}
