// Hostile files of every kind the library reads, crafted by hand (craft.ts), each run by its reader in a child
// process under a heap cap: each must end in the reader's typed error naming the limit or the fault, within
// MAX_MS and MAX_RSS_MB — where, before these limits, the same files cost 1.2–13.7 GB or aborted the process.
import { deflateSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/model/torch-zip';
import { encodeCheckpoint } from '../../src/train/checkpoint';
import { smallModelBytes } from '../browser/fixture-model';
import { FLAC, P, SEED_CKPT, VIOLIN, editSeed, repeat, flacHeader, lightning, mp3, tensorCheckpoint, wav, withFloat, withMeta, zip } from './craft';
import { MAX_MS, MAX_RSS_MB, TYPED, runReader, setup, summary, teardown } from './harness';

/** One crafted input: its reader, and the outcome expected (null = it loads). */
interface Case { name: string; bytes: () => Uint8Array; expect: RegExp | null }

const enc = new TextEncoder();
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

function seeded(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; out[i] = s >>> 24; }
  return out;
}

const CASES: Record<string, Case[]> = {
  model: [
    { name: 'frame-rate-0.001', bytes: () => withMeta('ddsp.frame_rate', '0.001'), expect: /'ddsp.frame_rate' must be a number in \[1, 1000\] frames\/s, got '0.001'/ },
    { name: 'frame-rate-0', bytes: () => withMeta('ddsp.frame_rate', '0'), expect: /'ddsp.frame_rate' must be a number in \[1, 1000\]/ },
    { name: 'frame-rate-text', bytes: () => withMeta('ddsp.frame_rate', 'fifty'), expect: /'ddsp.frame_rate' must be a number/ },
    { name: 'frame-rate-1e9', bytes: () => withMeta('ddsp.frame_rate', '1e9'), expect: /'ddsp.frame_rate' must be a number in \[1, 1000\]/ },
    { name: 'sample-rate-1', bytes: () => withMeta('ddsp.sample_rate', '1'), expect: /'ddsp.sample_rate' must be a number in \[8000, 384000\] Hz, got '1'/ },
    { name: 'sample-rate-2^32-1', bytes: () => withMeta('ddsp.sample_rate', '4294967295'), expect: /'ddsp.sample_rate' must be a number in \[8000, 384000\]/ },
    { name: 'sample-rate-NaN', bytes: () => withMeta('ddsp.sample_rate', 'NaN'), expect: /'ddsp.sample_rate' must be a number/ },
    { name: 'f0-range-string', bytes: () => withMeta('ddsp.f0_range_hz', '"x"'), expect: /'ddsp.f0_range_hz' must be \[min, max\]/ },
    { name: 'f0-range-reversed', bytes: () => withMeta('ddsp.f0_range_hz', '[2000, 32]'), expect: /'ddsp.f0_range_hz' must be \[min, max\]/ },
    { name: 'f0-range-not-json', bytes: () => withMeta('ddsp.f0_range_hz', '[1, 1e400'), expect: /'ddsp.f0_range_hz' is not valid JSON/ },
    { name: 'estimator-array', bytes: () => withMeta('ddsp.estimator', '[]'), expect: /'ddsp.estimator'.type/ },
    { name: 'estimator-f0norm-string', bytes: () => withMeta('ddsp.estimator', '{"type":"EstimatorFL","hiddenSize":256,"outputSize":322,"f0NormHz":"x","dbRange":80}'), expect: /f0NormHz must be \[min, max\]/ },
    { name: 'synth-empty', bytes: () => withMeta('ddsp.synth', '{}'), expect: /'ddsp.synth' is not a valid synth graph/ },
    { name: 'synth-nested-1e5', bytes: () => withMeta('ddsp.synth', '['.repeat(100_000) + ']'.repeat(100_000)), expect: /'ddsp.synth'/ },
    { name: 'synth-name-number', bytes: () => withMeta('ddsp.synth', '{"name":1,"conditioned":[],"nodes":[]}'), expect: /synth.name must be a string/ },
    { name: 'format-version-2', bytes: () => withMeta('ddsp.format_version', '2'), expect: /newer than this ddsp-stream reads/ },
    { name: 'format-version-text', bytes: () => withMeta('ddsp.format_version', 'one'), expect: /unknown model format version/ },
    { name: 'ir-3.4e38', bytes: () => withFloat(VIOLIN, 'ddsp.reverb_ir', 100, 3.4e38), expect: /'ddsp.reverb_ir' value 3\.\d+e\+38 at index 100 is beyond the limit \|ir\| ≤ 4/ },
    { name: 'ir-inf', bytes: () => withFloat(VIOLIN, 'ddsp.reverb_ir', 7, Infinity), expect: /'ddsp.reverb_ir' contains a non-finite value \(Infinity\) at index 7/ },
    { name: 'weight-1e30', bytes: () => withFloat(smallModelBytes(), 'out.bias', 0, 1e30), expect: /'out.bias' value 1\.0\d*e\+30 at flat index 0 is beyond the limit \|w\| ≤ 65504/ },
    { name: 'truncated', bytes: () => VIOLIN.subarray(0, VIOLIN.length >> 1), expect: /truncated or corrupt ONNX file/ },
    { name: 'random-1MB', bytes: () => seeded(1 << 20, 7), expect: /ONNX|not a ddsp-stream model/ },
    { name: 'empty', bytes: () => new Uint8Array(0), expect: /empty file/ },
    { name: 'zip', bytes: () => SEED_CKPT, expect: /this is a zip archive/ },
    // legal extremes load and run: the longest hop (384 000 samples) and the highest frame rate (hop 8)
    { name: 'legal-hop-384000', bytes: () => withMetaAll({ 'ddsp.sample_rate': '384000', 'ddsp.frame_rate': '1' }), expect: null },
    { name: 'legal-frame-rate-1000', bytes: () => withMetaAll({ 'ddsp.sample_rate': '8000', 'ddsp.frame_rate': '1000' }), expect: null },
    { name: 'violin', bytes: () => VIOLIN, expect: null },
  ],
  checkpoint: [
    // DUP; TUPLE2 sixty times: 2^60 leaves through shared references (1.2 GB at 24 levels before; V8 abort at 60)
    { name: 'billion-laughs-60', bytes: () => lightning([P.EMPTY_LIST, repeat(60, [P.DUP, P.TUPLE2])]), expect: /hyper_parameters expand to more than 100000 values/ },
    { name: 'nested-lists-1e5', bytes: () => lightning([repeat(100_000, [P.MARK]), repeat(100_000, [P.LIST])]), expect: /hyper_parameters nest deeper than 64 levels/ },
    { name: 'appends-300k', bytes: () => lightning([P.EMPTY_LIST, P.MARK, repeat(300_000, [P.NONE]), P.APPENDS]), expect: /more than 100000 values/ },
    { name: 'int-text-garbage', bytes: () => lightning([P.INT, enc.encode('12abc\n')]), expect: /pickle int '12abc' is not an integer at byte \d+ of archive\/data.pkl/ },
    { name: 'int-text-1e6-digits', bytes: () => lightning([P.INT, enc.encode(`${'9'.repeat(1_000_000)}\n`)]), expect: /pickle int of 1000000 digits exceeds the limit/ },
    { name: 'long4-1MiB', bytes: () => lightning([P.LONG4, u32(1 << 20), new Uint8Array(1 << 20)]), expect: /pickle int of 1048576 bytes exceeds the limit of 256 bytes/ },
    { name: 'memo-missing', bytes: () => lightning([0x68, 5]), expect: /pickle memo key 5 not found/ },
    { name: 'storage-declares-1GiB', bytes: () => tensorCheckpoint([4], [1], 4, { name: 'archive/data/0', body: deflateSync(new Uint8Array(16)), size: 2 ** 30, crc: 0 }),
      expect: /inflating zip entry 'archive\/data\/0' needs 1073741824 bytes, past this checkpoint's limit/ },
    // 8 MiB of deflated zeros declared as 16 bytes: read as the 16 bytes declared (the tensor loads; the
    // checkpoint then lacks a synth config), never inflated further
    { name: 'storage-lies-about-size', bytes: () => tensorCheckpoint([4], [1], 4, { name: 'archive/data/0', body: deflateSync(new Uint8Array(8 << 20)), size: 16, crc: crc32(new Uint8Array(16)) }),
      expect: /hyper_parameters has no synth_cfg/ },
    { name: 'storage-wrong-crc', bytes: () => tensorCheckpoint([4], [1], 4, { name: 'archive/data/0', data: new Uint8Array(16), crc: 0x12345678 }),
      expect: /zip entry 'archive\/data\/0' is corrupt: CRC-32 0xecbb4b55, the zip directory says 0x12345678/ },
    { name: 'stride-0-2^30', bytes: () => tensorCheckpoint([2 ** 30], [0], 1, { name: 'archive/data/0', data: new Uint8Array(4) }), expect: /tensor 'estimator.w' \[1073741824\] needs 4294967296 bytes, past this checkpoint's limit/ },
    { name: 'shape-past-storage', bytes: () => tensorCheckpoint([1_000_000], [1], 10, { name: 'archive/data/0', data: new Uint8Array(40) }), expect: /needs 4000000 bytes of storage 'archive\/data\/0', which holds 40/ },
    { name: 'corrupt-storage', bytes: () => corruptStoredByte(), expect: /zip entry 'model\/data\/\d+' is corrupt: CRC-32 0x[0-9a-f]{8}, the zip directory says 0x[0-9a-f]{8}/ },
    { name: 'unused-bomb-60x64MiB', bytes: () => unusedBomb(), expect: null },
    { name: 'truncated', bytes: () => SEED_CKPT.subarray(0, SEED_CKPT.length >> 1), expect: /truncated or not a valid zip archive/ },
    { name: 'bzip2-pickle', bytes: () => zip([{ name: 'archive/data.pkl', data: new Uint8Array(10), method: 12 }]), expect: /uses compression method 12/ },
    { name: 'no-data-pkl', bytes: () => zip([{ name: 'a.txt', data: enc.encode('hello') }]), expect: /no '<folder>\/data.pkl' entry/ },
    { name: 'legacy-pickle', bytes: () => new Uint8Array([0x80, 2, 0x8a, 0x0a]), expect: /legacy \(pre-1.6, non-zip\) torch.save file/ },
    { name: 'random-1MB', bytes: () => seeded(1 << 20, 9), expect: /not a PyTorch checkpoint/ },
    { name: 'seed', bytes: () => SEED_CKPT, expect: null },
  ],
  'train-checkpoint': [
    { name: 'header-not-json', bytes: () => ownCheckpoint((h) => h.replace('{', '[')), expect: /corrupt header/ },
    { name: 'tensor-length-1e12', bytes: () => ownCheckpoint((h) => h.replace('"length":4', '"length":1000000000000').replace('"shape":[4]', '"shape":[1000000000000]')), expect: /truncated tensor 'w\/x'/ },
    { name: 'tensor-length-negative', bytes: () => ownCheckpoint((h) => h.replace('"length":4', '"length":-4')), expect: /corrupt tensor entry/ },
    { name: 'step-string', bytes: () => ownCheckpoint((h) => h.replace('"step":3', '"step":"3"')), expect: /corrupt header \(a step counter is "3"\)/ },
    { name: 'truncated', bytes: () => ownCheckpoint((h) => h).subarray(0, 40), expect: /truncated header/ },
  ],
  audio: [
    { name: 'wav-65535-channels', bytes: () => wav({ channels: 65535, rate: 48000, dataBytes: 192 * 1024 }), expect: /the WAV header declares 65535 channels; audio files may have 1 to 256/ },
    { name: 'wav-0-channels', bytes: () => wav({ channels: 0, rate: 48000, dataBytes: 1024 }), expect: /the WAV header declares 0 channels/ },
    { name: 'wav-0-Hz', bytes: () => wav({ channels: 1, rate: 0, dataBytes: 1024 }), expect: /the WAV header declares sample rate 0 Hz; audio files may have 1000 to 768000 Hz/ },
    { name: 'wav-1-Hz', bytes: () => wav({ channels: 1, rate: 1, dataBytes: 1024 }), expect: /sample rate 1 Hz/ },
    { name: 'wav-2^32-1-Hz', bytes: () => wav({ channels: 1, rate: 2 ** 32 - 1, dataBytes: 1024 }), expect: /sample rate 4294967295 Hz/ },
    { name: 'wav-0-bits', bytes: () => wav({ channels: 2, rate: 48000, bits: 0, dataBytes: 1024 }), expect: /malformed WAV header \(0 bits per sample/ },
    { name: 'wav-data-4GiB', bytes: () => wav({ channels: 1, rate: 48000, dataBytes: 1024, dataSize: 2 ** 32 - 2 }), expect: /truncated WAV file \(512 of 2147483647 sample frames present\)/ },
    { name: 'flac-2^35-samples', bytes: () => flacHeader(2, 48000, 2 ** 35), expect: /the FLAC header declares 68719476736 samples \(all channels\); the limit is 268435456/ },
    { name: 'flac-0-Hz', bytes: () => flacHeader(1, 0, 1000), expect: /the FLAC header declares sample rate 0 Hz/ },
    { name: 'flac-truncated', bytes: () => FLAC.subarray(0, FLAC.length >> 1), expect: /truncated FLAC file/ },
    { name: 'mp3-truncated', bytes: () => mp3(40).subarray(0, 40 * 417 - 200), expect: /truncated MP3 file \(its last frame needs 417 bytes from byte 16263/ },
    { name: 'random-64KB', bytes: () => seeded(1 << 16, 3), expect: /not a supported audio file/ },
    { name: 'empty', bytes: () => new Uint8Array(0), expect: /file is empty/ },
    { name: 'mp3', bytes: () => mp3(40), expect: null },
    { name: 'flac', bytes: () => FLAC, expect: null },
  ],
  config: [
    // each level doubles the string: 2^40 characters at level 40
    { name: 'doubling-chain-40', bytes: () => yaml(['a0: xxxxxxxxxxxxxxxx', ...Array.from({ length: 40 }, (_, i) => `a${i + 1}: \${a${i}}\${a${i}}`)]), expect: /the interpolated string is 2097152 characters, past the limit of 1048576/ },
    // listed from the far end, so resolving the first key follows the whole chain
    { name: 'chain-2000', bytes: () => yaml([...Array.from({ length: 2000 }, (_, i) => `k${2000 - i}: \${k${1999 - i}}`), 'k0: 1']), expect: /chains deeper than 64 levels/ },
    // YAML's own billion laughs: aliases of aliases
    { name: 'yaml-alias-bomb', bytes: () => enc.encode(['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n')), expect: /cannot read hostile\/config.yaml: .*alias/i },
    { name: 'cycle', bytes: () => yaml(['a: ${b}', 'b: ${a}']), expect: /refers to itself \(a cycle\)/ },
  ],
};

function withMetaAll(kv: Record<string, string>): Uint8Array {
  return Object.entries(kv).reduce<Uint8Array>((b, [k, v]) => withMeta(k, v, b), VIOLIN);
}

/** The seed checkpoint with one byte of a stored storage flipped in place (the directory's CRC kept). */
function corruptStoredByte(): Uint8Array {
  const b = SEED_CKPT.slice();
  const name = enc.encode('model/data/0');
  for (let i = 0; i + 30 < b.length; i++) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 3 && b[i + 3] === 4 && name.every((x, k) => b[i + 30 + k] === x) &&
        b[i + 30 + name.length] !== 0x2f /* not model/data/0x */ && b[i + 26] === name.length) {
      const start = i + 30 + b[i + 26] + (b[i + 28] | (b[i + 29] << 8));
      b[start + 2] ^= 0x40;
      return b;
    }
  }
  throw new Error('model/data/0 not found');
}

/** The seed checkpoint plus 60 unused entries, each 64 MiB of zeros deflated (~64 KB): 3.75 GiB declared. */
function unusedBomb(): Uint8Array {
  const body = deflateSync(new Uint8Array(64 << 20), { level: 9 });
  const crc = crcOfZeros(64 << 20);
  return editSeed(() => Array.from({ length: 60 }, (_, i) => ({ name: `model/extra/${i}`, body, size: 64 << 20, crc })));
}
const crcOfZeros = (n: number): number => crc32(new Uint8Array(n));

/** One of our own checkpoints (one tensor 'w/x' of 4 floats, step 3) with its header JSON edited. */
function ownCheckpoint(edit: (header: string) => string): Uint8Array {
  const b = encodeCheckpoint({ step: 3, epoch: 0, batchInEpoch: 1, weights: { x: { shape: [4], data: new Float32Array(4) } }, adam: null, rng: {}, config: {}, meta: {} });
  const len = new DataView(b.buffer).getUint32(12, true);
  const header = edit(new TextDecoder().decode(b.subarray(16, 16 + len)));
  const h = enc.encode(header);
  const dataStart = Math.ceil((16 + len) / 8) * 8;
  const newStart = Math.ceil((16 + h.length) / 8) * 8;
  const out = new Uint8Array(newStart + (b.length - dataStart));
  out.set(b.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, h.length, true);
  out.set(h, 16);
  out.set(b.subarray(dataStart), newStart);
  return out;
}

const yaml = (lines: string[]): Uint8Array => enc.encode(`${lines.map((l) => l.replace(/: (\$\{.*)$/, ": '$1'")).join('\n')}\n`);

let child = '';
beforeAll(async () => { child = (await setup()).child; }, 60_000);
afterAll(() => teardown());

describe.each(Object.keys(CASES))('hostile %s files', (kind) => {
  it(`each ends in ${TYPED[kind]} naming the limit or the fault, within ${MAX_MS} ms and ${MAX_RSS_MB} MB`, () => {
    const cases = CASES[kind];
    const run = runReader(child, kind, cases.map((c) => ({ name: c.name, bytes: c.bytes() })));
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(run.results).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const o = run.results[i];
      if (c.expect === null) {
        expect({ name: c.name, error: o.error, message: o.message }).toEqual({ name: c.name, error: null, message: '' });
      } else {
        expect({ name: c.name, error: o.error }).toEqual({ name: c.name, error: TYPED[kind] });
        expect(o.message).toMatch(c.expect);
      }
      expect(o.ms, c.name).toBeLessThan(MAX_MS);
    });
    expect(run.maxRssMB).toBeLessThan(MAX_RSS_MB);
    console.log(summary(`hostile ${kind}`, run, kind));
    if (process.env.DEBUG_ROBUSTNESS) console.log(run.results.map((o) => `${o.file} ${o.ms.toFixed(0)}`).join('\n'));
  }, 120_000);
});
