// The request tables (requests.ts): every entry's request and reply bodies survive a round trip,
// a few are checked byte for byte against docs/protocol.md's layouts, codes are unique, and every
// decoder answers arbitrary bytes with a value or a BodyError/FrameError, never anything else.
import fc from 'fast-check';
import t from 'tap';
import {
  AttachFlag,
  BodyError,
  Calls,
  ForwardOp,
  FrameError,
  ManagerState,
  Module,
  MonitorOp,
  MonitorOps,
  MonitorState,
  PowerAction,
  Requests,
  Termination,
  netModule,
  serialModule,
  type Codec,
  type MonitorConfig,
  type MonitorInfo,
  type MonitorOpSpec,
  type RequestSpec,
} from '../src/index.ts';

const LONG = process.env.COLINUX_LONG_TESTS === '1';
const CASES = LONG ? 100_000 : 2_000;

type Sample<S> = S extends RequestSpec<infer Req, infer Reply> ? [Req, Reply] : S extends MonitorOpSpec<infer Req, infer Reply> ? [Req, Reply] : never;

const config: MonitorConfig = {
  memoryMiB: 64,
  bootLine: 'root=/dev/cobd0 console=hvc0',
  console: { cols: 80, rows: 25, scrollback: 500 },
  blockDevices: [{ index: 0, path: '/srv/root.qcow2', readOnly: false, aliases: ['hda'] }],
  netDevices: [{ unit: 0, mac: '02:00:00:00:00:01', type: 'slirp' }],
  serialPorts: [0],
  sharedDirs: [],
};
const running: MonitorInfo = { id: 4242, state: MonitorState.RUNNING, memoryMiB: 64, ownerPid: 4242, createdAt: 1_700_000_000_000.5 };
const orphan: MonitorInfo = { id: 17, state: MonitorState.TERMINATED, memoryMiB: 16, createdAt: 1_700_000_000_001 };

// One request and one reply value per entry; the mapped types make a new entry without a sample
// a type error, and the test below checks the same at run time.
const requestSamples: { [K in keyof typeof Requests]: Sample<(typeof Requests)[K]> } = {
  CREATE: [{ id: 77, config }, '/run/user/1000/colinux/monitor-77.sock'],
  MONITOR: [{ op: MonitorOp.START, tail: new Uint8Array([0, 16, 0, 0]) }, new Uint8Array([9, 8, 7])],
  STATUS: [
    1,
    { protocolVersion: 1, state: ManagerState.INITIALIZED, monitorCount: 2, pid: 999, startedAt: 1.5e12, rssBytes: 52_000_000, monitors: [running, orphan] },
  ],
  DEBUG: ['a line for the manager log', undefined],
  DEBUG_READER: [undefined, undefined],
  INFO: [undefined, { hostmemLimit: 2 ** 34, hostmemUsed: 2 ** 26 }],
  ATTACH: [{ id: 4242, flags: AttachFlag.FORCE, modules: [Module.CONSOLE, netModule(15), serialModule(31)] }, ''],
  MONITOR_LIST: [undefined, [running, orphan]],
  SHUTDOWN: [undefined, undefined],
  MONITOR_STATUS: [
    4242,
    {
      id: 4242,
      state: MonitorState.TERMINATED,
      reason: Termination.PANIC,
      text: 'Attempted to kill init!',
      memoryMiB: 64,
      ownerPid: 4242,
      createdAt: 1.5e12,
      bootLine: 'root=/dev/cobd0',
      instructions: 123_456_789,
      hostMs: 4321,
      droppedFrames: 3,
      droppedToClients: 1,
      jit: {
        entries: 10,
        insns: 2_000_000,
        translated: 300,
        dropped: 4,
        batches: 12,
        codeWrites: 1,
        regions: 90,
        lookups: 40,
        decodeMisses: 7,
        flushes: 2,
        compileMs: 55.5,
      },
      modules: [
        { module: Module.CONSOLE, held: true, watchers: 2 },
        { module: netModule(0), held: false, watchers: 0 },
      ],
      disks: [{ unit: 0, path: '/srv/root.qcow2', readOnly: false, format: 'qcow2' }],
      nets: [{ unit: 0, mac: '02:00:00:00:00:01', type: 'slirp' }],
    },
  ],
  POWER: [{ id: 4242, value: PowerAction.REBOOT }, undefined],
  SYSRQ: [{ id: 4242, value: 'b'.charCodeAt(0) }, undefined],
  DISK_SNAPSHOT: [{ id: 4242, unit: 1, file: '/srv/after.qcow2' }, '/srv/after.qcow2'],
  FORWARD: [{ id: 4242, unit: 0, op: ForwardOp.ADD, spec: 'tcp:127.0.0.1:2222:22' }, 'tcp:127.0.0.1:2222:22'],
  SUSPEND: [{ id: 4242, file: '/srv/vm.suspend' }, '{"id":4242,"file":"/srv/vm.suspend","bytes":1048576,"ms":120}'],
  RESUME: ['/srv/vm.suspend', '{"id":4243,"file":"/srv/vm.suspend","ms":80}'],
};
const opSamples: { [K in keyof typeof MonitorOps]: Sample<(typeof MonitorOps)[K]> } = {
  CLOSE: [undefined, undefined],
  LOAD_SECTION: [{ offset: 0x1000, size: 3, data: new Uint8Array([1, 2, 3]) }, undefined],
  START: [0x2000, undefined],
  RUN: [undefined, { state: MonitorState.TERMINATED, reason: Termination.PANIC, text: 'VFS: Unable to mount root fs' }],
  LOAD_INITRD: [{ total: 10, offset: 4, data: new Uint8Array([5, 6, 7]) }, undefined],
  GET_CONSOLE: [undefined, { cols: 80, rows: 25, scrollback: 500, cursorX: 3, cursorY: 24, data: new TextEncoder().encode('\x1b[H$ ') }],
  GET_STATE: [undefined, { state: MonitorState.RUNNING }],
  RESET: [undefined, undefined],
};
const callSamples: { [K in keyof typeof Calls]: Sample<(typeof Calls)[K]> } = {
  FORWARD: [{ op: ForwardOp.REMOVE, spec: 'udp::5353:53' }, 'udp::5353:53'],
  SUSPEND: ['/srv/vm.suspend', '{"memoryMiB":64}'],
};

