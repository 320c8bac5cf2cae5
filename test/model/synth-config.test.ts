// The model file's synth-graph bookkeeping agrees with src/synth/graph.ts (one rule for the parameter count), and
// reads the module records without pulling in synthesis code.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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

  it('the model-file code and the checkpoint converter import no synthesis code (only the module records and the graph as data)', () => {
    const root = resolve(__dirname, '../..');
    const seen = new Set<string>();
    const stack = ['src/model/model-file.ts', 'src/model/ckpt.ts'].map((f) => join(root, f));
    while (stack.length) {
      const f = stack.pop() as string;
      if (seen.has(f)) continue;
      seen.add(f);
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
      sf.forEachChild((n) => {
        if (!(ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) || !n.moduleSpecifier || !ts.isStringLiteral(n.moduleSpecifier)) return;
        const typeOnly = ts.isImportDeclaration(n) ? n.importClause?.isTypeOnly === true : n.isTypeOnly;
        const spec = n.moduleSpecifier.text;
        if (typeOnly || !spec.startsWith('.')) return;
        const file = [`${join(dirname(f), spec)}.ts`, join(dirname(f), spec, 'index.ts')].find((p) => existsSync(p));
        if (file) stack.push(file);
      });
    }
    const files = [...seen].map((f) => relative(root, f).split('\\').join('/'));
    expect(files).toContain('src/modules/schema.ts');
    expect(files).toContain('src/synth/dag.ts');
    // Data and arithmetic the model file records, not synthesis: the module records, the graph, the controls' table
    // and where a frame's analysis window lies (its alignments and default length, src/dsp/analysis-window.ts).
    const data = ['src/modules/schema.ts', 'src/modules/controls.ts', 'src/synth/dag.ts', 'src/dsp/analysis-window.ts'];
    const synthesis = files.filter((f) => /^src\/(dsp|modules|synth|engine)\//.test(f) && !data.includes(f));
    expect(synthesis).toEqual([]);
  });
});
