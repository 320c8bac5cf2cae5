/**
 * `-m` multiruns: every combination of the comma-list (or choice()/range()) overrides, in hydra's order
 * (the first override varies slowest). Each combination becomes one run in its own folder.
 */
import { parseOverride } from './overrides';

/** One run of a sweep: its override list and the swept keys' values. */
export interface SweepJob { num: number; overrides: string[]; swept: Record<string, string> }

/** Expands sweep overrides into jobs (a single job when nothing sweeps). */
export function expandSweep(args: string[]): SweepJob[] {
  let combos: Array<{ overrides: string[]; swept: Record<string, string> }> = [{ overrides: [], swept: {} }];
  for (const arg of args) {
    const o = parseOverride(arg);
    const prefix = o.kind === 'force' ? '++' : o.kind === 'add' ? '+' : o.kind === 'delete' ? '~' : '';
    if (o.alternatives.length <= 1) {
      combos = combos.map((c) => ({ overrides: [...c.overrides, arg], swept: c.swept }));
      continue;
    }
    const next: typeof combos = [];
    for (const c of combos) {
      for (const alt of o.alternatives) {
        next.push({ overrides: [...c.overrides, `${prefix}${o.key}=${alt}`], swept: { ...c.swept, [o.key]: alt } });
      }
    }
    combos = next;
  }
  return combos.map((c, num) => ({ num, ...c }));
}

/** A plain-text table: header row, then rows, columns padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
