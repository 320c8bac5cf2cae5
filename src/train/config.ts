/**
 * Training configuration in Node: {@link composeConfig} composes the YAML configs shipped in `configs/` (plus a
 * user's --config-dir) read from disk, with paths resolved against the start directory and `${oc.env:...}` read
 * from the process environment. The composition itself (compose.ts), the schema (config-schema.ts) and the loss
 * schedules (schedules.ts) touch no file system (a web page composes from the configs embedded in the build).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeWith, type ComposeSettings, type ComposedConfig, type ConfigSource } from './compose';

export { ConfigError } from './overrides';
export { METRIC_NAMES, treeKeys, maxTimeSeconds, type TrainConfig, type LossSchedule } from './config-schema';
export { lossWeight, lossWeights } from './schedules';
export {
  toYaml, composeWith, memoryConfigSource, type ComposedConfig, type ComposeSettings, type ConfigSource, type ConfigHost,
} from './compose';

/** Where the shipped YAML configs live (`configs/` at the package root). */
export function defaultConfigDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const c = join(dir, 'configs');
    if (existsSync(join(c, 'config.yaml'))) return c;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('ddsp-stream: cannot find the shipped configs/ folder (configs/config.yaml) next to the package');
}

/** A config folder on disk as a {@link ConfigSource} (messages name its files by their full paths). */
export function folderConfigSource(dir: string): ConfigSource {
  return {
    name: dir,
    read: (path) => {
      const f = join(dir, path);
      return existsSync(f) && statSync(f).isFile() ? readFileSync(f, 'utf8') : undefined;
    },
    list: (group) => {
      const g = join(dir, group);
      return existsSync(g) ? readdirSync(g) : [];
    },
    describe: (path) => join(dir, path),
  };
}

/** Options of composeConfig. */
export interface ComposeOptions extends ComposeSettings {
  /** Extra config folder searched before the shipped one (hydra's --config-dir). */
  configDir?: string;
  /** Directory relative paths resolve against (default process.cwd()). */
  cwd?: string;
  /** Environment for `${oc.env:...}` (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * Composes, interpolates and validates the training config; data.raw_dir, data.db_path and ckpt come out as
 * absolute paths (relative ones resolved against `cwd`).
 * Throws ConfigError with a message naming the key (and the nearest valid key for unknown ones).
 */
export function composeConfig(opts: ComposeOptions = {}): ComposedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const dirs: string[] = [];
  if (opts.configDir) dirs.push(resolvePath(cwd, opts.configDir));
  dirs.push(defaultConfigDir());
  return composeWith({
    sources: dirs.map(folderConfigSource),
    cwd,
    env: opts.env ?? process.env,
    absolute: (p) => (isAbsolute(p) ? p : resolvePath(cwd, p)),
    baseName: (p) => basename(resolvePath(cwd, p)),
  }, opts);
}
