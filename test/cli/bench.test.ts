// `ddsp-stream bench`: the JSON it prints (keys and types, never timings), with tiny sizes. The training part runs
// in a child process started from an esbuild bundle of the CLI sources (and, with --devices 2, a worker thread).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/args';
import { syntheticBatch } from '../../src/train/synthetic-batch';
import { composeConfig } from '../../src/train/config';

async function cli(...argv: string[]) {
  const io = { out: '', err: '', isTTY: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  const code = await main(argv, io as CliIO);
  return { code, out: io.out, err: io.err };
}

const TINY = ['--seconds', '0.3', '--hidden', '16', '--harmonics', '8', '--filter-size', '64', '--ir-seconds', '0.02',
  '--train-batch', '2', '--train-seconds', '0.1', '--steps', '2', '--json'];

const STREAM_KEYS = ['rtf', 'cpu_rtf', 'mean_block_ms', 'p99_block_ms', 'worst_block_ms', 'p99_block_cpu_ms', 'worst_block_cpu_ms',
  'worst_block_first_s_ms', 'worst_block_first_s_cpu_ms',
  'block_budget_ms', 'latency_samples',
  'latency_ms', 'audio_seconds', 'engine_cpu_seconds', 'sample_rate', 'block', 'frame_macs'];

function expectTraining(t: Record<string, unknown>, devices: number): void {
  expect(t.backend).toBeTypeOf('string');
  expect(t.devices).toBe(devices);
  expect(t.batch_size).toBe(2);
  expect(t.clip_seconds).toBe(0.1);
  expect(t.sample_rate).toBe(48000);
  expect(t.frames).toBe(5);
  expect(t.hidden).toBe(16);
  expect(t.harmonics).toBe(8);
  expect(t.warmup_steps).toBe(1);
  expect(t.steps).toBe(2);
  expect(Array.isArray(t.step_seconds_all)).toBe(true);
  expect((t.step_seconds_all as unknown[]).length).toBe(2);
  for (const k of ['step_seconds', 'step_seconds_mean', 'step_cpu_seconds', 'peak_rss_mb']) {
    expect(t[k], k).toBeTypeOf('number');
    expect(t[k] as number, k).toBeGreaterThan(0);
  }
  expect(t.step_seconds_mean as number).toBeGreaterThanOrEqual(t.step_seconds as number);
  expect(Number.isFinite(t.loss as number)).toBe(true);
  if (t.backend === 'wasm') expect(t.tf_wasm_heap_mb as number).toBeGreaterThan(0);
  else expect(t.tf_wasm_heap_mb).toBeNull();
}

describe('ddsp-stream bench --json', () => {
  it('prints streaming and training figures in one object', async () => {
    const r = await cli('bench', ...TINY);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBe(1);
    const j = JSON.parse(lines[0]) as Record<string, unknown>;
    for (const k of STREAM_KEYS) expect(j[k], k).toBeTypeOf('number');
    expect(j.latency_samples).toBe(1503);
    expect(j.training_note).toBeUndefined();
    expect(j.training, String(j.training_note)).not.toBeNull();
    expectTraining(j.training as Record<string, unknown>, 1);
  });

  it('--devices 2 shares each batch with a worker thread', async () => {
    const r = await cli('bench', ...TINY, '--devices', '2');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j.training, String(j.training_note)).not.toBeNull();
    expectTraining(j.training as Record<string, unknown>, 2);
  });

  it('--no-train prints the streaming figures only, --repeat takes the minimum over runs', async () => {
    const r = await cli('bench', '--seconds', '0.2', '--hidden', '16', '--harmonics', '8', '--no-train', '--repeat', '2', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j.training).toBeNull();
    expect(j.training_note).toMatch(/no-train/);
    expect(j.repeat).toBe(2);
    for (const k of STREAM_KEYS) expect(j[k], k).toBeTypeOf('number');
  });

  it('text output names the figures', async () => {
    const r = await cli('bench', '--seconds', '0.2', '--hidden', '16', '--harmonics', '8', '--no-train');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/RTF/);
    expect(r.out).toMatch(/latency/);
    expect(r.out).toMatch(/training +skipped/);
  });

  it('frames the synthetic model as the live preset with --frame-rate, --analysis-window, --analysis-alignment', async () => {
    const live = ['--frame-rate', '250', '--analysis-window', '480', '--analysis-alignment', 'causal', '--filter-size', '256'];
    const r = await cli('bench', '--seconds', '0.2', '--hidden', '16', '--harmonics', '8', '--no-train', '--json', ...live);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as Record<string, unknown>).latency_samples).toBe(127);
    const odd = await cli('bench', '--no-train', '--analysis-window', '481');
    expect(odd.code).toBe(1);
    expect(odd.err).toMatch(/model.analysisWindow must be an even number of samples in \[64, 32768\], got 481/);
  });

  it('rejects a bad --devices', async () => {
    const r = await cli('bench', '--devices', '3', '--no-train');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--devices/);
  });
});

describe('syntheticBatch', () => {
  it('has the shapes of a prepared batch and plausible features', () => {
    const c = composeConfig({ overrides: ['name=t', 'data.length=0.1'] }).config;
    const b = syntheticBatch(c, [0, 5, 30]);
    expect(b.size).toBe(3);
    expect(b.nSamples).toBe(4800);
    expect(b.nFrames).toBe(5);
    expect(b.audio.length).toBe(3 * 4800);
    expect(b.f0Hz.length).toBe(15);
    expect(b.loudnessDb.length).toBe(15);
    for (const v of b.audio) expect(Math.abs(v)).toBeLessThan(1);
    expect(b.f0Hz[0]).toBeGreaterThan(110);
    expect(b.f0Hz[4]).toBeLessThan(165);
    for (const v of b.loudnessDb) expect(v).toBeLessThan(0);
    // deterministic
    expect(syntheticBatch(c, [0, 5, 30]).audio).toEqual(b.audio);
  });
});
