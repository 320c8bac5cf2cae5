/**
 * Audio file I/O: decode WAV / FLAC / MP3 / OGG (Vorbis, Opus) with `audio-decode`, downmix to mono, and write
 * WAV (32-bit float or 16-bit PCM). Byte-level functions work anywhere (browser, worker, Node);
 * {@link readAudioFile} / {@link writeWavFile} use `node:fs` through a dynamic import, so importing this module
 * does not pull Node built-ins into a browser bundle.
 *
 * Errors are {@link AudioFileError}s with one-line messages naming the file and what is wrong (empty,
 * unknown format, truncated, no samples, past LIMITS.audio). WAV and FLAC headers are checked against the limits
 * before anything is decoded, so a header that lies costs nothing; every format's result is checked after.
 *
 * @packageDocumentation
 */

import decode from 'audio-decode';
import { LIMITS } from '../model/limits';

/** A decoded file: one Float32Array per channel (equal lengths), at `sampleRate` Hz. */
export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
}

/** A file that cannot be read as audio. The message is one line and names the file when known. */
export class AudioFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioFileError';
  }
}

/** WAV sample encodings {@link encodeWav} writes. */
export type WavFormat = 'float32' | 'pcm16';

/**
 * Decodes an audio file's bytes (format detected from the content).
 * @param bytes the whole file
 * @param name  the file's name, used in error messages
 * @throws AudioFileError when the bytes are empty, of an unknown format, truncated (a WAV whose data chunk or a
 *   FLAC whose STREAMINFO promises more samples than the file holds) or decode to no samples.
 */
export async function decodeAudio(bytes: Uint8Array | ArrayBuffer, name = 'audio'): Promise<DecodedAudio> {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (buf.length === 0) throw new AudioFileError(`${name}: file is empty`);
  const wav = checkWavHeader(buf, name);
  checkFlacHeader(buf, name);
  let data: { channelData: Float32Array[]; sampleRate: number };
  try {
    data = await decode(buf);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/unknown audio format/i.test(msg)) {
      throw new AudioFileError(`${name}: not a supported audio file (wav, flac, mp3, ogg)`);
    }
    throw new AudioFileError(`${name}: cannot decode (${firstLine(msg)})`);
  }
  const channels = (data.channelData ?? []).filter((c) => c && c.length > 0);
  if (channels.length === 0) {
    throw new AudioFileError(`${name}: no audio samples in the file${wav ? ' (empty data chunk)' : ''}`);
  }
  checkFormat(name, 'decoded ', { channels: channels.length, sampleRate: data.sampleRate, samples: channels.reduce((a, c) => a + c.length, 0) });
  let len = channels[0].length;
  for (const c of channels) if (c.length < len) len = c.length;
  const out = channels.map((c) => (c.length === len ? c : c.subarray(0, len)));
  const flacTotal = flacTotalSamples(buf);
  if (flacTotal > 0 && len < flacTotal) {
    throw new AudioFileError(`${name}: truncated FLAC file (${len} of ${flacTotal} samples decoded)`);
  }
  const cut = mp3CutAt(buf);
  if (cut !== null) {
    throw new AudioFileError(`${name}: truncated MP3 file (its last frame needs ${cut.need} bytes from byte ${cut.at}, the file ends ` +
      `${buf.length - cut.at} bytes later; ${len} samples decodable)`);
  }
  return { channels: out, sampleRate: data.sampleRate };
}

