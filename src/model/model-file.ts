// The ddsp-stream model file: one self-contained ONNX model (IR 8, opset 17). The estimator is a standard ONNX
// graph (onnxruntime-web runs it; any ONNX tool can inspect it); what synthesis needs travels in metadata_props
// and initializers. Written and read through ./onnx-proto.ts only. Layout: docs/model-format.md.
import { inferSizes, validateSpec, validateWeights, weightShapes, type EstimatorSpec, type Weights } from '../estimator/network';
import { ANALYSIS_ALIGNMENTS, analysisWindowSize, type AnalysisAlignment } from '../dsp/analysis-window';
import { decodeFloat16, encodeFloat16 } from './float16';
import { LIMITS } from './limits';
import {
  CONST_AXES_0, CONST_AXES_1, CONST_DB_RANGE, CONST_F0_MIN, CONST_F0_SPAN, CONST_ONE, INPUT_F0, INPUT_LOUDNESS,
  INPUT_STATE, IR_VERSION, OPSET, OUTPUT_PARAMS, OUTPUT_STATE, REVERB_IR, SUPPORTED_OPS, estimatorConstants,
  estimatorNodes, type AttrValue, type GraphVariant, type NodeSpec,
} from './onnx-graph';
import {
  AttributeType, DataLocation, DataType, decodeModel, encodeModel, type AttributeProto, type GraphProto, type ModelProto, type NodeProto,
  type TensorProto, type ValueInfoProto,
} from './onnx-proto';
import { externalParamSizes, synthConfigProblems, synthParamCount, type SynthConfig } from './synth-config';

import { DEFAULT_LOUDNESS_RANGE_DB, modelAnalysis, type DDSPModel } from './ddsp-model';

export type { EstimatorSpec, Weights } from '../estimator/network';
export { DEFAULT_LOUDNESS_RANGE_DB, modelAnalysis, type DDSPModel };
export type { SynthConfig, SynthNode, NoiseFilterDesign } from './synth-config';

/** The model file format version this library writes. */
export const FORMAT_VERSION = 1;
/** Format versions readModel understands. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1];

/** Metadata keys (metadata_props) of a model file. */
export const META = {
  formatVersion: 'ddsp.format_version',
  sampleRate: 'ddsp.sample_rate',
  frameRate: 'ddsp.frame_rate',
  f0RangeHz: 'ddsp.f0_range_hz',
  analysisWindow: 'ddsp.analysis_window',
  analysisAlignment: 'ddsp.analysis_alignment',
  loudnessRangeDb: 'ddsp.loudness_range_db',
  estimator: 'ddsp.estimator',
  synth: 'ddsp.synth',
  name: 'ddsp.name',
} as const;

/** Problem with an analysis window (an even integer within LIMITS.model.analysisWindow), or null. */
function analysisWindowProblem(w: unknown): string | null {
  const [lo, hi] = LIMITS.model.analysisWindow;
  const ok = typeof w === 'number' && Number.isInteger(w) && w % 2 === 0 && w >= lo && w <= hi;
  return ok ? null : `must be an even number of samples in [${lo}, ${hi}], got ${JSON.stringify(w)}`;
}

/** Problem with an analysis alignment, or null. */
function analysisAlignmentProblem(a: unknown): string | null {
  return (ANALYSIS_ALIGNMENTS as readonly unknown[]).includes(a) ? null : `must be one of ${ANALYSIS_ALIGNMENTS.join(', ')}, got ${JSON.stringify(a)}`;
}

/** Problem with a loudness range [low, high] dB (finite, low < high, within ±120), or null. */
function loudnessRangeProblem(r: unknown): string | null {
  const ok = Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Math.abs(x) <= 120) && r[0] < r[1];
  return ok ? null : `must be [low, high] dB with −120 ≤ low < high ≤ 120, got ${JSON.stringify(r)}`;
}

/** A model file that cannot be used; the message says what is wrong. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

/** Options of writeModel. */
export interface WriteModelOptions {
  /** Store estimator weights as float16 (half the size; each weight gets a Cast node). Default false. */
  float16?: boolean;
  /** Expose the GRU state: input `gru_state` and output `gru_state_out`, [1, batch, H]. Default false (h0 = 0). */
  stateIO?: boolean;
  /** producer_version recorded in the file. */
  producerVersion?: string;
}

const fail = (msg: string): never => {
  throw new ModelFormatError(msg);
};

