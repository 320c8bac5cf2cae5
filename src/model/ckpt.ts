// Seed (PyTorch Lightning + hydra) checkpoints → DDSPModel. Reads the zip with fflate and the pickle with our own
// reader; nothing from the checkpoint is executed. See docs/model-format.md ("Converting seed checkpoints").
import { SEED_DB_RANGE, SEED_F0_NORM_HZ, inferSizes, validateWeights, weightShapes, type Weights } from '../estimator/network';
import { FORMAT_VERSION, type DDSPModel } from './model-file';
import { ConfigBudget, isOmegaNode, omegaRoot, toPlain } from './omegaconf';
import type { PyObject } from './pickle';
import { synthFromSeedDag } from '../synth/dag';
import { externalParamSizes, synthParamCount, type NoiseFilterDesign, type SynthConfig } from './synth-config';
import { CheckpointError, TorchTensor, loadTorchZip } from './torch-zip';

export { CheckpointError } from './torch-zip';

/** Adam state of one parameter. */
export interface AdamParamState {
  /** Steps taken (Adam's bias-correction counter). */
  step: number;
  expAvg: { shape: number[]; data: Float32Array };
  expAvgSq: { shape: number[]; data: Float32Array };
}

/** What a Lightning checkpoint holds that we use. */
export interface LightningCheckpoint {
  /** state_dict tensors (float32), keys as in the checkpoint ('estimator.gru.weight_hh_l0', 'synth.processors.3.ir');
   *  `mfcc.*` buffers are left out. */
  stateDict: Weights;
  /** `hyper_parameters` as plain JS (omegaconf nodes converted, `${...}` resolved): model_cfg, synth_cfg, losses_cfg. */
  hyperParameters: Record<string, unknown>;
  /** The whole run config reached through the DictConfig parent chain (hydra root), when the checkpoint keeps it. */
  runConfig?: Record<string, unknown>;
  /** Adam state keyed like stateDict (parameters whose shapes could not be matched to a name: 'param.<index>'). */
  optimizerState?: {
    lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number;
    state: Record<string, AdamParamState>;
  };
  globalStep: number;
  epoch?: number;
  lightningVersion?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map);

function tensorEntry(t: TorchTensor, name: string): { shape: number[]; data: Float32Array } {
  return { shape: t.shape.slice(), data: t.toFloat32(name) };
}

/**
 * Reads a seed Lightning checkpoint: state_dict, resolved hyper-parameters, Adam state, step counters.
 * @param bytes the .ckpt file; @param fileName for error messages; @param opts.optimizer read the Adam state
 *   (default true).
 * @throws CheckpointError naming the problem (not a zip, truncated, unknown pickle opcode, missing tensor data, …).
 */
export function readLightningCheckpoint(bytes: Uint8Array, fileName = 'checkpoint', opts: { optimizer?: boolean } = {}): LightningCheckpoint {
  const { root } = loadTorchZip(bytes, fileName);
  if (!(root instanceof Map)) throw new CheckpointError(`${fileName}: the pickle does not hold a dict (not a Lightning checkpoint)`);
  const sd = root.get('state_dict');
  if (!(sd instanceof Map)) {
    const keys = [...root.keys()].filter((k) => typeof k === 'string').slice(0, 8).map((k) => (k as string).slice(0, 40));
    throw new CheckpointError(`${fileName}: no 'state_dict' (not a Lightning checkpoint; keys: ${keys.join(', ')})`);
  }
  const stateDict: Weights = {};
  for (const [k, v] of sd) {
    if (typeof k !== 'string') continue;
    const key = k;
    if (key.startsWith('mfcc.')) continue;
    if (!(v instanceof TorchTensor)) continue;
    stateDict[key] = tensorEntry(v, key);
  }

  const hyperParameters: Record<string, unknown> = {};
  let runConfig: Record<string, unknown> | undefined;
  const hp = root.get('hyper_parameters');
  if (hp instanceof Map) {
    const budget = new ConfigBudget(fileName);
    for (const [k, v] of hp) {
      if (typeof k !== 'string') continue;
      hyperParameters[k] = toPlain(v, budget);
      if (!runConfig && isOmegaNode(v)) {
        const r = omegaRoot(v as PyObject);
        if (r !== v) {
          const plain = toPlain(r, budget);
          if (isObj(plain)) runConfig = plain;
        }
      }
    }
  }

  const result: LightningCheckpoint = {
    stateDict, hyperParameters, runConfig,
    globalStep: typeof root.get('global_step') === 'number' ? (root.get('global_step') as number) : 0,
    epoch: typeof root.get('epoch') === 'number' ? (root.get('epoch') as number) : undefined,
    lightningVersion: typeof root.get('pytorch-lightning_version') === 'string' ? (root.get('pytorch-lightning_version') as string) : undefined,
  };
  const opt = root.get('optimizer_states');
  if (opts.optimizer !== false && Array.isArray(opt) && opt[0] instanceof Map) result.optimizerState = readAdam(opt[0], sd, fileName);
  return result;
}