/** What a header declares or a decoder returned, against LIMITS.audio (absent fields are not checked). */
function checkFormat(name: string, what: string, f: { channels?: number; sampleRate?: number; samples?: number }): void {
  const { maxChannels, sampleRateHz: [lo, hi], maxSamples } = LIMITS.audio;
  if (f.channels !== undefined && !(f.channels >= 1 && f.channels <= maxChannels)) {
    throw new AudioFileError(`${name}: ${what}${f.channels} channels; audio files may have 1 to ${maxChannels}`);
  }
  if (f.sampleRate !== undefined && !(f.sampleRate >= lo && f.sampleRate <= hi)) {
    throw new AudioFileError(`${name}: ${what}sample rate ${f.sampleRate} Hz; audio files may have ${lo} to ${hi} Hz`);
  }
  if (f.samples !== undefined && f.samples > maxSamples) {
    throw new AudioFileError(`${name}: ${what}${f.samples} samples (all channels); the limit is ${maxSamples} (split the file)`);
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i >= 0 ? s.slice(0, i) : s;
}

/**
 * Validates a RIFF/WAVE header when the bytes start with one; returns false for other formats.
 * @throws AudioFileError for a truncated header, a missing `fmt `/`data` chunk or a data chunk cut short.
 */
function checkWavHeader(b: Uint8Array, name: string): boolean {
  if (b.length < 4) throw new AudioFileError(`${name}: file too short to be audio (${b.length} bytes)`);
  const tag = String.fromCharCode(b[0], b[1], b[2], b[3]);
  if (tag !== 'RIFF' && tag !== 'RIFX' && tag !== 'RF64') return false;
  if (b.length < 12) throw new AudioFileError(`${name}: truncated WAV file (header cut short)`);
  if (String.fromCharCode(b[8], b[9], b[10], b[11]) !== 'WAVE') return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = tag !== 'RIFX';
  let pos = 12;
  let sawFmt = false;
  let blockAlign = 0;
  let channels = 0;
  while (pos + 8 <= b.length) {
    const id = String.fromCharCode(b[pos], b[pos + 1], b[pos + 2], b[pos + 3]);
    const size = dv.getUint32(pos + 4, le);
    if (id === 'fmt ') {
      if (pos + 8 + 16 > b.length) throw new AudioFileError(`${name}: truncated WAV file (fmt chunk cut short)`);
      channels = dv.getUint16(pos + 8 + 2, le);
      const rate = dv.getUint32(pos + 8 + 4, le);
      blockAlign = dv.getUint16(pos + 8 + 12, le);
      const bits = dv.getUint16(pos + 8 + 14, le);
      checkFormat(name, 'the WAV header declares ', { channels, sampleRate: rate });
      if (!(bits >= 1 && bits <= 64) || blockAlign < channels) {
        throw new AudioFileError(`${name}: malformed WAV header (${bits} bits per sample, ${blockAlign} bytes per frame for ${channels} channels)`);
      }
      sawFmt = true;
    } else if (id === 'data') {
      if (!sawFmt) throw new AudioFileError(`${name}: malformed WAV file (data chunk before fmt chunk)`);
      const avail = b.length - (pos + 8);
      // RF64 and streamed WAVs write 0xFFFFFFFF (or 0) as a placeholder size: nothing to check against.
      if (size !== 0xffffffff && size !== 0 && tag !== 'RF64' && avail < size) {
        const have = blockAlign > 0 ? Math.floor(avail / blockAlign) : avail;
        const want = blockAlign > 0 ? Math.floor(size / blockAlign) : size;
        throw new AudioFileError(`${name}: truncated WAV file (${have} of ${want} sample frames present)`);
      }
      if (size === 0 || avail === 0) throw new AudioFileError(`${name}: no audio samples in the file (empty data chunk)`);
      const frames = Math.floor(Math.min(avail, size === 0xffffffff ? avail : size) / blockAlign);
      checkFormat(name, 'the WAV data chunk holds ', { samples: frames * channels });
      return true;
    }
    pos += 8 + size + (size & 1);
  }
  throw new AudioFileError(`${name}: truncated WAV file (no data chunk)`);
}

/** A FLAC STREAMINFO's channels, rate and length against LIMITS.audio, before decoding. @throws AudioFileError */
function checkFlacHeader(b: Uint8Array, name: string): void {
  if (b.length < 42 || b[0] !== 0x66 || b[1] !== 0x4c || b[2] !== 0x61 || b[3] !== 0x43 || (b[4] & 0x7f) !== 0) return;
  // STREAMINFO body at 8: sample rate = 20 bits from byte 18, channels − 1 = the next 3 bits
  const rate = (b[8 + 10] << 12) | (b[8 + 11] << 4) | (b[8 + 12] >> 4);
  const channels = ((b[8 + 12] >> 1) & 0x07) + 1;
  checkFormat(name, 'the FLAC header declares ', { channels, sampleRate: rate, samples: flacTotalSamples(b) * channels });
}

/**
 * Where an MPEG audio file's last frame is cut short: walks the frame headers from the first one (after an ID3v2
 * tag) and reports a frame that runs past the end of the file; null when the walk ends cleanly, or meets anything
 * that is not a frame header (a trailing tag, free-format frames), or the bytes are not MPEG audio.
 */
function mp3CutAt(b: Uint8Array): { at: number; need: number } | null {
  let p = 0;
  if (b.length >= 10 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) { // 'ID3'
    p = 10 + ((b[6] & 0x7f) << 21 | (b[7] & 0x7f) << 14 | (b[8] & 0x7f) << 7 | (b[9] & 0x7f)) + (b[5] & 0x10 ? 10 : 0);
  }
  let frames = 0;
  while (p + 4 <= b.length) {
    const len = mpegFrameLength(b, p);
    if (len === 0) return null;
    if (p + len > b.length) return frames > 0 ? { at: p, need: len } : null;
    p += len;
    frames++;
  }
  return null;
}

const MPEG_BITRATES_KBPS = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // MPEG-1 layer I
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // MPEG-1 layer II
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // MPEG-1 layer III
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256], // MPEG-2/2.5 layer I
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // MPEG-2/2.5 layers II and III
];
const MPEG_RATES = [[11025, 12000, 8000], [0, 0, 0], [22050, 24000, 16000], [44100, 48000, 32000]]; // by version bits

