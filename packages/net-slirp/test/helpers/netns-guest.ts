// Test harness: a network namespace whose kernel is the guest of a SlirpStack in this process,
// connected through a TAP interface opened by a child process inside the namespace
// (tap-pipe.ts). Namespaces are deleted on close and, as a last resort, on process exit.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SlirpStack, type SlirpStackOptions } from '../../src/index.ts';
import { forEachFrame } from '@colinux/net-tap/tap-device';
import { requireTool } from '../../../../test/tools.ts';
import { Random } from '../../../../test/random.ts';

requireTool('busybox');
requireTool('ip');

const live = new Map<string, string>(); // namespace -> its temp dir
process.on('exit', () => {
  for (const [ns, tmp] of live) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
    fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// A killed benchmark or timed-out test still removes its namespaces (the 'exit' hook runs).
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => process.exit(sig === 'SIGTERM' ? 143 : 130));
}

let counter = 0;
const TAP_PIPE = new URL('./tap-pipe.ts', import.meta.url).pathname;

export interface GuestOptions extends SlirpStackOptions {
  loss?: number;
  seed?: number;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class NetnsGuest {
  readonly ns: string;
  readonly stack: SlirpStack;
  readonly tmp: string;
  private readonly child: ChildProcess;
  private outQueue: Uint8Array[] = [];
  private outBytes = 0;
  private flushing = false;
  childStderr = '';
  childError: string | undefined;

  /** Frames lost on purpose in each direction (a congested link, or a manager dropping frames
   *  for a slow guest); reproducible from the seed. */
  private readonly loss: number;
  private readonly random: Random;
  lostFrames = 0;

  private constructor(ns: string, child: ChildProcess, options: GuestOptions, tmp: string) {
    this.ns = ns;
    this.child = child;
    this.tmp = tmp;
    this.loss = options.loss ?? 0;
    this.random = new Random(options.seed ?? 1);
    this.stack = new SlirpStack(options, (frame) => {
      if (!this.lose()) this.send(frame);
    });
    child.stdin!.on('error', (e) => {
      this.childError = `${e.message}; tap-pipe stderr: ${this.childStderr}`;
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.childStderr = (this.childStderr + d.toString()).slice(-4000);
    });
    let pending: Uint8Array = new Uint8Array(0);
    child.stdout!.on('data', (chunk: Buffer) => {
      let buf: Uint8Array = chunk;
      if (pending.length > 0) buf = Buffer.concat([pending, chunk]);
      const used = forEachFrame(buf, (f) => {
        if (!this.lose()) this.stack.input(f);
      });
      pending = buf.subarray(used);
    });
  }

  private lose(): boolean {
    if (this.loss === 0) return false;
    const lost = this.random.fraction() < this.loss;
    if (lost) this.lostFrames++;
    return lost;
  }

  static async create(options: GuestOptions = {}): Promise<NetnsGuest> {
    const ns = `slirp-test-${process.pid}-${counter++}`;
    execFileSync('ip', ['netns', 'add', ns]);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slirp-test-'));
    live.set(ns, tmp);
    try {
      // ip-netns(8): /etc/netns/<name>/resolv.conf is bind-mounted over /etc/resolv.conf.
      fs.mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      fs.writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 10.0.2.3\n');
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, TAP_PIPE, 'tap0'], { stdio: ['pipe', 'pipe', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('ready\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`tap-pipe exited ${code}: ${err}`)));
      });
      const guest = new NetnsGuest(ns, child, options, tmp);
      const mtu = guest.stack.config.mtu;
      execFileSync('ip', ['-n', ns, 'link', 'set', 'tap0', 'mtu', String(mtu), 'up']);
      return guest;
    } catch (e) {
      execFileSync('ip', ['netns', 'del', ns]);
      live.delete(ns);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      throw e;
    }
  }

  private send(frame: Uint8Array): void {
    const h = Buffer.allocUnsafe(4);
    h.writeUInt32BE(frame.length, 0);
    this.outQueue.push(h, frame);
    this.outBytes += 4 + frame.length;
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    const out = Buffer.concat(this.outQueue, this.outBytes);
    this.outQueue = [];
    this.outBytes = 0;
    this.child.stdin!.write(out);
  }

  /** Runs a command inside the namespace. */
  exec(argv: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const p = spawn('ip', ['netns', 'exec', this.ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      p.stdin.on('error', () => undefined); // the command may exit before reading its input
      p.stdin.end(opts.input ?? '');
    });
  }

  /** Starts a long-running process inside the namespace. */
  spawn(argv: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** busybox udhcpc on tap0; resolves with what the lease configured. */
  async dhcp(): Promise<{ ip: string; router: string; dns: string; mtu: string; out: ExecResult }> {
    const script = path.join(this.tmp, 'udhcpc.sh');
    const result = path.join(this.tmp, 'lease');
    fs.writeFileSync(
      script,
      `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    [ -n "$router" ] && ip route add default via "$router" dev "$interface"
    echo "$ip $router $dns $mtu" > ${result}
    ;;
esac
exit 0
`,
      { mode: 0o755 },
    );
    const out = await this.exec(['busybox', 'udhcpc', '-i', 'tap0', '-s', script, '-q', '-n', '-t', '5', '-T', '1', '-f'], { timeoutMs: 30_000 });
    const text = fs.existsSync(result) ? fs.readFileSync(result, 'utf8').trim() : '';
    const [ip = '', router = '', dns = '', mtu = ''] = text.split(' ');
    return { ip, router, dns, mtu, out };
  }

  /** Waits for a global SLAAC address on tap0. */
  async slaac(timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.exec(['ip', '-6', '-o', 'addr', 'show', 'dev', 'tap0', 'scope', 'global']);
      const m = /inet6 ([0-9a-f:]+)\/64/.exec(r.stdout);
      if (m && !r.stdout.includes('tentative')) return m[1]!;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('no SLAAC address on tap0');
  }

  async close(): Promise<void> {
    this.stack.close();
    this.child.stdin!.end();
    const exited = new Promise<void>((res) => {
      if (this.child.exitCode !== null) res();
      else this.child.once('exit', () => res());
    });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
    try {
      execFileSync('ip', ['netns', 'del', this.ns]);
    } catch {
      /* already gone */
    }
    live.delete(this.ns);
    fs.rmSync(this.tmp, { recursive: true, force: true });
    fs.rmSync(`/etc/netns/${this.ns}`, { recursive: true, force: true });
  }
}
