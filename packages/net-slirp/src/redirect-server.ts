// Host listeners for the configured redirections. Each host port of a range is bound on its
// own, so a port already in use is one log line and every other redirection still works
// (coLinux: "slirp redir <h>:<g> failed." and continue). Connections reach the guest's first
// DHCP address, from the gateway address, as in libslirp (sotranslate_accept); tcp6/udp6 ones
// reach the guest's IPv6 address from the IPv6 gateway (SlirpContext.guestAddress6).
import net from 'node:net';
import dgram from 'node:dgram';
import { sameAddress } from './address.ts';
import { sendUdp } from './udp.ts';
import type { IpPacket } from './ip.ts';
import type { Redirection } from './redirect.ts';
import type { SlirpContext } from './context.ts';
import type { TcpNat } from './tcp.ts';

interface UdpClient {
  server: dgram.Socket;
  address: string;
  port: number;
  guestPort: number;
  v6: boolean;
  lastUse: number;
}

export interface RedirectResult {
  text: string;
  proto: 'tcp' | 'udp';
  v6: boolean;
  bind: string;
  hostPort: number;
  guestPort: number;
  error?: string;
}

/** One listening host port: `origin` config (-r) or runtime (colinux-ctl forward add). */
interface Listening {
  res: RedirectResult;
  server: net.Server | dgram.Socket;
  origin: 'config' | 'runtime';
}

/** `proto:bind:hostport:guestport` with an IPv6 bind in brackets (proto tcp6/udp6 for the
 *  guest's IPv6 address): the form `forward` answers. */
export function canonical(r: { proto: string; v6: boolean; bind: string; hostPort: number; guestPort: number }): string {
  return `${r.proto}${r.v6 ? '6' : ''}:${net.isIPv6(r.bind) ? `[${r.bind}]` : r.bind}:${r.hostPort}:${r.guestPort}`;
}
function keyOf(r: { proto: string; bind: string; hostPort: number }): string {
  return `${r.proto}|${r.bind}|${r.hostPort}`;
}
/** How long a run-time forward retries a port in use (a replaced helper may still hold it). */
const RUNTIME_REBIND_MS = 3000;
const REBIND_STEP_MS = 250;

const UDP_FIRST = 40000;

export class Redirects {
  private readonly ctx: SlirpContext;
  /** Where redirected TCP clients are connected to the guest. */
  private readonly tcp: TcpNat;
  private readonly listening = new Map<string, Listening>();
  private readonly udpByPort = new Map<number, UdpClient>();
  private readonly udpByClient = new Map<string, number>();
  private nextUdpPort = UDP_FIRST;

  constructor(ctx: SlirpContext, tcp: TcpNat) {
    this.ctx = ctx;
    this.tcp = tcp;
  }

  /** Binds every host port of every redirection; with quiet, failures are only returned. */
  async start(list: Redirection[], opts: { quiet?: boolean } = {}): Promise<RedirectResult[]> {
    const results: RedirectResult[] = [];
    for (const r of list) {
      for (let i = 0; i < r.count; i++) {
        results.push(
          await this.bindOne({ text: r.text, proto: r.proto, v6: r.v6, bind: r.bind, hostPort: r.hostPort + i, guestPort: r.guestPort + i }, !opts.quiet),
        );
      }
    }
    return results;
  }

  /** Tries failed entries again (a replaced helper may still hold the ports). */
  async retry(failed: RedirectResult[], report: boolean): Promise<RedirectResult[]> {
    const out: RedirectResult[] = [];
    for (const r of failed) out.push(await this.bindOne({ ...r, error: undefined }, report));
    return out;
  }

  /** `forward add`: one more redirection, bound now (a port in use is retried for a few
   *  seconds); a non-loopback bind is logged, being an explicit choice to expose the guest. */
  async add(r: Redirection): Promise<RedirectResult[]> {
    const out: RedirectResult[] = [];
    for (let i = 0; i < r.count; i++) {
      const res: RedirectResult = { text: r.text, proto: r.proto, v6: r.v6, bind: r.bind, hostPort: r.hostPort + i, guestPort: r.guestPort + i };
      const existing = this.listening.get(keyOf(res));
      if (existing) {
        out.push({ ...res, error: `${canonical(existing.res)} already forwards that host port` });
        continue;
      }
      let done = await this.bindOne(res, false, 'runtime');
      for (let waited = 0; done.error?.includes('EADDRINUSE') && waited < RUNTIME_REBIND_MS; waited += REBIND_STEP_MS) {
        await new Promise((resolve) => setTimeout(resolve, REBIND_STEP_MS));
        done = await this.bindOne(res, false, 'runtime');
      }
      if (!done.error && !isLoopback(res.bind))
        this.ctx.log.warn({ forward: canonical(res) }, 'forward bound to a non-loopback address: the guest port is reachable from the network');
      out.push(done);
    }
    return out;
  }

