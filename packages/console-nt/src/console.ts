// colinux-console-nt's attach loop (docs/colinux.md#console): ATTACH [CONSOLE], GET_CONSOLE
// for a full repaint from the manager's shadow screen, then live output to the terminal and
// keystrokes to the guest until the user detaches or the monitor ends.
import fs from 'node:fs';
import { ManagerClient, ManagerError, Module, Rc, type Message, type TransportName } from '@colinux/protocol';
import { describeEscapeKey } from './escape-key.ts';
import { menuChoice, menuText } from './menu.ts';
import { LocalTerminal } from './terminal.ts';

export interface ConsoleOptions {
  id?: number;
  pidFile?: string;
  escapeByte: number;
  force: boolean;
  readOnly: boolean;
  transport?: TransportName;
  env?: NodeJS.ProcessEnv;
}

/** Raw mode turns Ctrl-C into a byte for the guest; these only come from outside (kill, hangup). */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

export class ConsoleFailure extends Error {
  override name = 'ConsoleFailure';
}

/** The monitor id from -a, -p or, without either, the most recently created monitor. */
export async function chooseMonitor(client: ManagerClient, opts: ConsoleOptions): Promise<number> {
  if (opts.id !== undefined) return opts.id;
  if (opts.pidFile !== undefined) {
    let id = NaN;
    try {
      id = Number.parseInt(fs.readFileSync(opts.pidFile, 'utf8').trim(), 10);
    } catch {
      // reported below, in coLinux's words
    }
    if (!Number.isInteger(id) || id <= 0) throw new ConsoleFailure(`error on reading PID from file '${opts.pidFile}'`);
    return id;
  }
  const list = await client.list();
  if (list.length === 0) throw new ConsoleFailure('no monitor is running (start one with colinux-daemon)');
  return list[0].id;
}

/** Runs until detach or monitor end; resolves with the exit code. */
export async function runConsole(opts: ConsoleOptions): Promise<number> {
  let client: ManagerClient;
  try {
    client = await ManagerClient.connect({ env: opts.env, transport: opts.transport });
  } catch (err) {
    throw new ConsoleFailure(`cannot reach the manager (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is a monitor running?`);
  }
  const id = await chooseMonitor(client, opts);
  try {
    await client.attach(id, [Module.CONSOLE], { force: opts.force, watch: opts.readOnly });
  } catch (err) {
    await client.close();
    if (err instanceof ManagerError && err.rc === Rc.ACCESS_DENIED) throw new ConsoleFailure(`the console of monitor ${id} is attached elsewhere; use --force to take it over or --read-only to watch`);
    if (err instanceof ManagerError) throw new ConsoleFailure(`cannot attach to monitor ${id}: ${err.message}`);
    throw err;
  }

  const term = new LocalTerminal();
  // Output that arrives before the repaint is already part of it: hold it back until then.
  let repainted = false;
  client.on('message', (m: Message) => {
    if (m.to === Module.CONSOLE && repainted) term.write(m.data);
  });

  return new Promise<number>((resolve) => {
    let finished = false;
    const finish = (code: number, line?: string): void => {
      if (finished) return;
      finished = true;
      term.restore();
      if (line) term.say(line);
      for (const sig of SIGNALS) process.off(sig, onSignal);
      process.off('exit', onExit);
      void client.close().then(() => resolve(code));
    };
    const onSignal = (sig: NodeJS.Signals): void => finish(0, `colinux-console: ${sig}, detached from monitor ${id}`);
    const onExit = (): void => term.restore();
    for (const sig of SIGNALS) process.on(sig, onSignal);
    process.on('exit', onExit);

    client.on('end', (cause: string) => {
      if (cause === 'taken-over') finish(0, `colinux-console: monitor ${id}: console taken over by another console`);
      else if (cause === 'monitor-closed') finish(0, `colinux-console: monitor ${id} has ended`);
      else finish(1, `colinux-console: lost the connection to the manager`);
    });

    term.enter(`Console - Cooperative Linux - monitor ${id} [${describeEscapeKey(opts.escapeByte)} for menu]`);
    client.getConsoleScreen().then(
      (screen) => {
        term.write('\x1b[H\x1b[2J');
        term.write(screen.data);
        repainted = true;
      },
      (err: Error) => finish(1, `colinux-console: cannot read the console of monitor ${id}: ${err.message}`),
    );

    let inMenu = false;
    process.stdin.on('data', (chunk: Buffer) => {
      if (finished) return;
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (inMenu) {
          inMenu = false;
          start = i + 1;
          const choice = menuChoice(b, opts.escapeByte);
          if (choice.kind === 'detach') {
            void client.closeMonitor().catch(() => {}).finally(() => finish(0, `colinux-console: detached from monitor ${id}`));
            return;
          }
          if (choice.kind === 'send-escape') sendKeys(Uint8Array.of(b));
          else if (choice.kind === 'power') {
            if (opts.readOnly) term.write('\r\n[colinux-console] read-only: nothing sent\r\n');
            else {
              client.power(choice.action);
              term.write(`\r\n[colinux-console] ${choice.label} sent to the guest\r\n`);
            }
          }
        } else if (b === opts.escapeByte) {
          sendKeys(chunk.subarray(start, i));
          inMenu = true;
          term.write(menuText(opts.escapeByte));
        }
      }
      if (!inMenu) sendKeys(chunk.subarray(start));
    });
    process.stdin.on('end', () => finish(0, `colinux-console: input closed, detached from monitor ${id}`));

    function sendKeys(bytes: Uint8Array): void {
      if (bytes.length === 0 || opts.readOnly) return;
      for (let at = 0; at < bytes.length; at += 4096) client.send(Module.CONSOLE, bytes.subarray(at, at + 4096));
    }
  });
}
