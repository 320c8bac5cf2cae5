// Child-process probe of test/engine/warm-up.test.ts (bundled by the test, run under `node --trace-deopt`): builds a
// seed-size engine with the warm-up, prints a marker, streams a real recording (raw float32 at 48 kHz) followed by silence and a hiss (audio
// mode) or a course of notes and rests (control mode), prints a marker; then the same with a second engine.
import { readFileSync } from 'node:fs';
import { StreamingEngine, WARMUP_QUANTA } from '../../../src/engine/streaming-engine';
import { syntheticModel } from '../../../src/cli/synthetic';

const [mode, file] = process.argv.slice(2) as ['audio' | 'control', string];
const sampleRate = 48000;
const bytes = readFileSync(file); // raw float32 samples at 48 kHz
const rec = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
// the recording, 1 s of silence, 0.5 s of hiss
const x = new Float32Array(rec.length + 1.5 * sampleRate);
x.set(rec);
let s = 7;
for (let i = rec.length + sampleRate; i < x.length; i++) {
  s = (Math.imul(s, 1664525) + 1013904223) | 0;
  x[i] = 0.05 * (s / 2147483648);
}
const quanta = Math.floor(x.length / 128);
// control mode: notes of 60 quanta (a fifth apart, alternately), rests of 30, an unvoiced tick now and then
const f0 = new Float64Array(quanta);
const loudness = new Float64Array(quanta);
for (let q = 0; q < quanta; q++) {
  const note = Math.floor(q / 90);
  f0[q] = q % 45 === 44 ? 0 : 220 * 1.5 ** (note % 2);
  loudness[q] = q % 90 < 60 ? 6 - (note % 3) * 10 : -70;
}
const out = new Float32Array(128);

function stream(e: StreamingEngine): void {
  for (let q = 0; q < quanta; q++) {
    if (mode === 'control') e.setControlFeatures(f0, loudness, q);
    e.process(x, out, 128, q * 128, 0);
  }
}
// a fresh engine in a fresh process, then a second one in the same, warm process (with its own wasm instances)
for (let n = 1; n <= 2; n++) {
  const e = new StreamingEngine(syntheticModel(), { sampleRate, mode, warmUpQuanta: WARMUP_QUANTA });
  console.log(`STREAM ${n} START`);
  stream(e);
  console.log(`STREAM ${n} END`);
}
