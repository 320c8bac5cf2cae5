/**
 * A tiny command-line flag parser for the `ddsp-stream` subcommands.
 *
 * Flags are declared up front ({@link FlagSpec}); `--name value` and `--name=value` are accepted, booleans take no
 * value (`--stats`), `--` ends flag parsing, everything else is a positional argument. Unknown flags, missing
 * values and malformed numbers raise a {@link CliError} whose message is the one line the command prints.
 *
 * @packageDocumentation
 */

/** An error meant for the user: `main` prints its message on one line (no stack) and exits with code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** How one flag is read. */
export interface FlagSpec {
  /** 'string' and 'number' take a value; 'boolean' does not. */
  type: 'string' | 'number' | 'boolean';
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Allowed range of a number flag, inclusive. */
  min?: number;
  max?: number;
  /** A number flag that must be an integer. */
  integer?: boolean;
  /** Short alias without the dash, e.g. 'o' for `-o`. */
  alias?: string;
}

/** Parsed command line: flag values by name (only the flags given) and positionals in order. */
export interface ParsedArgs {
  flags: Record<string, string | number | boolean>;
  positionals: string[];
  /** True when `--help` or `-h` was given. */
  help: boolean;
}

/**
 * Parses `argv` (the arguments after the subcommand) against `spec`.
 * @throws CliError on an unknown flag, a missing or malformed value, or a value out of range.
 */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  let help = false;
  const aliases = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.alias) aliases.set(s.alias, name);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg.startsWith('-') && arg.length > 1 && !isNumberLike(arg)) {
      const short = arg.slice(1);
      name = aliases.get(short);
      if (name === undefined) throw new CliError(`unknown flag ${arg}${suggest(spec)}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const s = spec[name];
    if (!s) throw new CliError(`unknown flag --${name}${suggest(spec)}`);
    if (s.type === 'boolean') {
      if (inline !== undefined) {
        if (inline === 'true' || inline === '1') flags[name] = true;
        else if (inline === 'false' || inline === '0') flags[name] = false;
        else throw new CliError(`--${name} takes no value (or =true/=false), got "${inline}"`);
      } else {
        flags[name] = true;
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new CliError(`--${name} needs a value`);
      value = argv[++i];
    }
    flags[name] = convert(name, value, s);
  }
  return { flags, positionals, help };
}

function isNumberLike(s: string): boolean {
  return s.length > 1 && Number.isFinite(Number(s));
}

function suggest(spec: Record<string, FlagSpec>): string {
  const names = Object.keys(spec);
  return names.length ? ` (valid flags: ${names.map((n) => `--${n}`).join(', ')}, --help)` : ' (this command takes no flags)';
}

function convert(name: string, value: string, s: FlagSpec): string | number {
  if (s.type === 'string') {
    if (s.choices && !s.choices.includes(value)) {
      throw new CliError(`--${name} must be one of ${s.choices.join(', ')}, got "${value}"`);
    }
    return value;
  }
  const v = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(v)) throw new CliError(`--${name} must be a number, got "${value}"`);
  if (s.integer && !Number.isInteger(v)) throw new CliError(`--${name} must be an integer, got "${value}"`);
  if ((s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max)) {
    throw new CliError(`--${name} must be in [${s.min ?? '-inf'}, ${s.max ?? 'inf'}], got ${value}`);
  }
  return v;
}

/** Reads a string flag or returns `def`. */
export function str(p: ParsedArgs, name: string): string | undefined;
export function str(p: ParsedArgs, name: string, def: string): string;
export function str(p: ParsedArgs, name: string, def?: string): string | undefined {
  const v = p.flags[name];
  return typeof v === 'string' ? v : def;
}

/** Reads a number flag or returns `def`. */
export function num(p: ParsedArgs, name: string): number | undefined;
export function num(p: ParsedArgs, name: string, def: number): number;
export function num(p: ParsedArgs, name: string, def?: number): number | undefined {
  const v = p.flags[name];
  return typeof v === 'number' ? v : def;
}

/** Reads a boolean flag (false when absent). */
export function bool(p: ParsedArgs, name: string): boolean {
  return p.flags[name] === true;
}

/** Checks the positional count; throws a CliError naming what is missing or extra. */
export function expectPositionals(p: ParsedArgs, names: readonly string[], usage: string): string[] {
  if (p.positionals.length < names.length) {
    throw new CliError(`missing ${names.slice(p.positionals.length).join(' and ')} (usage: ${usage})`);
  }
  if (p.positionals.length > names.length) {
    throw new CliError(`unexpected argument "${p.positionals[names.length]}" (usage: ${usage})`);
  }
  return p.positionals.slice();
}

/** Where a command writes: injectable so tests can capture it. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}

/** The process's own streams. */
export const processIO: CliIO = {
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  isTTY: Boolean(process.stderr.isTTY),
};