const inRange = (v: unknown, [lo, hi]: readonly [number, number]): v is number => typeof v === 'number' && v >= lo && v <= hi;

/**
 * Checks a DDSPModel against the format and LIMITS.model: what writeModel writes, what readModel returns, what the
 * worklet accepts as an object. The engine can run anything that passes within its realtime budget.
 * @throws ModelFormatError naming the field and the limit.
 */
export function validateModel(m: DDSPModel): void {
  try {
    checkModel(m);
  } catch (e) {
    if (e instanceof ModelFormatError || !(e instanceof RangeError || e instanceof TypeError)) throw e;
    fail(e.message);
  }
}

function checkModel(m: DDSPModel): void {
  if (m === null || typeof m !== 'object') throw new TypeError('model must be a DDSPModel object');
  if (m.formatVersion !== FORMAT_VERSION) throw new RangeError(`model.formatVersion must be ${FORMAT_VERSION}, got ${m.formatVersion}`);
  const [srLo, srHi] = LIMITS.model.sampleRateHz;
  if (!inRange(m.sampleRate, LIMITS.model.sampleRateHz)) throw new RangeError(`model.sampleRate must be in [${srLo}, ${srHi}] Hz, got ${m.sampleRate}`);
  const [frLo, frHi] = LIMITS.model.frameRateHz;
  if (!inRange(m.frameRate, LIMITS.model.frameRateHz)) throw new RangeError(`model.frameRate must be in [${frLo}, ${frHi}] frames/s, got ${m.frameRate}`);
  if (!Array.isArray(m.f0RangeHz) || m.f0RangeHz.length !== 2 || !(m.f0RangeHz[0] > 0) || !(m.f0RangeHz[1] > m.f0RangeHz[0]) ||
      !Number.isFinite(m.f0RangeHz[1])) {
    throw new RangeError(`model.f0RangeHz must be [min, max] Hz with 0 < min < max, got ${JSON.stringify(m.f0RangeHz)}`);
  }
  if (m.loudnessRangeDb !== undefined) {
    const p = loudnessRangeProblem(m.loudnessRangeDb);
    if (p) throw new RangeError(`model.loudnessRangeDb ${p}`);
  }
  if (m.analysisWindow !== undefined) {
    const p = analysisWindowProblem(m.analysisWindow);
    if (p) throw new RangeError(`model.analysisWindow ${p}`);
  }
  if (m.analysisAlignment !== undefined) {
    const p = analysisAlignmentProblem(m.analysisAlignment);
    if (p) throw new RangeError(`model.analysisAlignment ${p}`);
  }
  validateSpec(m.estimator);
  const load = m.estimator.hiddenSize ** 2 * m.frameRate;
  if (load > LIMITS.model.maxEstimatorLoad) {
    throw new RangeError(`model.estimator.hiddenSize ${m.estimator.hiddenSize} at ${m.frameRate} frames/s is past the realtime limit ` +
      `hiddenSize² × frameRate ≤ ${LIMITS.model.maxEstimatorLoad} (e.g. 2048 at 50 frames/s, 512 at 800)`);
  }
  const problems = synthConfigProblems(m.synth);
  if (problems.length) throw new RangeError(`model.synth is invalid: ${problems.join('; ')}`);
  const P = synthParamCount(m.synth);
  if (m.estimator.outputSize !== P) {
    throw new RangeError(`model.estimator.outputSize ${m.estimator.outputSize} != the synth's parameter count ${P}`);
  }
  validateWeights(m.estimator, m.estimator.weights);
  const maxW = LIMITS.model.maxAbsWeight;
  for (const [name] of weightShapes(m.estimator)) {
    const d = m.estimator.weights[name].data;
    for (let i = 0; i < d.length; i++) {
      if (!(Math.abs(d[i]) <= maxW)) throw new RangeError(`tensor '${name}' value ${d[i]} at flat index ${i} is beyond the limit |w| ≤ ${maxW}`);
    }
  }
  const reverb = m.synth.nodes.find((n) => n.type === 'IRReverb') as { irLength: number } | undefined;
  if (reverb) {
    if (!(m.ir instanceof Float32Array)) throw new TypeError('model.ir must be a Float32Array when the synth has an IRReverb');
    if (m.ir.length !== reverb.irLength - 1) throw new RangeError(`model.ir holds ${m.ir.length} samples, the IRReverb needs irLength − 1 = ${reverb.irLength - 1}`);
  }
  if (m.ir !== undefined) {
    if (!(m.ir instanceof Float32Array)) throw new TypeError('model.ir must be a Float32Array');
    const { maxIrSeconds, maxAbsIr } = LIMITS.model;
    if (m.ir.length + 1 > maxIrSeconds * m.sampleRate) {
      throw new RangeError(`model.ir holds ${m.ir.length} samples, past the limit of ${maxIrSeconds} s (${maxIrSeconds * m.sampleRate} samples at ${m.sampleRate} Hz)`);
    }
    for (let i = 0; i < m.ir.length; i++) {
      const v = m.ir[i];
      if (!Number.isFinite(v)) throw new RangeError(`model.ir: tensor '${REVERB_IR}' contains a non-finite value (${v}) at index ${i}`);
      if (!(Math.abs(v) <= maxAbsIr)) throw new RangeError(`model.ir: tensor '${REVERB_IR}' value ${v} at index ${i} is beyond the limit |ir| ≤ ${maxAbsIr}`);
    }
  }
  if (m.name !== undefined && typeof m.name !== 'string') throw new TypeError('model.name must be a string');
  if (m.meta) {
    for (const [k, v] of Object.entries(m.meta)) {
      if (k.startsWith('ddsp.')) throw new RangeError(`model.meta key '${k}' is reserved (keys starting with 'ddsp.')`);
      if (typeof v !== 'string') throw new TypeError(`model.meta['${k}'] must be a string`);
    }
  }
}

