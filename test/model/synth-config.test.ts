// The model file's synth-graph bookkeeping agrees with src/synth/graph.ts (one rule for the parameter count).
import { describe, expect, it } from 'vitest';
import { hpn, hpnir, paramCount } from '../../src/synth/graph';
import { externalParamSizes, synthConfigProblems, synthParamCount } from '../../src/model/synth-config';

describe('synth-config', () => {
  it('parameter count == graph.ts paramCount for hpnir / hpn of any size', () => {
    for (const [nHarmonics, filterSize] of [[256, 512], [64, 512], [7, 34], [100, 2]]) {
      for (const c of [hpnir({ nHarmonics, filterSize, irSeconds: 0.1 }), hpn({ nHarmonics, filterSize })]) {
        expect(synthParamCount(c)).toBe(paramCount(c));
        expect(synthConfigProblems(c)).toEqual([]);
      }
    }
    expect(externalParamSizes(hpnir())).toEqual([{ key: 'AMP', size: 1 }, { key: 'HARM', size: 256 }, { key: 'FREQRES', size: 257 }]);
  });

  it('names what is wrong with a synth graph read from JSON', () => {
    const c = JSON.parse(JSON.stringify(hpnir())) as Record<string, any>;
    c.nodes[0].nHarmonics = 0;
    c.nodes[1].design = 'fancy';
    c.nodes[3].connections.audio = 'later';
    c.nodes.push({ name: 'ws', type: 'WaveShaper', connections: {} });
    const p = synthConfigProblems(c);
    expect(p).toContain('synth.nodes[0].nHarmonics must be an integer in [1, 4096], got 0');
    expect(p).toContain("synth.nodes[1].design must be 'seed' or 'linear-phase', got fancy");
    expect(p.join('\n')).toMatch(/synth.nodes\[4\].type 'WaveShaper' is not a module the engine runs/);
    expect(synthConfigProblems(null)).toEqual(['synth config must be a JSON object']);
  });
});
