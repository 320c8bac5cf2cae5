// WAV writing, decoding through audio-decode, downmix, and clear errors for bad files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioFileError, decodeAudio, downmix, encodeWav, readAudioFile, writeWavFile } from '../../src/io/audio-file';

const dir = mkdtempSync(join(tmpdir(), 'ddsp-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i / 7) * 0.9);
}

describe('encodeWav / decodeAudio', () => {
  it('float32 round-trips exactly (mono and stereo)', async () => {
    const x = ramp(1000);
    const d = await decodeAudio(encodeWav(x, 44100, 'float32'));
    expect(d.sampleRate).toBe(44100);
    expect(d.channels.length).toBe(1);
    expect(Array.from(d.channels[0])).toEqual(Array.from(x));
    const y = x.map((v) => -v);
    const s = await decodeAudio(encodeWav([x, y], 48000));
    expect(s.channels.length).toBe(2);
    expect(s.channels[1][10]).toBe(y[10]);
  });

  it('pcm16 round-trips within one quantisation step, clipping out-of-range values', async () => {
    const x = ramp(500);
    x[3] = 1.7; x[4] = -3; x[5] = NaN;
    const d = await decodeAudio(encodeWav(x, 22050, 'pcm16'));
    const y = d.channels[0];
    expect(y.length).toBe(500);
    for (let i = 6; i < 500; i++) expect(Math.abs(y[i] - x[i])).toBeLessThan(1 / 32767 + 1e-6);
    expect(y[3]).toBeCloseTo(1, 4);
    expect(y[4]).toBeCloseTo(-1, 4);
    expect(y[5]).toBe(0);
  });

  it('downmix averages channels', () => {
    const m = downmix([Float32Array.of(1, 0, 2), Float32Array.of(0, 1, 2)]);
    expect(Array.from(m)).toEqual([0.5, 0.5, 2]);
    const one = Float32Array.of(1, 2);
    expect(downmix([one])).toBe(one);
  });

  it('writeWavFile / readAudioFile through the file system', async () => {
    const p = join(dir, 'a.wav');
    await writeWavFile(p, ramp(300), 16000);
    const d = await readAudioFile(p);
    expect(d.sampleRate).toBe(16000);
    expect(d.channels[0].length).toBe(300);
  });

  it('rejects bad arguments to encodeWav', () => {
    expect(() => encodeWav(ramp(4), 0)).toThrow(RangeError);
    expect(() => encodeWav([ramp(4), ramp(5)], 44100)).toThrow(/same length/);
    expect(() => encodeWav(ramp(4), 44100, 'pcm24' as 'pcm16')).toThrow(/format/);
  });
});

describe('bad files give one-line AudioFileErrors naming the problem', () => {
  const good = encodeWav(ramp(2000), 44100, 'pcm16');
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /empty/],
    ['garbage', new TextEncoder().encode('this is not an audio file at all, sorry'), /not a supported audio file/],
    ['truncated WAV', good.subarray(0, 1000), /truncated WAV/],
    ['header only', good.subarray(0, 44), /no audio samples|truncated/],
    ['cut header', good.subarray(0, 20), /truncated/],
  ];
  for (const [name, bytes, re] of cases) {
    it(name, async () => {
      const p = join(dir, `${name.replace(/\s/g, '_')}.wav`);
      writeFileSync(p, bytes);
      const err = await readAudioFile(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AudioFileError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toContain(p);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('missing file', async () => {
    const err = await readAudioFile(join(dir, 'nope.wav')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioFileError);
    expect((err as Error).message).toMatch(/no such file/);
  });
});
