// Host listeners for the configured redirections. Each host port of a range is bound on its
// own, so a port already in use is one log line and every other redirection still works
// (coLinux: "slirp redir <h>:<g> failed." and continue). Connections reach the guest's first
// DHCP address, from the gateway address, as in libslirp (sotranslate_accept).
import net from 'node:net';
import dgram from 'node:dgram';
import { sameAddress } from './address.ts';
import { sendUdp } from './udp.ts';
import type { IpPacket } from './ip.ts';
import type { Redirection } from './redirect.ts';
import type { SlirpStack } from './stack.ts';

interface UdpClient { server: dgram.Socket; address: string; port: number; guestPort: number; lastUse: number }

export interface RedirectResult { text: string; proto: 'tcp' | 'udp'; bind: string; hostPort: number; guestPort: number; error?: string }

const UDP_FIRST = 40000;

export class Redirects {
  private readonly stack: SlirpStack;
  private readonly servers: Array<net.Server | dgram.Socket> = [];
  private readonly udpByPort = new Map<number, UdpClient>();
  private readonly udpByClient = new Map<string, number>();
  private nextUdpPort = UDP_FIRST;

  constructor(stack: SlirpStack) { this.stack = stack; }

  /** Binds every host port of every redirection; with quiet, failures are only returned. */
  async start(list: Redirection[], opts: { quiet?: boolean } = {}): Promise<RedirectResult[]> {
    const results: RedirectResult[] = [];
    for (const r of list) {
      for (let i = 0; i < r.count; i++) {
        results.push(await this.bindOne({ text: r.text, proto: r.proto, bind: r.bind, hostPort: r.hostPort + i, guestPort: r.guestPort + i }, !opts.quiet));
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

  private async bindOne(res: RedirectResult, report: boolean): Promise<RedirectResult> {
    try {
      if (res.proto === 'tcp') await this.listenTcp(res.bind, res.hostPort, res.guestPort);
      else await this.listenUdp(res.bind, res.hostPort, res.guestPort);
      this.stack.log.info({ redirection: res.text, bind: res.bind, hostPort: res.hostPort, guestPort: res.guestPort }, 'redirection listening');
      return res;
    } catch (e) {
      const error = (e as Error).message;
      if (report) this.stack.log.error(`slirp redir ${res.proto}:${res.bind}:${res.hostPort}:${res.guestPort} failed: ${error}`);
      return { ...res, error };
    }
  }

  private listenTcp(bind: string, hostPort: number, guestPort: number): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
      this.stack.tcp.redirect(socket, this.stack.config.guest, guestPort);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: bind, port: hostPort, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.stack.log.error({ err: e.message, hostPort }, 'redirection listener error'));
        this.servers.push(server);
        resolve();
      });
    });
  }

  private listenUdp(bind: string, hostPort: number, guestPort: number): Promise<void> {
    const server = dgram.createSocket({ type: net.isIPv6(bind) ? 'udp6' : 'udp4' });
    server.on('message', (msg, rinfo) => this.udpFromHost(server, guestPort, msg, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.bind({ address: bind, port: hostPort, exclusive: true }, () => {
        server.off('error', reject);
        this.servers.push(server);
        resolve();
      });
    });
  }

  private udpFromHost(server: dgram.Socket, guestPort: number, msg: Uint8Array, address: string, port: number): void {
    const ck = `${address}|${port}|${guestPort}`;
    let gwPort = this.udpByClient.get(ck);
    if (gwPort === undefined) {
      if (this.udpByPort.size >= this.stack.config.maxUdpFlows) return this.stack.count('udp-redirect-full');
      do { gwPort = this.nextUdpPort; this.nextUdpPort = this.nextUdpPort >= 48999 ? UDP_FIRST : this.nextUdpPort + 1; }
      while (this.udpByPort.has(gwPort));
      this.udpByClient.set(ck, gwPort);
    }
    this.udpByPort.set(gwPort, { server, address, port, guestPort, lastUse: Date.now() });
    sendUdp(this.stack, this.stack.config.gateway, gwPort, this.stack.config.guest, guestPort, msg);
  }

  /** A guest datagram answering a redirected UDP client; true when consumed. */
  udpReply(p: IpPacket, sport: number, dport: number, data: Uint8Array): boolean {
    if (p.version !== 4 || !sameAddress(p.dst, this.stack.config.gateway)) return false;
    const c = this.udpByPort.get(dport);
    if (!c || c.guestPort !== sport) return false;
    c.lastUse = Date.now();
    c.server.send(data, c.port, c.address);
    return true;
  }

  tick(now: number): void {
    for (const [port, c] of this.udpByPort) {
      if (now - c.lastUse > this.stack.config.udpIdleMs) {
        this.udpByPort.delete(port);
        this.udpByClient.delete(`${c.address}|${c.port}|${c.guestPort}`);
      }
    }
  }

  close(): void {
    for (const s of this.servers) s.close();
    this.servers.length = 0;
  }
}
