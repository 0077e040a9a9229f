// The escape menu (default Ctrl-]): what coLinux's consoles offered in their menus (File ->
// Detach, Reboot - Ctrl-Alt-Del, Shutdown, Power off; docs/colinux.md#console) on one key each.
import { PowerAction } from '@colinux/protocol';
import { describeEscapeKey } from './escape-key.ts';

export type MenuChoice = { kind: 'detach' } | { kind: 'power'; action: PowerAction; label: string } | { kind: 'send-escape' } | { kind: 'resume' };

/** The menu's entries, in the order shown: the key that picks each and what it does. */
export const MENU_ITEMS: ReadonlyArray<{ key: string; label: string; choice: MenuChoice }> = [
  { key: 'd', label: 'detach', choice: { kind: 'detach' } },
  { key: 'c', label: 'Ctrl-Alt-Del', choice: { kind: 'power', action: PowerAction.CTRL_ALT_DEL, label: 'Ctrl-Alt-Del' } },
  { key: 's', label: 'shutdown', choice: { kind: 'power', action: PowerAction.SHUTDOWN, label: 'shutdown' } },
  { key: 'r', label: 'reboot', choice: { kind: 'power', action: PowerAction.REBOOT, label: 'reboot' } },
  { key: 'p', label: 'power off', choice: { kind: 'power', action: PowerAction.POWEROFF, label: 'power off' } },
];

export function menuText(escapeByte: number): string {
  const key = describeEscapeKey(escapeByte);
  const items = MENU_ITEMS.map((i) => `${i.key}: ${i.label}`).join('  ');
  return `\r\n[colinux-console] ${items}  ${key}: send ${key}  other: resume\r\n`;
}

export function menuChoice(byte: number, escapeByte: number): MenuChoice {
  if (byte === escapeByte) return { kind: 'send-escape' };
  const key = String.fromCharCode(byte).toLowerCase();
  return MENU_ITEMS.find((i) => i.key === key)?.choice ?? { kind: 'resume' };
}

/** One step of typed input: bytes for the guest, the menu opening, or a choice made in it. */
export type KeyStep = { kind: 'keys'; bytes: Uint8Array } | { kind: 'menu-opened' } | { kind: 'chosen'; choice: MenuChoice };

/**
 * Splits typed input at the escape key: the byte after it is a menu choice (which may arrive in
 * the next chunk). Bytes around it go to the guest in order.
 */
export class EscapeMenu {
  private open = false;
  readonly escapeByte: number;

  constructor(escapeByte: number) {
    this.escapeByte = escapeByte;
  }

  feed(chunk: Uint8Array): KeyStep[] {
    const steps: KeyStep[] = [];
    let start = 0;
    const keys = (end: number): void => {
      if (end > start) steps.push({ kind: 'keys', bytes: chunk.subarray(start, end) });
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.open) {
        this.open = false;
        start = i + 1;
        const choice = menuChoice(b, this.escapeByte);
        steps.push(choice.kind === 'send-escape' ? { kind: 'keys', bytes: Uint8Array.of(b) } : { kind: 'chosen', choice });
      } else if (b === this.escapeByte) {
        keys(i);
        this.open = true;
        steps.push({ kind: 'menu-opened' });
      }
    }
    if (!this.open) keys(chunk.length);
    return steps;
  }
}
