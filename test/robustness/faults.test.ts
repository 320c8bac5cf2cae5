// Faults outside the file readers: a model object sent to the worklet, a legal model far above full scale, a full
// or read-only disk during training, a checkpoint write killed half-way, an event file cut short, a flood of
// overrides, and what the CLI prints for hostile files (one line, no stack).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { encodeWav } from '../../src/io/audio-file';
import { StreamingEngine } from '../../src/engine/streaming-engine';
import { LIMITS } from '../../src/model/limits';
import { ModelFormatError, validateModel, writeModel, type DDSPModel } from '../../src/model/model-file';
import { WriteError, writeCheckpoint, writing, type TrainState } from '../../src/train/checkpoint';
import { ConfigError, composeConfig } from '../../src/train/config';
import { EventWriter, readEventFile } from '../../src/train/tensorboard';
import { SAMPLE_RATE, glideInput, smallModel } from '../browser/fixture-model';
import type { DDSPProcessor as DDSPProcessorClass } from '../../worklet/ddsp-processor';
import { FakePort, loadProcessor } from '../web/worklet-stubs';
import { DDSPNode } from '../../src/web';
import { lightning, P, repeat, wav } from './craft';

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ddsp-faults-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const state = (): TrainState => ({ step: 1, epoch: 0, batchInEpoch: 1, weights: { x: { shape: [2], data: new Float32Array(2) } },
  adam: null, rng: {}, config: {}, meta: {} });

describe('a model sent to the worklet as an object', () => {
  it('is checked by validateModel in the page as readModel output is: an IR sample of 3.4e38 is refused with MODEL_FORMAT before anything is posted', async () => {
    const ctx = { sampleRate: SAMPLE_RATE } as unknown as OfflineAudioContext;
    const m = smallModel();
    m.ir![5] = 3.4e38;
    await expect(DDSPNode.create(ctx, { model: m })).rejects.toMatchObject({
      code: 'MODEL_FORMAT',
      message: expect.stringMatching(/model.ir: tensor 'ddsp.reverb_ir' value 3\.\d+e\+38 at index 5 is beyond the limit \|ir\| ≤ 4/),
    });
  });

  it('the worklet refuses what is not a model object and builds nothing from it', async () => {
    const Processor = (await loadProcessor(new Map())) as typeof DDSPProcessorClass;
    const proc = new Processor({ numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: {} } as never);
    const port = proc.port as unknown as FakePort;
    const reply = port.deliver({ type: 'load', id: 3, model: { ...smallModel(), synth: null } });
    expect(reply).toMatchObject({ id: 3, error: { code: 'MODEL_LOAD' } });
    expect(proc.engine).toBeNull();
    const ok = port.deliver({ type: 'load', id: 4, model: smallModel() });
    expect(ok?.error).toBeUndefined();
    expect(ok).toMatchObject({ id: 4, result: { modelSampleRate: SAMPLE_RATE } });
  });

  it('validateModel refuses what no real model has: frame rate 0.001, an estimator too big for its frame rate, an IR of 11 s, a weight of 1e6', () => {
    const m = smallModel();
    expect(() => validateModel({ ...m, frameRate: 0.001 })).toThrow(/model.frameRate must be in \[1, 1000\] frames\/s, got 0.001/);
    // what the audio thread cannot run: hidden 2048 at 250 frames/s took 65 × the seed size's time per second
    expect(() => validateModel({ ...m, frameRate: 250, estimator: { ...m.estimator, hiddenSize: 2048 } }))
      .toThrow(/hiddenSize 2048 at 250 frames\/s is past the realtime limit hiddenSize² × frameRate ≤ 209715200/);
    const sr = 8000;
    const irLength = 11 * sr;
    const long: DDSPModel = { ...m, sampleRate: sr, ir: new Float32Array(irLength - 1),
      synth: { ...m.synth, nodes: m.synth.nodes.map((n) => (n.type === 'IRReverb' ? { ...n, irLength } : n)) } };
    expect(() => validateModel(long)).toThrow(/model.ir holds 87999 samples, past the limit of 10 s \(80000 samples at 8000 Hz\)/);
    const heavy = smallModel();
    heavy.estimator.weights['gru.bias_hh_l0'].data[2] = -1e6;
    expect(() => validateModel(heavy)).toThrow(ModelFormatError);
    expect(() => writeModel(heavy)).toThrow(/'gru.bias_hh_l0' value -1000000 at flat index 2 is beyond the limit/);
  });
});

describe('output far above full scale', () => {
  it('a legal model whose IR is 4.0 everywhere is clipped at ±16 (+24 dBFS) by the engine, never more', () => {
    const m = smallModel();
    m.ir!.fill(LIMITS.model.maxAbsIr);
    validateModel(m);
    const engine = new StreamingEngine(m, { sampleRate: SAMPLE_RATE, controls: { reverbMix: 1 } });
    const input = glideInput(SAMPLE_RATE / 2);
    const out = new Float32Array(input.length);
    for (let o = 0; o < input.length; o += 128) engine.process(input, out, Math.min(128, input.length - o), o, o);
    let peak = 0;
    let atClip = 0;
    for (const v of out) { peak = Math.max(peak, Math.abs(v)); if (Math.abs(v) === LIMITS.output.maxAbsSample) atClip++; }
    expect(peak).toBe(LIMITS.output.maxAbsSample);
    expect(atClip).toBeGreaterThan(100);
  });
});