/** Parameter order of the seed's optimizer: chain(estimator.parameters(), synth.parameters()). */
function parameterOrder(sd: Map<unknown, unknown>): string[] {
  const keys = [...sd.keys()].filter((k): k is string => typeof k === 'string');
  const est = keys.filter((k) => k.startsWith('estimator.'));
  const synth = keys.filter((k) => k.startsWith('synth.') && /\.ir$/.test(k))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
  return [...est, ...synth];
}

function readAdam(o: Map<unknown, unknown>, sd: Map<unknown, unknown>, fileName: string): LightningCheckpoint['optimizerState'] {
  const groups = o.get('param_groups');
  const state = o.get('state');
  const out: NonNullable<LightningCheckpoint['optimizerState']> = { state: {} };
  const indices: number[] = [];
  if (Array.isArray(groups)) {
    for (const g of groups) {
      if (!(g instanceof Map)) continue;
      if (out.lr === undefined && typeof g.get('lr') === 'number') out.lr = g.get('lr') as number;
      const betas = g.get('betas');
      if (out.betas === undefined && Array.isArray(betas) && betas.length === 2) out.betas = [Number(num(betas[0])), Number(num(betas[1]))];
      if (out.eps === undefined && typeof g.get('eps') === 'number') out.eps = g.get('eps') as number;
      if (out.weightDecay === undefined && typeof g.get('weight_decay') === 'number') out.weightDecay = g.get('weight_decay') as number;
      const ps = g.get('params');
      if (Array.isArray(ps)) for (const p of ps) if (typeof p === 'number') indices.push(p);
    }
  }
  if (!(state instanceof Map)) return out;
  const names = parameterOrder(sd);
  indices.forEach((idx, pos) => {
    const s = state.get(idx);
    if (!(s instanceof Map)) return;
    const ea = s.get('exp_avg');
    const eq = s.get('exp_avg_sq');
    if (!(ea instanceof TorchTensor) || !(eq instanceof TorchTensor)) return;
    const stepV = s.get('step');
    const step = stepV instanceof TorchTensor ? stepV.toFloat32(`optimizer step ${idx}`)[0] : num(stepV) ?? 0;
    let name = names[pos];
    const param = name !== undefined ? sd.get(name) : undefined;
    if (!(param instanceof TorchTensor) || param.shape.join(',') !== ea.shape.join(',')) name = `param.${idx}`;
    out.state[name] = {
      step,
      expAvg: tensorEntry(ea, `${fileName} optimizer exp_avg of ${name}`),
      expAvgSq: tensorEntry(eq, `${fileName} optimizer exp_avg_sq of ${name}`),
    };
  });
  return out;
}

/** Options of convertCheckpoint. */
export interface ConvertOptions {
  /** File name for error messages. */
  fileName?: string;
  /** Model name (default: the run's `name`, else 'seed-<synth name>'). */
  name?: string;
  /** Noise filter design recorded for FilteredNoise nodes (default 'seed': what the model was trained with). */
  design?: NoiseFilterDesign;
}


const getPath = (o: unknown, path: string[]): unknown => {
  let v = o;
  for (const k of path) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
};

/**
 * Converts a seed Lightning checkpoint (.ckpt bytes) into a DDSPModel ready for writeModel / the engine.
 * Graphs built from Harmonic, FilteredNoise, Add, Mix and IRReverb (hpnir, hpn, any sizes) convert; WaveShaper,
 * DecayReverb, VCA, SawOscillator, SineOscillator and IRReverbMix are refused by name.
 * Values the checkpoint lacks: frame rate 50 and f0 range [32, 2000] (the seed's data defaults), listed in
 * meta['convert.assumed'].
 * @throws CheckpointError naming the problem.
 */
export function convertCheckpoint(bytes: Uint8Array, opts: ConvertOptions = {}): DDSPModel {
  const ck = readLightningCheckpoint(bytes, opts.fileName ?? 'checkpoint', { optimizer: false });
  return modelFromCheckpoint(ck, opts);
}

/**
 * The conversion proper, from an already-read checkpoint (see convertCheckpoint): synth graph from
 * `hyper_parameters.synth_cfg`, estimator from the `estimator.*` tensors, IR from `synth.processors.<i>.ir`,
 * rates and ranges from model_cfg and the run config.
 * @throws CheckpointError naming the problem.
 */
