/**
 * `ddsp-stream convert <ckpt> <out.onnx>` — converts a seed (PyTorch Lightning) checkpoint into a model file.
 *
 * @packageDocumentation
 */

import { convertCheckpointFile } from '../model/convert-node';
import { CliError, bool, expectPositionals, parseArgs, processIO, str, type CliIO, type FlagSpec } from './args';

const FLAGS: Record<string, FlagSpec> = {
  name: { type: 'string' },
  design: { type: 'string', choices: ['seed', 'linear-phase'] },
  float16: { type: 'boolean' },
};

const USAGE = 'ddsp-stream convert <checkpoint.ckpt> <out.onnx>';

const HELP = `usage: ${USAGE}

Converts a checkpoint written by the PyTorch realtimeDDSP (PyTorch Lightning .ckpt) into a ddsp-stream model
file (ONNX with the synth graph and reverb IR inside). Nothing in the checkpoint is executed.

options:
  --name NAME        model name stored in the file (default: the run's name)
  --design D         noise filter design: seed (default, as the model was trained) or linear-phase
  --float16          store the estimator weights as float16 (half the size)
  --help, -h         this help
`;

/** Runs `convert`. Returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseArgs(argv, FLAGS);
  if (p.help) { io.stdout(HELP); return 0; }
  const [ckptPath, outPath] = expectPositionals(p, ['<checkpoint>', '<out.onnx>'], USAGE);
  let model;
  try {
    ({ model } = await convertCheckpointFile(ckptPath, outPath, {
      name: str(p, 'name'),
      design: str(p, 'design') as 'seed' | 'linear-phase' | undefined,
      float16: bool(p, 'float16'),
    }));
  } catch (e) {
    const err = e as { code?: string; path?: string; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('E')) {
      const which = err.path ?? ckptPath;
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code;
      throw new CliError(`cannot ${which === outPath ? 'write' : 'read'} ${which}: ${why}`);
    }
    throw e;
  }
  const nh = model.synth.nodes.map((n) => n.type).join(' → ');
  io.stderr(`wrote ${outPath}: ${model.name ?? 'model'}, ${model.sampleRate} Hz, ${model.frameRate} frames/s, ` +
    `hidden ${model.estimator.hiddenSize}, ${nh}\n`);
  return 0;
}
