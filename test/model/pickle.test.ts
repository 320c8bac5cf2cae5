// The pickle reader against pickles written by CPython's pickle module (protocols 2 and 4), and its errors.
import { describe, expect, it } from 'vitest';
import { PickleError, PyGlobal, PyObject, unpickle } from '../../src/model/pickle';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) as string[], (h) => parseInt(h, 16));

// pickle.dumps(data, protocol=P) of:
// {'s': 'héllo ✓', 'i': [0, 255, 65535, 65536, -1, -2**31, 2**31, 2**63, -2**70], 'f': 1.5, 'n': None, 't': True,
//  'F': False, 'tup': (1, (2, 3), ()), 'od': OrderedDict([('x', 1), ('y', 2)]), 'b': b'\x00\x01\xff',
//  'sh': [shared, shared] (shared = [1, 2]), 'set': {7}, 'dd': defaultdict(list, {'k': [1]})}
const PROTO2 = '80027d7100285801000000737101580a00000068c3a96c6c6f20e29c93710258010000006971035d7104284b004bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000080008a090000000000000000c0655801000000667105473ff800000000000058010000006e71064e580100000074710788580100000046710889580300000074757071094b014b024b0386710a2987710b58020000006f64710c63636f6c6c656374696f6e730a4f726465726564446963740a710d2952710e28580100000078710f4b0158010000007971104b02755801000000627111635f636f646563730a656e636f64650a711258040000000001c3bf711358060000006c6174696e3171148671155271165802000000736871175d7118285d7119284b014b02656819655803000000736574711a635f5f6275696c74696e5f5f0a7365740a711b5d711c4b076185711d52711e58020000006464711f63636f6c6c656374696f6e730a64656661756c74646963740a7120635f5f6275696c74696e5f5f0a6c6973740a712185712252712358010000006b71245d71254b016173752e';
const PROTO4 = '80049514010000000000007d94288c0173948c0a68c3a96c6c6f20e29c93948c0169945d94284b004bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000080008a090000000000000000c0658c016694473ff80000000000008c016e944e8c017494888c014694898c03747570944b014b024b0386942987948c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0178944b018c0179944b02758c01629443030001ff948c027368945d94285d94284b014b02656817658c03736574948f94284b07908c02646494680d8c0b64656661756c74646963749493948c086275696c74696e73948c046c697374949394859452948c016b945d944b016173752e';
// pickle.dumps([o, o], protocol=2) with o = __main__.Obj(); o.a = 1; o.b = 'x'
const OBJ = '80025d710028635f5f6d61696e5f5f0a4f626a0a7101298171027d71032858010000006171044b015801000000627105580100000078710675626802652e';

describe('unpickle', () => {
  for (const [proto, bytes] of [[2, PROTO2], [4, PROTO4]] as const) {
    it(`reads CPython protocol ${proto}`, () => {
      const d = unpickle(hex(bytes)) as Map<string, unknown>;
      expect(d).toBeInstanceOf(Map);
      expect(d.get('s')).toBe('héllo ✓');
      expect(d.get('i')).toEqual([0, 255, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2n ** 63n, -(2n ** 70n)]);
      expect(d.get('f')).toBe(1.5);
      expect(d.get('n')).toBeNull();
      expect(d.get('t')).toBe(true);
      expect(d.get('F')).toBe(false);
      expect(d.get('tup')).toEqual([1, [2, 3], []]);
      expect(d.get('od')).toEqual(new Map([['x', 1], ['y', 2]]));
      expect(d.get('b')).toEqual(new Uint8Array([0, 1, 255]));
      const sh = d.get('sh') as unknown[][];
      expect(sh[0]).toEqual([1, 2]);
      expect(sh[0]).toBe(sh[1]); // memo: the same object twice
      expect(d.get('set')).toEqual(new Set([7]));
      expect(d.get('dd')).toEqual(new Map([['k', [1]]]));
    });
  }

  it('builds objects with NEWOBJ + BUILD, shared through the memo', () => {
    const [a, b] = unpickle(hex(OBJ)) as PyObject[];
    expect(a).toBeInstanceOf(PyObject);
    expect(a).toBe(b);
    expect(a.cls).toEqual(new PyGlobal('__main__', 'Obj'));
    expect(a.attr('a')).toBe(1);
    expect(a.attr('b')).toBe('x');
  });

  it('passes persistent ids and calls to the hooks', () => {
    // PROTO 2, GLOBAL 'm f', BINUNICODE 'storage', BINUNICODE 'k', TUPLE2, BINPERSID, TUPLE1, REDUCE, STOP
    const bytes = new Uint8Array([0x80, 0x02, 0x63, ...Array.from('m\nf\n', (c) => c.charCodeAt(0)),
      0x58, 7, 0, 0, 0, ...Array.from('storage', (c) => c.charCodeAt(0)), 0x58, 1, 0, 0, 0, 0x6b, 0x86, 0x51, 0x85, 0x52, 0x2e]);
    const seen: unknown[] = [];
    const v = unpickle(bytes, {
      persistentLoad: (pid) => { seen.push(pid); return 'STORAGE'; },
      reduce: (cls, args) => (cls.qualifiedName === 'm.f' ? { called: args } : undefined),
    });
    expect(seen).toEqual([['storage', 'k']]);
    expect(v).toEqual({ called: ['STORAGE'] });
  });

  it('names an unknown opcode, its byte offset and the file', () => {
    const b = hex(PROTO2);
    b[2] = 0xfe; // EMPTY_DICT → an opcode that does not exist
    expect(() => unpickle(b, { fileName: 'archive/data.pkl' })).toThrow(PickleError);
    expect(() => unpickle(b, { fileName: 'archive/data.pkl' })).toThrow(/unknown pickle opcode 0xfe at byte 2 of archive\/data\.pkl/);
  });

  it('refuses a truncated pickle', () => {
    const b = hex(PROTO2);
    expect(() => unpickle(b.subarray(0, 100), { fileName: 'x.pkl' })).toThrow(/truncated.* of x\.pkl/);
    expect(() => unpickle(b.subarray(0, b.length - 1))).toThrow(/truncated \(no STOP opcode\)/);
  });

  it('refuses BINPERSID without a handler and unsupported opcodes by name', () => {
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0x4e, 0x51, 0x2e]))).toThrow(/BINPERSID without a persistent_load handler/);
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0x82, 0x01, 0x2e]))).toThrow(/unsupported pickle opcode EXT1 \(0x82\)/);
  });
});
