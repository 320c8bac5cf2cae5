// The synth graph as the model file carries it: validation of a graph read from JSON and the external-parameter
// bookkeeping that checks the estimator's output size. Both read the module records (src/modules/schema) and the
// graph validator (src/synth/dag), which are DSP-free: the model file code pulls in no synthesis code.
import { MODULES, isModuleType, optionProblems, type ModuleType, type NoiseFilterDesign, type SynthConfig, type SynthNode } from '../modules/schema';
import { resolveGraph } from '../synth/dag';

export type { NoiseFilterDesign, SynthConfig, SynthNode };

/**
 * External parameters in graph order with their sizes (the seed's `Synthesizer.ext_param_sizes`): the estimator's
 * output layout. Sum = estimator outputs P. @throws RangeError for an invalid graph.
 */
export function externalParamSizes(c: SynthConfig): { key: string; size: number }[] {
  return resolveGraph(c).params.map((p) => ({ key: p.key, size: p.size }));
}

/** P: the number of estimator outputs the synth consumes. @throws RangeError for an invalid graph. */
export function synthParamCount(c: SynthConfig): number {
  return resolveGraph(c).paramCount;
}

/**
 * Checks a parsed JSON value is a well-formed SynthConfig; returns a list of problems (empty when valid): every
 * node's type, options and input names, then (when those are right) what the graph validator says of the whole.
 */
export function synthConfigProblems(v: unknown): string[] {
  const p: string[] = [];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return ['synth config must be a JSON object'];
  const c = v as Record<string, unknown>;
  if (typeof c.name !== 'string') p.push('synth.name must be a string');
  if (!Array.isArray(c.conditioned) || !c.conditioned.every((s) => typeof s === 'string')) p.push('synth.conditioned must be an array of strings');
  if (!Array.isArray(c.nodes) || c.nodes.length === 0) return [...p, 'synth.nodes must be a non-empty array'];
  const names = new Set<string>();
  c.nodes.forEach((raw, i) => {
    const where = `synth.nodes[${i}]`;
    if (raw === null || typeof raw !== 'object') { p.push(`${where} must be an object`); return; }
    const node = raw as Record<string, unknown>;
    if (typeof node.name !== 'string' || node.name === '') p.push(`${where}.name must be a non-empty string`);
    else if (names.has(node.name)) p.push(`${where}.name '${node.name}' is used twice`);
    else names.add(node.name);
    if (!isModuleType(node.type)) {
      p.push(`${where}.type '${String(node.type)}' is not a module the engine runs (supported: ${Object.keys(MODULES).join(', ')})`);
      return;
    }
    const typed = node as { type: ModuleType } & Record<string, unknown>;
    for (const problem of optionProblems(typed)) p.push(`${where}.${problem}`);
    const conn = node.connections as Record<string, unknown> | undefined;
    if (!conn || typeof conn !== 'object') { p.push(`${where}.connections must be an object`); return; }
    const inputs = (MODULES[typed.type].inputs as (n: unknown) => readonly { name: string }[])(typed).map((s) => s.name);
    for (const k of inputs) if (typeof conn[k] !== 'string') p.push(`${where}.connections.${k} must be a string`);
    for (const k of Object.keys(conn)) if (!inputs.includes(k)) p.push(`${where}.connections.${k} is not an input of ${typed.type}`);
  });
  if (p.length === 0) {
    try {
      resolveGraph(c as unknown as SynthConfig);
    } catch (e) {
      p.push((e as Error).message.replace(/^SynthConfig: /, 'synth '));
    }
  }
  return p;
}
