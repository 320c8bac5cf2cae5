// The three browser engines the user-app flow is tested in, behind one small interface: Chromium (playwright-core,
// the existing harness), Firefox (Debian's firefox-esr, WebDriver BiDi through puppeteer-core) and WebKit (Debian's
// WebKitGTK MiniBrowser through WebKitWebDriver, under xvfb-run). Nothing is downloaded: each engine is the system's,
// and an engine that is not installed is skipped with a notice (.ci/run installs all three).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { browserUnavailable, launch } from './harness';

export const ENGINES = ['chromium', 'firefox', 'webkit'] as const;
export type EngineName = (typeof ENGINES)[number];

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** Why `name` cannot run here, or null. */
export function engineUnavailable(name: EngineName): string | null {
  if (name === 'chromium') return browserUnavailable();
  if (name === 'firefox') return existsSync(FIREFOX) ? null : `Firefox not found at ${FIREFOX} (apt-get install firefox-esr)`;
  for (const [f, pkg] of [[WEBKIT_DRIVER, 'webkit2gtk-driver'], [MINIBROWSER, 'webkit2gtk-driver'], ['/usr/bin/xvfb-run', 'xvfb']]) {
    if (!existsSync(f)) return `${f} not found (apt-get install ${pkg})`;
  }
  return null;
}

/** A page in one engine: navigate, call an async function a page script put on globalThis, close. */
export interface EnginePage {
  /** The browser's user agent. */
  userAgent: string;
  goto(url: string): Promise<void>;
  /** Awaits `globalThis[api][fn](...args)` in the page; its result must be JSON. */
  call<T>(api: string, fn: string, args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

const CALL = `const [api, fn, args] = arguments; return globalThis[api][fn](...args);`;

/** Launches `name` headless and opens a page. */
export async function openEngine(name: EngineName): Promise<EnginePage> {
  if (name === 'chromium') {
    const { browser, page } = await launch();
    return {
      userAgent: await page.evaluate(() => navigator.userAgent),
      goto: async (url) => { await page.goto(url); },
      call: (api, fn, args) => page.evaluate(([a, f, x]) =>
        (globalThis as unknown as Record<string, Record<string, (...y: unknown[]) => unknown>>)[a][f](...x), [api, fn, args] as [string, string, unknown[]]) as never,
      close: () => browser.close(),
    };
  }
  if (name === 'firefox') {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, protocol: 'webDriverBiDi' });
    const page = await browser.newPage();
    return {
      userAgent: await browser.userAgent(),
      goto: async (url) => { await page.goto(url); },
      call: (api, fn, args) => page.evaluate(new Function(CALL) as () => unknown, api, fn, args) as never,
      close: () => browser.close(),
    };
  }
  return openWebKit();
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** WebKitGTK's MiniBrowser through WebDriver (classic HTTP protocol), under a virtual X server. */
async function openWebKit(): Promise<EnginePage> {
  const port = await freePort();
  const driver: ChildProcess = spawn('xvfb-run', ['-a', WEBKIT_DRIVER, `--port=${port}`, '--host=127.0.0.1'], {
    stdio: 'ignore', detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  const send = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const j = (await r.json()) as { value: unknown };
    if (!r.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(j.value)}`);
    return j.value;
  };
  const stop = (): void => { try { process.kill(-(driver.pid as number), 'SIGTERM'); } catch { /* gone */ } };
  let session = '';
  for (let i = 0; ; i++) {
    try {
      const v = (await send('POST', '/session', {
        capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
      })) as { sessionId: string };
      session = v.sessionId;
      break;
    } catch (e) {
      if (i >= 50) { stop(); throw e; }
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
  const s = `/session/${session}`;
  await send('POST', `${s}/timeouts`, { script: 120_000 });
  return {
    userAgent: (await send('POST', `${s}/execute/sync`, { script: 'return navigator.userAgent', args: [] })) as string,
    goto: async (url) => { await send('POST', `${s}/url`, { url }); },
    call: async (api, fn, args) => {
      const r = (await send('POST', `${s}/execute/async`, {
        script: 'const done = arguments[3]; Promise.resolve().then(() => globalThis[arguments[0]][arguments[1]](...arguments[2]))' +
          '.then((v) => done({ v }), (e) => done({ e: `${e && e.name}: ${e && e.message}` }));',
        args: [api, fn, args],
      })) as { v?: unknown; e?: string };
      if (r.e !== undefined) throw new Error(r.e);
      return r.v as never;
    },
    close: async () => {
      await send('DELETE', s).catch(() => undefined);
      stop();
    },
  };
}