/** Bytes of the MPEG audio frame whose header starts at `p`, or 0 when there is no (fixed-rate) header there. */
function mpegFrameLength(b: Uint8Array, p: number): number {
  if (b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return 0;
  const version = (b[p + 1] >> 3) & 3; // 0 = 2.5, 2 = 2, 3 = 1
  const layer = 4 - ((b[p + 1] >> 1) & 3); // 1, 2, 3 (4 = reserved)
  const brIndex = b[p + 2] >> 4;
  const rate = MPEG_RATES[version][(b[p + 2] >> 2) & 3];
  if (version === 1 || layer === 4 || brIndex === 0 || brIndex === 15 || !rate) return 0;
  const padding = (b[p + 2] >> 1) & 1;
  const mpeg1 = version === 3;
  const kbps = MPEG_BITRATES_KBPS[mpeg1 ? layer - 1 : layer === 1 ? 3 : 4][brIndex];
  if (layer === 1) return (Math.floor((12000 * kbps) / rate) + padding) * 4;
  return Math.floor(((layer === 3 && !mpeg1 ? 72000 : 144000) * kbps) / rate) + padding;
}

/** Total samples declared in a FLAC STREAMINFO block (0 when unknown or not FLAC). */
function flacTotalSamples(b: Uint8Array): number {
  if (b.length < 42 || b[0] !== 0x66 || b[1] !== 0x4c || b[2] !== 0x61 || b[3] !== 0x43) return 0; // 'fLaC'
  if ((b[4] & 0x7f) !== 0) return 0; // first metadata block must be STREAMINFO
  // STREAMINFO body starts at 8; total samples = low 4 bits of byte 21 + bytes 22..25 (36 bits).
  const hi = b[8 + 13] & 0x0f;
  return hi * 2 ** 32 + ((b[8 + 14] << 24) >>> 0) + (b[8 + 15] << 16) + (b[8 + 16] << 8) + b[8 + 17];
}

/**
 * Reads and decodes an audio file from disk (Node only).
 * @throws AudioFileError when the file is missing or unreadable, or as {@link decodeAudio}.
 */
export async function readAudioFile(path: string): Promise<DecodedAudio> {
  const fs = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new AudioFileError(`${path}: cannot read file (${ioReason(e)})`);
  }
  return decodeAudio(bytes, path);
}

function ioReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? firstLine(e.message) : String(e);
}

/**
 * Averages channels to mono (a single channel is returned as is, not copied).
 * @param channels equal-length channels (the shortest length is used otherwise)
 */
