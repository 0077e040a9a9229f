// colinux-daemon --install-service / --status-service / --remove-service against a real systemd:
// this machine's PID 1 is not systemd, so the test boots one in a container it creates
// (systemd-nspawn --volatile=yes: the host's /usr read-only, a fresh tmpfs root, systemd as PID 1)
// with this repository bind-mounted read-only at the same path, and runs everything inside it with
// nsenter. It boots only to basic.target: the host's own services (databases, mDNS, ...) have no
// business in it, and waiting for them made the boot slow under load. Installed, started, a console
// attached by name, the daemon killed with SIGKILL and brought back by Restart=, stopped with a
// graceful guest shutdown, removed; then a user unit (systemctl --user, lingering) for a user it
// creates. About 25 s. COLINUX_LONG_TESTS=1 also shuts the container down
// with the service running and checks that the guest was shut down first.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { requireTool } from '../../../test/tools.ts';
import { DAEMON_BIN, REPO, until } from './helpers.ts';

const NSPAWN = 'systemd-nspawn';
const NSENTER = 'nsenter';
const ANALYZE = 'systemd-analyze';
const USERADD = 'useradd';
const SETPRIV = 'setpriv';
const NAME = 'vm1';
const UNIT = `colinux-${NAME}.service`;
const CONSOLE_BIN = path.join(REPO, 'packages/console-nt/bin/colinux-console-nt.js');
const PATH = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';
const PROMPT = /colinux:\/# /;
const LONG = process.env.COLINUX_LONG_TESTS === '1';

interface Container {
  leader: number;
  /** Runs a command inside (clean environment) and returns its stdout; throws with its stderr. */
  run(args: string[], opts?: { cwd?: string; ok?: number[]; env?: string[] }): { code: number; stdout: string };
  /** A path inside the container, seen from the host. */
  file(p: string): string;
  stop(): Promise<void>;
}

