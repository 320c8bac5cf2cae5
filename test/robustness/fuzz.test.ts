// Seeded fuzz: byte flips (biased to the headers), truncations, splices, insertions and deletions of valid files,
// run by the model reader (+ engine preparation), the seed and training checkpoint readers and the audio decoders in
// a child under a heap cap. Every input must load or end in its reader's typed error, within the time and memory
// bounds. Same seed, same inputs: FUZZ_SEED=<n> reproduces a run, FUZZ_SCALE=<k> runs k times as many inputs.
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/io/audio-file';
import { mulberry32 } from '../../src/estimator/network';
import { writeModel } from '../../src/model/model-file';
import { encodeCheckpoint } from '../../src/train/checkpoint';
import { smallModel, smallModelBytes } from '../browser/fixture-model';
import { FLAC, SEED_CKPT, mp3, zip } from './craft';
import { MAX_MS, MAX_RSS_MB, TYPED, runReader, setup, summary, teardown } from './harness';

const SEED = Number(process.env.FUZZ_SEED ?? 20261208);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

type Rand = () => number;

/** One mutation of `b` (never changed: copies are plain Uint8Arrays, whose slice() copies, unlike a Buffer's). */
function mutate(base: Uint8Array, rand: Rand): { how: string; bytes: Uint8Array } {
  const b = new Uint8Array(base);
  const n = b.length;
  const at = (): number => Math.floor(rand() * n);
  switch (Math.floor(rand() * 5)) {
    case 0: {
      const out = b.slice();
      const k = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < k; i++) out[rand() < 0.5 ? Math.floor(rand() * Math.min(n, 512)) : at()] = Math.floor(rand() * 256);
      return { how: 'flip', bytes: out };
    }
    case 1: return { how: 'truncate', bytes: b.slice(0, at()) };
    case 2: {
      // a chunk of the file copied over another place of it
      const out = b.slice();
      const chunk = b.subarray(at(), undefined).subarray(0, 1 + Math.floor(rand() * 4096));
      const to = at();
      out.set(chunk.subarray(0, n - to), to);
      return { how: 'splice', bytes: out };
    }
    case 3: {
      const pos = at();
      const ins = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      const out = new Uint8Array(n + ins.length);
      out.set(b.subarray(0, pos));
      out.set(ins, pos);
      out.set(b.subarray(pos), pos + ins.length);
      return { how: 'insert', bytes: out };
    }
    default: {
      const pos = at();
      const len = 1 + Math.floor(rand() * 256);
      const out = new Uint8Array(Math.max(0, n - len));
      out.set(b.subarray(0, pos).subarray(0, out.length));
      if (pos + len < n) out.set(b.subarray(pos + len), pos);
      return { how: 'delete', bytes: out };
    }
  }
}

/** The seed checkpoint with its data.pkl mutated and zipped again with true CRCs, so the pickle reader sees it. */
function mutatePickle(rand: Rand): { how: string; bytes: Uint8Array } {
  const files: Record<string, Uint8Array> = unzipSync(SEED_CKPT);
  const pkl = Object.keys(files).find((k) => k.endsWith('data.pkl')) as string;
  const m = mutate(files[pkl], rand);
  files[pkl] = m.bytes;
  return { how: `pickle-${m.how}`, bytes: zip(Object.entries(files).map(([name, data]) => ({ name, data }))) };
}

function noise(n: number, rand: Rand): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 0.5);
}

/** Per reader: the valid files mutated, and how many inputs. */
function corpus(rand: Rand): Record<string, { name: string; bytes: Uint8Array }[]> {
  const small = smallModelBytes();
  const half = writeModel(smallModel(2), { float16: true, stateIO: true });
  const ckpt = encodeCheckpoint({ step: 7, epoch: 1, batchInEpoch: 2, weights: { 'estimator.out.bias': { shape: [3, 2], data: noise(6, rand) } },
    adam: { step: 7, m: { 'estimator.out.bias': { shape: [3, 2], data: noise(6, rand) } }, v: { 'estimator.out.bias': { shape: [3, 2], data: noise(6, rand) } },
      lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, rng: { seed: 1 }, config: { a: { b: [1, 2] } }, meta: { loss: 1.5 } });
  const audio: Uint8Array[] = [encodeWav(noise(12000, rand), 48000, 'pcm16'), encodeWav([noise(6000, rand), noise(6000, rand)], 44100, 'float32'), FLAC, mp3(24)];
  // the valid files themselves first (named 'base-…': they must load), then the mutations
  const take = (bases: Uint8Array[], count: number, make: (i: number) => { how: string; bytes: Uint8Array }) => [
    ...bases.map((bytes, i) => ({ name: `base-${i}`, bytes })),
    ...Array.from({ length: count * SCALE }, (_, i) => { const m = make(i); return { name: `${i}-${m.how}`, bytes: m.bytes }; }),
  ];
  return {
    'model-load': take([small, half], 120, (i) => mutate(i % 2 ? half : small, rand)),
    checkpoint: take([SEED_CKPT], 120, (i) => (i % 2 ? mutatePickle(rand) : mutate(SEED_CKPT, rand))),
    'train-checkpoint': take([ckpt], 60, () => mutate(ckpt, rand)),
    audio: take(audio, 120, (i) => mutate(audio[i % audio.length], rand)),
  };
}

let child = '';
let inputs: ReturnType<typeof corpus>;
beforeAll(async () => {
  child = (await setup()).child;
  inputs = corpus(mulberry32(SEED));
}, 120_000);
afterAll(() => teardown());

describe.each(['model-load', 'checkpoint', 'train-checkpoint', 'audio'])(`fuzz (seed ${SEED}): %s`, (kind) => {
  it(`every mutated file loads or ends in ${TYPED[kind]}, within ${MAX_MS} ms and ${MAX_RSS_MB} MB`, () => {
    const run = runReader(child, kind, inputs[kind]);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(0);
    expect(run.results).toHaveLength(inputs[kind].length);
    expect(run.results.filter((o) => o.file.startsWith('base-') && o.error !== null).map((o) => `${o.file}: ${o.message}`)).toEqual([]);
    const stray = run.results.filter((o) => o.error !== null && o.error !== TYPED[kind]).map((o) => `${o.file}: ${o.error}: ${o.message}`);
    expect(stray).toEqual([]);
    const slow = run.results.filter((o) => o.ms >= MAX_MS).map((o) => `${o.file}: ${o.ms.toFixed(0)} ms`);
    expect(slow).toEqual([]);
    expect(run.maxRssMB).toBeLessThan(MAX_RSS_MB);
    console.log(summary(`fuzz ${kind}`, run, kind));
  }, 300_000);
});