export function modelFromCheckpoint(ck: LightningCheckpoint, opts: ConvertOptions = {}): DDSPModel {
  const file = opts.fileName ?? 'checkpoint';
  const hp = ck.hyperParameters;
  const modelCfg = isObj(hp.model_cfg) ? hp.model_cfg : {};
  const synthCfg = hp.synth_cfg;
  if (!isObj(synthCfg)) throw new CheckpointError(`${file}: hyper_parameters has no synth_cfg (not a seed EstimatorSynth checkpoint)`);
  const run = ck.runConfig ?? {};
  const assumed: string[] = [];

  const estTarget = getPath(modelCfg, ['estimator', '_target_']);
  if (typeof estTarget === 'string' && !estTarget.endsWith('EstimatorFL')) {
    throw new CheckpointError(`${file}: estimator ${estTarget} is not supported (only diffsynth.estimator.EstimatorFL)`);
  }

  // The synth graph, by the one reader of the seed's synth YAML (src/synth/dag). Without a recorded sample rate,
  // the reader takes the first Harmonic's.
  let sampleRate = num(modelCfg.sample_rate) ?? num(run.sample_rate);
  if (!isObj(synthCfg.dag)) throw new CheckpointError(`${file}: synth_cfg has no 'dag' mapping`);
  let synth: SynthConfig;
  try {
    synth = synthFromSeedDag(synthCfg, { sampleRate, design: opts.design ?? 'seed' });
  } catch (e) {
    throw new CheckpointError(`${file}: ${(e as Error).message}`);
  }
  if (sampleRate === undefined) {
    sampleRate = synth.sampleRate as number;
    assumed.push(`sample_rate=${sampleRate}`);
  }
  let frameRate = num(getPath(run, ['data', 'frame_rate']));
  if (frameRate === undefined) { frameRate = 50; assumed.push('frame_rate=50'); }
  let f0RangeHz: [number, number];
  const fr = getPath(run, ['data', 'f0_range']);
  if (Array.isArray(fr) && fr.length === 2 && fr.every((x) => typeof x === 'number')) f0RangeHz = [fr[0] as number, fr[1] as number];
  else { f0RangeHz = [SEED_F0_NORM_HZ[0], SEED_F0_NORM_HZ[1]]; assumed.push('f0_range=[32,2000]'); }

  // Estimator weights: 'estimator.' prefix stripped.
  const weights: Weights = {};
  for (const [k, t] of Object.entries(ck.stateDict)) if (k.startsWith('estimator.')) weights[k.slice('estimator.'.length)] = t;
  let sizes: { hiddenSize: number; outputSize: number };
  try {
    sizes = inferSizes(weights);
  } catch (e) {
    throw new CheckpointError(`${file}: ${(e as Error).message.replace("tensor '", "tensor 'estimator.")}`);
  }
  const P = synthParamCount(synth);
  if (sizes.outputSize !== P) {
    const parts = externalParamSizes(synth).map((p) => `${p.key} ${p.size}`).join(' + ');
    throw new CheckpointError(`${file}: wrong shape: tensor 'estimator.out.weight' is [${weights['out.weight'].shape}] but the synth ` +
      `graph '${synth.name}' takes ${P} parameters (${parts})`);
  }
  const spec = { hiddenSize: sizes.hiddenSize, outputSize: P, f0Norm: [SEED_F0_NORM_HZ[0], SEED_F0_NORM_HZ[1]] as [number, number], dbRange: SEED_DB_RANGE };
  try {
    validateWeights(spec, weights);
  } catch (e) {
    const msg = (e as Error).message.replace(/tensor '([^']+)'/, "tensor 'estimator.$1'");
    throw new CheckpointError(`${file}: ${msg.startsWith('missing') ? msg : `wrong weights: ${msg}`}`);
  }
  const estWeights: Weights = {};
  for (const [name] of weightShapes(spec)) estWeights[name] = weights[name];

  // Reverb IR: synth.processors.<i>.ir of the IRReverb at DAG position i (one reverb supported).
  let ir: Float32Array | undefined;
  const reverbs = synth.nodes.flatMap((n, i) => (n.type === 'IRReverb' ? [{ node: n, idx: i }] : []));
  if (reverbs.length > 1) throw new CheckpointError(`${file}: ${reverbs.length} IRReverb nodes; ddsp-stream runs at most one`);
  for (const { node, idx } of reverbs) {
    const key = `synth.processors.${idx}.ir`;
    const t = ck.stateDict[key];
    if (!t) throw new CheckpointError(`${file}: missing tensor '${key}' (the learned IR of IRReverb '${node.name}', DAG position ${idx})`);
    const expected = node.irLength - 1;
    if (t.shape.length !== 1 || t.shape[0] !== expected) {
      throw new CheckpointError(`${file}: wrong shape: tensor '${key}' is [${t.shape}] but IRReverb '${node.name}' ` +
        `(irLength ${node.irLength} = ir_s · sr) needs [${expected}]`);
    }
    for (let j = 0; j < t.data.length; j++) {
      if (!Number.isFinite(t.data[j])) throw new CheckpointError(`${file}: tensor '${key}' contains a non-finite value (${t.data[j]}) at index ${j}`);
    }
    ir = t.data;
  }

  const runName = typeof run.name === 'string' && run.name ? run.name : undefined;
  const meta: Record<string, string> = {
    'convert.source': 'seed-lightning-checkpoint',
    'seed.global_step': String(ck.globalStep),
  };
  if (ck.epoch !== undefined) meta['seed.epoch'] = String(ck.epoch);
  if (ck.lightningVersion) meta['seed.lightning_version'] = ck.lightningVersion;
  if (assumed.length) meta['convert.assumed'] = assumed.join(', ');
  return {
    formatVersion: FORMAT_VERSION,
    sampleRate,
    frameRate,
    f0RangeHz,
    estimator: { ...spec, weights: estWeights },
    synth: synth,
    ir,
    name: opts.name ?? runName ?? `seed-${synth.name}`,
    meta,
  };
}
