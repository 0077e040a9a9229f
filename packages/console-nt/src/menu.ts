// The escape menu (default Ctrl-]): what coLinux's consoles offered in their menus (File ->
// Detach, Reboot - Ctrl-Alt-Del, Shutdown, Power off; docs/colinux.md#console) on one key each.
import { PowerAction } from '@colinux/protocol';
import { describeEscapeKey } from './escape-key.ts';

export type MenuChoice =
  | { kind: 'detach' }
  | { kind: 'power'; action: number; label: string }
  | { kind: 'send-escape' }
  | { kind: 'resume' };

export function menuText(escapeByte: number): string {
  const key = describeEscapeKey(escapeByte);
  return `\r\n[colinux-console] d: detach  c: Ctrl-Alt-Del  s: shutdown  r: reboot  p: power off  ${key}: send ${key}  other: resume\r\n`;
}

export function menuChoice(byte: number, escapeByte: number): MenuChoice {
  if (byte === escapeByte) return { kind: 'send-escape' };
  switch (String.fromCharCode(byte).toLowerCase()) {
    case 'd':
      return { kind: 'detach' };
    case 'c':
      return { kind: 'power', action: PowerAction.CTRL_ALT_DEL, label: 'Ctrl-Alt-Del' };
    case 's':
      return { kind: 'power', action: PowerAction.SHUTDOWN, label: 'shutdown' };
    case 'r':
      return { kind: 'power', action: PowerAction.REBOOT, label: 'reboot' };
    case 'p':
      return { kind: 'power', action: PowerAction.POWEROFF, label: 'power off' };
    default:
      return { kind: 'resume' };
  }
}
