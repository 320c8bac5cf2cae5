// DDSPNode.create's checks of the polyphony options (before any Web Audio call, so in Node). The note methods'
// argument checks run in Chromium (test/browser/poly.test.ts); their encoding in test/web/event-messages.test.ts.
import { describe, expect, it } from 'vitest';
import { DDSPNode } from '../../src/web';
import { smallModelBytes } from '../browser/fixture-model';

const ctx = { sampleRate: 48000 } as unknown as OfflineAudioContext;
const model = smallModelBytes();

describe('DDSPNode.create: voices and inputChannels', () => {
  it('voices: an integer in [1, 64]', async () => {
    for (const voices of [0, 65, 2.5, NaN]) {
      await expect(DDSPNode.create(ctx, { model, voices })).rejects.toThrow(
        new RangeError(`options.voices must be an integer in [1, 64], got ${voices}`),
      );
    }
  });

  it('inputChannels: an integer in [1, 16]', async () => {
    await expect(DDSPNode.create(ctx, { model, inputChannels: 17 })).rejects.toThrow(
      new RangeError('options.inputChannels must be an integer in [1, 16], got 17'),
    );
    await expect(DDSPNode.create(ctx, { model, inputChannels: 2.5 })).rejects.toThrow(
      new RangeError('options.inputChannels must be an integer in [1, 16], got 2.5'),
    );
    await expect(DDSPNode.create(ctx, { model, inputChannels: 0 })).rejects.toThrow(RangeError);
    // valid values pass the checks and reach the worklet registration (unbuilt sources: NOT_REGISTERED)
    await expect(DDSPNode.create(ctx, { model, voices: 32, inputChannels: 6, mode: 'notes' })).rejects.toMatchObject({ code: 'NOT_REGISTERED' });
  });
});
