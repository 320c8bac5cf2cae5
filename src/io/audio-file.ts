/**
 * Audio file I/O: decode WAV / FLAC / MP3 / OGG (Vorbis, Opus) with `audio-decode`, downmix to mono, and write
 * WAV (32-bit float or 16-bit PCM). Byte-level functions work anywhere (browser, worker, Node);
 * {@link readAudioFile} / {@link writeWavFile} use `node:fs` through a dynamic import, so importing this module
 * does not pull Node built-ins into a browser bundle.
 *
 * Errors are {@link AudioFileError}s with one-line messages naming the file and what is wrong (empty,
 * unknown format, truncated, no samples).
 *
 * @packageDocumentation
 */

import decode from 'audio-decode';

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
  if (channels.length === 0 || !(data.sampleRate > 0)) {
    throw new AudioFileError(`${name}: no audio samples in the file${wav ? ' (empty data chunk)' : ''}`);
  }
  const len = Math.min(...channels.map((c) => c.length));
  const out = channels.map((c) => (c.length === len ? c : c.subarray(0, len)));
  const flacTotal = flacTotalSamples(buf);
  if (flacTotal > 0 && len < flacTotal) {
    throw new AudioFileError(`${name}: truncated FLAC file (${len} of ${flacTotal} samples decoded)`);
  }
  return { channels: out, sampleRate: data.sampleRate };
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
  while (pos + 8 <= b.length) {
    const id = String.fromCharCode(b[pos], b[pos + 1], b[pos + 2], b[pos + 3]);
    const size = dv.getUint32(pos + 4, le);
    if (id === 'fmt ') {
      if (pos + 8 + 16 > b.length) throw new AudioFileError(`${name}: truncated WAV file (fmt chunk cut short)`);
      blockAlign = dv.getUint16(pos + 8 + 12, le);
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
      return true;
    }
    pos += 8 + size + (size & 1);
  }
  throw new AudioFileError(`${name}: truncated WAV file (no data chunk)`);
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