  /** `forward remove`: the listener of proto/bind/hostport closed; false when there is none. */
  remove(r: { proto: string; bind: string; hostPort: number }): RedirectResult | undefined {
    const l = this.listening.get(keyOf(r));
    if (!l) return undefined;
    l.server.close();
    this.listening.delete(keyOf(r));
    for (const [port, c] of this.udpByPort) {
      if (c.server !== l.server) continue;
      this.udpByPort.delete(port);
      this.udpByClient.delete(`${c.address}|${c.port}|${c.guestPort}`);
    }
    this.ctx.log.info({ forward: canonical(l.res) }, 'redirection removed');
    return l.res;
  }

  /** Every listening redirection, configured and run-time, in host-port order. */
  list(): Array<{ forward: string; origin: 'config' | 'runtime' }> {
    return [...this.listening.values()]
      .sort((a, b) => a.res.hostPort - b.res.hostPort || a.res.proto.localeCompare(b.res.proto))
      .map((l) => ({ forward: canonical(l.res), origin: l.origin }));
  }

  private async bindOne(res: RedirectResult, report: boolean, origin: 'config' | 'runtime' = 'config'): Promise<RedirectResult> {
    try {
      const server =
        res.proto === 'tcp'
          ? await this.listenTcp(res.bind, res.hostPort, res.guestPort, res.v6)
          : await this.listenUdp(res.bind, res.hostPort, res.guestPort, res.v6);
      this.listening.set(keyOf(res), { res, server, origin });
      this.ctx.log.info({ redirection: res.text, bind: res.bind, hostPort: res.hostPort, guestPort: res.guestPort }, 'redirection listening');
      return res;
    } catch (e) {
      const error = (e as Error).message;
      if (report) this.ctx.log.error(`slirp redir ${res.proto}:${res.bind}:${res.hostPort}:${res.guestPort} failed: ${error}`);
      return { ...res, error };
    }
  }

  private listenTcp(bind: string, hostPort: number, guestPort: number, v6: boolean): Promise<net.Server> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      const guest = v6 ? this.ctx.guestAddress6() : this.ctx.config.guest;
      if (!guest) {
        this.ctx.count('redirect-no-guest6');
        socket.destroy();
        return;
      }
      this.tcp.redirect(socket, guest, guestPort);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: bind, port: hostPort, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.ctx.log.error({ err: e.message, hostPort }, 'redirection listener error'));
        resolve(server);
      });
    });
  }

  private listenUdp(bind: string, hostPort: number, guestPort: number, v6: boolean): Promise<dgram.Socket> {
    const server = dgram.createSocket({ type: net.isIPv6(bind) ? 'udp6' : 'udp4' });
    server.on('message', (msg, rinfo) => this.udpFromHost(server, guestPort, v6, msg, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.bind({ address: bind, port: hostPort, exclusive: true }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private udpFromHost(server: dgram.Socket, guestPort: number, v6: boolean, msg: Uint8Array, address: string, port: number): void {
    const guest = v6 ? this.ctx.guestAddress6() : this.ctx.config.guest;
    if (!guest) return this.ctx.count('redirect-no-guest6');
    const ck = `${address}|${port}|${guestPort}`;
    let gwPort = this.udpByClient.get(ck);
    if (gwPort === undefined) {
      if (this.udpByPort.size >= this.ctx.config.maxUdpFlows) return this.ctx.count('udp-redirect-full');
      do {
        gwPort = this.nextUdpPort;
        this.nextUdpPort = this.nextUdpPort >= 48999 ? UDP_FIRST : this.nextUdpPort + 1;
      } while (this.udpByPort.has(gwPort));
      this.udpByClient.set(ck, gwPort);
    }
    this.udpByPort.set(gwPort, { server, address, port, guestPort, v6, lastUse: Date.now() });
    sendUdp(this.ctx, v6 ? this.ctx.config.gateway6 : this.ctx.config.gateway, gwPort, guest, guestPort, msg);
  }

  /** A guest datagram answering a redirected UDP client; true when consumed. */
  udpReply(p: IpPacket, sport: number, dport: number, data: Uint8Array): boolean {
    const v6 = p.version === 6;
    if (!sameAddress(p.dst, v6 ? this.ctx.config.gateway6 : this.ctx.config.gateway)) return false;
    const c = this.udpByPort.get(dport);
    if (!c || c.guestPort !== sport || c.v6 !== v6) return false;
    c.lastUse = Date.now();
    c.server.send(data, c.port, c.address);
    return true;
  }

  tick(now: number): void {
    for (const [port, c] of this.udpByPort) {
      if (now - c.lastUse > this.ctx.config.udpIdleMs) {
        this.udpByPort.delete(port);
        this.udpByClient.delete(`${c.address}|${c.port}|${c.guestPort}`);
      }
    }
  }

  close(): void {
    for (const l of this.listening.values()) l.server.close();
    this.listening.clear();
  }
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
