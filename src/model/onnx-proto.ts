// The ONNX protobuf messages a model file uses (onnx.proto, IR 8), read and written by a schema table over the
// wire format of ./protobuf.ts. Fields outside the table are skipped when reading. Writing follows the field-number
// order and packs repeated numbers, as protobuf encoders do, so a model written here is byte for byte what the
// protobufjs build of the ONNX schema writes.
import { ProtoReader, ProtoWriter, WIRE } from './protobuf';

export interface StringStringEntryProto { key?: string; value?: string }
export interface OperatorSetIdProto { domain?: string; version?: number }
export interface TensorProto {
  dims?: number[]; dataType?: number; floatData?: number[]; int32Data?: number[]; int64Data?: number[]; name?: string;
  rawData?: Uint8Array; doubleData?: number[]; docString?: string; externalData?: StringStringEntryProto[]; dataLocation?: number;
}
export interface AttributeProto {
  name?: string; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[]; docString?: string; type?: number;
}
export interface DimensionProto { dimValue?: number; dimParam?: string; denotation?: string }
export interface TypeProto { tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } }; denotation?: string }
export interface ValueInfoProto { name?: string; type?: TypeProto; docString?: string }
export interface NodeProto {
  input?: string[]; output?: string[]; name?: string; opType?: string; attribute?: AttributeProto[]; docString?: string; domain?: string;
}
export interface GraphProto {
  node?: NodeProto[]; name?: string; initializer?: TensorProto[]; docString?: string; input?: ValueInfoProto[];
  output?: ValueInfoProto[]; valueInfo?: ValueInfoProto[];
}
export interface ModelProto {
  irVersion?: number; producerName?: string; producerVersion?: string; domain?: string; modelVersion?: number;
  docString?: string; graph?: GraphProto; opsetImport?: OperatorSetIdProto[]; metadataProps?: StringStringEntryProto[];
}

