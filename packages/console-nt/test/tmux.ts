// A private tmux server for the console tests: its own socket (-L), so tests never touch a user's
// tmux or each other's, and a poll that waits until a pane shows what a person would see.
import { execFileSync } from 'node:child_process';
import { requireTool } from '../../../test/tools.ts';

requireTool('tmux');

export interface PrivateTmux {
  tmux(...args: string[]): string;
  capture(pane: string): string;
  waitFor(pane: string, re: RegExp, what: string, timeoutMs?: number): Promise<string>;
}

export function privateTmux(socket: string, defaultTimeoutMs: number, pollMs = 100): PrivateTmux {
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const capture = (pane: string): string => tmux('capture-pane', '-p', '-t', pane);
  async function waitFor(pane: string, re: RegExp, what: string, timeoutMs = defaultTimeoutMs): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = capture(pane);
      if (re.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`${what}: ${re} not on the screen:\n${screen}`);
  }
  return { tmux, capture, waitFor };
}