describe('a full or read-only disk while training', () => {
  it('ENOSPC: the WriteError names the file (node says only "ENOSPC … write")', () => {
    expect(existsSync('/dev/full')).toBe(true);
    let err: unknown;
    try { writing('checkpoint', '/dev/full', (p) => writeFileSync(p, new Uint8Array(1 << 16))); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).message).toBe('cannot write checkpoint /dev/full: no space left on the device (ENOSPC)');
    expect((err as WriteError).code).toBe('ENOSPC');
  });

  // a read-only file system needs a mount (root in a sandbox that allows it); elsewhere the case is skipped
  const ro = join(tmpdir(), `ddsp-ro-${process.pid}`);
  mkdirSync(ro, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]).status === 0;
  afterAll(() => { if (mounted) spawnSync('umount', [ro]); rmSync(ro, { recursive: true, force: true }); });
  it.skipIf(!mounted)('EROFS: reported as EROFS where mkdir -p says ENOENT, for the run folder, a checkpoint and the event file', () => {
    expect(() => writing('run folder', join(ro, 'run/a'), (p) => mkdirSync(p, { recursive: true })))
      .toThrow('cannot write run folder ' + join(ro, 'run/a') + ': read-only file system (EROFS)');
    expect(() => writeCheckpoint(join(ro, 'step1.ckpt'), state())).toThrow(/cannot write checkpoint .*step1.ckpt: read-only file system \(EROFS\)/);
    expect(() => new EventWriter(join(ro, 'logs'))).toThrow(/cannot write event file .*events.out.tfevents.* read-only file system \(EROFS\)/);
  });
});

describe('kill -9 during a checkpoint write', () => {
  it('the next write to the same path removes the orphan temp file; a live process\'s temp file stays', () => {
    const path = join(dir, 'step5.ckpt');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${path}.tmp-${dead}`, 'half a checkpoint');
    writeFileSync(`${path}.tmp-${process.ppid}`, 'being written by a live process');
    writeCheckpoint(path, state());
    expect(readdirSync(dir).filter((f) => f.startsWith('step5.ckpt')).sort()).toEqual(['step5.ckpt', `step5.ckpt.tmp-${process.ppid}`]);
  });
});

describe('an event file cut short', () => {
  it('readEventFile returns the complete records and stops at the cut one', () => {
    const logs = join(dir, 'logs');
    const w = new EventWriter(logs, { now: 1000 });
    for (let s = 1; s <= 5; s++) w.scalar('loss', s / 10, s);
    w.close();
    const file = join(logs, readdirSync(logs)[0]);
    const whole = readEventFile(file);
    expect(whole.map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 5]);
    const bytes = new Uint8Array(readFileSync(file));
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    expect(readEventFile(file).map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('a flood of overrides', () => {
  it(`more than ${LIMITS.config.maxOverrides} is a ConfigError at once (10 000 took over 60 s)`, () => {
    const t = performance.now();
    const ov = Array.from({ length: 10_000 }, (_, i) => `+k${i}=${i}`);
    expect(() => composeConfig({ overrides: ov })).toThrow(ConfigError);
    expect(() => composeConfig({ overrides: ov })).toThrow(/10000 overrides; a run takes at most 200/);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe('the CLI on hostile files', () => {
  async function cli(...argv: string[]) {
    const io = { out: '', err: '', isTTY: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
    const code = await main(argv, io as CliIO);
    return { code, err: io.err };
  }
  it.each([
    ['convert', 'bomb.ckpt', () => lightning([P.EMPTY_LIST, repeat(60, [P.DUP, P.TUPLE2])]), /^ddsp-stream convert: bomb.ckpt: hyper_parameters expand to more than 100000 values/],
    ['f0', 'wide.wav', () => wav({ channels: 65535, rate: 48000, dataBytes: 1 << 16 }), /^ddsp-stream f0: .*wide.wav: the WAV header declares 65535 channels/],
    ['render', 'slow.onnx', () => new Uint8Array(0), /^ddsp-stream render: .*slow.onnx: not a usable model file \(empty file/],
  ] as const)('%s %s: exit code 1, one line, no stack', async (command, name, bytes, expected) => {
    const file = join(dir, name);
    writeFileSync(file, bytes());
    writeFileSync(join(dir, 'in.wav'), encodeWav(new Float32Array(4800), 48000));
    const argv = command === 'convert' ? [command, file, join(dir, 'out.onnx')]
      : command === 'f0' ? [command, file] : [command, '--model', file, join(dir, 'in.wav'), join(dir, 'out.wav')];
    const r = await cli(...argv);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(expected);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