function roundTrip<T>(test: Pick<typeof t, 'same'>, codec: Codec<T>, value: T, what: string): void {
  test.same(codec.decode(codec.encode(value)), value, what);
}

const tables = [
  ['Requests', Requests, requestSamples],
  ['MonitorOps', MonitorOps, opSamples],
  ['Calls', Calls, callSamples],
] as const;

t.test('every entry of every table round-trips its request and its reply', async (t) => {
  for (const [table, entries, samples] of tables) {
    for (const [name, spec] of Object.entries(entries) as Array<[string, RequestSpec<unknown, unknown> | MonitorOpSpec<unknown, unknown>]>) {
      const sample = (samples as Record<string, [unknown, unknown] | undefined>)[name];
      if (!sample) {
        t.fail(`${table}.${name} has no sample here`);
        continue;
      }
      t.equal(spec.name, name, `${table}.${name} is named after its key`);
      roundTrip(t, spec.request, sample[0], `${table}.${name} request`);
      roundTrip(t, spec.reply, sample[1], `${table}.${name} reply`);
    }
  }
});

t.test('request codes are unique and fit the u16 code field; op codes are unique', async (t) => {
  const codes = Object.values(Requests).map((r) => r.code);
  t.equal(new Set(codes).size, codes.length, 'no two requests share a code');
  t.ok(
    codes.every((c) => c > 0 && c <= 0xffff),
    'all in 1..0xffff',
  );
  const ops = Object.values(MonitorOps).map((o) => o.op);
  t.equal(new Set(ops).size, ops.length, 'no two MONITOR ops share a code');
  t.equal(Calls.FORWARD.code, Requests.FORWARD.code, 'the FORWARD CALL carries the control request code');
  t.equal(Calls.SUSPEND.code, Requests.SUSPEND.code, 'the SUSPEND CALL carries the control request code');
});

const u32 = (...values: number[]): number[] => values.flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
const text = (s: string): number[] => [...u32(s.length), ...new TextEncoder().encode(s)];

