/**
 * Command-line override grammar, a subset of hydra's: `key=value`, `+key=value` (add), `++key=value`
 * (add or set), `~key` (delete), group selection (`synth=hpn`), and sweep values for `-m` runs
 * (`k=a,b`, `k=choice(a,b)`, `k=range(0,10,2)`).
 *
 * Values are typed as hydra types them: `null`, `true`/`false`, integers, floats (`1e-4`, `inf`, `nan`),
 * `[lists]`, `{dicts}`, quoted strings, and anything else as a string (which may hold `${...}` interpolations).
 */

/** A config error a user can fix: bad key, bad value, bad interpolation, unsupported feature. */
export class ConfigError extends Error {
  /** Dotted key the error is about, when there is one. */
  readonly key?: string;
  constructor(message: string, key?: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** One parsed command-line override. */
export interface Override {
  /** set: `k=v` (key must exist); add: `+k=v`; force: `++k=v`; delete: `~k` or `~k=v`. */
  kind: 'set' | 'add' | 'force' | 'delete';
  /** Dotted key (`data.raw_dir`) or group path (`hydra/sweeper`). */
  key: string;
  /** The value text as typed (undefined for `~key`). */
  text?: string;
  /** Sweep alternatives as text (one entry unless the value is a comma list, choice() or range()). */
  alternatives: string[];
  /** The argument as typed, for messages. */
  arg: string;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_\-]*(?:[./][A-Za-z0-9_\-]+)*$/;

/** Parses one `key=value` argument. Throws ConfigError on malformed input. */
export function parseOverride(arg: string): Override {
  let s = arg.trim();
  let kind: Override['kind'] = 'set';
  if (s.startsWith('++')) { kind = 'force'; s = s.slice(2); }
  else if (s.startsWith('+')) { kind = 'add'; s = s.slice(1); }
  else if (s.startsWith('~')) { kind = 'delete'; s = s.slice(1); }
  const eq = s.indexOf('=');
  if (eq < 0) {
    if (kind === 'delete' && KEY_RE.test(s)) return { kind, key: s, alternatives: [], arg };
    throw new ConfigError(`cannot read override '${arg}': expected key=value (e.g. batch_size=8)`);
  }
  const key = s.slice(0, eq).trim();
  const text = s.slice(eq + 1).trim();
  if (!KEY_RE.test(key)) throw new ConfigError(`cannot read override '${arg}': '${key}' is not a config key`);
  const alternatives = sweepAlternatives(text, arg);
  return { kind, key, text, alternatives, arg };
}

/** Splits `a,b,c` at top-level commas; expands `choice(...)` and `range(...)`. Returns [text] for a plain value. */
export function sweepAlternatives(text: string, arg = text): string[] {
  const choice = /^choice\((.*)\)$/s.exec(text);
  if (choice) return splitTopLevel(choice[1], ',', arg).map((t) => t.trim());
  const range = /^range\((.*)\)$/s.exec(text);
  if (range) {
    const parts = splitTopLevel(range[1], ',', arg).map((t) => Number(t.trim()));
    if (parts.length < 1 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) {
      throw new ConfigError(`cannot read '${arg}': range() takes (stop), (start, stop) or (start, stop, step) numbers`);
    }
    const [start, stop, step] = parts.length === 1 ? [0, parts[0], 1] : [parts[0], parts[1], parts[2] ?? 1];
    if (step === 0) throw new ConfigError(`cannot read '${arg}': range() step must not be 0`);
    const out: string[] = [];
    for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(String(v));
    if (out.length === 0) throw new ConfigError(`cannot read '${arg}': range() is empty`);
    return out;
  }
  const parts = splitTopLevel(text, ',', arg);
  return parts.length > 1 ? parts.map((t) => t.trim()) : [text];
}

/** Splits at `sep` outside quotes, brackets, braces, parentheses and `${...}`. */
function splitTopLevel(text: string, sep: string, arg: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') { i++; continue; }
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') {
      depth--;
      if (depth < 0) throw new ConfigError(`cannot read '${arg}': unbalanced '${c}'`);
    } else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote) throw new ConfigError(`cannot read '${arg}': unterminated quote`);
  if (depth !== 0) throw new ConfigError(`cannot read '${arg}': unbalanced brackets`);
  out.push(text.slice(start));
  return out;
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** Types one override value as hydra does (see module comment). */
export function parseValue(text: string, arg = text): unknown {
  const t = text.trim();
  if (t === '') return '';
  const lower = t.toLowerCase();
  if (lower === 'null' || lower === '~') return null;
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (INT_RE.test(t)) return Number(t);
  if (FLOAT_RE.test(t)) return Number(t);
  if (/^[+-]?inf$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  if ((t.startsWith('"') && t.endsWith('"') && t.length >= 2) || (t.startsWith("'") && t.endsWith("'") && t.length >= 2)) {
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new ConfigError(`cannot read '${arg}': list is missing its ']'`);
    const inner = t.slice(1, -1).trim();
    if (inner === '') return [];
    return splitTopLevel(inner, ',', arg).map((p) => parseValue(p, arg));
  }
  if (t.startsWith('{') && !t.startsWith('${')) {
    if (!t.endsWith('}')) throw new ConfigError(`cannot read '${arg}': dict is missing its '}'`);
    const inner = t.slice(1, -1).trim();
    const out: Record<string, unknown> = {};
    if (inner === '') return out;
    for (const item of splitTopLevel(inner, ',', arg)) {
      const colon = splitTopLevel(item, ':', arg);
      if (colon.length < 2) throw new ConfigError(`cannot read '${arg}': dict entry '${item.trim()}' needs key: value`);
      out[colon[0].trim()] = parseValue(colon.slice(1).join(':'), arg);
    }
    return out;
  }
  return t;
}
