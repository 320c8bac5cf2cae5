// `npx vitest bench --run test/bench/estimator.bench.ts`: realtime estimator cost per frame (hidden 512 = the seed
// default, 514 outputs = hpnir with 256 harmonics and a 512-tap noise filter; hidden 256 = the seed-trained
// fixture's size). Budget: one frame every 20 ms (50 frames/s); the whole engine should stay under 5 % CPU at
// 48 kHz, so the estimator should take well under 1 ms per frame.
import { bench, describe } from 'vitest';
import { initWeights, estimatorSpec } from '../../src/estimator/network';
import { EstimatorRuntime } from '../../src/estimator/realtime';

for (const [hidden, outputs] of [[512, 514], [256, 322], [64, 322]] as const) {
  const spec = estimatorSpec(outputs, hidden);
  const weights = initWeights(spec, 1);
  const rt = new EstimatorRuntime(spec, weights); // wasm SIMD kernel where available
  const js = new EstimatorRuntime(spec, weights, { kernel: 'js' });
  const out = new Float32Array(outputs);
  let k = 0;
  describe(`estimator hidden ${hidden}, ${outputs} outputs (${(rt.frameMacs / 1e6).toFixed(2)} M MAC/frame)`, () => {
    bench(`runFrame (${rt.kernel} kernel)`, () => {
      rt.runFrame(220 + (k++ % 100), -30, out);
    }, { time: 1000 });
    bench('runFrame (js kernel)', () => {
      js.runFrame(220 + (k++ % 100), -30, out);
    }, { time: 1000 });
    bench('begin + step(64k MAC) until done', () => {
      rt.begin(220 + (k++ % 100), -30);
      while (!rt.step(65536));
    }, { time: 1000 });
  });
}
