// The owner, attach and state rules of a monitor (src/manager/rules.ts) driven without sockets or
// a machine: clients are plain strings. manager-rules.test.ts checks the same rules through real
// connections and the real machine worker.
import t from 'tap';
import { MAX_MONITORS, Module, MonitorOp, MonitorState, Rc, Termination } from '@colinux/protocol';
import { MonitorRules, admit, isRefusal, type Refusal } from '../src/manager/rules.ts';

const WATCHERS = 2;
const rules = () => new MonitorRules<string>(4242, 'owner', WATCHERS);

function refusal(x: unknown): Refusal {
  if (!isRefusal(x)) throw new Error(`expected a refusal, got ${JSON.stringify(x)}`);
  return x;
}

t.test('the owner may do everything; others only what anyone may; strangers nothing', async (t) => {
  const r = rules();
  t.ok(r.isOwner('owner') && r.isBound('owner'));
  for (const op of [MonitorOp.LOAD_SECTION, MonitorOp.START, MonitorOp.RUN, MonitorOp.RESET, MonitorOp.GET_CONSOLE, MonitorOp.CLOSE])
    t.equal(r.mayOperate('owner', op), undefined);
  t.same(r.mayOperate('stranger', MonitorOp.GET_CONSOLE), { rc: Rc.MONITOR_NOT_LOADED, text: 'this connection has not created or attached a monitor' });
  r.attach('console', { modules: [Module.CONSOLE], force: false, watch: false });
  t.equal(r.mayOperate('console', MonitorOp.GET_CONSOLE), undefined, 'any bound client may GET_CONSOLE');
  t.same(r.mayOperate('console', MonitorOp.START), { rc: Rc.ERROR, text: 'only the owner of monitor 4242 may do that' });
});

t.test('a held module needs FORCE; the displaced holder is named; output goes to the new holder only', async (t) => {
  const r = rules();
  t.same(r.attach('first', { modules: [Module.CONSOLE], force: false, watch: false }), { takenOver: [] });
  const refused = refusal(r.attach('second', { modules: [Module.CONSOLE], force: false, watch: false }));
  t.equal(refused.rc, Rc.ACCESS_DENIED);
  t.equal(refused.text, 'module console of monitor 4242 is held by another client (use --force to take it over)');
  t.notOk(r.isBound('second'), 'a refused ATTACH binds nothing');
  t.same(r.attach('first', { modules: [Module.CONSOLE], force: false, watch: false }), { takenOver: [] }, 'attaching again what one holds is fine');
  t.same(r.attach('second', { modules: [Module.CONSOLE], force: true, watch: false }), { takenOver: [{ module: Module.CONSOLE, from: 'first' }] });
  t.same(r.recipients(Module.CONSOLE), ['second']);
  t.ok(r.maySend('first', Module.CONSOLE, Module.LINUX), 'the displaced client may no longer send as the console');
  t.equal(r.maySend('second', Module.CONSOLE, Module.LINUX), undefined);
});

t.test('watchers: a copy of the output, no sending, at most the limit; holders and the owner are not counted', async (t) => {
  const r = rules();
  r.attach('helper', { modules: [Module.CONET0], force: false, watch: false });
  r.attach('w1', { modules: [Module.CONSOLE, Module.CONET0], force: false, watch: true });
  r.attach('w2', { modules: [Module.CONSOLE], force: false, watch: true });
  t.equal(r.watcherCount(), 2);
  t.same(r.recipients(Module.CONET0), ['helper', 'w1']);
  t.same(refusal(r.attach('w3', { modules: [Module.CONSOLE], force: false, watch: true })), {
    rc: Rc.ACCESS_DENIED,
    text: 'monitor 4242 already has 2 watching clients',
  });
  t.same(r.attach('w1', { modules: [Module.PRINTK], force: false, watch: true }), { takenOver: [] }, 'a bound watcher may watch more');
  t.same(r.attach('console', { modules: [Module.CONSOLE], force: false, watch: false }), { takenOver: [] }, 'a holder always finds room');
  t.same(refusal(r.maySend('w2', Module.CONSOLE, Module.LINUX)).rc, Rc.ACCESS_DENIED, 'a watcher cannot send');
  // A watcher that takes the module over gets it once, as its holder.
  r.attach('w2', { modules: [Module.CONSOLE], force: true, watch: false });
  t.same(r.recipients(Module.CONSOLE), ['w2', 'w1']);
  t.same(r.modules(), [
    { module: Module.CONSOLE, held: true, watchers: 1 },
    { module: Module.PRINTK, held: false, watchers: 1 },
    { module: Module.CONET0, held: true, watchers: 1 },
  ]);
});

