// A small Python pickle reader (protocols 0–5 opcodes as written by torch.save / PyTorch Lightning checkpoints).
// It builds plain JS values and never executes anything: classes are named (`PyGlobal`), objects are records of
// their class, constructor arguments and state (`PyObject`); a `reduce` hook turns the calls the caller knows
// (torch's tensor rebuild, OrderedDict, ...) into real values. Work is linear in the pickle's size: no opcode
// recurses, copies more than its operands or builds an int longer than LIMITS.checkpoint.maxIntBytes.
import { LIMITS } from './limits';

/** A pickle that cannot be read: the message names the problem, the byte offset and the file. */
export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** A class or function named by GLOBAL / STACK_GLOBAL ("module name"). Nothing is imported or called. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** "module.name" */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a Python class: built by NEWOBJ/REDUCE/INST/OBJ, its `__dict__` (or state) set by BUILD. */
export class PyObject {
  /** BUILD's state: usually a Map of attribute → value (the object's __dict__). */
  state: unknown = undefined;
  /** Items added by SETITEM(S) when the object is a dict subclass. */
  items: Map<unknown, unknown> | undefined = undefined;
  /** Items added by APPEND(S) when the object is a list subclass. */
  listItems: unknown[] | undefined = undefined;
  constructor(readonly cls: PyGlobal, readonly args: unknown[]) {}
  /** An attribute from the BUILD state (dict state, or the dict part of a (dict, slots) tuple). */
  attr(name: string): unknown {
    const s = this.state;
    if (s instanceof Map) return s.get(name);
    if (Array.isArray(s) && s[0] instanceof Map) return s[0].get(name);
    return undefined;
  }
}

/** Hooks that give meaning to calls and persistent ids. */
export interface UnpickleOptions {
  /** Name used in error messages (e.g. 'archive/data.pkl'). */
  fileName?: string;
  /** BINPERSID / PERSID: turns a persistent id into a value (torch: storages). Default: error. */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * REDUCE / NEWOBJ: return the value of `cls(*args)`, or undefined to fall back to the built-in handling
   * (OrderedDict/dict/defaultdict → Map, set/frozenset → Set, list/tuple → array, _codecs.encode → bytes,
   * anything else → PyObject).
   */
  reduce?: (cls: PyGlobal, args: unknown[]) => unknown;
}

const MARK = Symbol('mark');

// Opcode bytes.
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68, INST: 0x69,
  LONG_BINGET: 0x6a, LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71, LONG_BINPUT: 0x72,
  SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b,
  BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f, ADDITEMS: 0x90, FROZENSET: 0x91,
  NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95,
  BYTEARRAY8: 0x96, NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

const MAX_INT_BYTES = LIMITS.checkpoint.maxIntBytes;
// Decimal digits of the largest int (INT/LONG text opcodes): 8 bits ≈ 2.41 decimal digits.
const MAX_INT_DIGITS = Math.ceil(MAX_INT_BYTES * 2.41) + 1;

const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

