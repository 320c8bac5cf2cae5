/**
 * The training commands' optional packages.
 *
 * `npm install ddsp-stream` installs what playback, `render`, `f0`, `convert` and `bench` need. The training stack —
 * tfjs (core + the wasm and cpu backends), lmdb (the dataset cache, a native module) and zod (the config schema, whose
 * types the training entry's declarations use) — is an optional peer dependency: a web page or a render-only user does not download it. The training commands (`train`, `export`,
 * `prepare`, `eval`) check for it before loading any training code and, when something is missing, stop with one
 * line that names the exact `npm install` command to run.
 *
 * Keep {@link TRAINING_PACKAGES} equal to package.json's `peerDependencies` (test/package/deps.test.ts checks).
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { CliError, type CliIO } from './args';

/** The optional peer packages training needs, with the version ranges package.json declares. */
export const TRAINING_PACKAGES: Readonly<Record<string, string>> = {
  '@tensorflow/tfjs-core': '4.22.0',
  '@tensorflow/tfjs-backend-wasm': '4.22.0',
  '@tensorflow/tfjs-backend-cpu': '4.22.0',
  lmdb: '^3.5.6',
  zod: '^4.6.7',
};

/** The subcommands that need {@link TRAINING_PACKAGES}. */
export const TRAINING_COMMANDS = ['train', 'export', 'prepare', 'eval'] as const;
/** One of {@link TRAINING_COMMANDS}. */
export type TrainingCommand = (typeof TRAINING_COMMANDS)[number];

/** Tells whether a package can be found from this file (i.e. from where ddsp-stream is installed). */
export type PackageProbe = (name: string) => boolean;

/**
 * Default probe: resolves the package from this module's location. A package that exists but whose `exports`
 * refuse the CommonJS resolution counts as installed; only "not found" counts as missing.
 */
export const isInstalled: PackageProbe = (name) => {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND';
  }
};

/** The training packages that `probe` cannot find, in {@link TRAINING_PACKAGES} order. */
export function missingTrainingPackages(probe: PackageProbe = isInstalled): string[] {
  return Object.keys(TRAINING_PACKAGES).filter((name) => !probe(name));
}

/** `npm install` command line for `names` (each pinned to the range package.json declares). */
export function installCommand(names: readonly string[]): string {
  return `npm install ${names.map((n) => `${n}@${TRAINING_PACKAGES[n] ?? 'latest'}`).join(' ')}`;
}

/** The error a training command stops with when packages are missing. */
export function missingPackagesError(missing: readonly string[]): CliError {
  const what = missing.length === 1 ? 'package' : 'packages';
  return new CliError(
    `training needs the optional ${what} ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not ` +
      `installed. Install ${missing.length === 1 ? 'it' : 'them'} next to ddsp-stream: ${installCommand(missing)}`,
  );
}

/**
 * Throws {@link missingPackagesError} when any training package is missing.
 * @throws CliError naming the missing packages and the exact install command
 */
export function requireTrainingPackages(probe: PackageProbe = isInstalled): void {
  const missing = missingTrainingPackages(probe);
  if (missing.length > 0) throw missingPackagesError(missing);
}

/**
 * Turns Node's "Cannot find package 'X'" error for a training package (a package removed after the check, or a
 * deep import) into {@link missingPackagesError}; returns undefined for any other error.
 */
export function explainMissingPackage(e: unknown): CliError | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: string }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && !/Cannot find (package|module)/.test(e.message)) {
    return undefined;
  }
  const name = Object.keys(TRAINING_PACKAGES).find((n) => e.message.includes(`'${n}'`) || e.message.includes(`'${n}/`));
  return name === undefined ? undefined : missingPackagesError([name]);
}

interface CommandLike {
  run(argv: string[], io?: CliIO): Promise<number>;
}

const isHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

const loaders: Record<TrainingCommand, () => Promise<CommandLike>> = {
  train: () => import('./train'),
  export: () => import('./export'),
  prepare: () => import('./prepare'),
  eval: () => import('./eval'),
};

/**
 * A training subcommand whose `run` first checks the training packages (skipped for `--help`), then loads the
 * command's module. For `COMMANDS` in main.ts: `train: { summary, load: async () => trainingCommand('train') }`.
 * @param probe how to look packages up (tests pass their own)
 */
export function trainingCommand(name: TrainingCommand, probe: PackageProbe = isInstalled): CommandLike {
  return {
    async run(argv, io) {
      if (!isHelp(argv)) requireTrainingPackages(probe);
      try {
        const mod = await loaders[name]();
        return await mod.run(argv, io);
      } catch (e) {
        throw explainMissingPackage(e) ?? e;
      }
    },
  };
}