function rawBytes(a: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  // copy: the proto keeps the reference, and a view of a larger buffer must not leak the rest
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function attrProto(name: string, a: AttrValue): AttributeProto {
  if ('i' in a) return { name, type: AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: AttributeType.FLOAT, f: a.f };
  return { name, type: AttributeType.INTS, ints: a.ints };
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Serialises a model to ONNX bytes (IR 8, opset 17). Validates first (validateModel).
 * @throws ModelFormatError naming the field when the model is inconsistent (shapes vs synth, NaN weights, …) or
 *   past LIMITS.model.
 */
export function writeModel(m: DDSPModel, opts: WriteModelOptions = {}): Uint8Array {
  validateModel(m);
  const spec = m.estimator;
  const variant: GraphVariant = { float16: !!opts.float16, stateIO: !!opts.stateIO };
  const H = spec.hiddenSize;
  const P = spec.outputSize;
  const DT = DataType;

  const initializer: TensorProto[] = [];
  for (const [name, shape] of weightShapes(spec)) {
    const data = spec.weights[name].data;
    if (variant.float16) {
      const bits = encodeFloat16(data); // |w| ≤ LIMITS.model.maxAbsWeight = the float16 range: no overflow
      initializer.push({ name, dims: shape, dataType: DT.FLOAT16, rawData: rawBytes(bits) });
    } else {
      initializer.push({ name, dims: shape, dataType: DT.FLOAT, rawData: rawBytes(data) });
    }
  }
  for (const c of estimatorConstants(spec)) {
    const raw = c.dataType === 1 ? rawBytes(Float32Array.from(c.values)) : rawBytes(BigInt64Array.from(c.values.map((x) => BigInt(x))));
    initializer.push({ name: c.name, dims: c.dims, dataType: c.dataType, rawData: raw });
  }
  if (m.ir) initializer.push({ name: REVERB_IR, dims: [m.ir.length], dataType: DT.FLOAT, rawData: rawBytes(m.ir) });

  const node = estimatorNodes(spec, variant).map((n): NodeProto => ({
    name: n.name, opType: n.op, domain: '', input: n.inputs, output: n.outputs,
    attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
  }));
  const input = [valueInfo(INPUT_F0, ['batch', 'frames', 1]), valueInfo(INPUT_LOUDNESS, ['batch', 'frames', 1])];
  const output = [valueInfo(OUTPUT_PARAMS, ['batch', 'frames', P])];
  if (variant.stateIO) {
    input.push(valueInfo(INPUT_STATE, [1, 'batch', H]));
    output.push(valueInfo(OUTPUT_STATE, [1, 'batch', H]));
  }

  const estimatorMeta = {
    type: 'EstimatorFL', hiddenSize: H, outputSize: P, f0NormHz: [spec.f0Norm[0], spec.f0Norm[1]], dbRange: spec.dbRange,
    layerNormEps: 1e-5, stateIO: variant.stateIO, weightType: variant.float16 ? 'float16' : 'float32',
    paramLayout: externalParamSizes(m.synth),
  };
  const props: [string, string][] = [
    [META.formatVersion, String(FORMAT_VERSION)],
    [META.sampleRate, String(m.sampleRate)],
    [META.frameRate, String(m.frameRate)],
    [META.f0RangeHz, JSON.stringify(m.f0RangeHz)],
    ...(m.analysisWindow !== undefined ? [[META.analysisWindow, String(m.analysisWindow)] as [string, string]] : []),
    ...(m.analysisAlignment !== undefined ? [[META.analysisAlignment, m.analysisAlignment] as [string, string]] : []),
    ...(m.loudnessRangeDb ? [[META.loudnessRangeDb, JSON.stringify(m.loudnessRangeDb)] as [string, string]] : []),
    [META.estimator, JSON.stringify(estimatorMeta)],
    [META.synth, JSON.stringify(m.synth)],
  ];
  if (m.name !== undefined) props.push([META.name, m.name]);
  for (const [k, v] of Object.entries(m.meta ?? {})) props.push([k, v]);

  const model: ModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'ddsp-stream',
    producerVersion: opts.producerVersion ?? '0.1.0',
    domain: 'ddsp-stream',
    modelVersion: FORMAT_VERSION,
    docString: 'ddsp-stream model: DDSP estimator (f0_hz, loudness_db -> params); synthesis settings in metadata_props. See docs/model-format.md.',
    graph: { name: 'ddsp_estimator', node, initializer, input, output },
    metadataProps: props.map(([key, value]) => ({ key, value })),
  };
  return encodeModel(model);
}

/** Decoded tensor: dims and float32 values (float16 widened). int64 tensors come back as numbers. */
interface DecodedTensor { dims: number[]; dataType: number; values: Float32Array | number[] }

function decodeTensor(t: TensorProto): DecodedTensor {
  const DT = DataType;
  const dims = t.dims ?? [];
  const n = dims.reduce((a, b) => a * b, 1);
  // copy into a fresh buffer: a decoded rawData is a view at any offset (a Node Buffer, whose slice() does not copy)
  const raw = t.rawData && t.rawData.length ? new Uint8Array(t.rawData) : null;
  const what = `tensor '${t.name}'`;
  if (t.dataLocation === DataLocation.EXTERNAL) fail(`${what} uses external data; model files must be self-contained`);
  switch (t.dataType) {
    case DT.FLOAT: {
      let v: Float32Array;
      if (raw) {
        if (raw.length !== n * 4) fail(`${what} holds ${raw.length} bytes, its shape [${dims}] needs ${n * 4}`);
        v = new Float32Array(raw.buffer, raw.byteOffset, n);
      } else {
        v = Float32Array.from(t.floatData ?? []);
        if (v.length !== n) fail(`${what} holds ${v.length} values, its shape [${dims}] needs ${n}`);
      }
      return { dims, dataType: t.dataType, values: v };
    }
    case DT.FLOAT16: {
      let bits: Uint16Array;
      if (raw) {
        if (raw.length !== n * 2) fail(`${what} holds ${raw.length} bytes, its shape [${dims}] needs ${n * 2}`);
        bits = new Uint16Array(raw.buffer, raw.byteOffset, n);
      } else {
        bits = Uint16Array.from(t.int32Data ?? []);
        if (bits.length !== n) fail(`${what} holds ${bits.length} values, its shape [${dims}] needs ${n}`);
      }
      return { dims, dataType: t.dataType, values: decodeFloat16(bits) };
    }
    case DT.INT64: {
      let v: number[];
      if (raw) {
        if (raw.length !== n * 8) fail(`${what} holds ${raw.length} bytes, its shape [${dims}] needs ${n * 8}`);
        v = Array.from(new BigInt64Array(raw.buffer, raw.byteOffset, n), (x) => Number(x));
      } else {
        v = t.int64Data ?? [];
        if (v.length !== n) fail(`${what} holds ${v.length} values, its shape [${dims}] needs ${n}`);
      }
      return { dims, dataType: t.dataType, values: v };
    }
    default:
      return fail(`${what} has data type ${t.dataType}; model files use FLOAT (1), FLOAT16 (10) or INT64 (7)`);
  }
}

function parseJson(key: string, s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    return fail(`metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

function parseInRange(key: string, s: string | undefined, range: readonly [number, number], unit: string): number {
  if (s === undefined) return fail(`metadata '${key}' is missing`);
  const v = Number(s);
  if (!inRange(v, range)) fail(`metadata '${key}' must be a number in [${range[0]}, ${range[1]}] ${unit}, got '${s.slice(0, 40)}'`);
  return v;
}

function attrOf(a: AttributeProto): AttrValue | null {
  const T = AttributeType;
  switch (a.type) {
    case T.INT: return { i: a.i ?? 0 };
    case T.FLOAT: return { f: a.f ?? 0 };
    case T.INTS: return { ints: a.ints ?? [] };
    default: return null;
  }
}

const sameAttr = (a: AttrValue | null, b: AttrValue): boolean => {
  if (!a) return false;
  if ('i' in b) return 'i' in a && a.i === b.i;
  if ('f' in b) return 'f' in a && Math.fround(a.f) === Math.fround(b.f);
  return 'ints' in a && a.ints.length === b.ints.length && a.ints.every((x, i) => x === b.ints[i]);
};

/** A short ASCII attribute value (longer ones are not any value the graph uses). */
const decodeAscii = (b: Uint8Array | null | undefined): string => (b && b.length <= 16 ? String.fromCharCode(...b) : '?');

function describe(n: NodeSpec | { name: string; op: string }, i: number): string {
  return `graph node ${i} ('${n.name}', ${n.op})`;
}

function compareGraph(found: NodeProto[], expected: NodeSpec[]): void {
  // Unknown ops first: the clearest message.
  found.forEach((n, i) => {
    const domain = n.domain ?? '';
    const opType = n.opType ?? '';
    if ((domain !== '' && domain !== 'ai.onnx') || !(SUPPORTED_OPS as readonly string[]).includes(opType)) {
      fail(`${describe({ name: n.name ?? '', op: domain ? `${domain}.${opType}` : opType }, i)}: op '${opType}' is not run by ddsp-stream's engine ` +
        `(supported ops: ${SUPPORTED_OPS.join(', ')})`);
    }
  });
  if (found.length !== expected.length) {
    fail(`the graph has ${found.length} nodes, the ddsp-stream estimator graph for these shapes has ${expected.length} ` +
      '(see docs/model-format.md, "Node list")');
  }
  expected.forEach((e, i) => {
    const n = found[i];
    const where = describe({ name: n.name ?? '', op: n.opType ?? '' }, i);
    if (n.opType !== e.op) fail(`${where}: expected op ${e.op} ('${e.name}')`);
    const ins = n.input ?? [];
    const trim = (a: string[]): string[] => { const c = a.slice(); while (c.length && c[c.length - 1] === '') c.pop(); return c; };
    if (trim(ins).join('|') !== trim(e.inputs).join('|')) fail(`${where}: inputs [${ins.join(', ')}], expected [${e.inputs.join(', ')}]`);
    const outs = trim(n.output ?? []);
    if (outs.join('|') !== trim(e.outputs).join('|')) fail(`${where}: outputs [${outs.join(', ')}], expected [${e.outputs.join(', ')}]`);
    const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', attrOf(a)] as const));
    for (const [k, v] of Object.entries(e.attrs)) {
      if (!sameAttr(attrs.get(k) ?? null, v)) fail(`${where}: attribute ${k} = ${JSON.stringify(attrs.get(k) ?? null)}, expected ${JSON.stringify(v)}`);
    }
    for (const k of attrs.keys()) {
      if (!(k in e.attrs) && !(e.op === 'GRU' && k === 'direction')) fail(`${where}: unexpected attribute ${k}`);
    }
    if (e.op === 'GRU') {
      const dir = (n.attribute ?? []).find((a) => a.name === 'direction');
      if (dir && decodeAscii(dir.s) !== 'forward') fail(`${where}: direction must be 'forward'`);
    }
  });
}

