// DDSPNode.create's argument checks run before any Web Audio call, so they can be tested in Node.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS, DDSPNode } from '../../src/web';
import { bundledModelUrl } from '../../src/web/bundled-models';
import { smallModel, smallModelBytes } from '../browser/fixture-model';

const ctx = { sampleRate: 48000 } as unknown as OfflineAudioContext;
const model = smallModelBytes();

describe('DDSPNode.create argument checks', () => {
  it('rejects a missing context or model with a TypeError naming it', async () => {
    await expect(DDSPNode.create(null as unknown as OfflineAudioContext, { model })).rejects.toThrow(
      new TypeError('context must be an AudioContext or OfflineAudioContext (native or standardized-audio-context)'),
    );
    await expect(DDSPNode.create(ctx, {} as never)).rejects.toThrow(
      new TypeError('options.model is required: a URL, the model file bytes, or a DDSPModel'),
    );
  });

  it('rejects out-of-range initial values with a RangeError naming the option and its range', async () => {
    await expect(DDSPNode.create(ctx, { model, reverbMix: 3 })).rejects.toThrow(
      new RangeError('options.reverbMix must be a number in [0, 1], got 3'),
    );
    await expect(DDSPNode.create(ctx, { model, pitchShift: NaN })).rejects.toThrow(
      new RangeError('options.pitchShift must be a number in [-24, 24], got NaN'),
    );
    await expect(DDSPNode.create(ctx, { model, harmonicMix: '1' as unknown as number })).rejects.toThrow(
      new TypeError('options.harmonicMix must be a number, got string'),
    );
    await expect(DDSPNode.create(ctx, { model, mode: 'midi' as never })).rejects.toThrow(
      new RangeError("options.mode must be 'audio', 'control' or 'notes', got midi"),
    );
  });

  it('from the unbuilt sources (no inlined worklet) create rejects with NOT_REGISTERED pointing at the build', async () => {
    await expect(DDSPNode.create(ctx, { model })).rejects.toMatchObject({
      name: 'DDSPError',
      code: 'NOT_REGISTERED',
      message: expect.stringContaining('needs the built package (dist/index.js)'),
    });
  });

  it('reads the model file in the page: bytes that are not a model are refused with MODEL_FORMAT before any Web Audio call, the caller\'s bytes intact', async () => {
    const junk = new Uint8Array([8, 1, 2, 3]);
    await expect(DDSPNode.create(ctx, { model: junk })).rejects.toMatchObject({
      name: 'DDSPError',
      code: 'MODEL_FORMAT',
      message: expect.stringMatching(/^ddsp-stream: invalid model file: /),
    });
    expect(junk.byteLength).toBe(4);
    await expect(DDSPNode.create(ctx, { model: { ...smallModel(), frameRate: 0 } }))
      .rejects.toMatchObject({ code: 'MODEL_FORMAT', message: expect.stringContaining('model.frameRate') });
  });

  it('a bare name that is not a bundled model is refused naming the bundled ones', async () => {
    await expect(DDSPNode.create(ctx, { model: 'viola' })).rejects.toThrow(
      new RangeError("unknown model name 'viola' (the package ships violin, flute, cello; give a URL such as './viola.onnx' for another)"),
    );
  });

  it('the bundled model names are the files of models/, each URL pointing at its file', () => {
    const root = join(__dirname, '..', '..');
    const files = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5));
    expect([...BUNDLED_MODELS].sort()).toEqual(files.sort());
    for (const name of BUNDLED_MODELS) expect(bundledModelUrl(name).pathname).toBe(join(root, 'models', `${name}.onnx`));
  });

  it('names the processor ddsp-stream', () => {
    expect(DDSPNode.processorName).toBe('ddsp-stream');
  });
});
