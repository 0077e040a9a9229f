import t from 'tap';
import { PowerAction } from '@colinux/protocol';
import { EscapeMenu, MENU_ITEMS, describeEscapeKey, menuChoice, parseEscapeKey } from '../src/index.ts';

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

t.test('the escape splitter: keys around the menu, a choice in the next chunk', async (t) => {
  const menu = new EscapeMenu(0x1d);
  const bytes = (s: string) => new TextEncoder().encode(s);
  t.same(menu.feed(bytes('ab\x1dsxy')), [
    { kind: 'keys', bytes: bytes('ab') },
    { kind: 'menu-opened' },
    { kind: 'chosen', choice: { kind: 'power', action: PowerAction.SHUTDOWN, label: 'shutdown' } },
    { kind: 'keys', bytes: bytes('xy') },
  ]);
  t.same(menu.feed(bytes('q\x1d')), [{ kind: 'keys', bytes: bytes('q') }, { kind: 'menu-opened' }], 'the menu stays open across chunks');
  t.same(
    menu.feed(bytes('\x1dz')),
    [
      { kind: 'keys', bytes: Uint8Array.of(0x1d) },
      { kind: 'keys', bytes: bytes('z') },
    ],
    'the escape key twice sends it',
  );
  t.same(menu.feed(bytes('\x1dd')), [{ kind: 'menu-opened' }, { kind: 'chosen', choice: { kind: 'detach' } }]);
  t.same(
    MENU_ITEMS.map((i) => i.key),
    ['d', 'c', 's', 'r', 'p'],
  );
});
