// @colinux/monitor-core: the manager (coLinux's driver) for the daemon and tests.
export { ManagerServer, type ManagerOptions } from './manager/server.ts';
export { installDriver, removeDriver, statusDriver } from './manager/driver.ts';
export { EndpointBusyError, probeSocket } from './manager/lock.ts';
export { MAX_PENDING_BYTES } from './manager/session.ts';
export { MonitorServer } from './manager/monitor-server.ts';
export { RUN_POLL_MS } from './manager/monitor-ops.ts';
