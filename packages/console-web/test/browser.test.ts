// colinux-console-web in a real browser: colinux-daemon boots the bundled Linux without a console,
// colinux-console-web attaches to it, and Debian's Chromium (driven by playwright-core) opens the
// printed URL: the boot screen is repainted, a command typed in the page runs in the guest and its
// output shows, a second tab is read-only, takes over, another console takes the console over and
// a tab takes it back, and detaching ends the program while the guest runs on.
// COLINUX_UPDATE_SCREENSHOTS=1 also writes the page's screenshots into docs/.
import fs from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireTool } from '../../../test/tools.ts';
import { DAEMON_BIN, REPO, monitorsOf, sandbox, start, until } from '@colinux/daemon/test/helpers';

const WEB_BIN = join(REPO, 'packages/console-web/bin/colinux-console-web.js');
const NT_BIN = join(REPO, 'packages/console-nt/bin/colinux-console-nt.js');
const BROWSER_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
/** The shell's prompt: in the console log, and as a line on the page (whose rows lose trailing blanks). */
const PROMPT = /colinux:\/# /;
const PROMPT_LINE = /^colinux:\/# *$/m;

/** What the page's terminal shows (xterm's DOM renderer: one element per row). */
async function screenText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows').innerText()).replaceAll('\u00a0', ' ').replace(/ +$/gm, '');
}

async function waitForText(page: Page, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  let last = '';
  try {
    return await until(
      async () => {
        last = await screenText(page);
        return pattern.test(last) ? last : undefined;
      },
      timeoutMs,
      200,
    );
  } catch {
    throw new Error(`${what}: ${pattern} not on the page; it shows:\n${last}`);
  }
}

async function role(page: Page): Promise<string> {
  return (await page.getAttribute('body', 'data-role')) ?? '';
}

async function waitForRole(page: Page, want: string, what: string): Promise<void> {
  await until(async () => ((await role(page)) === want ? true : undefined), 30_000, 100).catch(async () => {
    throw new Error(`${what}: the page's role is '${await role(page)}' (${await page.locator('#role').innerText()}), expected '${want}'`);
  });
}

function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

