/**
 * `${...}` interpolation over a plain config tree, with omegaconf's semantics for what the seed's YAML uses:
 * absolute keys (`${sample_rate}`, `${hydra.job.num}`), relative keys (`${.x}` = sibling, `${..x}` = the
 * parent's sibling), string concatenation (`logs/${name}/x`), and the resolvers `now:` (strftime),
 * `oc.env:VAR[,default]` and `hydra:` (`runtime.cwd`, `job.num`, `job.name`). A value that is exactly one
 * `${...}` keeps the type of what it refers to. `\${` escapes. Bounded by LIMITS.config: a chain deeper than
 * maxDepth or a string longer than maxStringLength is a ConfigError, whatever the config does to double itself.
 */
import { LIMITS } from '../model/limits';
import { ConfigError } from './overrides';
import { suggest } from './suggest';

/** What the resolvers read. */
export interface InterpolationContext {
  /** Time used by `${now:...}` (one value per run, as hydra caches it). */
  now: Date;
  /** Environment for `${oc.env:VAR}`. */
  env: Record<string, string | undefined>;
  /** Values for `${hydra:...}`: `runtime.cwd`, `job.num`, `job.name`. */
  hydra: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

/** Returns a deep copy of `root` with every interpolation resolved. Throws ConfigError naming the key. */
export function resolveInterpolations(root: Tree, ctx: InterpolationContext): Tree {
  const memo = new Map<string, unknown>();
  const inProgress = new Set<string>();

  const getRaw = (path: string[]): { found: boolean; value: unknown } => {
    let node: unknown = root;
    for (const p of path) {
      if (node !== null && typeof node === 'object' && !Array.isArray(node) && p in (node as Tree)) node = (node as Tree)[p];
      else if (Array.isArray(node) && /^\d+$/.test(p) && Number(p) < node.length) node = node[Number(p)];
      else return { found: false, value: undefined };
    }
    return { found: true, value: node };
  };

  const resolvePath = (path: string[]): unknown => {
    const id = path.join('.');
    if (memo.has(id)) return memo.get(id);
    if (inProgress.has(id)) throw new ConfigError(`config key '${id}': interpolation refers to itself (a cycle)`, id);
    if (inProgress.size >= LIMITS.config.maxDepth) {
      throw new ConfigError(`config key '${id}': nesting and \${…} chains deeper than ${LIMITS.config.maxDepth} levels`, id);
    }
    inProgress.add(id);
    const { value } = getRaw(path);
    const out = resolveValue(value, path);
    inProgress.delete(id);
    memo.set(id, out);
    return out;
  };

  const resolveValue = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'string') return interpolateString(value, path);
    if (Array.isArray(value)) return value.map((v, i) => resolvePath([...path, String(i)]));
    if (value !== null && typeof value === 'object') {
      const out: Tree = {};
      for (const k of Object.keys(value as Tree)) out[k] = resolvePath([...path, k]);
      return out;
    }
    return value;
  };

  const allKeys = (): string[] => {
    const out: string[] = [];
    const walk = (n: unknown, prefix: string) => {
      if (n !== null && typeof n === 'object' && !Array.isArray(n)) {
        for (const [k, v] of Object.entries(n as Tree)) {
          const p = prefix ? `${prefix}.${k}` : k;
          out.push(p);
          walk(v, p);
        }
      }
    };
    walk(root, '');
    return out;
  };

  const lookup = (expr: string, path: string[]): unknown => {
    const key = path.join('.');
    let target: string[];
    const m = /^(\.*)(.*)$/.exec(expr)!;
    const dots = m[1].length;
    const rest = m[2] === '' ? [] : m[2].split('.');
    if (dots === 0) target = rest;
    else {
      // `.x` = sibling of the key (inside the key's container); each further dot climbs one level.
      const container = path.slice(0, path.length - dots);
      if (path.length - dots < 0) throw new ConfigError(`config key '${key}': interpolation '\${${expr}}' climbs above the root`, key);
      target = [...container, ...rest];
    }
    const { found } = getRaw(target);
    if (!found) {
      const name = target.join('.');
      const hint = suggest(name, allKeys());
      throw new ConfigError(
        `config key '${key}': interpolation '\${${expr}}' refers to '${name}', which does not exist${hint ? ` (did you mean '${hint}'?)` : ''}`,
        key,
      );
    }
    return resolvePath(target);
  };

  const evaluate = (expr: string, path: string[]): unknown => {
    const key = path.join('.');
    const res = /^([A-Za-z_][A-Za-z0-9_.]*):(.*)$/s.exec(expr);
    if (res) {
      const [, name, argText] = res;
      // nested interpolations inside resolver arguments
      const args = interpolateString(argText, path);
      const argStr = String(args);
      switch (name) {
        case 'now':
          return strftime(ctx.now, argStr);
        case 'oc.env': {
          const comma = argStr.indexOf(',');
          const varName = (comma < 0 ? argStr : argStr.slice(0, comma)).trim();
          const v = ctx.env[varName];
          if (v !== undefined) return v;
          if (comma >= 0) return argStr.slice(comma + 1).trim();
          throw new ConfigError(`config key '${key}': environment variable '${varName}' is not set (\${oc.env:${varName}})`, key);
        }
        case 'hydra': {
          const v = ctx.hydra[argStr.trim()];
          if (v === undefined) {
            throw new ConfigError(
              `config key '${key}': '\${hydra:${argStr}}' is not available (known: ${Object.keys(ctx.hydra).join(', ')})`,
              key,
            );
          }
          return v;
        }
        default:
          throw new ConfigError(`config key '${key}': unknown resolver '${name}' in '\${${expr}}' (known: now, oc.env, hydra)`, key);
      }
    }
    if (!/^\.*[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$/.test(expr)) {
      throw new ConfigError(`config key '${key}': cannot read interpolation '\${${expr}}'`, key);
    }
    return lookup(expr, path);
  };

  const interpolateString = (s: string, path: string[]): unknown => {
    if (!s.includes('${')) return s.replace(/\\\$/g, '$');
    const key = path.join('.');
    const parts: unknown[] = [];
    let i = 0;
    let literal = '';
    while (i < s.length) {
      if (s[i] === '\\' && s[i + 1] === '$') { literal += '$'; i += 2; continue; }
      if (s[i] === '$' && s[i + 1] === '{') {
        let depth = 0;
        let j = i + 1;
        for (; j < s.length; j++) {
          if (s[j] === '{') depth++;
          else if (s[j] === '}') { depth--; if (depth === 0) break; }
        }
        if (j >= s.length) throw new ConfigError(`config key '${key}': unterminated interpolation in '${s}'`, key);
        if (literal) { parts.push(literal); literal = ''; }
        const expr = s.slice(i + 2, j).trim();
        if (expr === '') throw new ConfigError(`config key '${key}': empty interpolation '\${}'`, key);
        parts.push({ __interp: evaluate(expr, path) });
        i = j + 1;
        continue;
      }
      literal += s[i++];
    }
    if (literal) parts.push(literal);
    if (parts.length === 1 && typeof parts[0] === 'object' && parts[0] !== null && '__interp' in (parts[0] as object)) {
      return (parts[0] as { __interp: unknown }).__interp;
    }
    const strings = parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const v = (p as { __interp: unknown }).__interp;
        if (v !== null && typeof v === 'object') {
          throw new ConfigError(`config key '${key}': cannot put a list or dict inside the string '${s}'`, key);
        }
        return String(v);
      });
    // measured before joining: each part is within the limit, their sum may not be
    const length = strings.reduce((a, p) => a + p.length, 0);
    if (length > LIMITS.config.maxStringLength) {
      throw new ConfigError(`config key '${key}': the interpolated string is ${length} characters, past the limit of ${LIMITS.config.maxStringLength}`, key);
    }
    return strings.join('');
  };

  return resolvePath([]) as Tree;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** strftime subset: %Y %y %m %d %H %M %S %f %j %%. Local time, as hydra's `now`. */
export function strftime(d: Date, fmt: string): string {
  return fmt.replace(/%([YymdHMSfj%])/g, (_, c: string) => {
    switch (c) {
      case 'Y': return String(d.getFullYear());
      case 'y': return pad(d.getFullYear() % 100);
      case 'm': return pad(d.getMonth() + 1);
      case 'd': return pad(d.getDate());
      case 'H': return pad(d.getHours());
      case 'M': return pad(d.getMinutes());
      case 'S': return pad(d.getSeconds());
      case 'f': return pad(d.getMilliseconds() * 1000, 6);
      case 'j': {
        const start = new Date(d.getFullYear(), 0, 0);
        return pad(Math.floor((d.getTime() - start.getTime()) / 86400000), 3);
      }
      default: return '%';
    }
  });
}