t.test('bodies are laid out as docs/protocol.md says', async (t) => {
  t.same([...Requests.STATUS.request.encode(1)], u32(1), 'STATUS: u32 version');
  t.same(
    [...Requests.ATTACH.request.encode({ id: 7, flags: AttachFlag.WATCH, modules: [Module.CONSOLE, serialModule(0)] })],
    u32(7, 2, 2, 6, 88),
    'ATTACH: id, flags, n, modules',
  );
  t.same([...Requests.MONITOR_STATUS.request.encode(7)], u32(7), 'MONITOR_STATUS: u32 id');
  t.same([...Requests.POWER.request.encode({ id: 7, value: PowerAction.POWEROFF })], u32(7, 2), 'POWER: id, action');
  t.same(
    [...Requests.FORWARD.request.encode({ id: 7, unit: 1, op: ForwardOp.ADD, spec: 'tcp::80:8080' })],
    [...u32(7, 1, 1), ...text('tcp::80:8080')],
    'FORWARD: id, unit, op, spec',
  );
  t.same([...Calls.FORWARD.request.encode({ op: ForwardOp.LIST, spec: '' })], [...u32(0), ...text('')], 'FORWARD CALL: op, spec');
  t.same(
    [...Requests.MONITOR.request.encode({ op: MonitorOps.START.op, tail: MonitorOps.START.request.encode(0x2000) })],
    u32(2, 0x2000),
    'MONITOR START: op, entry',
  );
  t.same(
    [...MonitorOps.LOAD_SECTION.request.encode({ offset: 16, size: 2, data: new Uint8Array([0xaa, 0xbb]) })],
    [...u32(16, 2, 1), 0xaa, 0xbb],
    'LOAD_SECTION: offset, size, has data, data',
  );
  t.same([...MonitorOps.LOAD_SECTION.request.encode({ offset: 16, size: 4096 })], u32(16, 4096, 0), 'LOAD_SECTION zero-fill: has data 0');
  t.same(
    [...MonitorOps.RUN.reply.encode({ state: MonitorState.RUNNING })],
    [...u32(MonitorState.RUNNING, 0xffffffff), ...text('')],
    'RUN reply: state, no reason, empty text',
  );
  t.same([...Requests.INFO.request.encode()], [], 'no-body requests are empty');
});

t.test('decoders refuse codes and modules that do not exist', async (t) => {
  t.throws(() => MonitorOps.RUN.reply.decode(new Uint8Array([...u32(9, 0xffffffff), ...text('')])), /unknown state 9/, 'a monitor state');
  t.throws(
    () => MonitorOps.RUN.reply.decode(new Uint8Array([...u32(MonitorState.TERMINATED, 99), ...text('')])),
    /unknown termination reason 99/,
    'a termination reason',
  );
  t.throws(() => Requests.FORWARD.request.decode(new Uint8Array([...u32(7, 0, 3), ...text('')])), /unknown op 3/, 'a forward op');
  t.throws(() => Calls.FORWARD.request.decode(new Uint8Array([...u32(5), ...text('')])), /unknown op 5/, 'a forward op in a CALL');
  const status = Requests.MONITOR_STATUS.reply.encode(requestSamples.MONITOR_STATUS[1]);
  const bad = status.slice();
  // The first module entry follows the fixed part and the two texts: patch its module to 156.
  const at =
    bad.length -
    (3 * 4 * 2 + 4) -
    (4 + 4 + text('/srv/root.qcow2').length + text('qcow2').length + 4) -
    (4 + text('02:00:00:00:00:01').length + text('slirp').length);
  t.same([...bad.subarray(at, at + 4)], u32(Module.CONSOLE), 'found the first module entry');
  bad.set(u32(Module.MODULES_MAX), at);
  t.throws(() => Requests.MONITOR_STATUS.reply.decode(bad), /module 156 is no module/, 'a module id past MODULES_MAX');
});

t.test('every decoder: arbitrary bytes give a value or BodyError/FrameError', async (t) => {
  const decoders: Array<[string, (b: Uint8Array) => unknown]> = [];
  for (const [table, entries] of tables) {
    for (const [name, spec] of Object.entries(entries) as Array<[string, RequestSpec<unknown, unknown> | MonitorOpSpec<unknown, unknown>]>) {
      decoders.push([`${table}.${name} request`, (b) => spec.request.decode(b)], [`${table}.${name} reply`, (b) => spec.reply.decode(b)]);
    }
  }
  fc.assert(
    fc.property(fc.nat({ max: decoders.length - 1 }), fc.uint8Array({ maxLength: 96 }), (which, bytes) => {
      try {
        decoders[which]![1](bytes);
      } catch (err) {
        if (!(err instanceof BodyError || err instanceof FrameError)) throw err;
      }
    }),
    { numRuns: CASES, seed: 0x7ab1e },
  );
  t.pass(`${CASES} cases over ${decoders.length} decoders`);
});
