// Child process of the robustness tests (bundled by esbuild, run under `node --max-old-space-size`): runs one
// reader over each file named on the command line and prints one JSON line — per file the outcome (ok, or the
// error's class and message) and its wall time — then the process's peak RSS (VmHWM). A reader that aborts the process
// (out of memory) prints nothing, and the parent sees the exit code.
import { readFileSync } from 'node:fs';
import { decodeAudio } from '../../src/io/audio-file';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { convertCheckpoint } from '../../src/model/ckpt';
import { readModel } from '../../src/model/model-file';
import { decodeCheckpoint } from '../../src/train/checkpoint';
import { composeWith, memoryConfigSource } from '../../src/train/compose';

type Reader = (bytes: Uint8Array, name: string) => unknown;

const READERS: Record<string, Reader> = {
  // a model that loads is also prepared and run for 100 quanta at 48 kHz: what the worklet would do with it
  model: (bytes) => {
    const engine = new StreamingEngine(readModel(bytes), { sampleRate: 48000 });
    const x = new Float32Array(128);
    for (let i = 0; i < 100; i++) engine.process(x, x, 128);
  },
  // the fuzz run's cheaper form: read and prepare
  'model-load': (bytes) => new StreamingEngine(readModel(bytes), { sampleRate: 48000 }),
  checkpoint: (bytes, name) => convertCheckpoint(bytes, { fileName: name }),
  'train-checkpoint': (bytes, name) => decodeCheckpoint(bytes, name),
  audio: (bytes, name) => decodeAudio(bytes, name),
  // the file as a run's primary config.yaml, composed as `ddsp-stream train` does
  config: (bytes) => composeWith({ sources: [memoryConfigSource('hostile', { 'config.yaml': new TextDecoder().decode(bytes) })],
    cwd: '/', env: {}, absolute: (p) => p, baseName: (p) => p }),
};

const [kind, ...files] = process.argv.slice(2);
const reader = READERS[kind];
if (!reader) throw new Error(`unknown reader ${kind}`);
const results: { file: string; error: string | null; message: string; ms: number }[] = [];
for (const file of files) {
  const bytes = new Uint8Array(readFileSync(file));
  const t = performance.now();
  let error: string | null = null;
  let message = '';
  try {
    await reader(bytes, file.split('/').pop() as string);
  } catch (e) {
    error = e instanceof Error ? e.name : typeof e;
    message = e instanceof Error ? e.message : String(e);
  }
  results.push({ file, error, message, ms: performance.now() - t });
}
process.stdout.write(`${JSON.stringify({ results, maxRssMB: peakRssMB() })}\n`);

/** This process's peak RSS. Linux: VmHWM, which starts afresh at exec (getrusage's maxrss keeps the parent's
 *  peak from before the fork, the test runner's); elsewhere: getrusage. */
function peakRssMB(): number {
  try {
    const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}
