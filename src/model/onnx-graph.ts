// The estimator as an ONNX graph (IR 8, ai.onnx opset 17): one canonical node list, used by the writer to build
// the file and by the reader to check that a file computes exactly the network our realtime kernels run.
// Weights are stored under their canonical (PyTorch state_dict) names and layouts; the graph itself transposes
// the Linear weights and reorders the GRU gates (PyTorch r,z,n → ONNX z,r,h), which onnxruntime folds at load.
import { LAYER_NORM_EPS, MLP_DEPTH, mlpBlock, weightShapes, type EstimatorSpec } from '../estimator/network';

/** Graph input / output names. */
export const INPUT_F0 = 'f0_hz';
export const INPUT_LOUDNESS = 'loudness_db';
export const INPUT_STATE = 'gru_state';
export const OUTPUT_PARAMS = 'params';
export const OUTPUT_STATE = 'gru_state_out';

/** Names of the non-weight initializers. */
export const CONST_F0_MIN = 'ddsp.f0_norm_min';
export const CONST_F0_SPAN = 'ddsp.f0_norm_span';
export const CONST_DB_RANGE = 'ddsp.db_range';
export const CONST_ONE = 'ddsp.one';
export const CONST_AXES_0 = 'ddsp.axes_0';
export const CONST_AXES_1 = 'ddsp.axes_1';
export const REVERB_IR = 'ddsp.reverb_ir';

/** ONNX opset of the default domain used by model files. */
export const OPSET = 17;
/** ONNX IR version of model files. */
export const IR_VERSION = 8;

/** Ops that appear in a model file's graph (anything else is refused). */
export const SUPPORTED_OPS = [
  'Sub', 'Div', 'Add', 'Concat', 'Cast', 'Transpose', 'MatMul', 'LayerNormalization', 'Relu', 'Split', 'Unsqueeze',
  'GRU', 'Squeeze', 'Sigmoid',
] as const;

/** An attribute value: int, float, list of ints. */
export type AttrValue = { i: number } | { f: number } | { ints: number[] };

