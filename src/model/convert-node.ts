// Node-side `ddsp-stream convert`: seed Lightning .ckpt file → ddsp-stream model file (.onnx).
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { convertCheckpoint, type ConvertOptions } from './ckpt';
import { writeModel, type DDSPModel } from './model-file';

/** Options of convertCheckpointFile. */
export interface ConvertFileOptions extends Omit<ConvertOptions, 'fileName'> {
  /** Store weights as float16 (half the size). Default false. */
  float16?: boolean;
  /** Expose the GRU state as graph input/output. Default false. */
  stateIO?: boolean;
}

/**
 * Reads a seed PyTorch Lightning checkpoint, converts it and writes the model file.
 * @param inPath the .ckpt file; @param outPath the .onnx file to write (overwritten).
 * @returns the converted model and the number of bytes written.
 * @throws CheckpointError (unreadable or unsupported checkpoint, naming the problem and the file), or the
 *   file system's error.
 */
export async function convertCheckpointFile(inPath: string, outPath: string, opts: ConvertFileOptions = {}):
  Promise<{ model: DDSPModel; bytesWritten: number }> {
  if (typeof inPath !== 'string' || inPath === '') throw new TypeError('inPath must be a non-empty string');
  if (typeof outPath !== 'string' || outPath === '') throw new TypeError('outPath must be a non-empty string');
  const buf = await readFile(inPath);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const { float16, stateIO, ...convert } = opts;
  const model = convertCheckpoint(bytes, { ...convert, fileName: basename(inPath) });
  const out = writeModel(model, { float16, stateIO });
  await writeFile(outPath, out);
  return { model, bytesWritten: out.length };
}
