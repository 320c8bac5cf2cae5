// The demo's own server (examples/web/serve.mjs, bundling against the BUILT package) on a free port, for the
// demo's browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../browser/harness';

export interface DemoServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts serve.mjs with `modelsDir` as its models folder; resolves once it prints its address. */
export async function startDemoServer(modelsDir: string): Promise<DemoServer> {
  const server: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'examples', 'web', 'serve.mjs'), '--port', '0', '--models', modelsDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`demo server did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /ddsp-stream demo: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.on('exit', (code) => fail(new Error(`demo server exited (${code}):\n${out}`)));
  });
  return {
    url,
    stop: async () => {
      if (server.exitCode !== null) return;
      const exited = new Promise((ok) => server.once('exit', ok));
      server.kill('SIGTERM');
      await exited;
    },
  };
}