/** One node of the canonical graph. */
export interface NodeSpec {
  name: string;
  op: (typeof SUPPORTED_OPS)[number];
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/** Layout options that change the node list. */
export interface GraphVariant {
  /** Weights stored as FLOAT16 initializers, each followed by a Cast to float. */
  float16: boolean;
  /** GRU state as graph input `gru_state` [1, batch, H] and output `gru_state_out` [1, batch, H]. */
  stateIO: boolean;
}

/** Name under which a weight is consumed by the compute nodes (after its Cast, in float16 files). */
export function weightRef(name: string, v: GraphVariant): string {
  return v.float16 ? `${name}/f32` : name;
}

/** The canonical node list of the estimator graph (topologically ordered). */
export function estimatorNodes(spec: Pick<EstimatorSpec, 'hiddenSize' | 'outputSize'>, v: GraphVariant): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  const add = (name: string, op: NodeSpec['op'], inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void => {
    nodes.push({ name, op, inputs, outputs, attrs });
  };
  const w = (n: string): string => weightRef(n, v);
  const H = spec.hiddenSize;
  if (v.float16) {
    for (const [name] of weightShapes(spec)) add(`${name}/cast`, 'Cast', [name], [w(name)], { to: { i: 1 } });
  }
  add('f0/sub', 'Sub', [INPUT_F0, CONST_F0_MIN], ['f0/centred']);
  add('f0/div', 'Div', ['f0/centred', CONST_F0_SPAN], ['f0/norm']);
  add('loudness/div', 'Div', [INPUT_LOUDNESS, CONST_DB_RANGE], ['loudness/scaled']);
  add('loudness/add', 'Add', ['loudness/scaled', CONST_ONE], ['loudness/norm']);
  add('input/concat', 'Concat', ['f0/norm', 'loudness/norm'], ['input/x'], { axis: { i: -1 } });
  let x = 'input/x';
  const mlp = (m: 0 | 1): void => {
    for (let i = 0; i < MLP_DEPTH; i++) {
      const p = mlpBlock(m, i);
      add(`${p}.0/transpose`, 'Transpose', [w(`${p}.0.weight`)], [`${p}.0/weight_t`], { perm: { ints: [1, 0] } });
      add(`${p}.0/matmul`, 'MatMul', [x, `${p}.0/weight_t`], [`${p}.0/matmul`]);
      add(`${p}.0/add`, 'Add', [`${p}.0/matmul`, w(`${p}.0.bias`)], [`${p}.0/out`]);
      add(`${p}.1/layernorm`, 'LayerNormalization', [`${p}.0/out`, w(`${p}.1.weight`), w(`${p}.1.bias`)], [`${p}.1/out`],
        { axis: { i: -1 }, epsilon: { f: LAYER_NORM_EPS } });
      add(`${p}.2/relu`, 'Relu', [`${p}.1/out`], [`${p}.2/out`]);
      x = `${p}.2/out`;
    }
  };
  mlp(0);
  // GRU weights: PyTorch [r; z; n] blocks → ONNX [z; r; h], leading num_directions axis.
  for (const [src, dst] of [['gru.weight_ih_l0', 'gru/W'], ['gru.weight_hh_l0', 'gru/R']] as const) {
    add(`${src}/split`, 'Split', [w(src)], [`${src}/r`, `${src}/z`, `${src}/n`], { axis: { i: 0 } });
    add(`${src}/concat`, 'Concat', [`${src}/z`, `${src}/r`, `${src}/n`], [`${src}/zrn`], { axis: { i: 0 } });
    add(`${dst}/unsqueeze`, 'Unsqueeze', [`${src}/zrn`, CONST_AXES_0], [dst]);
  }
  for (const src of ['gru.bias_ih_l0', 'gru.bias_hh_l0']) {
    add(`${src}/split`, 'Split', [w(src)], [`${src}/r`, `${src}/z`, `${src}/n`], { axis: { i: 0 } });
  }
  add('gru/B/concat', 'Concat', ['gru.bias_ih_l0/z', 'gru.bias_ih_l0/r', 'gru.bias_ih_l0/n',
    'gru.bias_hh_l0/z', 'gru.bias_hh_l0/r', 'gru.bias_hh_l0/n'], ['gru/b_zrn'], { axis: { i: 0 } });
  add('gru/B/unsqueeze', 'Unsqueeze', ['gru/b_zrn', CONST_AXES_0], ['gru/B']);
  add('gru/x/transpose', 'Transpose', [x], ['gru/x_tbh'], { perm: { ints: [1, 0, 2] } });
  add('gru/gru', 'GRU', v.stateIO ? ['gru/x_tbh', 'gru/W', 'gru/R', 'gru/B', '', INPUT_STATE] : ['gru/x_tbh', 'gru/W', 'gru/R', 'gru/B'],
    v.stateIO ? ['gru/y', OUTPUT_STATE] : ['gru/y'], { hidden_size: { i: H }, linear_before_reset: { i: 1 } });
  add('gru/y/squeeze', 'Squeeze', ['gru/y', CONST_AXES_1], ['gru/y_tbh']);
  add('gru/y/transpose', 'Transpose', ['gru/y_tbh'], ['gru/out'], { perm: { ints: [1, 0, 2] } });
  x = 'gru/out';
  mlp(1);
  add('out/transpose', 'Transpose', [w('out.weight')], ['out/weight_t'], { perm: { ints: [1, 0] } });
  add('out/matmul', 'MatMul', [x, 'out/weight_t'], ['out/matmul']);
  add('out/add', 'Add', ['out/matmul', w('out.bias')], ['out/logits']);
  add('out/sigmoid', 'Sigmoid', ['out/logits'], [OUTPUT_PARAMS]);
  return nodes;
}

/** Scalar and axis constants of the graph: name, ONNX data type (1 float, 7 int64), dims, values. */
export function estimatorConstants(spec: Pick<EstimatorSpec, 'f0Norm' | 'dbRange'>): { name: string; dataType: 1 | 7; dims: number[]; values: number[] }[] {
  return [
    { name: CONST_F0_MIN, dataType: 1, dims: [], values: [spec.f0Norm[0]] },
    { name: CONST_F0_SPAN, dataType: 1, dims: [], values: [spec.f0Norm[1] - spec.f0Norm[0]] },
    { name: CONST_DB_RANGE, dataType: 1, dims: [], values: [spec.dbRange] },
    { name: CONST_ONE, dataType: 1, dims: [], values: [1] },
    { name: CONST_AXES_0, dataType: 7, dims: [1], values: [0] },
    { name: CONST_AXES_1, dataType: 7, dims: [1], values: [1] },
  ];
}
