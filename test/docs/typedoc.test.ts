// The API reference (`npm run docs:api`: TypeDoc over the two entries, options in docs/typedoc.json) builds, and
// every type a public signature mentions is itself exported: TypeDoc warns "X ... is referenced by Y but not
// included in the documentation" for each one that is not, and a user cannot name such a type either.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/**
 * Types referenced by the public API but not exported from its entry, when this test was written. Each is a hole
 * for its owner to close (export the type from src/index.ts or src/train/index.ts, or stop exposing it); remove a
 * name here once it is exported. The test fails on any name NOT in this list, so the list can only shrink.
 */
const KNOWN_NOT_EXPORTED = new Set([
  // playback entry (src/index.ts)
  'WriteModelOptions', 'WireError',
  // training entry (src/train/index.ts)
  'LinearSchedule', 'ConfigSchema', 'EstimatorTF', 'SourceInfo', 'ValidationMetrics', 'AudioSummary',
  'ImageSummary', 'WorkerStep', 'TrainModelOptions', 'SlotLayout',
]);

describe('API reference (TypeDoc)', () => {
  it('builds with no warnings except the known not-exported types, one module per code entry of the exports map', () => {
    const cli = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const tmp = mkdtempSync(join(tmpdir(), 'ddsp-typedoc-'));
    const json = join(tmp, 'api.json');
    const r = spawnSync(process.execPath, [cli, '--options', 'docs/typedoc.json', '--json', json, '--logLevel', 'Warn'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    // Every entry a user imports code from, named as they import it (the worklet is a script with no API).
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
    const entries = Object.keys(pkg.exports)
      .filter((k) => !['./worklet', './package.json'].includes(k) && !k.includes('*'))
      .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
    const modules = (JSON.parse(readFileSync(json, 'utf8')) as { children: { name: string }[] }).children.map((c) => c.name);
    rmSync(tmp, { recursive: true, force: true });
    expect(modules.sort()).toEqual(entries.sort());
    const out = `${r.stdout}${r.stderr}`;
    const status = r.status;
    // eslint-disable-next-line no-control-regex
    const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /^\[(warning|error)\]/.test(l));
    const notExported = lines
      .map((l) => /^\[warning\] (\S+), defined in .* is referenced by .* but not included in the documentation/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);
    const stillMissing = notExported.filter((n) => KNOWN_NOT_EXPORTED.has(n));
    if (stillMissing.length) console.warn(`API types referenced but not exported (known, to fix): ${[...new Set(stillMissing)].join(', ')}`);
    const fixed = [...KNOWN_NOT_EXPORTED].filter((n) => !notExported.includes(n));
    if (fixed.length) console.log(`now exported (remove from KNOWN_NOT_EXPORTED): ${fixed.join(', ')}`);
    const other = lines.filter((l) => {
      const name = /^\[warning\] (\S+), defined in .* but not included in the documentation/.exec(l)?.[1];
      if (name !== undefined) return !KNOWN_NOT_EXPORTED.has(name);
      return !/^\[warning\] Found \d+ errors and \d+ warnings/.test(l);
    });
    expect(other).toEqual([]);
    expect(status, out).toBe(0);
  });
});
