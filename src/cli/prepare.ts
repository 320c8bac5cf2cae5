/**
 * `ddsp-stream prepare` — builds the training database only (the seed's colab_preprocess.py).
 *
 * @packageDocumentation
 */
import { CliError, processIO, type CliIO } from './args';

const HELP = `usage: ddsp-stream prepare [RAW_DIR DB_PATH] [key=value ...] [--force]

Decodes every wav/flac/mp3/ogg under RAW_DIR (data.raw_dir), cuts it into data.length-second slices with f0 and
loudness, and stores them in the LMDB database DB_PATH (data.db_path). A database prepared with the same settings
and files is reused; one prepared otherwise is rebuilt.

  ddsp-stream prepare audio/violin db/violin data.f0_range=[180,2000]

options:
  --force          rebuild even when the database matches
  --config-dir DIR extra config folder searched first
  --no-progress    no progress bar
  --help, -h       this help
`;

export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const overrides: string[] = [];
  const plain: string[] = [];
  let force = false;
  let progress = true;
  let configDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') { io.stdout(HELP); return 0; }
    if (a === '--force') force = true;
    else if (a === '--no-progress') progress = false;
    else if (a === '--config-dir') { if (i + 1 >= argv.length) throw new CliError('--config-dir needs a value'); configDir = argv[++i]; }
    else if (a.startsWith('--config-dir=')) configDir = a.slice('--config-dir='.length);
    else if (a.startsWith('-')) throw new CliError(`unknown flag ${a} (flags: --force, --config-dir, --no-progress, --help)`);
    else if (a.includes('=')) overrides.push(a);
    else plain.push(a);
  }
  if (plain.length > 2) throw new CliError(`unexpected argument "${plain[2]}" (usage: ddsp-stream prepare [RAW_DIR DB_PATH] [key=value ...])`);
  if (plain[0] !== undefined) overrides.push(`data.raw_dir=${plain[0]}`);
  if (plain[1] !== undefined) overrides.push(`data.db_path=${plain[1]}`);
  const { composeConfig } = await import('../train/config');
  const { prepareDataset, prepSettingsFromConfig } = await import('../train/prepare');
  const composed = composeConfig({ overrides: [...overrides, ...(overrides.some((o) => o.startsWith('name=')) ? [] : ['name=prepare'])], configDir });
  const c = composed.config;
  if (!c.data.db_path) throw new CliError('data.db_path is not set (usage: ddsp-stream prepare RAW_DIR DB_PATH)');
  const log = (l: string) => io.stderr(`${l}\n`);
  const r = await prepareDataset({ rawDir: c.data.raw_dir, dbPath: c.data.db_path, settings: prepSettingsFromConfig(c), force, progress, log });
  const meta = r.meta;
  await r.store.close();
  if (r.reused) log(`data: ${c.data.db_path} is up to date (${meta.count} slices)`);
  io.stdout(`${JSON.stringify({ db_path: c.data.db_path, slices: meta.count, files: meta.sources.length, unreadable: meta.unreadable.length, reused: r.reused })}\n`);
  return 0;
}
