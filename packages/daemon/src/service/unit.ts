// The systemd unit of a VM installed with --install-service (systemd.service(5), systemd.exec(5),
// systemd.kill(5)). coLinux's --install-service registered an NT service that ran the daemon with
// the stored command line in the stored working directory; here the configuration is stored as an
// @file and the unit runs `colinux-daemon -d -p <pidfile> @<file>` there.

export interface UnitSpec {
  name: string;
  /** The Node that runs the daemon, and the daemon's bin file: absolute paths. */
  node: string;
  daemonBin: string;
  configFile: string;
  workingDirectory: string;
  shutdownTimeoutS: number;
  /** A system unit (root) or a user unit (systemctl --user). */
  system: boolean;
  docs: string;
}

/**
 * How long systemd waits for the stop beyond the daemon's own shutdown timeout (the daemon powers
 * the guest off hard at its timeout; this covers closing helpers and the manager).
 */
export const STOP_MARGIN_S = 30;
/** Between a crash and the restart. */
export const RESTART_DELAY_S = 2;
export const PID_FILE_NAME = 'monitor.pid';
/** ExecStopPost= writes how the daemon last ended here, so a status after a restart still shows it. */
export const LAST_EXIT_FILE_NAME = 'last-exit';

/** One ExecStart= word: quoted, with systemd's specifiers (%) and variables ($) escaped. */
export function execWord(word: string): string {
  const escaped = word.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('$', '$$$$');
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : `"${escaped}"`;
}

/** A path in a setting that takes one path (WorkingDirectory=): specifiers escaped. */
function pathSetting(p: string): string {
  if (/[\n\r]/.test(p)) throw new Error(`path ${JSON.stringify(p)}: a line break cannot go into a unit file`);
  return p.replaceAll('%', '%%');
}

export function renderUnit(u: UnitSpec): string {
  const runtime = `colinux-${u.name}`;
  // %t: the runtime dir root, /run or $XDG_RUNTIME_DIR (systemd.unit(5), "Specifiers").
  const pidFile = `%t/${runtime}/${PID_FILE_NAME}`;
  const exec = [
    execWord(u.node),
    execWord(u.daemonBin),
    '-d',
    '-p',
    pidFile,
    '--shutdown-timeout',
    String(u.shutdownTimeoutS),
    execWord(`@${u.configFile}`),
  ].join(' ');
  return `# Written by colinux-daemon --install-service ${u.name}; remove it with colinux-daemon --remove-service ${u.name}.
# See ${u.docs}
[Unit]
Description=coLinux VM ${u.name}
Documentation=file://${u.docs}
After=network.target

[Service]
Type=simple
WorkingDirectory=${pathSetting(u.workingDirectory)}
# Its own manager in its own runtime dir: stopping this VM touches no other.
Environment=COLINUX_RUNTIME_DIR=%t/${runtime}
RuntimeDirectory=${runtime}
RuntimeDirectoryMode=0700
# The manager's and the guest console's logs stay after a stop (--remove-service deletes them).
RuntimeDirectoryPreserve=yes
ExecStart=${exec}
# After every end of the daemon, crash or stop: systemd's verdict, for --status-service
# ($SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS: systemd.exec(5), "Environment Variables Set or Propagated by the Service Manager").
ExecStopPost=/bin/sh -c 'echo "$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS" > "$$COLINUX_RUNTIME_DIR/${LAST_EXIT_FILE_NAME}"'
# Stop: SIGTERM to the daemon only, which asks the guest to shut down and powers it off hard after
# --shutdown-timeout; the manager and helpers it started get SIGKILL only if anything is left.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=${u.shutdownTimeoutS + STOP_MARGIN_S}
# A daemon that crashed or was killed comes back; a guest that powered off stays off.
Restart=on-failure
RestartSec=${RESTART_DELAY_S}
SyslogIdentifier=${runtime}
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=${u.system ? 'multi-user.target' : 'default.target'}
`;
}
