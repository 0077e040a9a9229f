// colinux-bridged-net-daemon: bridges guest unit CONET0+u onto a host interface through an
// AF_PACKET socket. Command line as coLinux's (docs/colinux.md#network-helpers):
//   colinux-bridged-net-daemon -i <id> -u <unit> [-n <ifname>] -mac <mac> [-p 0|1] [--force]
import { networkInterfaces } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { ExitStatus, usageErrorsOneLine } from '@colinux/client/cli';
import { PacketSocket } from './packet-socket.ts';
import { isForGuest, parseMac } from './frame-filter.ts';

const log = pino({ name: 'conet-bridged-daemon' }, pino.destination(2));
const fail = (msg: string, status: number = ExitStatus.FAILURE): never => {
  process.stderr.write(`colinux-bridged-net-daemon: ${msg}\n`);
  process.exit(status);
};
const int = (name: string, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > max) throw new InvalidArgumentError(`${name} must be 0..${max}`);
  return n;
};

// coLinux spells the MAC switch `-mac`; commander only knows single-letter short options.
const argv = process.argv.map((a) => (a === '-mac' ? '--mac' : a));
const opts = usageErrorsOneLine(new Command('colinux-bridged-net-daemon'), 'colinux-bridged-net-daemon')
  .description('bridge a coLinux network unit onto a host Ethernet interface')
  .requiredOption('-i, --id <id>', 'monitor id (the daemon\'s PID)', int('id', 2 ** 31))
  .requiredOption('-u, --unit <unit>', 'network unit (ethN)', int('unit', 15))
  .option('-n, --name <ifname>', 'host interface (default: the first up, non-loopback one with IPv4)')
  .requiredOption('--mac <mac>', 'the guest interface\'s MAC address')
  .option('-p, --promisc <0|1>', 'promiscuous mode', int('promisc', 1), 1)
  .option('--force', 'take the unit over from a helper already attached')
  .parse(argv)
  .opts<{ id: number; unit: number; name?: string; mac: string; promisc: number; force?: boolean }>();

const mac = parseMac(opts.mac) ?? fail(`error parsing MAC address: ${opts.mac}`, ExitStatus.USAGE);

function defaultInterface(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.family === 'IPv4' && !a.internal)) return name;
  }
  return fail('no matching adapter: no up, non-loopback interface with an IPv4 address; pass -n');
}

const ifname = opts.name ?? defaultInterface();
let nic: PacketSocket;
try {
  nic = new PacketSocket({ ifname, promiscuous: opts.promisc === 1 });
} catch (err) {
  fail((err as Error).message);
}
const module = Module.CONET0 + opts.unit;
let client: ManagerClient;
try {
  client = await ManagerClient.connect();
  await client.attach(opts.id, [module], { force: opts.force === true });
} catch (err) {
  nic!.close();
  fail(`monitor ${opts.id} unit ${opts.unit}: ${(err as Error).message}`);
}

let toGuest = 0;
let toHost = 0;
nic!.onFrame(
  (frame) => {
    if (!isForGuest(frame, mac)) return;
    toGuest++;
    client.send(module, frame);
  },
  (err) => {
    log.error({ err: err.message }, 'interface read failed');
    shutdown(1);
  },
);
client!.on('message', (m) => {
  toHost++;
  try {
    nic.send(m.data);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'frame to host dropped');
  }
});
client!.on('end', (reason) => {
  log.info({ reason, toGuest, toHost }, 'monitor ended');
  shutdown(0);
});
if (opts.promisc === 0) log.info('Promiscuous mode disabled');
log.info({ ifname, unit: opts.unit, id: opts.id }, `listening on: ${ifname}`);

function shutdown(code: number): void {
  nic.close();
  void client.close().finally(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
