// colinux-net-daemon -i <id> -u <unit> [-n <ifname>] [--force] (docs/colinux.md#network-helpers,
// Linux host): creates TAP interface <ifname> (default conet-host-<id>-<unit>) with
// IFF_TAP|IFF_NO_PI, attaches CONET0+unit and shuttles frames both ways. Exits 0 when the
// monitor ends or another helper takes the unit over.
import { Module } from '@colinux/protocol';
import { helperMain, type HelperSpec } from '@colinux/client/helper';
import { TapDevice, forEachFrame } from './tap-device.ts';

interface TapOptions {
  name?: string;
}
interface Tap {
  device: TapDevice;
  toGuest: number;
  fromGuest: number;
}

export const tapHelper: HelperSpec<TapOptions, Tap> = {
  name: 'colinux-net-daemon',
  prefix: 'conet-tap-daemon',
  description: 'TAP networking for a coLinux guest network unit',
  modules: { base: Module.CONET0, count: 16, unitHelp: 'network unit: attaches CONET0+unit' },
  options: {
    add: (cmd) => cmd.option('-n, --name <ifname>', 'TAP interface name (default conet-host-<id>-<unit>)'),
    parse: (o) => ({ name: typeof o.name === 'string' ? o.name : undefined }),
  },

  open({ args, log }) {
    const name = args.options.name ?? `conet-host-${args.id}-${args.unit}`;
    log.info({ ifname: name }, `creating network ${name}`);
    let device: TapDevice;
    try {
      device = TapDevice.open(name);
    } catch (e) {
      throw new Error(`unit ${args.unit}: ${(e as Error).message}`);
    }
    log.info({ ifname: device.name }, `TAP interface ${device.name} created`);
    return { device, toGuest: 0, fromGuest: 0 };
  },

  started(tap, { args, log, client, module }) {
    tap.device.startReading((batch) =>
      forEachFrame(batch, (f) => {
        tap.toGuest++;
        client.send(module, f);
      }),
    );
    log.info({ monitor: args.id, module, ifname: tap.device.name }, 'running');
  },

  onGuest(tap, frame) {
    tap.fromGuest++;
    tap.device.write(frame);
  },
  stats: (tap) => ({ toGuest: tap.toGuest, fromGuest: tap.fromGuest, droppedWrites: tap.device.droppedWrites }),
  close: (tap) => tap.device.close(),
};

if (import.meta.main || process.argv[1]?.endsWith('colinux-net-daemon.js')) await helperMain(tapHelper);
