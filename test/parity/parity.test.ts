/// <reference types="vite/client" />
// `npm run test:parity`: one test per reference case in test/fixtures/seed (or $DDSP_SEED_FIXTURES). Each case's
// kind is picked by its name's prefix; a runner per kind lives in ./kinds and reads shapes from the case itself,
// so a new case of a known kind (other sizes, other values) runs without code changes.
import { describe, it } from 'vitest';
import { listCases, loadCase, type ParityKind } from './case';

const modules = import.meta.glob<{ default: ParityKind }>('./kinds/*.ts', { eager: true });
const kinds = Object.values(modules)
  .map((m) => m.default)
  .sort((a, b) => b.prefix.length - a.prefix.length); // longest prefix wins

describe('seed parity', () => {
  for (const { name, path } of listCases()) {
    const kind = kinds.find((k) => name.startsWith(k.prefix));
    it(`${name}`, async () => {
      if (!kind) throw new Error(`no parity runner for case '${name}' (known prefixes: ${kinds.map((k) => k.prefix).join(', ')})`);
      await kind.run(loadCase(path));
    });
  }
});
