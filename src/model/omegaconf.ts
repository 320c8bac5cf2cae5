// Pickled omegaconf containers (DictConfig / ListConfig / value nodes) → plain JS, with `${...}` interpolations
// resolved through the `_parent` chain the way omegaconf does (absolute paths from the root, `${.x}` relative).
// Only the pickled __dict__ layout is read (`_content`, `_parent`, `_val`, `_metadata`); nothing is executed.
// A pickle can share one value many times (`DUP; TUPLE2` repeated doubles it per level), so the plain copy counts
// every value it produces against LIMITS.checkpoint.maxConfigValues, and nesting (interpolation chains included)
// against maxConfigDepth: the work is bounded whatever the sharing.
import { LIMITS } from './limits';
import { PyObject } from './pickle';
import { CheckpointError } from './torch-zip';

const { maxConfigDepth: MAX_DEPTH, maxConfigValues: MAX_VALUES } = LIMITS.checkpoint;

/** The values left to produce converting one checkpoint's hyper-parameters (see toPlain). */
export class ConfigBudget {
  private left = MAX_VALUES;
  constructor(private readonly fileName = 'checkpoint') {}

  /** Counts one value at nesting `depth`. @throws CheckpointError past either limit. */
  take(depth: number): void {
    if (depth > MAX_DEPTH) {
      throw new CheckpointError(`${this.fileName}: hyper_parameters nest deeper than ${MAX_DEPTH} levels (values or \${…} interpolations)`);
    }
    if (--this.left < 0) {
      throw new CheckpointError(`${this.fileName}: hyper_parameters expand to more than ${MAX_VALUES} values (shared references repeated)`);
    }
  }
}

/** True for a pickled omegaconf DictConfig / ListConfig / value node. */
export function isOmegaNode(v: unknown): boolean {
  return v instanceof PyObject && v.cls.module.startsWith('omegaconf');
}

const isDictConfig = (v: PyObject): boolean => v.cls.name === 'DictConfig';
const isListConfig = (v: PyObject): boolean => v.cls.name === 'ListConfig';

/** The root of a node's `_parent` chain (the whole run config for a hydra/Lightning checkpoint). */
export function omegaRoot(node: PyObject): PyObject {
  let n = node;
  for (let i = 0; i < 1000; i++) {
    const p = n.attr('_parent');
    if (!(p instanceof PyObject)) return n;
    n = p;
  }
  return n;
}

function child(container: PyObject, key: string): unknown {
  const content = container.attr('_content');
  if (content instanceof Map) {
    if (content.has(key)) return content.get(key);
    for (const [k, v] of content) if (String(k) === key) return v;
    return undefined;
  }
  if (Array.isArray(content)) {
    const i = Number(key);
    return Number.isInteger(i) ? content[i] : undefined;
  }
  return undefined;
}

const UNRESOLVED = Symbol('unresolved');

function lookup(path: string, container: PyObject | null, depth: number, budget: ConfigBudget): unknown {
  if (path.includes(':') || path.includes('${')) return UNRESOLVED; // custom resolvers (oc.env, now, ...) or nesting
  if (!container) return UNRESOLVED;
  let start: PyObject = container;
  let rest = path;
  if (path.startsWith('.')) {
    let dots = 0;
    while (rest.startsWith('.')) { dots++; rest = rest.slice(1); }
    for (let i = 1; i < dots; i++) {
      const p = start.attr('_parent');
      if (!(p instanceof PyObject)) return UNRESOLVED;
      start = p;
    }
  } else {
    start = omegaRoot(container);
  }
  let node: unknown = start;
  if (rest !== '') {
    for (const seg of rest.split(/\.|\[|\]/).filter((s) => s !== '')) {
      if (!(node instanceof PyObject)) return UNRESOLVED;
      node = child(node, seg);
      if (node === undefined) return UNRESOLVED;
    }
  }
  return plain(node, depth + 1, node instanceof PyObject ? parentOf(node) : start, budget);
}

function parentOf(n: PyObject): PyObject | null {
  const p = n.attr('_parent');
  return p instanceof PyObject ? p : null;
}

/** Resolves every `${...}` in a string. A string that is one whole interpolation takes the target's type. */
function interpolate(s: string, container: PyObject | null, depth: number, budget: ConfigBudget): unknown {
  const whole = /^\$\{([^${}]*)\}$/.exec(s);
  if (whole) {
    const v = lookup(whole[1].trim(), container, depth, budget);
    return v === UNRESOLVED ? s : v;
  }
  return s.replace(/\$\{([^${}]*)\}/g, (m, p: string) => {
    const v = lookup(p.trim(), container, depth, budget);
    return v === UNRESOLVED ? m : String(v);
  });
}

/**
 * Converts a pickled value to plain JS: omegaconf containers to objects/arrays with interpolations resolved,
 * Maps with string-like keys to objects, other Maps kept, PyObjects with dict items to objects.
 * @param budget shared by every value of one checkpoint (a fresh one when omitted).
 * @throws CheckpointError past LIMITS.checkpoint.maxConfigValues or maxConfigDepth.
 */
export function toPlain(v: unknown, budget = new ConfigBudget()): unknown {
  return plain(v, 0, null, budget);
}

/** toPlain at nesting `depth`; `container` is the DictConfig/ListConfig holding `v` (for relative interpolations). */
function plain(v: unknown, depth: number, container: PyObject | null, budget: ConfigBudget): unknown {
  budget.take(depth);
  if (v instanceof PyObject) {
    if (isDictConfig(v) || isListConfig(v)) {
      const content = v.attr('_content');
      if (typeof content === 'string') return interpolate(content, parentOf(v), depth, budget);
      if (content === null || content === undefined) return null;
      if (content instanceof Map) {
        const o: Record<string, unknown> = {};
        for (const [k, c] of content) o[String(k)] = plain(c, depth + 1, v, budget);
        return o;
      }
      if (Array.isArray(content)) return content.map((c) => plain(c, depth + 1, v, budget));
      return plain(content, depth + 1, v, budget);
    }
    if (isOmegaNode(v)) {
      // value node (AnyNode, StringNode, IntegerNode, FloatNode, BooleanNode, EnumNode, ...)
      const val = v.attr('_val');
      const ctx = parentOf(v) ?? container;
      if (typeof val === 'string' && val.includes('${')) return interpolate(val, ctx, depth, budget);
      return plain(val, depth + 1, ctx, budget);
    }
    if (v.items) return plain(v.items, depth + 1, container, budget);
    if (v.listItems) return v.listItems.map((c) => plain(c, depth + 1, container, budget));
    return v;
  }
  if (typeof v === 'string' && v.includes('${') && container) return interpolate(v, container, depth, budget);
  if (v instanceof Map) {
    const keys = [...v.keys()];
    if (keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
      const o: Record<string, unknown> = {};
      for (const [k, c] of v) o[String(k)] = plain(c, depth + 1, container, budget);
      return o;
    }
    return v;
  }
  if (Array.isArray(v)) return v.map((c) => plain(c, depth + 1, container, budget));
  return v;
}