t.test('the bundled Linux in a browser tab through colinux-console-web', async (t) => {
  const browserPath = requireTool('chromium');
  const sb = sandbox();
  const pidFile = join(sb.dir, 'monitor.pid');
  let browser: Browser | undefined;
  t.teardown(async () => {
    await browser?.close();
    await sb.cleanup();
  });

  const daemon = start(
    DAEMON_BIN,
    ['-d', '-p', pidFile, `kernel=${REPO}/guest/images/vmlinux`, `initrd=${REPO}/guest/images/initramfs.cpio.gz`, 'mem=64', 'cocon=80x25'],
    sb.env,
  );
  const id = await until(() => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : undefined), 60_000);
  const consoleLog = join(sb.runtimeDir, `monitor-${id}.console.log`);
  await until(() => (fs.existsSync(consoleLog) && PROMPT.test(fs.readFileSync(consoleLog, 'utf8')) ? true : undefined), 180_000, 250);

  const web = start(WEB_BIN, ['-p', pidFile], sb.env);
  const url = (await web.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m, 30_000)).match(/^http:\S+$/m)![0];
  const origin = new URL(url).origin;

  await t.test('no token, a wrong token: 403', async (t) => {
    t.equal(await status(`${origin}/`), 403);
    t.equal(await status(`${origin}/?token=wrong`), 403);
    t.equal(await status(`${origin}/xterm.mjs`), 403);
    t.equal(
      await status(`${origin}/ws`, {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
      403,
    );
    t.match(await web.waitFor(/wrong access token/), /refused GET \/ from 127\.0\.0\.1: wrong access token/, 'refusals are logged');
  });

  browser = await chromium.launch({ executablePath: browserPath, args: BROWSER_FLAGS });
  const context = await browser.newContext({ viewport: { width: 900, height: 560 } });
  const tab1 = await context.newPage();
  await tab1.goto(url);
  t.equal(new URL(tab1.url()).search, '', 'the token moved from the address bar into a cookie');
  await waitForRole(tab1, 'writer', 'the first tab writes');

  await t.test('the boot screen is repainted from the shadow screen', async (t) => {
    const text = await waitForText(tab1, PROMPT_LINE, 'the repaint shows the shell prompt');
    t.match(text, /BusyBox v[\d.]+ .*built-in shell/, 'lines printed before the page opened are there');
    t.match(await tab1.locator('#role').innerText(), /writing/);
  });

  await t.test('keys typed in the page reach the guest shell, its output comes back', async (t) => {
    await tab1.locator('#terminal').click();
    await tab1.keyboard.type('echo answer=$((6*7))');
    await tab1.keyboard.press('Enter');
    t.match(await waitForText(tab1, /^answer=42\s*$/m, 'the command ran'), /echo answer=\$\(\(6\*7\)\)/);
  });

  const tab2 = await context.newPage();
  await t.test('a second tab watches read-only and is shown so', async (t) => {
    await tab2.goto(`${origin}/`); // the cookie from the first load is enough
    await waitForRole(tab2, 'viewer', 'the second tab');
    t.match(await tab2.locator('#role').innerText(), /read-only: tab 1 writes/);
    t.ok(await tab2.locator('#take-over').isVisible(), 'it offers to take over');
    t.match(await waitForText(tab2, /^answer=42\s*$/m, 'the second tab got the repaint'), PROMPT_LINE);
    await tab2.locator('#terminal').click();
    await tab2.keyboard.type('echo from-viewer');
    await tab2.keyboard.press('Enter');
    await tab1.keyboard.type('echo mark=$((1+1))');
    await tab1.keyboard.press('Enter');
    const seen = await waitForText(tab2, /^mark=2\s*$/m, 'live output reaches the viewer');
    t.notMatch(seen, /from-viewer/, 'nothing typed in the read-only tab reached the guest');
    if (process.env.COLINUX_UPDATE_SCREENSHOTS) {
      await tab1.screenshot({ path: join(REPO, 'docs/console-web-writer.png') });
      await tab2.screenshot({ path: join(REPO, 'docs/console-web-viewer.png') });
    }
  });

  await t.test('the second tab takes over: it writes, the first one watches', async (t) => {
    await tab2.locator('#take-over').click();
    await waitForRole(tab2, 'writer', 'the tab that took over');
    await waitForRole(tab1, 'viewer', 'the tab that was taken over');
    t.match(await tab1.locator('#role').innerText(), /read-only: tab 2 writes/);
    await tab2.locator('#terminal').click();
    await tab2.keyboard.type('echo tab2=$((2*21))');
    await tab2.keyboard.press('Enter');
    await waitForText(tab1, /^tab2=42\s*$/m, 'the first tab sees what the second typed');
  });

  await t.test('the window is resized: the whole guest screen still fits', async (t) => {
    await tab1.setViewportSize({ width: 560, height: 380 });
    const fits = await until(
      async () => {
        const box = await tab1.locator('.xterm-screen').boundingBox();
        return box && box.width <= 560 && box.height <= 380 - 40 ? box : undefined;
      },
      10_000,
      100,
    );
    t.ok(fits.width > 300, `the 80x25 screen is ${Math.round(fits.width)}x${Math.round(fits.height)} px`);
    t.match(await screenText(tab1), /tab2=42/);
  });

  await t.test('another console takes the console over (--force) and a tab takes it back', async (t) => {
    const nt = start(NT_BIN, ['-p', pidFile, '--force'], sb.env);
    await waitForRole(tab2, 'viewer', 'the writing tab after colinux-console-nt --force');
    t.match(await tab2.locator('#role').innerText(), /another console took the console over/);
    await tab1.locator('#take-over').click();
    await waitForRole(tab1, 'writer', 'the tab that took it back');
    t.match(await nt.waitFor(/console taken over by another console/, 30_000), /monitor \d+: console taken over/);
    t.equal((await nt.exited).code, 0, 'colinux-console-nt ends as a taken-over console does');
    t.match(await tab2.locator('#role').innerText(), /read-only: tab 1 writes/);
  });

  await t.test('a tab that is closed is let go', async (t) => {
    const tab3 = await context.newPage();
    await tab3.goto(`${origin}/`);
    await waitForRole(tab3, 'viewer', 'a third tab');
    await tab3.close();
    t.match(await web.waitFor(/tab 3 closed/, 10_000), /tab 3 opened \(read-only\)[\s\S]*tab 3 closed/);
  });

  await t.test('detach: the page says so, the program exits 0, the guest runs on', async (t) => {
    await tab1.locator('#menu button[data-key="d"]').click();
    await waitForRole(tab1, 'ended', 'the detaching tab');
    await waitForRole(tab2, 'ended', 'the other tab');
    t.match(await tab2.locator('#role').innerText(), new RegExp(`detached from monitor ${id}`));
    t.equal((await web.exited).code, 0);
    t.same(
      (await monitorsOf(sb.env))?.map((m) => m.id),
      [id],
      'the monitor still runs',
    );
    t.equal(daemon.child.exitCode, null, 'the daemon still runs');
  });
});
