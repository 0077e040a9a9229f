// colinux-bridged-net-daemon: bridges guest unit CONET0+u onto a host interface through an
// AF_PACKET socket. Command line as coLinux's (docs/colinux.md#network-helpers):
//   colinux-bridged-net-daemon -i <id> -u <unit> [-n <ifname>] -mac <mac> [-p 0|1] [--force]
import { networkInterfaces } from 'node:os';
import { Module } from '@colinux/protocol';
import { helperMain, UsageError, type HelperSpec } from '@colinux/client/helper';
import type { Logger } from '@colinux/client/log';
import { PacketSocket } from './packet-socket.ts';
import { isForGuest, parseMac } from './frame-filter.ts';

interface BridgedOptions {
  ifname?: string;
  mac: Uint8Array;
  promiscuous: boolean;
}
interface Bridge {
  nic: PacketSocket;
  log: Logger;
  toGuest: number;
  toHost: number;
}

export const bridgedHelper: HelperSpec<BridgedOptions, Bridge> = {
  name: 'colinux-bridged-net-daemon',
  description: 'bridge a coLinux network unit onto a host Ethernet interface',
  modules: { base: Module.CONET0, count: 16, unitHelp: 'network unit (ethN)' },
  options: {
    add: (cmd) =>
      cmd
        .option('-n, --name <ifname>', 'host interface (default: the first up, non-loopback one with IPv4)')
        .option('--mac <mac>', "the guest interface's MAC address (coLinux spells it -mac)")
        .option('-p, --promisc <0|1>', 'promiscuous mode', '1'),
    parse: (o) => {
      if (typeof o.mac !== 'string') throw new UsageError("-mac <mac> not specified: the guest interface's MAC address");
      const mac = parseMac(o.mac);
      if (!mac) throw new UsageError(`error parsing MAC address: ${o.mac}`);
      if (o.promisc !== '0' && o.promisc !== '1') throw new UsageError(`-p ${String(o.promisc)}: must be 0 or 1`);
      return { ifname: typeof o.name === 'string' ? o.name : undefined, mac, promiscuous: o.promisc === '1' };
    },
  },

  open({ args: { options: o }, log }) {
    const ifname = o.ifname ?? defaultInterface();
    return { nic: new PacketSocket({ ifname, promiscuous: o.promiscuous }), log, toGuest: 0, toHost: 0 };
  },

  started(b, { args, log, client, module, stop }) {
    const { mac, promiscuous } = args.options;
    b.nic.onFrame(
      (frame) => {
        if (!isForGuest(frame, mac)) return;
        b.toGuest++;
        client.send(module, frame);
      },
      (err) => {
        log.error({ err: err.message }, 'interface read failed');
        stop(1, 'interface read failed');
      },
    );
    if (!promiscuous) log.info('Promiscuous mode disabled');
    log.info({ ifname: b.nic.ifname, id: args.id }, `listening on: ${b.nic.ifname}`);
  },

  onGuest(b, frame) {
    b.toHost++;
    try {
      b.nic.send(frame);
    } catch (err) {
      b.log.warn({ err: (err as Error).message }, 'frame to host dropped');
    }
  },
  stats: (b) => ({ toGuest: b.toGuest, toHost: b.toHost }),
  close: (b) => b.nic.close(),
};

function defaultInterface(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.family === 'IPv4' && !a.internal)) return name;
  }
  throw new Error('no matching adapter: no up, non-loopback interface with an IPv4 address; pass -n');
}

// coLinux spells the MAC switch `-mac`; commander only knows single-letter short options.
await helperMain(
  bridgedHelper,
  process.argv.slice(2).map((a) => (a === '-mac' ? '--mac' : a)),
);
