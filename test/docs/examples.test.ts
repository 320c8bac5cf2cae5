// Every TypeScript / JavaScript example in the docs type-checks against the package's public API.
//
// What is checked:
//  - fenced code blocks tagged ts, typescript, js, javascript or mjs in README.md, docs/**/*.md (not docs/api) and
//    examples/**/*.md;
//  - the same blocks inside TSDoc comments of src/**/*.ts (they end up in the API reference).
// Each block is compiled as its own ES module (top-level await allowed) with the repository's compiler options
// (strict), `ddsp-stream`, `ddsp-stream/train` (…/node, …/train/web) mapped to src/index.ts, src/train/index.ts (…) — so examples must
// import what they use from the public entries, exactly as a user would. A TSDoc block without any import gets
// the public names of its entry imported for it (API-reference examples conventionally omit imports).
// ```sh, ```json and other blocks are not checked.
//
// Convention to opt a block out (pseudo-code, deliberately partial code): put `no-check` after the language,
// i.e. a fence opened with three backticks followed by `ts no-check`. Use it sparingly.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const ENTRIES: Record<string, string> = {
  'ddsp-stream': join(ROOT, 'src/index.ts'),
  'ddsp-stream/train': join(ROOT, 'src/train/index.ts'),
  'ddsp-stream/node': join(ROOT, 'src/node.ts'),
  'ddsp-stream/train/web': join(ROOT, 'src/train/web.ts'),
};
const LANGS: Record<string, '.ts' | '.js'> = { ts: '.ts', typescript: '.ts', js: '.js', javascript: '.js', mjs: '.js' };

/**
 * Blocks known to fail when this test was written, by `file#n` (n = 1-based index of the checked block in that
 * file). Each is reported for its owner to fix; the test fails if any other block fails. One of these that passes
 * is reported too (then delete it here).
 */
const KNOWN_FAILING = new Set<string>([]);

interface Block { id: string; file: string; line: number; ext: '.ts' | '.js'; code: string; tsdoc: boolean }

function walk(dir: string, keep: (f: string) => boolean, skipDirs: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDirs.includes(p) && e.name !== 'node_modules') out.push(...walk(p, keep, skipDirs));
    } else if (keep(p)) out.push(p);
  }
  return out.sort();
}

/** Fenced blocks of `text` (lines already stripped of any comment prefix). */
function fencedBlocks(lines: string[]): { line: number; lang: string; flags: string[]; code: string }[] {
  const out: { line: number; lang: string; flags: string[]; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trim().startsWith(fence); j++) body.push(lines[j]);
    out.push({ line: i + 2, lang: open[2].toLowerCase(), flags: open[3].split(/\s+/).filter(Boolean), code: body.join('\n') });
    i = j;
  }
  return out;
}

function collectBlocks(): Block[] {
  const blocks: Block[] = [];
  const add = (file: string, lines: string[], tsdoc: boolean): void => {
    let n = 0;
    for (const b of fencedBlocks(lines)) {
      const ext = LANGS[b.lang];
      if (!ext || b.flags.includes('no-check')) continue;
      n++;
      const rel = relative(ROOT, file);
      blocks.push({ id: `${rel}#${n}`, file: rel, line: b.line, ext, code: b.code, tsdoc });
    }
  };
  const md = [
    ...(existsSync(join(ROOT, 'README.md')) ? [join(ROOT, 'README.md')] : []),
    ...walk(join(ROOT, 'docs'), (f) => extname(f) === '.md', [join(ROOT, 'docs', 'api')]),
    ...walk(join(ROOT, 'examples'), (f) => extname(f) === '.md'),
  ];
  for (const f of md) add(f, readFileSync(f, 'utf8').split('\n'), false);
  // TSDoc: the lines of each /** ... */ comment, without the leading ` * `
  for (const f of walk(join(ROOT, 'src'), (p) => p.endsWith('.ts'))) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('```')) continue;
    const lines = text.split('\n');
    const stripped = lines.map((l) => {
      const m = /^\s*\*(?!\/) ?(.*)$/.exec(l) ?? /^\s*\/\*\*\s?(.*)$/.exec(l);
      return m ? m[1] : '';
    });
    add(f, stripped, true);
  }
  return blocks;
}

