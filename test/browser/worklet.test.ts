// Real-browser tests (headless Chromium via playwright-core).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  PAGE_HTML, REPO_ROOT, base64ToFloats, browserUnavailable, bundlePage, floatsToBase64, launch, maxAbsDiff,
  startServer, type StaticServer,
} from './harness';
import type { Browser, Page } from 'playwright-core';

const noBrowser = browserUnavailable();
if (noBrowser) console.warn(`\n*** SKIPPING browser tests: ${noBrowser} ***\n`);

describe.skipIf(noBrowser !== null)('browser harness', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];

  beforeAll(async () => {
    server = await startServer(REPO_ROOT);
    server.routes.set('/index.html', { body: PAGE_HTML });
    server.routes.set('/page.js', { body: await bundlePage(join(__dirname, 'pages', 'smoke.ts')) });
    ({ browser, page, logs } = await launch());
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders a plain worklet in an OfflineAudioContext and returns the samples', async () => {
    const n = 48000;
    const input = new Float32Array(n);
    for (let i = 0; i < n; i++) input[i] = Math.sin((2 * Math.PI * 220 * i) / 48000) * 0.8;
    const r = await page.evaluate((b64) => (globalThis as any).smoke(b64), floatsToBase64(input));
    expect(r.isolated, logs.join('\n')).toBe(true);
    const out = base64ToFloats(r.out);
    expect(out.length).toBe(n);
    const want = input.map((v) => Math.fround(v * 0.5));
    expect(maxAbsDiff(out, want)).toBe(0);
  });
});
