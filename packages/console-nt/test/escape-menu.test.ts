import t from 'tap';
import { PowerAction } from '@colinux/protocol';
import { describeEscapeKey, menuChoice, parseEscapeKey } from '../src/index.ts';

t.test('escape key notation', async (t) => {
  t.equal(parseEscapeKey('^]'), 0x1d);
  t.equal(parseEscapeKey('ctrl-a'), 0x01);
  t.equal(parseEscapeKey('C-B'), 0x02);
  t.equal(parseEscapeKey('~'), 0x7e);
  t.throws(() => parseEscapeKey('ctrl-'), /expected a key/);
  t.throws(() => parseEscapeKey('^1'), /no control key/);
  t.equal(describeEscapeKey(0x1d), 'Ctrl-]');
});

t.test('menu keys', async (t) => {
  t.same(menuChoice(0x64, 0x1d), { kind: 'detach' });
  t.same(menuChoice(0x43, 0x1d), { kind: 'power', action: PowerAction.CTRL_ALT_DEL, label: 'Ctrl-Alt-Del' });
  t.same(menuChoice(0x70, 0x1d), { kind: 'power', action: PowerAction.POWEROFF, label: 'power off' });
  t.same(menuChoice(0x1d, 0x1d), { kind: 'send-escape' });
  t.same(menuChoice(0x78, 0x1d), { kind: 'resume' });
});