function compilerOptions(): ts.CompilerOptions {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  }) as ts.ParsedCommandLine;
  return {
    ...cfg.options,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    paths: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, [v]])),
  };
}

/** Value and type names each public entry exports. */
function entryExports(options: ts.CompilerOptions): Record<string, string[]> {
  const program = ts.createProgram(Object.values(ENTRIES), options);
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const [spec, file] of Object.entries(ENTRIES)) {
    const sym = checker.getSymbolAtLocation(program.getSourceFile(file) as ts.SourceFile) as ts.Symbol;
    out[spec] = checker.getExportsOfModule(sym).map((s) => s.name).filter((n) => n !== 'default');
  }
  return out;
}

describe('docs examples', () => {
  const blocks = collectBlocks();

  it('finds the examples', () => {
    console.log(`checking ${blocks.length} examples: ${blocks.map((b) => `${b.file}:${b.line}`).join(', ') || '(none)'}`);
    expect(blocks.length).toBeGreaterThan(0);
  });

  it('every example type-checks against the public API', () => {
    const options = compilerOptions();
    const exportsOf = entryExports(options);
    const dir = join(ROOT, 'test', 'docs', '.examples');
    const virtual = new Map<string, { block: Block; prefixLines: number }>();
    const sources = new Map<string, string>();
    blocks.forEach((b, i) => {
      let prefix = '';
      if (b.tsdoc && !/^\s*import\s/m.test(b.code)) {
        const spec = b.file.startsWith('src/train/') ? 'ddsp-stream/train' : 'ddsp-stream';
        prefix = `import { ${exportsOf[spec].join(', ')} } from '${spec}';\n`;
      }
      const path = join(dir, `example-${i}${b.ext}`);
      sources.set(path, `${prefix}${b.code}\nexport {};\n`);
      virtual.set(path, { block: b, prefixLines: prefix ? 1 : 0 });
    });
    // A bundler's asset import, `import url from './file.onnx?url'` (Vite's client types declare it the same way).
    const assets = join(dir, 'assets.d.ts');
    sources.set(assets, "declare module '*?url' { const url: string; export default url; }\n");
    const host = ts.createCompilerHost(options, true);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, onError, create) => {
      const text = sources.get(f);
      return text !== undefined ? ts.createSourceFile(f, text, lang, true) : getSourceFile(f, lang, onError, create);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (f) => sources.has(f) || fileExists(f);
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => sources.get(f) ?? readFile(f);
    const program = ts.createProgram([...sources.keys()], options, host);

    const failures = new Map<string, string[]>();
    for (const [path, { block, prefixLines }] of virtual) {
      const sf = program.getSourceFile(path) as ts.SourceFile;
      const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      if (!diags.length) continue;
      failures.set(block.id, diags.map((d) => {
        const { line } = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0 };
        return `${block.file}:${block.line + line - prefixLines}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      }));
    }
    for (const [id, msgs] of failures) {
      const tag = KNOWN_FAILING.has(id) ? 'known failing example (to fix)' : 'FAILING example';
      console.warn(`${tag} ${id}:\n  ${msgs.join('\n  ')}`);
    }
    const unexpected = [...failures.keys()].filter((id) => !KNOWN_FAILING.has(id));
    const nowPassing = [...KNOWN_FAILING].filter((id) => !failures.has(id) && blocks.some((b) => b.id === id));
    if (nowPassing.length) console.log(`these examples pass now (remove them from KNOWN_FAILING): ${nowPassing.join(', ')}`);
    expect(unexpected.map((id) => failures.get(id)?.join('\n'))).toEqual([]);
  });
});
