// colinux-console-nt's attach loop (docs/colinux.md#console): ATTACH [CONSOLE], GET_CONSOLE
// for a full repaint from the manager's shadow screen, then live output to the terminal and
// keystrokes to the guest until the user detaches or the monitor ends.
import { Module, type Message } from '@colinux/protocol';
import { attachConsole, endOfAttachment, type AttachOptions } from './attach.ts';
// main.ts catches it from here
export { ConsoleFailure } from './attach.ts';
import { describeEscapeKey } from './escape-key.ts';
import { EscapeMenu, menuText } from './menu.ts';
import { LocalTerminal } from './terminal.ts';

export interface ConsoleOptions extends AttachOptions {
  escapeByte: number;
}

/** Raw mode turns Ctrl-C into a byte for the guest; these only come from outside (kill, hangup). */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/** Keystrokes go to the guest in messages of at most this many bytes. */
const KEYS_PER_MESSAGE = 4096;

/** Runs until detach or monitor end; resolves with the exit code. */
export async function runConsole(opts: ConsoleOptions): Promise<number> {
  const { client, id } = await attachConsole(opts);

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
      if (line) term.say(`colinux-console: ${line}`);
      for (const sig of SIGNALS) process.off(sig, onSignal);
      process.off('exit', onExit);
      void client.close().then(() => resolve(code));
    };
    const onSignal = (sig: NodeJS.Signals): void => finish(0, `${sig}, detached from monitor ${id}`);
    const onExit = (): void => term.restore();
    for (const sig of SIGNALS) process.on(sig, onSignal);
    process.on('exit', onExit);

    client.on('end', (cause) => {
      const end = endOfAttachment(cause, id);
      finish(end.code, end.line);
    });

    term.enter(`Console - Cooperative Linux - monitor ${id} [${describeEscapeKey(opts.escapeByte)} for menu]`);
    client.getConsoleScreen().then(
      (screen) => {
        term.write('\x1b[H\x1b[2J');
        term.write(screen.data);
        repainted = true;
      },
      (err: Error) => finish(1, `cannot read the console of monitor ${id}: ${err.message}`),
    );

    const menu = new EscapeMenu(opts.escapeByte);
    process.stdin.on('data', (chunk: Buffer) => {
      for (const step of menu.feed(chunk)) {
        if (finished) return;
        if (step.kind === 'keys') sendKeys(step.bytes);
        else if (step.kind === 'menu-opened') term.write(menuText(opts.escapeByte));
        else if (step.choice.kind === 'detach') {
          void client
            .closeMonitor()
            .catch(() => {})
            .finally(() => finish(0, `detached from monitor ${id}`));
          return;
        } else if (step.choice.kind === 'power') {
          if (opts.readOnly) term.write('\r\n[colinux-console] read-only: nothing sent\r\n');
          else {
            client.power(step.choice.action);
            term.write(`\r\n[colinux-console] ${step.choice.label} sent to the guest\r\n`);
          }
        }
      }
    });
    process.stdin.on('end', () => finish(0, `input closed, detached from monitor ${id}`));

    function sendKeys(bytes: Uint8Array): void {
      if (bytes.length === 0 || opts.readOnly) return;
      for (let at = 0; at < bytes.length; at += KEYS_PER_MESSAGE) client.send(Module.CONSOLE, bytes.subarray(at, at + KEYS_PER_MESSAGE));
    }
  });
}
