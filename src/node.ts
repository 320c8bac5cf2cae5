/**
 * `ddsp-stream/node` — audio files in Node: decode wav/flac/mp3/ogg (`audio-decode`), downmix, and write WAV. Kept
 * out of the playback entry because a web page bundler cannot resolve the decoders' Node-only imports; in a page,
 * use the AudioContext's own `decodeAudioData`.
 *
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises';
 * import { readModel, renderOffline } from 'ddsp-stream';
 * import { decodeAudio, downmix, encodeWav } from 'ddsp-stream/node';
 *
 * const model = readModel(await readFile('violin.onnx'));
 * const input = await decodeAudio(await readFile('voice.wav'), 'voice.wav');
 * const { audio } = renderOffline(model, downmix(input.channels), { sampleRate: input.sampleRate });
 * await writeFile('violin-voice.wav', encodeWav(audio, input.sampleRate));
 * ```
 *
 * @packageDocumentation
 */
export {
  decodeAudio, readAudioFile, downmix, encodeWav, writeWavFile, AudioFileError,
  type DecodedAudio, type WavFormat,
} from './io/audio-file';
