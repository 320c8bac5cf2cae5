// The table of user controls is what the engine and renderOffline apply: each control is clamped to its range,
// a non-finite value keeps the last one, and the f0 default is where the unvoiced hold starts.
import { describe, expect, it } from 'vitest';
import { CONTROLS, ENGINE_CONTROL_NAMES, type EngineControlName } from '../../src/modules/controls';
import { renderOffline } from '../../src/engine/render';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { maxAbs, maxAbsDiff, smallModel, streamBlocks, tone } from './helpers';

const SR = 48000;
const model = smallModel(31);
const input = tone(SR / 4, SR, 330);

/** Streams `input` with `name` set live (after construction, so through process()) to `before`, then `after`. */
function live(name: EngineControlName, before: number, after: number): Float32Array {
  const e = new StreamingEngine(model, { sampleRate: SR });
  const out = new Float32Array(input.length);
  e.controls[name] = before;
  for (let p = 0; p < input.length; p += 128) {
    if (p === 6400) e.controls[name] = after;
    e.process(input, out, 128, p, p);
  }
  return out;
}

describe('each engine control is clamped to its range in CONTROLS', () => {
  for (const name of ENGINE_CONTROL_NAMES) {
    it(name, () => {
      const { min, max } = CONTROLS[name];
      const inside = (max - min) / 20;
      for (const [bound, beyond, near] of [[max, max + 5, max - inside], [min, min - 5, min + inside]]) {
        const initial = (v: number) => streamBlocks(model, input, 128, { sampleRate: SR, controls: { [name]: v } }, 0).out;
        const offline = (v: number) => renderOffline(model, input, { sampleRate: SR, controls: { [name]: v } }).audio;
        expect(maxAbsDiff(initial(beyond), initial(bound)).max, `${name} ${beyond}: initial`).toBe(0);
        expect(maxAbsDiff(live(name, beyond, beyond), live(name, bound, bound)).max, `${name} ${beyond}: live`).toBe(0);
        expect(maxAbsDiff(offline(beyond), offline(bound)).max, `${name} ${beyond}: offline`).toBe(0);
        // The range is not narrower than the table says: a value just inside the bound sounds different.
        expect(maxAbsDiff(initial(near), initial(bound)).max, `${name} ${near}`).toBeGreaterThan(0);
      }
    });
  }
});

describe('a non-finite control keeps the last value', () => {
  for (const name of ENGINE_CONTROL_NAMES) {
    it(name, () => {
      const { min, max } = CONTROLS[name];
      const v = min + 0.3 * (max - min);
      const kept = live(name, v, v);
      for (const bad of [NaN, Infinity, -Infinity]) {
        expect(maxAbsDiff(live(name, v, bad), kept).max, `${name} = ${bad}`).toBe(0);
      }
      // The same value as an initial option.
      const initial = streamBlocks(model, input, 128, { sampleRate: SR, controls: { [name]: NaN } }, 0).out;
      const byDefault = streamBlocks(model, input, 128, { sampleRate: SR }, 0).out;
      expect(maxAbsDiff(initial, byDefault).max).toBe(0);
      // renderOffline refuses it, naming the control and its range.
      expect(() => renderOffline(model, input, { sampleRate: SR, controls: { [name]: Infinity } }))
        .toThrow(new RangeError(`controls.${name} must be a number in [${min}, ${max}], got Infinity`));
    });
  }
});

describe('control-mode features', () => {
  it('the f0 default is the unvoiced hold: no f0, f0 0 and f0 = CONTROLS.f0.defaultValue sound the same', () => {
    expect(CONTROLS.f0.defaultValue).toBe(440);
    const render = (f0: number): Float32Array => {
      const e = new StreamingEngine(model, { sampleRate: SR, mode: 'control' });
      const out = new Float32Array(input.length);
      const f = Float64Array.of(f0);
      const loudness = Float64Array.of(-20);
      for (let p = 0; p < input.length; p += 128) {
        e.setControlFeatures(f, loudness);
        e.process(null, out, 128, p, p);
      }
      return out;
    };
    const none = render(NaN); // ignored: the engine's default f0
    expect(maxAbs(none)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(render(0), none).max).toBe(0);
    expect(maxAbsDiff(render(CONTROLS.f0.defaultValue), none).max).toBe(0);
    expect(maxAbsDiff(render(330), none).max).toBeGreaterThan(1e-4);
  });
});
