/**
 * `ddsp-stream export` — checkpoint → exports/NAME/model.onnx plus reconstruction samples (the seed's export.py).
 *
 * @packageDocumentation
 */
import { CliError, processIO, type CliIO } from './args';

const HELP = `usage: ddsp-stream export CKPT EXPORT_NAME [--sounds FILE ...] [--folder DIR] [--float16]

Writes DIR/EXPORT_NAME/model.onnx (default DIR: exports) from a training checkpoint (ours or a seed Lightning
.ckpt), and renders each sound through the streaming engine (fresh state, tail flushed, latency compensated)
into DIR/EXPORT_NAME/<sound>.wav beside <sound>.input.wav. Without --sounds, up to three files of the
checkpoint's training audio are used.

options:
  --sounds FILE ...   sounds (files or folders) to reconstruct
  --folder DIR        output parent folder (default exports)
  --max-seconds S     render at most S seconds of each sound (default 30)
  --float16           store weights as float16
  --help, -h          this help
`;

export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const pos: string[] = [];
  const sounds: string[] = [];
  let folder: string | undefined;
  let float16 = false;
  let maxSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { io.stdout(HELP); return 0; }
    if (a === '--sounds') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) sounds.push(argv[++i]);
      if (sounds.length === 0) throw new CliError('--sounds needs at least one file');
    } else if (a === '--folder') { if (i + 1 >= argv.length) throw new CliError('--folder needs a value'); folder = argv[++i]; }
    else if (a === '--max-seconds') {
      const v = Number(argv[++i]);
      if (!(v > 0)) throw new CliError(`--max-seconds must be a positive number, got "${argv[i]}"`);
      maxSeconds = v;
    } else if (a === '--float16') float16 = true;
    else if (a.startsWith('-')) throw new CliError(`unknown flag ${a} (flags: --sounds, --folder, --max-seconds, --float16, --help)`);
    else pos.push(a);
  }
  if (pos.length < 2) throw new CliError(`missing ${pos.length === 0 ? 'CKPT and EXPORT_NAME' : 'EXPORT_NAME'} (usage: ddsp-stream export CKPT EXPORT_NAME [--sounds FILE ...])`);
  if (pos.length > 2) throw new CliError(`unexpected argument "${pos[2]}" (usage: ddsp-stream export CKPT EXPORT_NAME [--sounds FILE ...])`);
  const { exportModel } = await import('../train/export');
  const r = await exportModel({ ckpt: pos[0], name: pos[1], folder, sounds: sounds.length ? sounds : undefined, float16, maxSeconds,
    log: (l) => io.stderr(`${l}\n`) });
  io.stdout(`${JSON.stringify({ model: r.modelPath, samples: r.samples })}\n`);
  return 0;
}
