// What every browser test file needs: the real `formwork demo` server on a free port in a fresh
// temporary directory with its own SQLite database, Debian's Chromium driven by playwright-core,
// pages that record script errors, and full-page screenshots. Not a test itself (the name does not
// match `*.test.mjs`); `node --test` runs each test file in its own process, so the state below
// belongs to one file.
//
// FORMWORK_BIN overrides the binary (default ../../target/debug/formwork), CHROMIUM the browser
// (default: `which chromium`, else /usr/bin/chromium). Screenshots go to ./screenshots/.

import { after, before } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.FORMWORK_BIN || path.resolve(here, '../../target/debug/formwork');
const SHOTS = path.join(here, 'screenshots');

/** The server's address, e.g. `http://127.0.0.1:41234`; set once the server is healthy. */
export let base;
/** The server's temporary working directory, removed after the tests. */
export let workDir;

let server;
let serverLog = '';
let browser;
let settings;

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || '/usr/bin/chromium';
  } catch {
    return '/usr/bin/chromium';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`formwork exited early (${server.exitCode}):\n${serverLog}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`formwork did not become healthy in ${deadlineMs} ms:\n${serverLog}`);
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
// Whatever happens to the test process, the server goes with it.
process.on('exit', stopServer);

/**
 * Registers the `before`/`after` hooks that start the demo server (signed in with `password`) and
 * Chromium, and stop both. `tmpPrefix` names the temporary directory, `shotPrefix` starts every
 * screenshot's file name, console errors matching `ignoreConsole` are expected, not problems, and
 * `demoRecords` keeps the client portal's sample projects. `configure({ base, port })`, when given,
 * runs before the server starts and returns `{ args, env }` added to its command line and
 * environment (e.g. an identity provider the test starts for the server's address).
 */
export function useDemoServer({ password, tmpPrefix, shotPrefix = '', ignoreConsole, demoRecords = false, configure }) {
  settings = { shotPrefix, ignoreConsole };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    workDir = mkdtempSync(path.join(tmpdir(), tmpPrefix));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The portal's sample projects only where a test asks for them: the others count numbers
    // and to-dos from a clean slate.
    const args = ['demo', '--demo-password', password, '--bind', `127.0.0.1:${port}`];
    if (!demoRecords) args.push('--no-demo-records');
    const extra = configure ? await configure({ base, port }) : {};
    args.push(...(extra.args ?? []));
    server = spawn(BIN, args, {
      cwd: workDir,
      env: { ...process.env, DATABASE_URL: `sqlite://${workDir}/formwork.db`, RUST_LOG: 'warn', ...(extra.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    await waitForHealth(base, 60_000);
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      if (server && server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        stopServer();
      }
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    }
  });
}

/** A new browser (own cookies) that records script errors and CSP violations, which must never happen. */
export async function newPage(options = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  // Confirmations (撤回, 驳回, 批量同意) are accepted; a test reads what they asked in `page.dialogs`.
  page.dialogs = [];
  page.on('dialog', async (d) => {
    page.dialogs.push(d.message());
    await d.accept();
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !settings.ignoreConsole?.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  return page;
}

/** A full-page screenshot, `screenshots/<shotPrefix><name>.png`. */
export async function shot(page, name) {
  // A full-page shot keeps the sticky header where the viewport was; start from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${settings.shotPrefix}${name}.png`), fullPage: true });
}