/** UTF-8 → string without TextDecoder (works in any JS environment). */
export function decodeUtf8(b: Uint8Array, start: number, end: number): string {
  let s = '';
  let i = start;
  while (i < end) {
    const c = b[i++];
    if (c < 0x80) {
      s += String.fromCharCode(c);
      continue;
    }
    let cp: number;
    if (c >= 0xf0) {
      cp = ((c & 0x07) << 18) | ((b[i] & 0x3f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      i += 3;
    } else if (c >= 0xe0) {
      cp = ((c & 0x0f) << 12) | ((b[i] & 0x3f) << 6) | (b[i + 1] & 0x3f);
      i += 2;
    } else {
      cp = ((c & 0x1f) << 6) | (b[i] & 0x3f);
      i += 1;
    }
    s += String.fromCodePoint(cp);
  }
  return s;
}

function decodeLatin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Little-endian two's complement integer of n bytes → number when safe, else bigint. */
function decodeLong(b: Uint8Array, start: number, n: number): number | bigint {
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[start + i]);
  if (b[start + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function defaultReduce(cls: PyGlobal, args: unknown[]): unknown {
  const q = cls.qualifiedName;
  switch (q) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict': {
      const m = new Map<unknown, unknown>();
      const init = args[0];
      if (Array.isArray(init)) for (const kv of init) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
      if (init instanceof Map) for (const [k, v] of init) m.set(k, v);
      return m;
    }
    case 'collections.defaultdict':
      return new Map<unknown, unknown>();
    case 'builtins.set':
    case '__builtin__.set':
    case 'builtins.frozenset':
    case '__builtin__.frozenset':
      return new Set(Array.isArray(args[0]) ? args[0] : []);
    case 'builtins.list':
    case '__builtin__.list':
    case 'builtins.tuple':
    case '__builtin__.tuple':
      return Array.isArray(args[0]) ? args[0].slice() : [];
    case '_codecs.encode': {
      // protocol-2 pickles of Python 3 bytes: _codecs.encode(str, 'latin1')
      const s = typeof args[0] === 'string' ? args[0] : '';
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
      return out;
    }
    default:
      return new PyObject(cls, args);
  }
}

/**
 * Reads one pickle. Supports every opcode of protocols 0–5 except out-of-band buffers and the extension
 * registry (EXT1/2/4); an unknown opcode is an error naming it, its byte offset and the file.
 * Dicts become `Map`s, lists and tuples arrays, sets `Set`s, ints numbers (or bigints beyond 2^53),
 * str strings, bytes Uint8Arrays.
 * @throws PickleError
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): unknown {
  const file = opts.fileName ?? 'pickle';
  const b = bytes;
  const n = b.length;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opPos = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`${msg} at byte ${opPos} of ${file}`);
  };
  const need = (k: number): void => {
    if (pos + k > n) fail(`pickle data truncated (needs ${k} more bytes, file has ${n})`);
  };
  const u8 = (): number => {
    need(1);
    return b[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = dv.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const lo = dv.getUint32(pos, true);
    const hi = dv.getUint32(pos + 4, true);
    pos += 8;
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) fail('length field too large');
    return v;
  };
  const line = (): string => {
    const start = pos;
    while (pos < n && b[pos] !== 0x0a) pos++;
    if (pos >= n) fail('pickle data truncated (unterminated text argument)');
    const s = decodeLatin1(b, start, pos);
    pos++;
    return s;
  };
  const bytesOf = (k: number): Uint8Array => {
    need(k);
    const v = b.slice(pos, pos + k);
    pos += k;
    return v;
  };
  const utf8 = (k: number): string => {
    need(k);
    const s = decodeUtf8(b, pos, pos + k);
    pos += k;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail('pickle stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('pickle MARK missing');
    const items = stack.splice(m as number);
    return items;
  };
  const memoGet = (k: number): unknown => {
    if (!memo.has(k)) fail(`pickle memo key ${k} not found`);
    return memo.get(k);
  };
  const call = (cls: unknown, args: unknown[]): unknown => {
    if (!(cls instanceof PyGlobal)) {
      if (cls instanceof PyObject) return new PyObject(cls.cls, args);
      fail('pickle REDUCE/NEWOBJ on something that is not a class');
    }
    const g = cls as PyGlobal;
    const r = opts.reduce ? opts.reduce(g, args) : undefined;
    return r !== undefined ? r : defaultReduce(g, args);
  };
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (kv.length % 2 !== 0) fail('pickle SETITEMS with an odd number of items');
    let m: Map<unknown, unknown>;
    if (target instanceof Map) m = target;
    else if (target instanceof PyObject) m = target.items ??= new Map();
    else return fail('pickle SETITEM(S) on a value that is not a dict');
    for (let i = 0; i < kv.length; i += 2) m.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    // one by one: push(...items) overflows the call stack for long APPENDS
    if (Array.isArray(target)) for (const it of items) target.push(it);
    else if (target instanceof PyObject) { const l = (target.listItems ??= []); for (const it of items) l.push(it); }
    else if (target instanceof Set) for (const it of items) target.add(it);
    else fail('pickle APPEND(S) on a value that is not a list');
  };
  const global = (module: string, name: string): PyGlobal => new PyGlobal(module, name);
  const intBytes = (k: number): number => {
    if (k > MAX_INT_BYTES) fail(`pickle int of ${k} bytes exceeds the limit of ${MAX_INT_BYTES} bytes`);
    need(k);
    return k;
  };
  const textInt = (s: string): number | bigint => {
    const t = s.trim();
    if (!/^[+-]?\d+$/.test(t)) fail(`pickle int '${t.slice(0, 40)}' is not an integer`);
    if (t.length > MAX_INT_DIGITS) fail(`pickle int of ${t.length} digits exceeds the limit of ${MAX_INT_DIGITS} digits`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  try {
    return run();
  } catch (e) {
    // The hooks' own typed errors pass; anything the runtime throws (a RangeError from a hostile value) gets the
    // offset and the file.
    if (e instanceof PickleError || !(e instanceof RangeError || e instanceof TypeError || e instanceof SyntaxError)) throw e;
    return fail(`unreadable pickle (${e.message})`);
  }

  function run(): unknown {
    for (;;) {
      opPos = pos;
      if (pos >= n) fail('pickle data truncated (no STOP opcode)');
      const op = b[pos++];
      switch (op) {
        case OP.PROTO: u8(); break;
        case OP.FRAME: u64(); break;
        case OP.STOP: {
          if (stack.length !== 1) fail(`pickle STOP with ${stack.length} values on the stack`);
          return stack[0];
        }
        case OP.MARK: marks.push(stack.length); break;
        case OP.POP: pop(); break;
        case OP.POP_MARK: popMark(); break;
        case OP.DUP: stack.push(top()); break;
        case OP.NONE: stack.push(null); break;
        case OP.NEWTRUE: stack.push(true); break;
        case OP.NEWFALSE: stack.push(false); break;
        case OP.BININT: stack.push(i32()); break;
        case OP.BININT1: stack.push(u8()); break;
        case OP.BININT2: stack.push(u16()); break;
        case OP.LONG1: { const k = intBytes(u8()); stack.push(decodeLong(b, pos, k)); pos += k; break; }
        case OP.LONG4: { const k = i32(); if (k < 0) fail('negative LONG4 length'); intBytes(k); stack.push(decodeLong(b, pos, k)); pos += k; break; }
        case OP.INT: {
          const s = line();
          if (s === '00') stack.push(false);
          else if (s === '01') stack.push(true);
          else stack.push(textInt(s));
          break;
        }
        case OP.LONG: stack.push(textInt(line().replace(/L$/, ''))); break;
        case OP.BINFLOAT: { need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; }
        case OP.FLOAT: stack.push(parseFloat(line())); break;
        case OP.BINUNICODE: stack.push(utf8(u32())); break;
        case OP.SHORT_BINUNICODE: stack.push(utf8(u8())); break;
        case OP.BINUNICODE8: stack.push(utf8(u64())); break;
        case OP.UNICODE: stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))); break;
        case OP.BINSTRING: { const k = i32(); if (k < 0) fail('negative BINSTRING length'); need(k); stack.push(decodeLatin1(b, pos, pos + k)); pos += k; break; }
        case OP.SHORT_BINSTRING: { const k = u8(); need(k); stack.push(decodeLatin1(b, pos, pos + k)); pos += k; break; }
        case OP.STRING: {
          const s = line();
          stack.push(s.length >= 2 && (s[0] === "'" || s[0] === '"') ? s.slice(1, -1) : s);
          break;
        }
        case OP.BINBYTES: stack.push(bytesOf(u32())); break;
        case OP.SHORT_BINBYTES: stack.push(bytesOf(u8())); break;
        case OP.BINBYTES8: stack.push(bytesOf(u64())); break;
        case OP.BYTEARRAY8: stack.push(bytesOf(u64())); break;
        case OP.EMPTY_DICT: stack.push(new Map()); break;
        case OP.DICT: { const items = popMark(); const m = new Map(); setItems(m, items); stack.push(m); break; }
        case OP.EMPTY_LIST: stack.push([]); break;
        case OP.LIST: stack.push(popMark()); break;
        case OP.EMPTY_TUPLE: stack.push([]); break;
        case OP.TUPLE: stack.push(popMark()); break;
        case OP.TUPLE1: { const a = pop(); stack.push([a]); break; }
        case OP.TUPLE2: { const b2 = pop(); const a = pop(); stack.push([a, b2]); break; }
        case OP.TUPLE3: { const c = pop(); const b2 = pop(); const a = pop(); stack.push([a, b2, c]); break; }
        case OP.EMPTY_SET: stack.push(new Set()); break;
        case OP.ADDITEMS: { const items = popMark(); const s = top(); if (!(s instanceof Set)) fail('pickle ADDITEMS on a value that is not a set'); for (const it of items) (s as Set<unknown>).add(it); break; }
        case OP.FROZENSET: stack.push(new Set(popMark())); break;
        case OP.APPEND: { const v = pop(); appendItems(top(), [v]); break; }
        case OP.APPENDS: { const items = popMark(); appendItems(top(), items); break; }
        case OP.SETITEM: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
        case OP.SETITEMS: { const items = popMark(); setItems(top(), items); break; }
        case OP.GLOBAL: { const module = line(); const name = line(); stack.push(global(module, name)); break; }
        case OP.STACK_GLOBAL: {
          const name = pop();
          const module = pop();
          if (typeof module !== 'string' || typeof name !== 'string') fail('pickle STACK_GLOBAL needs two strings');
          stack.push(global(module as string, name as string));
          break;
        }
        case OP.REDUCE: {
          const args = pop();
          const cls = pop();
          stack.push(call(cls, Array.isArray(args) ? args : []));
          break;
        }
        case OP.NEWOBJ: {
          const args = pop();
          const cls = pop();
          stack.push(call(cls, Array.isArray(args) ? args : []));
          break;
        }
        case OP.NEWOBJ_EX: {
          pop(); // kwargs
          const args = pop();
          const cls = pop();
          stack.push(call(cls, Array.isArray(args) ? args : []));
          break;
        }
        case OP.INST: {
          const module = line();
          const name = line();
          stack.push(call(global(module, name), popMark()));
          break;
        }
        case OP.OBJ: {
          const items = popMark();
          const cls = items.shift();
          stack.push(call(cls, items));
          break;
        }
        case OP.BUILD: {
          const state = pop();
          const obj = top();
          if (obj instanceof PyObject) obj.state = state;
          // Maps (OrderedDict) and others: state (e.g. torch's state_dict `_metadata`) is not needed; ignore.
          break;
        }
        case OP.BINPERSID: {
          const pid = pop();
          if (!opts.persistentLoad) fail('pickle BINPERSID without a persistent_load handler');
          stack.push(opts.persistentLoad!(pid));
          break;
        }
        case OP.PERSID: {
          const pid = line();
          if (!opts.persistentLoad) fail('pickle PERSID without a persistent_load handler');
          stack.push(opts.persistentLoad!(pid));
          break;
        }
        case OP.BINGET: stack.push(memoGet(u8())); break;
        case OP.LONG_BINGET: stack.push(memoGet(u32())); break;
        case OP.GET: stack.push(memoGet(parseInt(line(), 10))); break;
        case OP.BINPUT: memo.set(u8(), top()); break;
        case OP.LONG_BINPUT: memo.set(u32(), top()); break;
        case OP.PUT: memo.set(parseInt(line(), 10), top()); break;
        case OP.MEMOIZE: memo.set(memo.size, top()); break;
        default: {
          const name = OP_NAMES[op];
          const hex = `0x${op.toString(16).padStart(2, '0')}`;
          const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
          fail(name ? `unsupported pickle opcode ${name} (${hex})` : `unknown pickle opcode ${hex}${printable}`);
        }
      }
    }
  }
}