export function downmix(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError('downmix: channels must hold at least one channel');
  if (channels.length === 1) return channels[0];
  const n = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(n);
  const g = 1 / channels.length;
  for (const c of channels) for (let i = 0; i < n; i++) out[i] += c[i];
  for (let i = 0; i < n; i++) out[i] *= g;
  return out;
}

/**
 * Encodes samples as a WAV file.
 * @param channels   one Float32Array (mono) or several of equal length (interleaved on write)
 * @param sampleRate Hz, a positive integer
 * @param format     'float32' (WAVE_FORMAT_IEEE_FLOAT, exact) or 'pcm16' (clipped to [−1, 1], rounded, no dither)
 * @returns the file's bytes
 */
export function encodeWav(channels: Float32Array | readonly Float32Array[], sampleRate: number,
  format: WavFormat = 'float32'): Uint8Array {
  const chans: readonly Float32Array[] = channels instanceof Float32Array ? [channels] : channels;
  if (chans.length === 0 || chans.length > 65535) throw new RangeError(`encodeWav: channels must hold 1..65535 channels, got ${chans.length}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`encodeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  if (format !== 'float32' && format !== 'pcm16') throw new RangeError(`encodeWav: format must be 'float32' or 'pcm16', got ${String(format)}`);
  const n = chans[0].length;
  for (const c of chans) if (c.length !== n) throw new RangeError('encodeWav: all channels must have the same length');
  const nCh = chans.length;
  const bytesPerSample = format === 'float32' ? 4 : 2;
  const dataBytes = n * nCh * bytesPerSample;
  const isFloat = format === 'float32';
  // Float WAVs carry a cbSize field and a fact chunk (as the spec asks for non-PCM formats).
  const fmtSize = isFloat ? 18 : 16;
  const factBytes = isFloat ? 12 : 0;
  const total = 12 + 8 + fmtSize + factBytes + 8 + dataBytes;
  if (total > 0xffffffff) throw new RangeError('encodeWav: audio too long for a WAV file (4 GiB limit)');
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let p = 0;
  const tag = (s: string) => { for (let i = 0; i < 4; i++) out[p++] = s.charCodeAt(i); };
  tag('RIFF'); dv.setUint32(p, total - 8, true); p += 4; tag('WAVE');
  tag('fmt '); dv.setUint32(p, fmtSize, true); p += 4;
  dv.setUint16(p, isFloat ? 3 : 1, true); p += 2;
  dv.setUint16(p, nCh, true); p += 2;
  dv.setUint32(p, sampleRate, true); p += 4;
  dv.setUint32(p, sampleRate * nCh * bytesPerSample, true); p += 4;
  dv.setUint16(p, nCh * bytesPerSample, true); p += 2;
  dv.setUint16(p, bytesPerSample * 8, true); p += 2;
  if (isFloat) {
    dv.setUint16(p, 0, true); p += 2;
    tag('fact'); dv.setUint32(p, 4, true); p += 4; dv.setUint32(p, n, true); p += 4;
  }
  tag('data'); dv.setUint32(p, dataBytes, true); p += 4;
  if (isFloat) {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < nCh; c++) { dv.setFloat32(p, chans[c][i], true); p += 4; }
    }
  } else {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < nCh; c++) {
        let v = chans[c][i];
        if (!(v === v)) v = 0; // NaN → 0
        v = v > 1 ? 1 : v < -1 ? -1 : v;
        dv.setInt16(p, Math.round(v < 0 ? v * 32768 : v * 32767), true); p += 2;
      }
    }
  }
  return out;
}

/**
 * Writes a WAV file (Node only).
 * @throws AudioFileError when the file cannot be written.
 */
export async function writeWavFile(path: string, channels: Float32Array | readonly Float32Array[], sampleRate: number,
  format: WavFormat = 'float32'): Promise<void> {
  const bytes = encodeWav(channels, sampleRate, format);
  const fs = await import('node:fs/promises');
  try {
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new AudioFileError(`${path}: cannot write file (${ioReason(e)})`);
  }
}
