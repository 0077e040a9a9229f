// Where DNS queries to the virtual DNS address go: the host's resolvers from resolv.conf,
// re-read when the file changes (as libslirp's get_dns_addr_cached does). A systemd-resolved
// stub (127.0.0.53) is replaced by the upstream list in /run/systemd/resolve/resolv.conf
// (as Podman and buildah do), because the stub only answers on the host's
// loopback and loops if the guest's own 127.0.0.53 is meant.
import fs from 'node:fs';
import { parseHostPort } from './address.ts';

export interface Resolver {
  host: string;
  port: number;
}

const SYSTEMD_UPSTREAM = '/run/systemd/resolve/resolv.conf';
const RECHECK_MS = 1000;

export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

export class DnsResolvers {
  private readonly fixed: Resolver[] | undefined;
  private readonly path: string;
  private cached: Resolver[] = [];
  private mtimeMs = -1;
  private checkedAt = 0;

  private readonly systemdUpstream: string;

  constructor(fixed: string[] | undefined, resolvConf: string, systemdUpstream = SYSTEMD_UPSTREAM) {
    this.fixed = fixed?.map((s) => parseHostPort(s, 53));
    this.path = resolvConf;
    this.systemdUpstream = systemdUpstream;
  }

  /** The resolvers to use now; falls back to the host's loopback when none is configured (as
   *  libslirp 4.8 does for an empty resolv.conf). */
  current(now = Date.now()): Resolver[] {
    if (this.fixed) return this.fixed;
    if (now - this.checkedAt >= RECHECK_MS) {
      this.checkedAt = now;
      this.reload();
    }
    return this.cached;
  }

  private reload(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.path);
    } catch {
      if (this.mtimeMs !== -2) {
        this.mtimeMs = -2;
        this.cached = [{ host: '127.0.0.1', port: 53 }];
      }
      return;
    }
    if (st.mtimeMs === this.mtimeMs) return;
    this.mtimeMs = st.mtimeMs;
    let servers = parseResolvConf(fs.readFileSync(this.path, 'utf8'));
    if (servers.some((s) => s.startsWith('127.0.0.53'))) {
      try {
        const upstream = parseResolvConf(fs.readFileSync(this.systemdUpstream, 'utf8'));
        if (upstream.length > 0) servers = upstream;
      } catch {
        /* no systemd-resolved upstream file: keep the stub, it may still answer */
      }
    }
    this.cached = servers.length > 0 ? servers.map((s) => ({ host: s, port: 53 })) : [{ host: '127.0.0.1', port: 53 }];
  }
}