t.test('records: only to linux, only as a held module; DAEMON from the owner or the console holder', async (t) => {
  const r = rules();
  r.attach('console', { modules: [Module.CONSOLE], force: false, watch: false });
  r.attach('net', { modules: [Module.CONET0], force: false, watch: false });
  t.equal(r.maySend('owner', Module.DAEMON, Module.LINUX), undefined);
  t.equal(r.maySend('console', Module.DAEMON, Module.LINUX), undefined);
  t.same(r.maySend('net', Module.DAEMON, Module.LINUX), {
    rc: Rc.ACCESS_DENIED,
    text: 'message from daemon refused: this connection has not attached that module',
  });
  t.same(r.maySend('net', Module.CONSOLE, Module.LINUX), {
    rc: Rc.ACCESS_DENIED,
    text: 'message from console refused: this connection has not attached that module',
  });
  t.same(r.maySend('net', Module.CONET0, Module.CONSOLE), { rc: Rc.INVALID_PARAMETER, text: 'message to console refused: clients may only send to linux' });
  t.same(refusal(r.maySend('stranger', Module.CONET0, Module.LINUX)).rc, Rc.MONITOR_NOT_LOADED);
});

t.test('states: START once, RUN long-polls while RUNNING, TERMINATED says why, RESET starts over', async (t) => {
  const r = rules();
  t.equal(r.state, MonitorState.INITIALIZED);
  t.same(r.run(), { rc: Rc.ERROR, text: 'RUN needs monitor 4242 STARTED or RUNNING, it is INITIALIZED' });
  t.equal(r.start(), undefined);
  t.equal(r.state, MonitorState.STARTED);
  t.same(r.start(), { rc: Rc.ERROR, text: 'START needs monitor 4242 INITIALIZED, it is STARTED' });
  t.equal(r.run(), 'wait');
  t.equal(r.state, MonitorState.RUNNING);
  t.equal(r.runAnswer(), undefined, 'still running: RUN answers OK');
  t.same(r.runResult(), { state: MonitorState.RUNNING });
  t.ok(r.terminated(Termination.PANIC, 'Attempted to kill init!'));
  t.notOk(r.terminated(Termination.FORCED_END, 'machine exited'), 'only the first end counts');
  t.same(r.runAnswer(), { rc: Rc.INSTANCE_TERMINATED, text: '' });
  t.same(r.run(), { rc: Rc.INSTANCE_TERMINATED, text: '' });
  t.same(r.runResult(), { state: MonitorState.TERMINATED, reason: Termination.PANIC, text: 'Attempted to kill init!' });
  t.same(r.require(MonitorState.INITIALIZED, 'LOAD_SECTION'), {
    rc: Rc.ERROR,
    text: 'LOAD_SECTION needs monitor 4242 INITIALIZED, it is TERMINATED (Attempted to kill init!)',
  });
  t.notOk(r.running);
  r.reset();
  t.same(r.runResult(), { state: MonitorState.INITIALIZED });
  t.equal(r.reason, Termination.END);
  r.resumed();
  t.ok(r.running, 'a resumed machine is where START leaves it');
});

t.test('leaving: a non-owner frees its modules; the owner ends the monitor for everyone', async (t) => {
  const r = rules();
  r.attach('console', { modules: [Module.CONSOLE], force: false, watch: false });
  r.attach('serial', { modules: [Module.SERIAL0], force: false, watch: false });
  r.attach('watcher', { modules: [Module.PRINTK], force: false, watch: true });
  t.equal(r.leave('console'), 'detached');
  t.equal(r.holder(Module.CONSOLE), undefined, 'its module is free');
  t.notOk(r.isBound('console'));
  t.same(r.attach('other', { modules: [Module.CONSOLE], force: false, watch: false }), { takenOver: [] }, 'and taken without FORCE');
  t.equal(r.leave('owner'), 'end');
  t.same(r.end().sort(), ['other', 'serial', 'watcher'], 'every other bound client is told');
  t.same(r.end(), [], 'once');
  t.equal(r.owner, undefined);
  t.same(r.recipients(Module.SERIAL0), []);
  t.same(refusal(r.attach('late', { modules: [Module.CONSOLE], force: false, watch: false })), { rc: Rc.ERROR, text: 'no monitor 4242' });
  t.notOk(r.terminated(Termination.END, ''), 'an ended monitor does not terminate again');
});

t.test('CREATE admission at the manager: a free id, at most MAX_MONITORS, guest RAM within the host budget', async (t) => {
  const MiB = 1024 * 1024;
  const none = { ids: new Set<number>(), usedBytes: 0 };
  t.equal(admit(7, 64, none, 128 * MiB), undefined);
  t.same(admit(7, 64, { ids: new Set([7]), usedBytes: 64 * MiB }, 1024 * MiB), { rc: Rc.ERROR, text: 'monitor 7 already exists' });
  t.same(admit(7, 64, { ids: new Set(Array.from({ length: MAX_MONITORS }, (_, i) => 100 + i)), usedBytes: 0 }, 1 << 30), {
    rc: Rc.ERROR,
    text: `${MAX_MONITORS} monitors already run`,
  });
  t.same(admit(7, 64, { ids: new Set([8]), usedBytes: 100 * MiB }, 128 * MiB), {
    rc: Rc.HOSTMEM_USE_LIMIT_REACHED,
    text: 'mem=64 would exceed the host memory limit of 128 MiB (100 MiB in use)',
  });
  t.equal(admit(7, 28, { ids: new Set([8]), usedBytes: 100 * MiB }, 128 * MiB), undefined, 'exactly at the limit fits');
});
