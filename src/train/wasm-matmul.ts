/**
 * The tfjs wasm backend multiplies transposed operands 15–30× slower than plain ones, and tfjs's matmul gradients
 * (and `x·Wᵀ` layers) use the transposed forms. {@link patchWasmMatMul} wraps its BatchMatMul and _FusedMatMul
 * kernels so a transposed operand is first transposed explicitly (a cheap copy), then multiplied plainly: every
 * user of matMul — forward and backward — gets the fast path. Used in Node (backend.ts) and in a page (web.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

let patched = false;

/** Wraps the wasm matmul kernels so transposed operands are transposed explicitly first (see module comment). */
export function patchWasmMatMul(): void {
  if (patched) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const orig = tf.getKernel(name, 'wasm');
    if (!orig) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      setupFunc: orig.setupFunc,
      disposeFunc: orig.disposeFunc,
      kernelFunc: (args) => {
        const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
        if (!attrs.transposeA && !attrs.transposeB) return orig.kernelFunc(args);
        const backend = args.backend as tf.KernelBackend;
        const temps: tf.TensorInfo[] = [];
        const swap = (x: tf.TensorInfo): tf.TensorInfo => {
          const r = x.shape.length;
          const perm = [...Array(r).keys()];
          perm[r - 2] = r - 1;
          perm[r - 1] = r - 2;
          const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
          temps.push(t);
          return t;
        };
        const inputs = { ...args.inputs };
        if (attrs.transposeA) inputs.a = swap(inputs.a as tf.TensorInfo);
        if (attrs.transposeB) inputs.b = swap(inputs.b as tf.TensorInfo);
        const out = orig.kernelFunc({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
        for (const t of temps) backend.disposeData(t.dataId);
        return out;
      },
    });
  }
  patched = true;
}
