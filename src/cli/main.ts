/**
 * `ddsp-stream` — command-line entry. Dispatches to one module per subcommand, each exporting
 * `run(argv: string[]): Promise<number>` (the exit code). Every subcommand is imported lazily, so a command whose
 * module fails to load says "not available" instead of breaking the others, and `render` never loads tfjs.
 *
 * Errors meant for the user (bad flags, unreadable files, bad models) are printed as one line on stderr with
 * exit code 1 and no stack trace; set DDSP_STREAM_DEBUG=1 to see stacks.
 *
 * @packageDocumentation
 */

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { CliError, processIO, type CliIO } from './args';
import { trainingCommand } from './deps';

/** A subcommand module. */
export interface CommandModule {
  run(argv: string[], io?: CliIO): Promise<number>;
}

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

/** The subcommands, in the order `--help` lists them. */
export const COMMANDS: Record<string, CommandEntry> = {
  render: { summary: 'render an audio file (or a pitch curve) through a model', load: () => import('./render') },
  f0: { summary: 'track pitch and loudness of an audio file (csv or json)', load: () => import('./f0') },
  convert: { summary: 'convert a seed PyTorch Lightning checkpoint to a model file', load: () => import('./convert') },
  bench: { summary: 'measure streaming speed and latency', load: () => import('./bench') },
  // Training commands check their optional packages (tfjs, lmdb) first and say what to install; the built CLI
  // is code-split, so tfjs loads only for these.
  train: { summary: 'train a model', load: async () => trainingCommand('train') },
  export: { summary: 'export a trained checkpoint to a model file', load: async () => trainingCommand('export') },
  prepare: { summary: 'build the training database only', load: async () => trainingCommand('prepare') },
  eval: { summary: 'evaluate a model on a dataset', load: async () => trainingCommand('eval') },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`);
  return [
    'usage: ddsp-stream <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `ddsp-stream <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

/** Prints one error line, with the stack only when DDSP_STREAM_DEBUG is set. */
export function reportError(e: unknown, io: CliIO, command?: string): number {
  const debug = typeof process !== 'undefined' && !!process.env.DDSP_STREAM_DEBUG;
  const prefix = command ? `ddsp-stream ${command}: ` : 'ddsp-stream: ';
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr(`${prefix}${oneLine(msg)}\n`);
  if (debug && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  return 1;
}

function oneLine(s: string): string {
  const t = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return t.length ? t.join(' ') : 'failed';
}

/**
 * Runs the command line `argv` (without `node` and the script path). Returns the exit code; never throws.
 * @param io where output goes (default: the process's stdout/stderr)
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(usage());
    return cmd === undefined ? 1 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const entry = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!entry) {
    return reportError(new CliError(`unknown command "${cmd}" (commands: ${Object.keys(COMMANDS).join(', ')})`), io);
  }
  let mod: CommandModule;
  try {
    mod = await entry.load();
    if (typeof mod.run !== 'function') throw new Error('no run()');
  } catch (e) {
    const why = e instanceof Error && e.message ? ` (${e.message.split('\n')[0]})` : '';
    return reportError(new CliError(`command "${cmd}" is not available in this build${why}`), io);
  }
  try {
    const code = await mod.run(rest, io);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    return reportError(e, io, cmd);
  }
}

/** Package version (kept in step with package.json by the release process). */
export const VERSION = '0.1.0';

// Run when executed directly (dist/cli.js, possibly through npm's bin symlink), not when imported by tests nor
// by a worker thread (a worker's process.argv is its parent's: `bench --devices 2` imports this file in one).
function isMainModule(): boolean {
  try {
    if (typeof process === 'undefined' || !process.argv[1] || !isMainThread) return false;
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.exitCode = reportError(e, processIO); },
  );
}
