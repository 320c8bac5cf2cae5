/**
 * `ddsp-stream eval` — the seed's validation metrics of a model over 1 s slices of audio.
 *
 * @packageDocumentation
 */
import { CliError, bool, expectPositionals, num, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';

const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string', alias: 'm' },
  audio: { type: 'string', alias: 'a' },
  features: { type: 'string' },
  json: { type: 'boolean' },
  'slice-seconds': { type: 'number', min: 0.1, max: 60 },
  seed: { type: 'number', integer: true },
};

const HELP = `usage: ddsp-stream eval --model FILE|CKPT --audio DIR|FILE [--features JSON] [--json]

Cuts the audio into 1 s slices, re-synthesises each from its f0 and loudness (estimator from a fresh state, at the
model's rate, as the seed's validation does) and prints the seed's metrics: spec (multi-scale spectral loss),
lsd, sc (spectral convergence), loud (loudness error), mfcc_l1.

options:
  --model, -m PATH    model file (.onnx), our checkpoint, or a seed Lightning .ckpt
  --audio, -a PATH    audio file or folder
  --features JSON     per-slice f0_hz / loudness_db (like quality/*.features.json) instead of tracking them
  --slice-seconds S   slice length (default 1)
  --seed N            noise seed (default 0)
  --json              print JSON (mean and per slice) instead of a table
  --help, -h          this help
`;

export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  expectPositionals(p, [], 'ddsp-stream eval --model FILE --audio DIR');
  const modelPath = str(p, 'model');
  const audio = str(p, 'audio');
  if (!modelPath) throw new CliError('--model is required (a model file or checkpoint)');
  if (!audio) throw new CliError('--audio is required (an audio file or folder)');
  const { loadAnyModel } = await import('../train/export');
  const { evaluateModel } = await import('../train/evaluate');
  const { model } = await loadAnyModel(modelPath);
  const r = await evaluateModel(model, { audio, features: str(p, 'features'), sliceSeconds: num(p, 'slice-seconds', 1), noiseSeed: num(p, 'seed', 0),
    log: (l) => io.stderr(`${l}\n`) });
  if (bool(p, 'json')) {
    io.stdout(`${JSON.stringify({ model: modelPath, audio, slices: r.slices, mean: r.mean, per_slice: r.perSlice })}\n`);
  } else {
    const keys = ['spec', 'lsd', 'sc', 'loud', 'mfcc_l1'] as const;
    io.stdout(`${r.slices} slices of ${num(p, 'slice-seconds', 1)} s\n`);
    for (const k of keys) io.stdout(`val_0/${k.padEnd(8)} ${r.mean[k].toPrecision(5)}\n`);
  }
  return 0;
}