function bootContainer(name: string, dir: string): Promise<Container> {
  const nspawn = spawn(
    requireTool(NSPAWN),
    [
      '--directory=/',
      '--volatile=yes',
      '--boot',
      '--register=no',
      '--keep-unit',
      `--machine=${name}`,
      '--console=pipe',
      // PAM's configuration, for the user manager (user@.service) of the user-unit test.
      `--bind-ro=${REPO}`,
      `--bind=${dir}`,
      '--bind-ro=/etc/pam.d',
      '--bind-ro=/etc/security',
      '--',
      'systemd.firstboot=off',
      'systemd.unit=basic.target',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  nspawn.stdout.on('data', (b: Buffer) => (log += b.toString()));
  nspawn.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((r) => nspawn.once('close', () => r()));
  const nsenter = requireTool(NSENTER);
  const stop = async (): Promise<void> => {
    if (nspawn.exitCode !== null || nspawn.signalCode !== null) return;
    nspawn.kill('SIGTERM'); // nspawn halts the container: systemd shuts down as a host would
    const timer = setTimeout(() => nspawn.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  };
  return (async () => {
    const leader = await until(
      () => {
        if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited: ${log}`);
        const kids = fs.readFileSync(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`, 'utf8').trim();
        return kids ? Number(kids.split(' ')[0]) : undefined;
      },
      30_000,
      50,
    );
    const run: Container['run'] = (args, opts = {}) => {
      const inner = opts.cwd ? ['sh', '-c', `cd '${opts.cwd}' && exec "$@"`, 'sh', ...args] : args;
      try {
        return {
          code: 0,
          stdout: execFileSync(nsenter, ['-t', String(leader), '-a', 'env', '-i', PATH, ...(opts.env ?? []), ...inner], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        };
      } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        if (opts.ok?.includes(e.status)) return { code: e.status, stdout: e.stdout };
        throw new Error(`${args.join(' ')} (inside): status ${e.status}: ${e.stderr}${e.stdout}`);
      }
    };
    // "degraded" (exit 1) is fine: some host services have nothing to do in a container.
    // 'offline' until its PID 1 answers; then --wait waits for the end of the boot.
    let state = '';
    await until(
      () => {
        state = run(['systemctl', 'is-system-running', '--wait'], { ok: [1] }).stdout.trim();
        return state === 'running' || state === 'degraded' ? true : undefined;
      },
      60_000,
      200,
    ).catch(() => {
      throw new Error(`the container's systemd is '${state}': ${log}`);
    });
    return { leader, run, stop, file: (p: string) => `/proc/${leader}/root${p}` };
  })().catch(async (err) => {
    await stop();
    throw err;
  });
}

t.test('a VM as a systemd service: install, start, console by name, kill -9, graceful stop, remove', async (t) => {
  requireTool(ANALYZE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-service-'));
  fs.chmodSync(dir, 0o755); // the user-unit test's user reads vm.conf from it
  const ct = await bootContainer(`colinux-svc-${process.pid}`, dir);
  t.teardown(async () => {
    await ct.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  fs.writeFileSync(path.join(dir, 'vm.conf'), 'kernel=guest/images/vmlinux\ninitrd=guest/images/initramfs.cpio.gz\nmem=64 cocon=80x25\n');
  const daemon = (...args: string[]) => ct.run([process.execPath, DAEMON_BIN, ...args], { cwd: REPO, ok: [255] });
  const show = (prop: string) => ct.run(['systemctl', 'show', '-p', prop, '--value', UNIT]).stdout.trim();
  const runtime = ct.file(`/run/colinux-${NAME}`);
  /** The monitor id in the pid file, once the guest shell on it has printed its prompt. */
  const bootedMonitor = (other?: number) =>
    until(
      () => {
        try {
          const id = Number(fs.readFileSync(path.join(runtime, 'monitor.pid'), 'utf8'));
          if (!id || id === other) return undefined;
          return PROMPT.test(fs.readFileSync(path.join(runtime, `monitor-${id}.console.log`), 'utf8')) ? id : undefined;
        } catch {
          return undefined;
        }
      },
      180_000,
      250,
    );

  await t.test('install: a unit that systemd accepts, enabled, with the configuration and working directory stored', async (t) => {
    // Relative paths, as coLinux users wrote them: the unit keeps the directory they were given in.
    const r = daemon('--install-service', NAME, `@${dir}/vm.conf`, '--shutdown-timeout', '20');
    t.match(r.stdout, new RegExp(`service '${NAME}' installed as ${UNIT}`));
    t.equal(ct.run(['systemctl', 'is-enabled', UNIT]).stdout.trim(), 'enabled');
    const unit = fs.readFileSync(ct.file(`/etc/systemd/system/${UNIT}`), 'utf8');
    t.match(unit, new RegExp(`^WorkingDirectory=${REPO}$`, 'm'));
    t.match(unit, /^ExecStart=\S+node \S+colinux-daemon\.js -d -p %t\/colinux-vm1\/monitor\.pid --shutdown-timeout 20 @\/etc\/colinux\/vm1\.conf$/m);
    t.match(
      fs.readFileSync(ct.file('/etc/colinux/vm1.conf'), 'utf8'),
      /^kernel=guest\/images\/vmlinux\ninitrd=guest\/images\/initramfs\.cpio\.gz\nmem=64\ncocon=80x25\n$/m,
    );
    t.equal(ct.run([ANALYZE, 'verify', `/etc/systemd/system/${UNIT}`]).code, 0, 'systemd-analyze verify has nothing to say');
    t.match(daemon('--install-service', NAME, `@${dir}/vm.conf`), { code: 255 }, 'a second install is refused');
  });

  let first = 0;
  await t.test('start: the guest boots; a console attaches by name; the status says so', async (t) => {
    ct.run(['systemctl', 'start', UNIT]);
    first = await bootedMonitor();
    t.equal(Number(show('MainPID')), first, 'the monitor id is the daemon pid, as in coLinux');
    const status = daemon('--status-service', NAME);
    t.equal(status.code, 0);
    t.match(status.stdout, new RegExp(`active \\(running\\)\\n  monitor: ${first}    uptime: \\d+s    restarts: 0`));
    const screen = ct.run(['sh', '-c', `sleep 2 | ${process.execPath} ${CONSOLE_BIN} -n ${NAME} --read-only`]);
    t.match(screen.stdout, PROMPT, 'colinux-console-nt -n repaints the guest screen');
  });

  await t.test('kill -9 of the daemon: Restart= brings it back and the guest boots again', async (t) => {
    ct.run(['kill', '-9', String(first)]);
    const second = await bootedMonitor(first);
    t.not(second, first);
    t.equal(show('NRestarts'), '1');
    const status = daemon('--status-service', NAME).stdout;
    t.match(status, new RegExp(`monitor: ${second} .* restarts: 1`));
    t.match(status, /last exit: killed by SIGKILL \(systemd: signal\)/);
  });

  await t.test('systemctl stop: the guest shuts down gracefully, the daemon exits 0', async (t) => {
    ct.run(['systemctl', 'stop', UNIT]);
    const journal = ct.run(['journalctl', '-u', UNIT, '-o', 'cat', '--no-pager']).stdout;
    const tail = journal.slice(journal.lastIndexOf('shutdown requested'));
    t.match(tail, /colinux: Linux VM goes shutdown, please wait!/);
    t.match(tail, /reboot: Power down/, 'the guest kernel powered itself down');
    t.match(tail, /colinux: powered off, exiting\./);
    t.notMatch(tail, /power off hard/, 'no hard power off was needed');
    t.equal(show('Result'), 'success');
    const status = daemon('--status-service', NAME);
    t.equal(status.code, 255, 'not running: status says so with a non-zero exit');
    t.match(status.stdout, /inactive \(dead\)[\s\S]*last exit: exited with status 0 \(systemd: success\)/);
  });

  await t.test('remove: disabled, unit and configuration gone', async (t) => {
    t.match(daemon('--remove-service', NAME).stdout, /service 'vm1' stopped and removed/);
    t.notOk(fs.existsSync(ct.file(`/etc/systemd/system/${UNIT}`)));
    t.notOk(fs.existsSync(ct.file('/etc/colinux/vm1.conf')));
    t.notOk(fs.existsSync(runtime), 'its runtime dir and logs are gone');
    const status = daemon('--status-service', NAME);
    t.match(status, { code: 255, stdout: /service 'vm1' is not installed/ });
    t.match(daemon('--remove-service', NAME), { code: 255 });
  });

  await t.test('a user unit: installed, started and stopped by systemctl --user, under lingering', async (t) => {
    requireTool(USERADD);
    requireTool(SETPRIV);
    ct.run([USERADD, '--create-home', '--uid', '1500', 'vmuser']);
    ct.run(['loginctl', 'enable-linger', 'vmuser']);
    await until(() => (ct.run(['systemctl', 'is-active', 'user@1500.service'], { ok: [3] }).stdout.trim() === 'active' ? true : undefined), 30_000, 200);
    const asUser = (args: string[], ok?: number[]) =>
      ct.run([SETPRIV, '--reuid=1500', '--regid=1500', '--init-groups', ...args], {
        cwd: REPO,
        ok,
        env: ['HOME=/home/vmuser', 'XDG_RUNTIME_DIR=/run/user/1500', 'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1500/bus'],
      });
    t.match(
      asUser([process.execPath, DAEMON_BIN, '--install-service', 'u1', `@${dir}/vm.conf`]).stdout,
      /installed as colinux-u1\.service \(\/home\/vmuser\/\.config\/systemd\/user\/colinux-u1\.service\)/,
    );
    asUser(['systemctl', '--user', 'start', 'colinux-u1.service']);
    const userRuntime = ct.file('/run/user/1500/colinux-u1');
    const id = await until(
      () => {
        try {
          const pid = Number(fs.readFileSync(path.join(userRuntime, 'monitor.pid'), 'utf8'));
          return pid && PROMPT.test(fs.readFileSync(path.join(userRuntime, `monitor-${pid}.console.log`), 'utf8')) ? pid : undefined;
        } catch {
          return undefined;
        }
      },
      180_000,
      250,
    );
    t.match(asUser([process.execPath, DAEMON_BIN, '--status-service', 'u1']).stdout, new RegExp(`active \\(running\\)\\n  monitor: ${id} `));
    t.match(asUser([process.execPath, DAEMON_BIN, '--remove-service', 'u1']).stdout, /service 'u1' stopped and removed/);
    const journal = asUser(['journalctl', '--user', '-u', 'colinux-u1.service', '-o', 'cat', '--no-pager']).stdout;
    t.match(journal, /reboot: Power down[\s\S]*colinux: powered off, exiting\./, 'removing it shut the guest down gracefully');
    t.notOk(fs.existsSync(ct.file('/home/vmuser/.config/systemd/user/colinux-u1.service')));
  });

  if (LONG) {
    await t.test('host shutdown with the service running: the guest is shut down first', async (t) => {
      daemon('--install-service', NAME, `@${dir}/vm.conf`, '--shutdown-timeout', '20');
      ct.run(['systemctl', 'start', UNIT]);
      await bootedMonitor();
      // A copy of the unit's journal in the shared dir, by a unit that systemd stops after ours
      // (Before=: stop order is the reverse of start order) and a second later (ExecStop= runs
      // before the stop signal), so it has read our unit's last lines.
      const copy = path.join(dir, 'journal.txt');
      ct.run([
        'systemd-run',
        '--unit=colinux-journal-copy',
        `--property=Before=${UNIT}`,
        `--property=StandardOutput=file:${copy}`,
        '--property=ExecStop=/bin/sleep 1',
        'journalctl',
        '-f',
        '-o',
        'cat',
        '-u',
        UNIT,
      ]);
      await until(() => (fs.existsSync(copy) && fs.statSync(copy).size > 0 ? true : undefined), 10_000, 50);
      const started = Date.now();
      await ct.stop();
      t.ok(Date.now() - started < 40_000, `the container shut down in ${Date.now() - started} ms`);
      const seen = fs.readFileSync(copy, 'utf8');
      t.match(
        seen.slice(seen.lastIndexOf('shutdown requested')),
        /colinux: Linux VM goes shutdown[\s\S]*reboot: Power down[\s\S]*colinux: powered off, exiting\./,
      );
    });
  }
});
