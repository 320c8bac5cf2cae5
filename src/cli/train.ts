/**
 * `ddsp-stream train` — trains a model (the seed's `python train.py key=value ...`).
 *
 * Config: the shipped YAML groups composed hydra-style, overridden by `key=value` arguments (see
 * src/train/config.ts). `-m` runs a sweep over comma lists, one run per combination, and prints a table of the
 * monitored metric. Ctrl-C stops at the next step and writes a checkpoint (a second Ctrl-C quits at once).
 *
 * @packageDocumentation
 */
import { CliError, processIO, type CliIO } from './args';

const HELP = `usage: ddsp-stream train [options] key=value ...

Trains a DDSP model on a folder of audio, as the seed's train.py does:
  ddsp-stream train name=violin data.raw_dir=audio/violin data.db_path=db/violin

Config keys are the seed's (configs/config.yaml and its groups trainer, model, data, synth, loss):
  synth=hpn                       pick a group option
  trainer.max_steps=20000         set a value (\${...} interpolation allowed)
  +key=value / ~key               add / delete a key
  ckpt=PATH                       resume from a checkpoint (ours: exactly; a seed .ckpt: weights, Adam, step)

Progress: the bar (stderr) shows time per step, steps/s, the time left (by trainer.max_steps, max_epochs or
max_time, whichever ends the run first) and the latest validation loss. The run folder holds the TensorBoard
events (also time/seconds_per_step, time/steps_per_second, time/eta_seconds), loss.png (training and
validation loss against step and wall-clock time, redrawn at each validation) and train.log (what was printed,
and a progress line at each validation).

options:
  -m, --multirun        sweep: every combination of comma lists (k=a,b), one run each, then a table
  --config-dir DIR      extra config folder searched first (your own groups, e.g. DIR/exp/NAME.yaml)
  --config-name NAME    primary config (default: config)
  --cfg                 print the composed config and exit
  --no-progress         no progress bar
  --help, -h            this help
`;

interface Parsed { overrides: string[]; multirun: boolean; configDir?: string; configName?: string; cfg: boolean; progress: boolean; help: boolean }

/** Splits flags from key=value overrides (overrides may start with + or ~, never with -). */
export function parseTrainArgs(argv: readonly string[]): Parsed {
  const p: Parsed = { overrides: [], multirun: false, cfg: false, progress: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new CliError(`${flag} needs a value`);
      return argv[++i];
    };
    if (a === '-m' || a === '--multirun') p.multirun = true;
    else if (a === '-h' || a === '--help') p.help = true;
    else if (a === '--cfg' || a === '--cfg=job' || a === '-c') p.cfg = true;
    else if (a === '--no-progress') p.progress = false;
    else if (a === '--config-dir' || a.startsWith('--config-dir=') || a === '-cd') p.configDir = value('--config-dir');
    else if (a === '--config-name' || a.startsWith('--config-name=') || a === '-cn') p.configName = value('--config-name');
    else if (a.startsWith('-')) throw new CliError(`unknown flag ${a} (flags: -m, --config-dir, --config-name, --cfg, --no-progress, --help; config values are key=value)`);
    else p.overrides.push(a);
  }
  return p;
}

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const p = parseTrainArgs(argv);
  if (p.help) { io.stdout(HELP); return 0; }
  const { composeConfig, toYaml } = await import('../train/config');
  const { expandSweep, formatTable } = await import('../train/sweep');
  const log = (l: string) => io.stderr(`${l}\n`);
  const now = new Date();
  const base = { configDir: p.configDir, configName: p.configName, now };

  if (!p.multirun) {
    const composed = composeConfig({ ...base, overrides: p.overrides });
    if (p.cfg) { io.stdout(toYaml(composed.resolved)); return 0; }
    const { train } = await import('../train/trainer');
    const ac = new AbortController();
    let interrupts = 0;
    const onSig = () => {
      interrupts++;
      if (interrupts === 1) { log('\ninterrupt: stopping after this step and writing a checkpoint (Ctrl-C again to quit now)'); ac.abort(); }
      else process.exit(130);
    };
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    try {
      const r = await train({ composed, progress: p.progress, log, signal: ac.signal });
      io.stdout(`${JSON.stringify({ run_dir: r.runDir, step: r.step, checkpoint: r.checkpoints[r.checkpoints.length - 1], [composed.config.monitor]: r.monitor, seconds_per_step: r.secondsPerStep })}\n`);
      return ac.signal.aborted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  }

  // -m: compose every job first, so a bad value fails before anything runs
  const jobs = expandSweep(p.overrides);
  const composedJobs = jobs.map((j) => {
    try {
      return composeConfig({ ...base, overrides: j.overrides, jobNum: j.num });
    } catch (e) {
      throw new CliError(`sweep job ${j.num} (${Object.entries(j.swept).map(([k, v]) => `${k}=${v}`).join(' ')}): ${(e as Error).message}`);
    }
  });
  if (p.cfg) { for (const c of composedJobs) io.stdout(`---\n${toYaml(c.resolved)}`); return 0; }
  const { train } = await import('../train/trainer');
  const { resolve } = await import('node:path');
  const monitor = composedJobs[0].config.monitor;
  log(`sweep: ${jobs.length} runs`);
  const rows: string[][] = [];
  const keys = Object.keys(jobs[0].swept);
  let failed = 0;
  for (let i = 0; i < jobs.length; i++) {
    const c = composedJobs[i];
    const h = c.resolved.hydra as { sweep: { dir: string; subdir: string | number } };
    const runDir = resolve(String(h.sweep.dir), String(h.sweep.subdir));
    log(`sweep: run ${i + 1}/${jobs.length}: ${jobs[i].overrides.join(' ')}`);
    try {
      const r = await train({ composed: c, runDir, progress: p.progress, log });
      rows.push([String(i), ...keys.map((k) => jobs[i].swept[k]), Number.isFinite(r.monitor) ? r.monitor.toPrecision(5) : 'nan', String(r.step), r.runDir]);
    } catch (e) {
      failed++;
      log(`sweep: run ${i} failed: ${(e as Error).message.split('\n')[0]}`);
      rows.push([String(i), ...keys.map((k) => jobs[i].swept[k]), 'failed', '-', runDir]);
    }
  }
  io.stdout(`${formatTable(['#', ...keys, monitor, 'steps', 'run'], rows)}\n`);
  return failed ? 1 : 0;
}
