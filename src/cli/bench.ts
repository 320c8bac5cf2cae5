/**
 * `ddsp-stream bench` — end-to-end streaming figures of the StreamingEngine: real-time factor, worst and p99
 * block time against the block's budget, and the latency, at the defaults (48 kHz, block 128) on a synthetic
 * glide and a synthetic default-size model (hidden 512, 256 harmonics, noise filter 512, 1 s IR), or a model file.
 *
 * @packageDocumentation
 */

import { StreamingEngine } from '../engine/streaming-engine';
import { glideSignal, syntheticModel } from '../engine/synthetic';
import type { DDSPModel } from '../model/model-file';
import { bool, expectPositionals, num, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';
import { loadModel, round } from './common';
import { percentile } from './render';

const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', alias: 'm' },
  seconds: { type: 'number', min: 0.1, max: 3600 },
  block: { type: 'number', integer: true, min: 1, max: 1 << 16 },
  'sample-rate': { type: 'number', integer: true, min: 8000, max: 384000 },
  hidden: { type: 'number', integer: true, min: 1, max: 4096 },
  harmonics: { type: 'number', integer: true, min: 1, max: 4096 },
  'spread-quanta': { type: 'number', integer: true, min: 0, max: 64 },
  json: { type: 'boolean' },
};

const USAGE = 'ddsp-stream bench [--model M.onnx] [--seconds 10] [--block 128] [--sample-rate 48000] [--json]';

const HELP = `usage: ${USAGE}

Streams a synthetic glide through the engine block by block and reports the real-time factor, the worst and
99th-percentile block times (against the block's real-time budget) and the engine latency.

options:
  --model, -m PATH     model file (default: a synthetic model of the default size: hidden 512, 256 harmonics,
                       noise filter 512, 1 s reverb IR, 48 kHz, 50 frames/s)
  --seconds S          audio length (default 10)
  --block N            block size (default 128, the Web Audio render quantum)
  --sample-rate N      context sample rate, Hz (default 48000)
  --hidden N           synthetic model: estimator width (default 512)
  --harmonics N        synthetic model: harmonics (default 256)
  --spread-quanta N    quanta one frame's estimator work is spread over (default 5)
  --json               print one JSON object instead of text
  --help, -h           this help
`;

/** Figures of one streaming run. */
export interface BenchResult {
  model: string;
  sample_rate: number;
  block: number;
  audio_seconds: number;
  engine_cpu_seconds: number;
  rtf: number;
  mean_block_ms: number;
  p99_block_ms: number;
  worst_block_ms: number;
  block_budget_ms: number;
  latency_samples: number;
  latency_ms: number;
  frame_macs: number;
}

/** Streams `seconds` of a synthetic glide through a fresh engine and measures every process() call. */
export function benchEngine(model: DDSPModel, o: { sampleRate: number; block: number; seconds: number;
  spreadQuanta?: number }): BenchResult {
  const { sampleRate, block } = o;
  const engine = new StreamingEngine(model, { sampleRate, maxBlock: block, spreadQuanta: o.spreadQuanta });
  const n = Math.max(block, Math.round(o.seconds * sampleRate));
  const input = glideSignal(n, sampleRate, 110, 880);
  const out = new Float32Array(block);
  const nBlocks = Math.floor(n / block);
  // Warm-up (JIT): one second, not measured.
  const warm = Math.min(nBlocks, Math.ceil(sampleRate / block));
  for (let b = 0; b < warm; b++) engine.process(input, out, block, b * block, 0);
  engine.reset();
  const times = new Float64Array(nBlocks);
  let total = 0;
  for (let b = 0; b < nBlocks; b++) {
    const t0 = performance.now();
    engine.process(input, out, block, b * block, 0);
    const t = performance.now() - t0;
    times[b] = t;
    total += t;
  }
  const audioSeconds = (nBlocks * block) / sampleRate;
  const H = model.estimator.hiddenSize;
  const P = model.estimator.outputSize;
  return {
    model: model.name ?? 'model',
    sample_rate: sampleRate,
    block,
    audio_seconds: round(audioSeconds, 3),
    engine_cpu_seconds: round(total / 1000, 4),
    rtf: round(total / 1000 / audioSeconds, 4),
    mean_block_ms: round(total / Math.max(1, nBlocks), 4),
    p99_block_ms: round(percentile(times, 99), 4),
    worst_block_ms: round(percentile(times, 100), 4),
    block_budget_ms: round((block / sampleRate) * 1000, 4),
    latency_samples: engine.latencySamples,
    latency_ms: round((engine.latencySamples / sampleRate) * 1000, 3),
    frame_macs: 2 * H + 11 * H * H + H * P,
  };
}

/** Runs `bench`. Returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  expectPositionals(p, [], USAGE);
  const path = str(p, 'model');
  const model = path !== undefined
    ? await loadModel(path)
    : syntheticModel({ hiddenSize: num(p, 'hidden', 512), nHarmonics: num(p, 'harmonics', 256) });
  const r = benchEngine(model, {
    sampleRate: num(p, 'sample-rate', 48000),
    block: num(p, 'block', 128),
    seconds: num(p, 'seconds', 10),
    spreadQuanta: num(p, 'spread-quanta'),
  });
  if (bool(p, 'json')) {
    io.stdout(`${JSON.stringify(r)}\n`);
  } else {
    io.stdout([
      `model            ${r.model} (${r.frame_macs.toLocaleString('en')} MACs per frame)`,
      `sample rate      ${r.sample_rate} Hz, block ${r.block} (budget ${r.block_budget_ms} ms)`,
      `audio            ${r.audio_seconds} s in ${r.engine_cpu_seconds} s  →  RTF ${r.rtf}`,
      `block time       mean ${r.mean_block_ms} ms, p99 ${r.p99_block_ms} ms, worst ${r.worst_block_ms} ms`,
      `latency          ${r.latency_samples} samples = ${r.latency_ms} ms`,
      '',
    ].join('\n'));
  }
  return 0;
}
