// The `ddsp-stream` command line, run in-process (and once through the built dist/cli.js when it exists).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { parseArgs, CliError, type CliIO } from '../../src/cli/args';
import { clipWarning, parseFeatureCsv } from '../../src/cli/render';
import { decodeAudio, encodeWav } from '../../src/io/audio-file';
import { renderStream } from '../../src/engine/render';
import { syntheticModel } from '../../src/cli/synthetic';
import { readModel, writeModel } from '../../src/model/model-file';

const dir = mkdtempSync(join(tmpdir(), 'ddsp-cli-'));
const wavPath = join(dir, 'in.wav');
const modelPath = join(dir, 'small.onnx');
const SR = 44100;
const N = Math.round(0.6 * SR);

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

async function cli(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const model = syntheticModel({ hiddenSize: 16, nHarmonics: 8, filterSize: 64, irSeconds: 0.02, seed: 3 });

beforeAll(() => {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = 0.4 * Math.sin((2 * Math.PI * 220 * i) / SR) + 0.1 * Math.sin((2 * Math.PI * 440 * i) / SR);
  // stereo, 16-bit: exercises the downmix and the PCM decoder
  writeFileSync(wavPath, encodeWav([x, x], SR, 'pcm16'));
  writeFileSync(modelPath, writeModel(model));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('args', () => {
  const spec = { block: { type: 'number' as const, integer: true, min: 1 }, stats: { type: 'boolean' as const },
    mode: { type: 'string' as const, choices: ['a', 'b'] }, model: { type: 'string' as const, alias: 'm' } };
  it('parses flags, = values, aliases, positionals, negative numbers', () => {
    const p = parseArgs(['x', '--block=64', '--stats', '-m', 'f.onnx', '--mode', 'b', 'y', '--', '--z'], spec);
    expect(p.flags).toEqual({ block: 64, stats: true, model: 'f.onnx', mode: 'b' });
    expect(p.positionals).toEqual(['x', 'y', '--z']);
    expect(parseArgs(['-5'], spec).positionals).toEqual(['-5']);
  });
  it('explains what is wrong', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(/unknown flag --nope/);
    expect(() => parseArgs(['--block'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs(['--block', 'x'], spec)).toThrow(/must be a number/);
    expect(() => parseArgs(['--block', '1.5'], spec)).toThrow(/integer/);
    expect(() => parseArgs(['--block', '0'], spec)).toThrow(/\[1, inf\]/);
    expect(() => parseArgs(['--mode', 'c'], spec)).toThrow(/one of a, b/);
    expect(() => parseArgs(['-q'], spec)).toThrow(CliError);
  });
});

describe('ddsp-stream render', () => {
  it('renders a WAV block by block, aligned with the input, equal to renderStream', async () => {
    const out = join(dir, 'out.wav');
    const r = await cli('render', '--model', modelPath, wavPath, out, '--block', '128');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const d = await decodeAudio(readFileSync(out));
    expect(d.sampleRate).toBe(SR);
    expect(d.channels[0].length).toBe(N);
    const input = (await decodeAudio(readFileSync(wavPath))).channels;
    const mono = input[0].map((v, i) => (v + input[1][i]) / 2);
    const ref = renderStream(model, mono, { sampleRate: SR, block: 128 }).audio;
    let diff = 0;
    for (let i = 0; i < N; i++) diff = Math.max(diff, Math.abs(ref[i] - d.channels[0][i]));
    expect(diff).toBe(0);
  });

  it('a render beyond full scale gets a warning saying how much, how loud and what to turn down', () => {
    const audio = new Float32Array(1000).fill(0.5);
    expect(clipWarning(audio, 'float32')).toBeNull();
    audio[10] = -1.25;
    audio[20] = 2;
    expect(clipWarning(audio, 'pcm16')).toBe(
      '2 samples (0.20 %) beyond full scale, peak 2.00 (+6.0 dBFS): clipped in this 16-bit file. Lower the input ' +
        'level, --harmonic-mix or --noise-mix (with --midi, --midi-peak-db; with --features, the loudness column)',
    );
    expect(clipWarning(audio, 'float32')).toContain('kept in this float file, but players and 16-bit conversions clip them');
  });

  it('--stats prints one JSON line with the streaming figures; controls and --sample-rate apply', async () => {
    const out = join(dir, 'out48.wav');
    const r = await cli('render', '-m', modelPath, wavPath, out, '--stats', '--sample-rate', '48000', '--pitch-shift', '-3.5',
      '--harmonic-mix', '1.5', '--noise-mix', '0.2', '--reverb-mix', '0.7', '--block', '256', '--format', 'pcm16');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.length).toBe(1);
    const s = JSON.parse(lines[0]);
    for (const k of ['audio_seconds', 'engine_cpu_seconds', 'rtf', 'worst_block_ms', 'p99_block_ms', 'worst_block_first_s_ms',
      'worst_block_steady_ms', 'block', 'sample_rate', 'latency_samples']) {
      expect(s).toHaveProperty(k);
    }
    expect(s.block).toBe(256);
    expect(s.sample_rate).toBe(48000);
    expect(s.audio_seconds).toBeCloseTo(0.6, 2);
    expect(s.latency_samples).toBe(1503);
    expect(s.worst_block_ms).toBeGreaterThanOrEqual(s.p99_block_ms);
    // 0.6 s of input plus the latency's flush: every block lies in the first second, none in the steady state
    expect(s.worst_block_first_s_ms).toBe(s.worst_block_ms);
    expect(s.worst_block_steady_ms).toBe(0);
    const d = await decodeAudio(readFileSync(out));
    expect(d.sampleRate).toBe(48000);
  });

  it('--features renders a pitch curve from the f0 command (control mode)', async () => {
    const csv = join(dir, 'curve.csv');
    const f = await cli('f0', wavPath, '--output', csv, '--frame-rate', '50');
    expect(f.code).toBe(0);
    const out = join(dir, 'fromcurve.wav');
    const r = await cli('render', '--model', modelPath, '--features', csv, out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const d = await decodeAudio(readFileSync(out));
    expect(d.sampleRate).toBe(48000); // the model's rate by default
    expect(Math.abs(d.channels[0].length / 48000 - 0.6)).toBeLessThan(0.03);
  });

  it('a bad curve row is an error naming the line', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'time_s,f0_hz,confidence,loudness_db\n0,220,0.9,-20\n0.01,abc,0.9,-20\n');
    const r = await cli('render', '--model', modelPath, '--features', csv, join(dir, 'x.wav'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv line 3: f0_hz is not a number/);
    expect(() => parseFeatureCsv('0,1,2\n', 'c')).toThrow(/line 1: expected 4 values/);
    expect(() => parseFeatureCsv('0,1,1,1\n0,1,1,1\n', 'c')).toThrow(/line 2: time_s must increase/);
  });

  it('--midi renders a MIDI file (chords by default; --voices 1 monophonic, where polyphony warns); bad MIDI is a one-line error', async () => {
    // format 0, 480 PPQ, 120 BPM: A4 0 … 0.5 s, C5 0.5 … 1 s; then a two-note chord 1 … 1.5 s
    const ev = [0, 0x90, 69, 100, 0x83, 0x60, 0x80, 69, 0, 0, 0x90, 72, 90, 0x83, 0x60, 0x80, 72, 0,
      0, 0x90, 60, 80, 0, 0x90, 64, 80, 0x83, 0x60, 0x80, 60, 0, 0, 0x80, 64, 0, 0, 0xff, 0x2f, 0];
    const mid = Uint8Array.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0,
      0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, ev.length, ...ev]);
    const midPath = join(dir, 'tune.mid');
    writeFileSync(midPath, mid);
    const out = join(dir, 'tune.wav');
    const r = await cli('render', '--model', modelPath, '--midi', midPath, out);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/polyphonic MIDI/);
    const d = await decodeAudio(readFileSync(out));
    expect(d.sampleRate).toBe(48000);
    expect(d.channels[0].length).toBe(Math.round(2.5 * 48000)); // last note off 1.5 s + 1 s tail
    const mono = await cli('render', '--model', modelPath, '--midi', midPath, '--voices', '1', join(dir, 'tune1.wav'));
    expect(mono.code).toBe(0);
    expect(mono.err).toMatch(/warning: .*tune\.mid: polyphonic MIDI: up to 2 notes/);
    expect((await decodeAudio(readFileSync(join(dir, 'tune1.wav')))).channels[0].length).toBe(Math.round(2.5 * 48000));
    const noMidi = await cli('render', '--model', modelPath, '--voices', '4', wavPath, join(dir, 'x.wav'));
    expect(noMidi.err).toMatch(/--voices plays a MIDI file: give it with --midi/);
    const truncPath = join(dir, 'trunc.mid');
    writeFileSync(truncPath, mid.subarray(0, 30));
    const t = await cli('render', '--model', modelPath, '--midi', truncPath, join(dir, 'x.wav'));
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/^ddsp-stream render: .*trunc\.mid: truncated MIDI file: track 1 declares \d+ bytes/);
    expect(t.err.trim().split('\n').length).toBe(1);
    const c = await cli('render', '--model', modelPath, '--midi', midPath, '--midi-channel', '2', join(dir, 'x.wav'));
    expect(c.err).toMatch(/no notes on MIDI channel 2 \(channels with notes: 1\)/);
    const both = await cli('render', '--model', modelPath, '--midi', midPath, '--features', 'x.csv', join(dir, 'x.wav'));
    expect(both.err).toMatch(/give --features or --midi, not both/);
  });

  it('errors are one line on stderr with exit code 1 and no stack', async () => {
    const trunc = join(dir, 'trunc.wav');
    writeFileSync(trunc, readFileSync(wavPath).subarray(0, 3000));
    const empty = join(dir, 'empty.wav');
    writeFileSync(empty, new Uint8Array(0));
    const notModel = join(dir, 'notmodel.onnx');
    writeFileSync(notModel, 'hello');
    const cases: [string[], RegExp][] = [
      [['render', '--model', 'nosuchmodel', wavPath, join(dir, 'o.wav')], /unknown model 'nosuchmodel' \((bundled models: |no models are bundled)/],
      [['render', '--model', join(dir, 'missing.onnx'), wavPath, join(dir, 'o.wav')], /cannot read model .*no such file/],
      [['render', '--model', notModel, wavPath, join(dir, 'o.wav')], /not a usable model file/],
      [['render', '--model', modelPath, trunc, join(dir, 'o.wav')], /truncated WAV/],
      [['render', '--model', modelPath, empty, join(dir, 'o.wav')], /empty/],
      [['render', '--model', modelPath, join(dir, 'nope.wav'), join(dir, 'o.wav')], /no such file/],
      [['render', '--model', modelPath, wavPath, join(dir, 'o.wav'), '--bogus'], /unknown flag --bogus/],
      [['render', '--model', modelPath, wavPath], /missing OUT\.wav/],
      [['render', '--model', modelPath, wavPath, join(dir, 'o.wav'), '--pitch-shift', '30'], /--pitch-shift must be in \[-24, 24\]/],
      [['f0', trunc], /truncated WAV/],
      [['f0', wavPath, '--mode', 'fast'], /--mode must be one of stream, offline/],
      [['convert', join(dir, 'nope.ckpt'), join(dir, 'x.onnx')], /no such file/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err, argv.join(' ')).toMatch(re);
      expect(r.err.trim().split('\n').length, argv.join(' ')).toBe(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});

describe('ddsp-stream f0', () => {
  it('csv with a header, one row per frame at the frame centre, f0 near 220 Hz', async () => {
    const r = await cli('f0', wavPath);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('time_s,f0_hz,confidence,loudness_db');
    expect(lines.length - 1).toBe(Math.floor(0.6 * 100));
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    expect(rows[1][0]).toBeCloseTo(0.01, 6);
    const mid = rows.slice(10, 50);
    for (const row of mid) {
      expect(Math.abs(row[1] / 220 - 1)).toBeLessThan(0.02);
      expect(row[2]).toBeGreaterThan(0.5);
      expect(row[3]).toBeGreaterThan(-60);
    }
  });

  it('reports progress on stderr for a long file (plain lines when stderr is not a terminal)', async () => {
    const long = join(dir, 'long.wav');
    const sr = 8000;
    const x = new Float32Array(61 * sr);
    for (let i = 0; i < x.length; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * 196 * i) / sr);
    writeFileSync(long, encodeWav(x, sr, 'pcm16'));
    const r = await cli('f0', long, '--frame-rate', '20', '--output', join(dir, 'long.csv'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/f0: 10%[\s\S]*f0: 90%[\s\S]*f0: done/);
    expect(readFileSync(join(dir, 'long.csv'), 'utf8').trim().split('\n').length).toBe(1 + 61 * 20);
  });

  it('offline mode and json format', async () => {
    const r = await cli('f0', wavPath, '--mode', 'offline', '--format', 'json', '--frame-rate', '50');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.frame_rate).toBe(50);
    expect(j.frames.length).toBe(30);
    const voiced = j.frames.slice(5, 25).filter((f: { f0_hz: number }) => Math.abs(f.f0_hz / 220 - 1) < 0.02);
    expect(voiced.length).toBe(20);
  });
});

describe('ddsp-stream convert, bench, help', () => {
  it('converts the seed checkpoint fixture into a readable model file', async () => {
    const out = join(dir, 'seed.onnx');
    const r = await cli('convert', resolve('test/fixtures/seed-checkpoint/model.ckpt'), out);
    expect(r.code, r.err).toBe(0);
    const m = readModel(readFileSync(out));
    expect(m.estimator.hiddenSize).toBe(64);
    expect(m.synth.nodes.map((n) => n.type)).toContain('Harmonic');
  });

  it('bench --json prints the streaming figures', async () => {
    const r = await cli('bench', '--seconds', '0.5', '--hidden', '16', '--harmonics', '8', '--no-train', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.latency_samples).toBe(1503);
    expect(j.rtf).toBeGreaterThan(0);
    expect(j.worst_block_ms).toBeGreaterThanOrEqual(j.p99_block_ms);
  });

  it('--help for each command, and the top-level usage', async () => {
    for (const c of ['render', 'f0', 'convert', 'bench']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^usage: ddsp-stream/);
    }
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/render[\s\S]*f0[\s\S]*convert[\s\S]*bench[\s\S]*train/);
  });

  it('commands of other parts load lazily: present ones run --help, absent ones say "not available"', async () => {
    for (const c of ['train', 'export', 'prepare', 'eval']) {
      const r = await cli(c, '--help');
      if (existsSync(resolve(`src/cli/${c}.ts`))) {
        expect(r.err).not.toMatch(/not available/);
      } else {
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/not available/);
      }
    }
  });
});

describe('built CLI', () => {
  const bin = resolve('dist/cli.js');
  it.skipIf(!existsSync(bin))('dist/cli.js renders and fails cleanly', () => {
    const out = join(dir, 'spawned.wav');
    const ok = spawnSync(process.execPath, [bin, 'render', '--model', modelPath, wavPath, out, '--stats'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout.trim()).latency_samples).toBeGreaterThan(0);
    const bad = spawnSync(process.execPath, [bin, 'render', '--model', modelPath, wavPath, out, '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n').length).toBe(1);
  });
});
