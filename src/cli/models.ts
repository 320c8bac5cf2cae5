/**
 * The example models shipped in the package's `models/` folder (`violin.onnx`, …), found by name: `--model violin`
 * or no `--model` at all (the violin). Anything with a path separator or a file extension is a path.
 *
 * @packageDocumentation
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The model `render` uses when no `--model` is given. */
export const DEFAULT_MODEL = 'violin';

/** The package's `models/` folder: found by walking up from this file to ddsp-stream's package.json. */
export function modelsDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ddsp-stream') return join(dir, 'models');
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Names of the bundled models (files `models/NAME.onnx`), sorted. */
export function bundledModels(dir = modelsDir()): string[] {
  if (dir === undefined || !existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -'.onnx'.length)).sort();
}

/** Whether a `--model` argument names a bundled model rather than a file. */
export function isModelName(arg: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(arg);
}

/**
 * The file a `--model` argument stands for: a path as given, or a bundled model by name (default: the violin).
 * @throws Error naming the bundled models when a name is unknown
 */
export function resolveModel(arg: string | undefined, dir = modelsDir()): string {
  const name = arg === undefined || arg === '' ? DEFAULT_MODEL : arg;
  if (!isModelName(name)) return name;
  const names = bundledModels(dir);
  if (dir !== undefined && names.includes(name)) return join(dir, `${name}.onnx`);
  const list = names.length ? `bundled models: ${names.join(', ')}` : 'no models are bundled in this install';
  throw new Error(arg === undefined || arg === ''
    ? `--model is required (${list}; or give a model file, e.g. --model my-model.onnx)`
    : `unknown model '${name}' (${list}; or give a path to a .onnx model file)`);
}
