// The ONNX protobuf classes from `onnx-proto` (protobufjs static code, onnx 1.10 schema = IR 8). The package is
// CommonJS (`module.exports = { onnx }`): ESM hosts expose it as a namespace or as a default export, so take
// whichever is there. int64 fields decode as `Long` objects (the `long` package is installed): use toNumber().
import * as onnxNamespace from 'onnx-proto';

type OnnxNs = typeof onnxNamespace.onnx;
const ns = onnxNamespace as unknown as { onnx?: OnnxNs; default?: { onnx?: OnnxNs } };

/** The `onnx` protobuf namespace (ModelProto, GraphProto, NodeProto, TensorProto, …). */
export const onnx: OnnxNs = (ns.onnx ?? ns.default?.onnx) as OnnxNs;

/** An int64 field (number or Long) as a JS number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return high * 4294967296 + (low >>> 0);
  }
  return Number(v);
}