function checkIO(list: ValueInfoProto[], expected: { name: string; dims: (number | string | null)[] }[], what: string): void {
  const names = list.map((v) => v.name);
  if (names.join('|') !== expected.map((e) => e.name).join('|')) {
    fail(`graph ${what}s are [${names.join(', ')}], expected [${expected.map((e) => e.name).join(', ')}]`);
  }
  expected.forEach((e, i) => {
    const t = list[i].type?.tensorType;
    if (!t) return fail(`graph ${what} '${e.name}' is not a tensor`);
    if (t.elemType !== DataType.FLOAT) fail(`graph ${what} '${e.name}' must be float32 (elem_type 1), got ${t.elemType}`);
    const dims = t.shape?.dim;
    if (!dims) return;
    if (dims.length !== e.dims.length) fail(`graph ${what} '${e.name}' has rank ${dims.length}, expected ${e.dims.length}`);
    dims.forEach((d, k) => {
      const want = e.dims[k];
      if (typeof want === 'number' && d.dimValue != null && d.dimValue !== 0 && d.dimValue !== want) {
        fail(`graph ${what} '${e.name}' dimension ${k} is ${d.dimValue}, expected ${want}`);
      }
    });
  });
}

/**
 * Parses and validates a model file. Refuses, with a ModelFormatError naming the problem: a truncated file, a
 * file that is not ONNX, an unknown or newer format version, an op the engine does not run, a graph that is not
 * the estimator graph, shapes that disagree with the metadata, NaN/Inf weights, a missing tensor, values past
 * LIMITS.model (validateModel).
 */
