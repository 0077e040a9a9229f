// Frames, records and bodies: round trips, every split point, and refusals before allocation.
import t from 'tap';
import {
  FrameDecoder,
  FrameError,
  FrameKind,
  MAX_RECORD_DATA,
  Module,
  Rc,
  Termination,
  BodyError,
  decodeAttach,
  decodeCreate,
  decodeLinuxMessage,
  decodeLoadSection,
  decodeRecords,
  decodeRunResult,
  encodeAttach,
  encodeCreate,
  encodeFrame,
  encodeLoadSection,
  encodeRecords,
  encodeRunResult,
  moduleName,
  netModule,
  rcName,
  recordToLinux,
  Device,
  type ModuleId,
  type MonitorConfig,
} from '../src/index.ts';

const config: MonitorConfig = {
  memoryMiB: 64,
  bootLine: 'root=/dev/vda console=hvc0',
  console: { cols: 80, rows: 25, scrollback: 500 },
  blockDevices: [{ index: 0, path: '/tmp/root.img', readOnly: false, aliases: ['hda'] }],
  netDevices: [{ unit: 0, mac: '02:00:00:00:00:01', type: 'slirp' }],
  serialPorts: [0],
  sharedDirs: [{ unit: 0, path: '/tmp', readOnly: true }],
};

t.test('coLinux numbers', async (t) => {
  t.equal(Module.CONSOLE, 6);
  t.equal(Module.CONET0, 8);
  t.equal(Module.SERIAL0, 88);
  t.equal(Module.MODULES_MAX, 156);
  t.equal(Rc.INSTANCE_TERMINATED, -23);
  t.equal(rcName(-21), 'INVALID_PARAMETER');
  t.equal(rcName(-99), 'RC_-99');
  t.equal(Termination.VMXE, 10);
  t.equal(moduleName(Module.CONET0 + 15), 'net15');
  t.equal(moduleName(Module.SERIAL0 + 31), 'serial31', 'the last unit has its name (module_repr.c stopped one short)');
});

t.test('frames survive being split at every byte', async (t) => {
  const frames = [
    encodeFrame(FrameKind.REQUEST, 0x13, 1, 0, new Uint8Array([1, 2, 3])),
    encodeFrame(FrameKind.REPLY, 0x12, 0xffffffff, Rc.ERROR),
    encodeFrame(FrameKind.MESSAGES, 0, 0, 0, new Uint8Array(300).fill(7)),
  ];
  const all = Buffer.concat(frames);
  for (let cut = 0; cut <= all.length; cut++) {
    const d = new FrameDecoder();
    const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
    if (got.length !== 3 || got[1]?.seq !== 0xffffffff || got[1].rc !== Rc.ERROR || got[2]?.body.length !== 300) return t.fail(`split at ${cut}`);
  }
  t.pass('all split points');
});

t.test('a frame larger than the limit is refused from its header', async (t) => {
  const h = encodeFrame(FrameKind.REQUEST, 0x11, 1, 0).slice();
  new DataView(h.buffer).setUint32(0, 0xfffffff0, true);
  t.throws(() => new FrameDecoder().push(h), FrameError);
  t.throws(() => encodeFrame(FrameKind.REQUEST, 0x11, 1, 0, new Uint8Array(5 * 1024 * 1024)), FrameError);
});

t.test('message records: round trip, exact ends, size limit', async (t) => {
  const recs = [recordToLinux(netModule(2), new Uint8Array([9, 9])), { from: Module.LINUX, to: Module.CONSOLE, priority: 0, type: 0, data: new Uint8Array(0) }];
  const back = decodeRecords(encodeRecords(recs));
  t.equal(back.length, 2);
  const lm = decodeLinuxMessage(back[0]!.data); // length checked just above
  t.same([lm.device, lm.unit, [...lm.data]], [Device.NETWORK, 2, [9, 9]]);
  const body = encodeRecords(recs);
  t.throws(() => decodeRecords(body.subarray(0, body.length - 1)), FrameError, 'a truncated last record');
  const huge = new Uint8Array(20);
  new DataView(huge.buffer).setUint32(16, MAX_RECORD_DATA + 1, true);
  t.throws(() => decodeRecords(huge), /exceeds/);
});

t.test('CREATE, ATTACH, LOAD_SECTION and RUN bodies', async (t) => {
  t.same(decodeCreate(encodeCreate(77, config)), { id: 77, config });
  t.throws(() => decodeCreate(encodeCreate(77, { ...config, console: { cols: 0, rows: 25, scrollback: 0 } })), /console\.cols/);
  t.throws(() => decodeCreate(encodeCreate(0, config)), BodyError);
  t.same(decodeAttach(encodeAttach({ id: 5, flags: 1, modules: [6, 6, 88] })), { id: 5, flags: 1, modules: [6, 88] });
  t.throws(
    () => decodeAttach(encodeAttach({ id: 5, flags: 0, modules: [Module.MODULES_MAX as ModuleId] })),
    /cannot be attached/,
    'a hostile client may send any u32',
  );
  t.throws(() => decodeAttach(encodeAttach({ id: 5, flags: 8, modules: [6] })), /unknown flags/);
  t.same(decodeLoadSection(encodeLoadSection({ offset: 4096, size: 3, data: new Uint8Array([1, 2, 3]) })), {
    offset: 4096,
    size: 3,
    data: new Uint8Array([1, 2, 3]),
  });
  t.same(decodeLoadSection(encodeLoadSection({ offset: 0, size: 1 << 20 })), { offset: 0, size: 1 << 20 });
  const lying = encodeLoadSection({ offset: 0, size: 3, data: new Uint8Array([1, 2, 3]) });
  new DataView(lying.buffer).setUint32(4, 4, true);
  t.throws(() => decodeLoadSection(lying), /size says 4 bytes but 3 follow/);
  t.same(decodeRunResult(encodeRunResult({ state: 4, reason: 3, text: 'Kernel panic' })), { state: 4, reason: 3, text: 'Kernel panic' });
  t.same(decodeRunResult(encodeRunResult({ state: 2 })), { state: 2 });
});
