// The synth graph as the model file carries it: the types are src/synth/graph.ts's (imported as types only, so
// the model file code pulls in no synthesis code). Here: the external-parameter bookkeeping the model file needs
// to check the estimator's output size (the seed's Synthesizer.ext_param_sizes rule; tested equal to
// graph.ts's paramCount), and a validator for synth graphs read from JSON.
import type { NoiseFilterDesign, SynthConfig, SynthNode } from '../synth/graph';

export type { NoiseFilterDesign, SynthConfig, SynthNode };

/** Size of each input of each module type (the seed's `param_sizes`). */
export function moduleParamSizes(node: SynthNode): Record<string, number> {
  switch (node.type) {
    case 'Harmonic': return { amplitudes: 1, harmonic_distribution: node.nHarmonics, f0_hz: 1 };
    case 'FilteredNoise': return { freq_response: Math.floor(node.filterSize / 2) + 1 };
    case 'Add': return { signal_a: 1, signal_b: 1 };
    case 'Mix': return { signal_a: 1, signal_b: 1, mix_a: 1, mix_b: 1 };
    case 'IRReverb': return { audio: 1 };
  }
}

/**
 * External parameters in graph order with their sizes: every connection whose source is neither a DAG node nor a
 * conditioned input, first occurrence wins (the seed's `Synthesizer.ext_param_sizes`). Sum = estimator outputs P.
 */
export function externalParamSizes(c: SynthConfig): { key: string; size: number }[] {
  const nodeNames = new Set(c.nodes.map((n) => n.name));
  const conditioned = new Set(c.conditioned);
  const out: { key: string; size: number }[] = [];
  const seen = new Map<string, number>();
  for (const node of c.nodes) {
    const sizes = moduleParamSizes(node);
    for (const [param, source] of Object.entries(node.connections as Record<string, string>)) {
      if (nodeNames.has(source) || conditioned.has(source)) continue;
      const size = sizes[param];
      if (seen.has(source)) {
        out[seen.get(source) as number].size = size; // dict.update: later size replaces, position kept
        continue;
      }
      seen.set(source, out.length);
      out.push({ key: source, size });
    }
  }
  return out;
}

/** P: the number of estimator outputs the synth consumes. */
export function synthParamCount(c: SynthConfig): number {
  return externalParamSizes(c).reduce((a, p) => a + p.size, 0);
}

const CONNECTIONS: Record<SynthNode['type'], string[]> = {
  Harmonic: ['amplitudes', 'harmonic_distribution', 'f0_hz'],
  FilteredNoise: ['freq_response'],
  Add: ['signal_a', 'signal_b'],
  Mix: ['signal_a', 'signal_b', 'mix_a', 'mix_b'],
  IRReverb: ['audio'],
};

/** Module types the engine runs. */
export const SUPPORTED_MODULES = Object.keys(CONNECTIONS) as SynthNode['type'][];

const isPosInt = (v: unknown, max: number): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

/**
 * Checks a parsed JSON value is a well-formed SynthConfig; returns a list of problems (empty when valid).
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
    const type = node.type as SynthNode['type'];
    if (!(type in CONNECTIONS)) {
      p.push(`${where}.type '${String(node.type)}' is not a module the engine runs (supported: ${SUPPORTED_MODULES.join(', ')})`);
      return;
    }
    const conn = node.connections as Record<string, unknown> | undefined;
    if (!conn || typeof conn !== 'object') { p.push(`${where}.connections must be an object`); return; }
    for (const k of CONNECTIONS[type]) if (typeof conn[k] !== 'string') p.push(`${where}.connections.${k} must be a string`);
    for (const k of Object.keys(conn)) if (!CONNECTIONS[type].includes(k)) p.push(`${where}.connections.${k} is not an input of ${type}`);
    if (type === 'Harmonic') {
      if (!isPosInt(node.nHarmonics, 4096)) p.push(`${where}.nHarmonics must be an integer in [1, 4096]`);
      if (typeof node.normalizeBelowNyquist !== 'boolean') p.push(`${where}.normalizeBelowNyquist must be a boolean`);
    } else if (type === 'FilteredNoise') {
      if (!isPosInt(node.filterSize, 65536) || (node.filterSize as number) < 2) p.push(`${where}.filterSize must be an integer in [2, 65536]`);
      if (typeof node.amplitude !== 'number' || !Number.isFinite(node.amplitude)) p.push(`${where}.amplitude must be a finite number`);
      if (node.design !== 'seed' && node.design !== 'linear-phase') p.push(`${where}.design must be 'seed' or 'linear-phase'`);
    } else if (type === 'IRReverb') {
      if (!isPosInt(node.irLength, 10_000_000) || (node.irLength as number) < 2) p.push(`${where}.irLength must be an integer in [2, 1e7]`);
    }
  });
  if (p.length === 0) {
    // connections must refer to earlier nodes when they name a node
    const seenBefore = new Set<string>();
    for (const node of c.nodes as SynthNode[]) {
      for (const [k, src] of Object.entries(node.connections as Record<string, string>)) {
        if (names.has(src) && !seenBefore.has(src)) p.push(`synth node '${node.name}' input ${k} reads node '${src}', which does not come before it`);
      }
      seenBefore.add(node.name);
    }
  }
  return p;
}
