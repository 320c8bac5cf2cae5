// Soak: streams an hour of audio through one StreamingEngine at full speed (not in CI; `npm run soak`, after a
// build) and reports, minute by minute, the pitch of the output (drift), the process's memory (growth) and the
// streaming speed. Control mode holds f0 = 440 Hz; noise and reverb are muted so the output is the harmonic
// tone alone, and its pitch is read from the phase advance of the 440 Hz component between second 1 and the last
// second of each minute (1 s windows hold 440 whole periods, so the harmonics do not leak into it).
//
//   node test/robustness/soak.mjs [--minutes 60] [--model models/violin.onnx] [--rate 48000] [--json]
import { readFileSync } from 'node:fs';
import { StreamingEngine, readModel } from '../../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const minutes = Number(opt('minutes', 60));
const rate = Number(opt('rate', 48000));
const modelPath = opt('model', new URL('../../models/violin.onnx', import.meta.url).pathname);
const json = args.includes('--json');
const F0 = 440;
const BLOCK = 128;

const model = readModel(new Uint8Array(readFileSync(modelPath)));
const engine = new StreamingEngine(model, { sampleRate: rate, mode: 'control',
  controls: { noiseMix: 0, reverbMix: 0, harmonicMix: 1 } });
engine.setControlFeatures(Float64Array.of(F0), Float64Array.of(-20));

const out = new Float32Array(BLOCK);
const blocksPerMinute = Math.round((rate * 60) / BLOCK);
const minuteLength = blocksPerMinute * BLOCK;
const t0 = performance.now();
const mem0 = process.memoryUsage();
const rows = [];
let n = 0; // samples since the start of the run
for (let m = 0; m < minutes; m++) {
  const tm = performance.now();
  // complex amplitude of the F0 component in second 1 (A) and in the minute's last second (B)
  const A = { re: 0, im: 0 };
  const B = { re: 0, im: 0 };
  let peak = 0;
  for (let b = 0; b < blocksPerMinute; b++) {
    engine.process(null, out, BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      const v = out[i];
      if (Math.abs(v) > peak) peak = Math.abs(v);
      const s = b * BLOCK + i;
      const acc = s >= rate && s < 2 * rate ? A : s >= minuteLength - rate ? B : null;
      if (acc) {
        // the phase reference runs on the absolute sample index (mod one second: 440 whole periods)
        const w = (2 * Math.PI * F0 * ((n + i) % rate)) / rate;
        acc.re += v * Math.cos(w);
        acc.im -= v * Math.sin(w);
      }
    }
    n += BLOCK;
  }
  let dphi = Math.atan2(B.im, B.re) - Math.atan2(A.im, A.re);
  while (dphi > Math.PI) dphi -= 2 * Math.PI;
  while (dphi < -Math.PI) dphi += 2 * Math.PI;
  const mem = process.memoryUsage();
  const row = { minute: m + 1, f0Hz: F0 + dphi / (2 * Math.PI) / ((minuteLength - 2 * rate) / rate),
    amplitude: Math.hypot(B.re, B.im) / (rate / 2), peak, rtf: (performance.now() - tm) / 60000,
    rssMB: mem.rss / 2 ** 20, heapUsedMB: mem.heapUsed / 2 ** 20 };
  rows.push(row);
  if (!json) {
    console.log(`minute ${String(row.minute).padStart(3)}: f0 ${row.f0Hz.toFixed(7)} Hz, amplitude ${row.amplitude.toFixed(4)}, ` +
      `peak ${row.peak.toFixed(3)}, rtf ${row.rtf.toFixed(4)}, rss ${row.rssMB.toFixed(1)} MB, heap ${row.heapUsedMB.toFixed(2)} MB`);
  }
}
const summary = {
  minutes, sampleRate: rate, model: modelPath.split('/').pop(), seconds: (performance.now() - t0) / 1000,
  f0FirstHz: rows[0].f0Hz, f0LastHz: rows[rows.length - 1].f0Hz,
  maxDriftHz: Math.max(...rows.map((r) => Math.abs(r.f0Hz - F0))),
  rssStartMB: mem0.rss / 2 ** 20, rssEndMB: rows[rows.length - 1].rssMB,
  heapUsedMinMB: Math.min(...rows.map((r) => r.heapUsedMB)), heapUsedMaxMB: Math.max(...rows.map((r) => r.heapUsedMB)),
  rtfMean: rows.reduce((s, r) => s + r.rtf, 0) / rows.length,
};
console.log(json ? JSON.stringify({ summary, rows }) : `summary: ${JSON.stringify(summary)}`);
