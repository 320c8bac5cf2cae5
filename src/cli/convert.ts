/**
 * `ddsp-stream convert <ckpt> <out.onnx>` — converts a seed (PyTorch Lightning) checkpoint into a model file.
 *
 * @packageDocumentation
 */

import { readFile, writeFile } from 'node:fs/promises';
import { convertCheckpoint } from '../model/ckpt';
import { writeModel } from '../model/model-file';
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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(ckptPath);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CliError(`cannot read ${ckptPath}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const model = convertCheckpoint(bytes, {
    fileName: ckptPath,
    name: str(p, 'name'),
    design: str(p, 'design') as 'seed' | 'linear-phase' | undefined,
  });
  const out = writeModel(model, { float16: bool(p, 'float16') });
  try {
    await writeFile(outPath, out);
  } catch (e) {
    throw new CliError(`cannot write ${outPath}: ${(e as Error).message}`);
  }
  const nh = model.synth.nodes.map((n) => n.type).join(' → ');
  io.stderr(`wrote ${outPath}: ${model.name ?? 'model'}, ${model.sampleRate} Hz, ${model.frameRate} frames/s, ` +
    `hidden ${model.estimator.hiddenSize}, ${nh}\n`);
  return 0;
}