export function readModel(bytes: Uint8Array | ArrayBuffer): DDSPModel {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) throw new TypeError('readModel: bytes must be a Uint8Array or ArrayBuffer');
  try {
    return parseModel(b);
  } catch (e) {
    // a value no check above foresaw must still come out as the reader's one error type
    if (e instanceof ModelFormatError || !(e instanceof RangeError || e instanceof TypeError)) throw e;
    return fail(`unreadable model file (${e.message.split('\n')[0]})`);
  }
}

function parseModel(b: Uint8Array): DDSPModel {
  if (b.length === 0) fail('empty file: not an ONNX model');
  if (b.length >= 2 && b[0] === 0x50 && b[1] === 0x4b) {
    fail('not an ONNX model: this is a zip archive (a PyTorch checkpoint? convert it with `ddsp-stream convert`)');
  }
  if (b[0] === 0x7b || b[0] === 0x5b) fail('not an ONNX model: the file looks like JSON');
  let model: ModelProto;
  try {
    model = decodeModel(b);
  } catch (e) {
    return fail(`truncated or corrupt ONNX file (${b.length} bytes): protobuf decoding failed (${(e as Error).message})`);
  }
  const ir = model.irVersion ?? 0;
  if (!model.graph || !ir) fail('not an ONNX model: no graph or IR version (not an ONNX file, or truncated)');
  const graph = model.graph as GraphProto;

  const meta = new Map<string, string>();
  for (const p of model.metadataProps ?? []) meta.set(p.key ?? '', p.value ?? '');
  const fv = meta.get(META.formatVersion);
  if (fv === undefined) {
    fail(`not a ddsp-stream model file: metadata '${META.formatVersion}' is missing (an ONNX model from elsewhere, or a truncated file)`);
  }
  const version = Number(fv);
  if (!Number.isInteger(version) || version < 1) fail(`unknown model format version '${fv}' (this ddsp-stream reads version ${READABLE_FORMAT_VERSIONS.join(', ')})`);
  if (!READABLE_FORMAT_VERSIONS.includes(version)) {
    fail(`model format version ${version} is newer than this ddsp-stream reads (it reads version ${READABLE_FORMAT_VERSIONS.join(', ')}); upgrade ddsp-stream`);
  }
  const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!opset || opset.version !== OPSET) {
    fail(`model files use ONNX opset ${OPSET} (default domain); this file imports ${opset?.version ?? 'none'}`);
  }
  if (ir < 7) fail(`ONNX IR version ${ir} is too old; model files use IR ${IR_VERSION}`);

  const sampleRate = parseInRange(META.sampleRate, meta.get(META.sampleRate), LIMITS.model.sampleRateHz, 'Hz');
  const frameRate = parseInRange(META.frameRate, meta.get(META.frameRate), LIMITS.model.frameRateHz, 'frames/s');
  const rangeRaw = meta.get(META.f0RangeHz) ?? fail(`metadata '${META.f0RangeHz}' is missing`);
  const range = parseJson(META.f0RangeHz, rangeRaw as string) as number[];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === 'number' && Number.isFinite(x)) || !(range[0] > 0 && range[1] > range[0])) {
    fail(`metadata '${META.f0RangeHz}' must be [min, max] Hz with 0 < min < max, got ${rangeRaw}`);
  }
  const windowRaw = meta.get(META.analysisWindow);
  const analysisWindow = windowRaw === undefined ? undefined : Number(windowRaw);
  const windowProblem = windowRaw === undefined ? null : analysisWindowProblem(/^\d+$/.test(windowRaw) ? analysisWindow : windowRaw.slice(0, 40));
  if (windowProblem) fail(`metadata '${META.analysisWindow}' ${windowProblem}`);
  const analysisAlignment = meta.get(META.analysisAlignment) as AnalysisAlignment | undefined;
  const alignmentProblem = analysisAlignment === undefined ? null : analysisAlignmentProblem(analysisAlignment.slice(0, 40));
  if (alignmentProblem) fail(`metadata '${META.analysisAlignment}' ${alignmentProblem}`);
  const loudRaw = meta.get(META.loudnessRangeDb);
  const loudnessRangeDb = loudRaw === undefined ? undefined : parseJson(META.loudnessRangeDb, loudRaw) as [number, number];
  const loudProblem = loudRaw === undefined ? null : loudnessRangeProblem(loudnessRangeDb);
  if (loudProblem) fail(`metadata '${META.loudnessRangeDb}' ${loudProblem}`);
  const estRaw = meta.get(META.estimator) ?? fail(`metadata '${META.estimator}' is missing`);
  const est = parseJson(META.estimator, estRaw as string) as Record<string, unknown>;
  if (!est || typeof est !== 'object') fail(`metadata '${META.estimator}' must be a JSON object`);
  if (est.type !== 'EstimatorFL') fail(`metadata '${META.estimator}'.type '${String(est.type)}' is not an estimator ddsp-stream runs (EstimatorFL)`);
  const synthRaw = meta.get(META.synth) ?? fail(`metadata '${META.synth}' is missing`);
  const synth = parseJson(META.synth, synthRaw as string) as SynthConfig;
  const problems = synthConfigProblems(synth);
  if (problems.length) fail(`metadata '${META.synth}' is not a valid synth graph: ${problems.join('; ')}`);

  // Initializers
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    if (inits.has(name)) fail(`initializer '${name}' appears twice`);
    inits.set(name, t);
  }
  const tensor = (name: string): DecodedTensor => {
    const t = inits.get(name);
    if (!t) return fail(`missing tensor '${name}' (initializer not in the file; truncated or incomplete model)`);
    return decodeTensor(t);
  };
  const weights: Weights = {};
  let float16 = false;
  const DT = DataType;
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    if (name.startsWith('ddsp.')) continue;
    const d = decodeTensor(t);
    if (d.dataType !== DT.FLOAT && d.dataType !== DT.FLOAT16) fail(`weight '${name}' must be FLOAT or FLOAT16, got data type ${d.dataType}`);
    if (d.dataType === DT.FLOAT16) float16 = true;
    weights[name] = { shape: d.dims, data: d.values as Float32Array };
  }
  let sizes: { hiddenSize: number; outputSize: number };
  try {
    sizes = inferSizes(weights);
  } catch (e) {
    return fail((e as Error).message);
  }
  const hid = est.hiddenSize;
  const outSize = est.outputSize;
  if (hid !== sizes.hiddenSize || outSize !== sizes.outputSize) {
    fail(`shape mismatch: the weights give hiddenSize ${sizes.hiddenSize}, outputSize ${sizes.outputSize}; ` +
      `metadata '${META.estimator}' says hiddenSize ${String(hid)}, outputSize ${String(outSize)}`);
  }
  const P = synthParamCount(synth);
  if (sizes.outputSize !== P) {
    fail(`shape mismatch: the estimator has ${sizes.outputSize} outputs but the synth graph takes ${P} parameters ` +
      `(${externalParamSizes(synth).map((p) => `${p.key} ${p.size}`).join(' + ')})`);
  }
  const normRaw = est.f0NormHz as unknown[];
  if (!Array.isArray(normRaw) || normRaw.length !== 2 || !normRaw.every((x) => typeof x === 'number')) fail(`metadata '${META.estimator}'.f0NormHz must be [min, max]`);
  const spec: EstimatorSpec = { hiddenSize: sizes.hiddenSize, outputSize: sizes.outputSize, f0Norm: [normRaw[0] as number, normRaw[1] as number], dbRange: Number(est.dbRange) };
  try {
    validateSpec(spec);
  } catch (e) {
    fail(`metadata '${META.estimator}': ${(e as Error).message}`);
  }
  for (const [name, shape] of weightShapes(spec)) {
    const w = weights[name];
    if (!w) fail(`missing tensor '${name}' (expected shape [${shape}])`);
    if (w.shape.join(',') !== shape.join(',')) {
      fail(`shape mismatch: tensor '${name}' is [${w.shape}], expected [${shape}] for hiddenSize ${spec.hiddenSize}, outputSize ${spec.outputSize}`);
    }
  }
  const extra = Object.keys(weights).filter((k) => !weightShapes(spec).some(([n]) => n === k));
  if (extra.length) fail(`unexpected initializer '${extra[0]}' (not an estimator weight; non-weight initializers are named 'ddsp.*')`);
  const estimatorWeights: Weights = {};
  for (const [name] of weightShapes(spec)) estimatorWeights[name] = weights[name];

  // Constants must agree with the metadata.
  const scalar = (name: string, want: number, what: string): void => {
    const d = tensor(name);
    if (d.dims.length !== 0 || d.values.length !== 1 || d.dataType !== DT.FLOAT) fail(`tensor '${name}' must be a float32 scalar`);
    if (Math.fround(d.values[0]) !== Math.fround(want)) fail(`tensor '${name}' = ${d.values[0]} does not match the metadata (${what} = ${want})`);
  };
  scalar(CONST_F0_MIN, spec.f0Norm[0], 'f0NormHz[0]');
  scalar(CONST_F0_SPAN, spec.f0Norm[1] - spec.f0Norm[0], 'f0NormHz[1] − f0NormHz[0]');
  scalar(CONST_DB_RANGE, spec.dbRange, 'dbRange');
  scalar(CONST_ONE, 1, 'one');
  for (const [name, want] of [[CONST_AXES_0, 0], [CONST_AXES_1, 1]] as const) {
    const d = tensor(name);
    if (d.dataType !== DT.INT64 || d.values.length !== 1 || d.values[0] !== want) fail(`tensor '${name}' must be int64 [${want}]`);
  }

  // Graph structure: exactly the canonical node list for these shapes.
  const stateIO = (graph.input ?? []).some((v) => v.name === INPUT_STATE);
  compareGraph(graph.node ?? [], estimatorNodes(spec, { float16, stateIO }));
  const H = spec.hiddenSize;
  checkIO(graph.input ?? [], [
    { name: INPUT_F0, dims: [null, null, 1] }, { name: INPUT_LOUDNESS, dims: [null, null, 1] },
    ...(stateIO ? [{ name: INPUT_STATE, dims: [1, null, H] }] : []),
  ], 'input');
  checkIO(graph.output ?? [], [
    { name: OUTPUT_PARAMS, dims: [null, null, spec.outputSize] },
    ...(stateIO ? [{ name: OUTPUT_STATE, dims: [1, null, H] }] : []),
  ], 'output');

  // Reverb IR
  let irData: Float32Array | undefined;
  const reverb = synth.nodes.find((n) => n.type === 'IRReverb') as { name: string; irLength: number } | undefined;
  if (inits.has(REVERB_IR)) {
    const d = tensor(REVERB_IR);
    if (d.dataType !== DT.FLOAT && d.dataType !== DT.FLOAT16) fail(`tensor '${REVERB_IR}' must be FLOAT or FLOAT16`);
    irData = d.values as Float32Array;
    if (d.dims.length !== 1) fail(`tensor '${REVERB_IR}' must be 1-D, got shape [${d.dims}]`);
  }
  if (reverb) {
    if (!irData) fail(`missing tensor '${REVERB_IR}' (the learned IR of IRReverb '${reverb.name}')`);
    else if (irData.length !== reverb.irLength - 1) {
      fail(`shape mismatch: tensor '${REVERB_IR}' holds ${irData.length} samples, IRReverb '${reverb.name}' has irLength ${reverb.irLength} (needs irLength − 1)`);
    }
  }

  const extraMeta: Record<string, string> = {};
  for (const [k, v] of meta) if (!k.startsWith('ddsp.')) extraMeta[k] = v;
  const out: DDSPModel = {
    formatVersion: version,
    sampleRate, frameRate,
    f0RangeHz: [range[0] as number, range[1] as number],
    ...(analysisWindow !== undefined ? { analysisWindow } : {}),
    ...(analysisAlignment !== undefined ? { analysisAlignment } : {}),
    ...(loudnessRangeDb ? { loudnessRangeDb } : {}),
    estimator: { ...spec, weights: estimatorWeights },
    synth,
    ir: irData,
    name: meta.get(META.name),
    meta: extraMeta,
  };
  if (out.ir === undefined) delete out.ir;
  if (out.name === undefined) delete out.name;
  validateModel(out);
  return out;
}
