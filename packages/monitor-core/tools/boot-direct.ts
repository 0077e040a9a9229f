// Developer tool: boot a raw kernel Image on the machine worker without the manager.
//   node boot-direct.ts --image Image [--initrd f] [--append "..."] [--mem 128] [--disk f]...
//        [--firmware fw_jump.elf] [--serial] [--net-mac 52:54:00:12:34:56] [--share dir[,ro]]...
// The console (hvc0) is wired to stdin/stdout, PRINTK lines to stderr; the exit status is the
// termination reason. Stdin in raw mode when it is a TTY; Ctrl-] stops the machine.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Module, Termination, terminationName } from '@colinux/protocol';
import type { FromMachine, MachineConfig, ToMachine } from '../src/machine/contract.ts';
import { MACHINE_WORKER_YOUNG_GENERATION_MB } from '../src/machine/monitor-process.ts';

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    initrd: { type: 'string' },
    append: { type: 'string', default: '' },
    mem: { type: 'string', default: '128' },
    disk: { type: 'string', multiple: true, default: [] },
    firmware: { type: 'string' },
    serial: { type: 'boolean', default: false },
    'net-mac': { type: 'string' },
    share: { type: 'string', multiple: true, default: [] },
  },
});

if (!values.image) {
  process.stderr.write('boot-direct: --image <Image> is required\n');
  process.exit(2);
}

function readOrDie(what: string, path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    process.stderr.write(`boot-direct: cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code}\n`);
    process.exit(2);
  }
}

const image = readOrDie('kernel image', values.image);
const initrd = values.initrd ? readOrDie('initrd', values.initrd) : null;
const { port1, port2 } = new MessageChannel();
const wake = new SharedArrayBuffer(4);
const wakeView = new Int32Array(wake);
const config: MachineConfig = {
  monitorId: 0,
  memoryMiB: Number(values.mem),
  bootLine: values.append,
  console: { cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 25 },
  blockDevices: values.disk.map((path, index) => ({ index, path, readOnly: false, aliases: [] })),
  netDevices: values['net-mac'] ? [{ unit: 0, mac: values['net-mac'] }] : [],
  serialPorts: values.serial ? [0] : [],
  // --share dir[,ro]: cofs0, cofs1, ... in order.
  sharedDirs: values.share.map((s, unit) => ({ unit, path: s.replace(/,ro$/, ''), readOnly: s.endsWith(',ro') })),
  ...(values.firmware ? { firmwarePath: values.firmware } : {}),
  wake,
  port: port2,
};

const worker = new Worker(new URL('../src/machine/worker.ts', import.meta.url), {
  workerData: config,
  transferList: [port2],
  // As the manager starts it (manager/monitor.ts), so that what the benches measure is a monitor.
  resourceLimits: { maxYoungGenerationSizeMb: MACHINE_WORKER_YOUNG_GENERATION_MB },
});
const started = performance.now();

function send(msg: ToMachine, transfer: ArrayBuffer[] = []): void {
  port1.postMessage(msg, transfer);
  Atomics.add(wakeView, 0, 1);
  Atomics.notify(wakeView, 0);
}

port1.on('message', (msg: FromMachine) => {
  switch (msg.type) {
    case 'output':
      if (msg.module === Module.CONSOLE || msg.module === Module.SERIAL0) process.stdout.write(msg.data);
      else if (msg.module === Module.PRINTK) process.stderr.write(msg.data);
      break;
    case 'terminated': {
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      process.stderr.write(`\nboot-direct: guest terminated: ${terminationName(msg.reason)}${msg.text ? ` (${msg.text})` : ''} after ${secs}s\n`);
      send({ type: 'stop', reason: msg.reason });
      process.exitCode = msg.reason === Termination.POWEROFF ? 0 : 10 + msg.reason;
      setTimeout(() => process.exit(), 200);
      break;
    }
    case 'error':
      process.stderr.write(`boot-direct: ${msg.message}\n`);
      process.exitCode = 2;
      break;
    case 'stats':
      if (process.env.BOOT_DIRECT_STATS) process.stderr.write(`[stats] ${JSON.stringify(msg)}\n`);
      break;
    default:
      break; // answers to requests this tool never sends (disk snapshot, suspend, restore)
  }
});
worker.on('exit', () => process.exit());
worker.on('error', (err) => {
  process.stderr.write(`boot-direct: worker failed: ${err.stack}\n`);
  process.exit(2);
});

// The Image header's image_size (offset 16, boot-image-header.rst) includes the BSS, which
// the kernel clears itself but which must stay clear of the initrd.
const imageSize = image.length >= 24 ? Math.max(image.length, Number(image.readBigUInt64LE(16))) : image.length;
// Moved to the worker, not copied, as the manager does (docs/manager.md "Memory"): a copy would
// stay in this thread for the guest's life. A small file's buffer may be a slice of Node's
// shared pool, which must not be moved: such a file is copied into a buffer of its own first.
function movable(data: Buffer): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : new Uint8Array(data);
}
const kernelData = movable(image);
send({ type: 'load-section', offset: 0, size: imageSize, data: kernelData }, [kernelData.buffer as ArrayBuffer]);
if (initrd) {
  const initrdData = movable(initrd);
  send({ type: 'load-initrd', data: initrdData }, [initrdData.buffer as ArrayBuffer]);
}
send({ type: 'start', entryOffset: 0 });

if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', (chunk: Buffer) => {
  if (chunk.includes(0x1d)) {
    send({ type: 'stop', reason: Termination.POWEROFF });
    return;
  }
  send({ type: 'message', module: values.serial ? Module.SERIAL0 : Module.CONSOLE, data: new Uint8Array(chunk) });
});
