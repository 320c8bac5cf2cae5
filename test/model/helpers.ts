// Helpers for model-file tests: small models, protobuf surgery on written files, zip surgery on checkpoints.
import { unzipSync, zipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimatorSpec, initWeights } from '../../src/estimator/network';
import type { DDSPModel } from '../../src/model/model-file';
import { decodeModel, encodeModel, type ModelProto } from '../../src/model/onnx-proto';
import type { SynthConfig } from '../../src/model/synth-config';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export function readFixture(rel: string): Uint8Array {
  const b = readFileSync(join(FIXTURES, rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The seed's hpnir graph with small sizes (P = 1 + nHarmonics + filterSize/2 + 1). */
export function hpnir(nHarmonics: number, filterSize: number, irLength: number): SynthConfig {
  return {
    name: 'hpnir', conditioned: ['f0'], nodes: [
      { name: 'harmonic', type: 'Harmonic', nHarmonics, normalizeBelowNyquist: true, connections: { amplitudes: 'AMP', harmonic_distribution: 'HARM', f0_hz: 'f0' } },
      { name: 'filtnoise', type: 'FilteredNoise', filterSize, amplitude: 1, design: 'linear-phase', connections: { freq_response: 'FREQRES' } },
      { name: 'add', type: 'Add', connections: { signal_a: 'harmonic', signal_b: 'filtnoise' } },
      { name: 'irreverb', type: 'IRReverb', irLength, connections: { audio: 'add' } },
    ],
  };
}

/** A model with random (PyTorch-style) weights. */
export function testModel(hiddenSize: number, nHarmonics = 16, filterSize = 30, seed = 1): DDSPModel {
  const synth = hpnir(nHarmonics, filterSize, 1000);
  const P = 1 + nHarmonics + filterSize / 2 + 1;
  const spec = estimatorSpec(P, hiddenSize);
  const ir = new Float32Array(999).map((_, i) => Math.sin(i) * Math.exp(-i / 200) * 0.05);
  return {
    formatVersion: 1, sampleRate: 48000, frameRate: 50, f0RangeHz: [40, 1500],
    estimator: { ...spec, weights: initWeights(spec, seed) }, synth, ir, name: `test-${hiddenSize}`, meta: { author: 'tests' },
  };
}

/** Decode → edit → encode a model file. */
export function editOnnx(bytes: Uint8Array, edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModel(bytes);
  edit(m);
  return encodeModel(m);
}

/** A test sequence of f0 (Hz) and loudness (dB) values. */
export function sequence(n: number, seed = 1): { f0: Float32Array; loud: Float32Array } {
  const f0 = new Float32Array(n);
  const loud = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    f0[i] = 60 * 2 ** (((i * 7 + seed * 3) % 48) / 12);
    loud[i] = -75 + ((i * 13 + seed) % 75);
  }
  return { f0, loud };
}

/** Unzip → edit entries → zip (stored). */
export function editZip(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(bytes);
  edit(files);
  return zipSync(files, { level: 0 });
}

/** Rewrites every BINUNICODE string `from` as `to` in a protocol-2 pickle (lengths adjusted). */
export function replacePickleString(pkl: Uint8Array, from: string, to: string): Uint8Array {
  const enc = new TextEncoder();
  const f = [0x58, ...u32(from.length), ...enc.encode(from)];
  const t = [0x58, ...u32(enc.encode(to).length), ...enc.encode(to)];
  const out: number[] = [];
  let hits = 0;
  for (let i = 0; i < pkl.length;) {
    if (pkl[i] === 0x58 && f.every((b, k) => pkl[i + k] === b)) {
      out.push(...t);
      i += f.length;
      hits++;
    } else out.push(pkl[i++]);
  }
  if (!hits) throw new Error(`'${from}' not in pickle`);
  return new Uint8Array(out);
}

/** Replaces occurrence `nth` (0 = first) of `seq` after the string `marker` by `by` (same length). */
export function patchAfter(pkl: Uint8Array, marker: string, seq: number[], by: number[], nth = 0): Uint8Array {
  const m = new TextEncoder().encode(marker);
  let start = -1;
  for (let i = 0; i < pkl.length && start < 0; i++) if (m.every((b, k) => pkl[i + k] === b)) start = i + m.length;
  if (start < 0) throw new Error(`marker '${marker}' not found`);
  for (let i = start; i < pkl.length; i++) {
    if (seq.every((b, k) => pkl[i + k] === b) && nth-- === 0) {
      const out = pkl.slice();
      out.set(by, i);
      return out;
    }
  }
  throw new Error('sequence not found');
}

function u32(n: number): number[] {
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
}