/** TensorProto.DataType values a model file uses. */
export const DataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;
/** AttributeProto.AttributeType values the estimator graph uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;
/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

type Scalar = 'int' | 'float' | 'double' | 'string' | 'bytes';
interface Field { no: number; key: string; kind: Scalar | Schema; repeated?: boolean }
type Schema = Field[];

const entry: Schema = [{ no: 1, key: 'key', kind: 'string' }, { no: 2, key: 'value', kind: 'string' }];
const tensor: Schema = [
  { no: 1, key: 'dims', kind: 'int', repeated: true },
  { no: 2, key: 'dataType', kind: 'int' },
  { no: 4, key: 'floatData', kind: 'float', repeated: true },
  { no: 5, key: 'int32Data', kind: 'int', repeated: true },
  { no: 7, key: 'int64Data', kind: 'int', repeated: true },
  { no: 8, key: 'name', kind: 'string' },
  { no: 9, key: 'rawData', kind: 'bytes' },
  { no: 10, key: 'doubleData', kind: 'double', repeated: true },
  { no: 12, key: 'docString', kind: 'string' },
  { no: 13, key: 'externalData', kind: entry, repeated: true },
  { no: 14, key: 'dataLocation', kind: 'int' },
];
const attribute: Schema = [
  { no: 1, key: 'name', kind: 'string' },
  { no: 2, key: 'f', kind: 'float' },
  { no: 3, key: 'i', kind: 'int' },
  { no: 4, key: 's', kind: 'bytes' },
  { no: 7, key: 'floats', kind: 'float', repeated: true },
  { no: 8, key: 'ints', kind: 'int', repeated: true },
  { no: 13, key: 'docString', kind: 'string' },
  { no: 20, key: 'type', kind: 'int' },
];
const dimension: Schema = [
  { no: 1, key: 'dimValue', kind: 'int' }, { no: 2, key: 'dimParam', kind: 'string' }, { no: 3, key: 'denotation', kind: 'string' },
];
const typeProto: Schema = [
  { no: 1, key: 'tensorType', kind: [
    { no: 1, key: 'elemType', kind: 'int' },
    { no: 2, key: 'shape', kind: [{ no: 1, key: 'dim', kind: dimension, repeated: true }] },
  ] },
  { no: 6, key: 'denotation', kind: 'string' },
];
const valueInfo: Schema = [
  { no: 1, key: 'name', kind: 'string' }, { no: 2, key: 'type', kind: typeProto }, { no: 3, key: 'docString', kind: 'string' },
];
const node: Schema = [
  { no: 1, key: 'input', kind: 'string', repeated: true },
  { no: 2, key: 'output', kind: 'string', repeated: true },
  { no: 3, key: 'name', kind: 'string' },
  { no: 4, key: 'opType', kind: 'string' },
  { no: 5, key: 'attribute', kind: attribute, repeated: true },
  { no: 6, key: 'docString', kind: 'string' },
  { no: 7, key: 'domain', kind: 'string' },
];
const graph: Schema = [
  { no: 1, key: 'node', kind: node, repeated: true },
  { no: 2, key: 'name', kind: 'string' },
  { no: 5, key: 'initializer', kind: tensor, repeated: true },
  { no: 10, key: 'docString', kind: 'string' },
  { no: 11, key: 'input', kind: valueInfo, repeated: true },
  { no: 12, key: 'output', kind: valueInfo, repeated: true },
  { no: 13, key: 'valueInfo', kind: valueInfo, repeated: true },
];
const model: Schema = [
  { no: 1, key: 'irVersion', kind: 'int' },
  { no: 2, key: 'producerName', kind: 'string' },
  { no: 3, key: 'producerVersion', kind: 'string' },
  { no: 4, key: 'domain', kind: 'string' },
  { no: 5, key: 'modelVersion', kind: 'int' },
  { no: 6, key: 'docString', kind: 'string' },
  { no: 7, key: 'graph', kind: graph },
  { no: 8, key: 'opsetImport', kind: [{ no: 1, key: 'domain', kind: 'string' }, { no: 2, key: 'version', kind: 'int' }], repeated: true },
  { no: 14, key: 'metadataProps', kind: entry, repeated: true },
];

const WIRE_OF: Record<Scalar, number> = { int: WIRE.VARINT, float: WIRE.FIXED32, double: WIRE.FIXED64, string: WIRE.LEN, bytes: WIRE.LEN };
const isNumber = (k: Field['kind']): k is 'int' | 'float' | 'double' => k === 'int' || k === 'float' || k === 'double';

function writeScalar(w: ProtoWriter, kind: Scalar, v: unknown): void {
  if (kind === 'int') w.varint(v as number);
  else if (kind === 'float') w.float(v as number);
  else if (kind === 'double') w.double(v as number);
  else if (kind === 'string') w.string(v as string);
  else w.bytes(v as Uint8Array);
}

function encode(schema: Schema, msg: Record<string, unknown>, w: ProtoWriter): void {
  for (const f of schema) {
    const v = msg[f.key];
    if (v === undefined || v === null) continue;
    if (typeof f.kind !== 'string') {
      for (const m of f.repeated ? (v as Record<string, unknown>[]) : [v as Record<string, unknown>]) {
        const sub = new ProtoWriter();
        encode(f.kind, m, sub);
        w.tag(f.no, WIRE.LEN).bytes(sub.finish());
      }
    } else if (f.repeated && isNumber(f.kind)) {
      const list = v as number[];
      if (list.length === 0) continue;
      const packed = new ProtoWriter();
      for (const x of list) writeScalar(packed, f.kind, x);
      w.tag(f.no, WIRE.LEN).bytes(packed.finish());
    } else {
      for (const x of f.repeated ? (v as unknown[]) : [v]) {
        w.tag(f.no, WIRE_OF[f.kind]);
        writeScalar(w, f.kind, x);
      }
    }
  }
}

function readScalar(r: ProtoReader, kind: Scalar): unknown {
  if (kind === 'int') return r.varint();
  if (kind === 'float') return r.float();
  if (kind === 'double') return r.double();
  if (kind === 'string') return r.string();
  return r.bytes();
}

/** Reads a message up to `end`; repeated fields start as empty arrays, absent scalars stay undefined. */
function decode(schema: Schema, r: ProtoReader, end: number): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  for (const f of schema) if (f.repeated) msg[f.key] = [];
  while (r.pos < end) {
    const key = r.varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    const f = schema.find((x) => x.no === no);
    if (f === undefined) {
      r.skip(wire);
      continue;
    }
    if (typeof f.kind !== 'string') {
      if (wire !== WIRE.LEN) throw new Error(`field ${f.key} has wire type ${wire}, expected a message`);
      const stop = r.delimited();
      const m = decode(f.kind, r, stop);
      if (f.repeated) (msg[f.key] as unknown[]).push(m);
      else msg[f.key] = m;
    } else if (f.repeated && isNumber(f.kind) && wire === WIRE.LEN) {
      const stop = r.delimited(); // packed
      const list = msg[f.key] as unknown[];
      while (r.pos < stop) list.push(readScalar(r, f.kind));
      if (r.pos !== stop) throw new Error(`packed field ${f.key} overruns its length`);
    } else {
      if (wire !== WIRE_OF[f.kind]) throw new Error(`field ${f.key} has wire type ${wire}, expected ${WIRE_OF[f.kind]}`);
      const v = readScalar(r, f.kind);
      if (f.repeated) (msg[f.key] as unknown[]).push(v);
      else msg[f.key] = v;
    }
  }
  if (r.pos !== end) throw new Error(`a field overruns its message at byte ${r.pos}`);
  return msg;
}

/** Serialises a ModelProto. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  encode(model, m as Record<string, unknown>, w);
  return w.finish();
}

/** Parses a ModelProto; throws on truncated or malformed bytes. Byte fields are views into `bytes`. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return decode(model, new ProtoReader(bytes), bytes.length) as ModelProto;
}
