// The machine worker: one thread per monitor (started by the manager with the MachineConfig as
// workerData). Loop: drain ToMachine messages synchronously (receiveMessageOnPort), run ~5 ms
// of guest time in ~1 ms slices, post batched output, and sleep in Atomics.wait on `wake`
// while the guest waits for interrupts, so an idle guest costs almost no host CPU.

import { flushCompileCache } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Termination } from '@colinux/protocol';
import { OUTPUT_BACKLOG_MAX, type FromMachine, type MachineConfig, type ToMachine } from './contract.ts';
import { deviceLog } from './device-log.ts';
import { Machine } from './machine.ts';
import { IdleTrim } from './malloc-trim.ts';
import { captureMachine, restoreMachine } from './snapshot.ts';

const RUN_MS = 5;
const STATS_MS = 1000;
/** Waiting for the manager (not started, or terminated): wake at least this often. */
const IDLE_WAIT_MS = 1000;
/** Waiting for the manager to handle posted output (contract.ts `backlog`): re-check this often. */
const BACKLOG_WAIT_MS = 50;

function main(config: MachineConfig): void {
  // Every module is loaded by now: write the compile cache (manager/compile-cache.ts) at once,
  // not when this worker ends, so that the next monitor's worker starts from it.
  flushCompileCache();
  const port = config.port as unknown as MessagePort;
  const wake = new Int32Array(config.wake);
  const backlog = config.backlog ? new Int32Array(config.backlog) : undefined;
  const log = deviceLog(config.monitorId);
  const post = (msg: FromMachine): void => {
    if (msg.type === 'output') {
      if (backlog) Atomics.add(backlog, 0, msg.data.length);
      port.postMessage(msg, [msg.data.buffer as ArrayBuffer]);
    } else if (msg.type === 'suspended' && msg.state) port.postMessage(msg, [msg.state.ram.buffer as ArrayBuffer]);
    else port.postMessage(msg);
  };
  let machine: Machine;
  try {
    const { wake: _w, port: _p, ...spec } = config;
    machine = new Machine(spec, {
      output: (module, data) => post({ type: 'output', module, data }),
      terminated: (reason, text) => post(text === undefined ? { type: 'terminated', reason } : { type: 'terminated', reason, text }),
      log,
    });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
    port.close();
    return;
  }

  let lastStats = performance.now();
  const run = { frozen: false };
  const trim = new IdleTrim();
  for (;;) {
    const seen = Atomics.load(wake, 0);
    let stop = false;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      if (handle(machine, m.message as ToMachine, post, run)) {
        stop = true;
        break;
      }
    }
    if (stop) break;
    if (run.frozen) {
      Atomics.wait(wake, 0, seen, IDLE_WAIT_MS);
      continue;
    }
    const behind = backlog ? Atomics.load(backlog, 0) : 0;
    if (behind > OUTPUT_BACKLOG_MAX) {
      Atomics.wait(backlog!, 0, behind, BACKLOG_WAIT_MS);
      continue;
    }
    const r = machine.run(RUN_MS);
    const now = performance.now();
    if (now - lastStats >= STATS_MS) {
      post({ type: 'stats', ...machine.stats() });
      lastStats = now;
    }
    trim.compiled(machine.hart.jitCompileMs, now);
    if (r.state === 'idle') {
      trim.idle(now);
      Atomics.wait(wake, 0, seen, r.sleepMs);
    } else if (r.state === 'terminated') Atomics.wait(wake, 0, seen, IDLE_WAIT_MS);
  }
  machine.close();
  port.close();
}

/** A full collection once the image is in guest RAM: the sections and initrd the manager handed
 *  over (several MB) are dead, and a guest idling in WFI allocates too little to trigger one.
 *  `--expose-gc` installs `gc` only in contexts created after it is set, hence the new context. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** Returns true when the worker must end. */
function handle(machine: Machine, msg: ToMachine, post: (msg: FromMachine) => void, run: { frozen: boolean }): boolean {
  try {
    switch (msg.type) {
      case 'load-section':
        machine.loadSection(msg.offset, msg.size, msg.data);
        break;
      case 'load-initrd':
        machine.loadInitrd(msg.data);
        break;
      case 'start':
        machine.start(msg.entryOffset);
        collectGarbage();
        break;
      case 'reset':
        machine.reset();
        break;
      case 'message':
        machine.deliver(msg.module, msg.data);
        break;
      case 'power':
        machine.power(msg.action);
        break;
      case 'disk-snapshot':
        try {
          machine.snapshotDisk(msg.index, msg.fd, msg.path);
          post({ type: 'disk-snapshot', index: msg.index });
        } catch (err) {
          post({ type: 'disk-snapshot', index: msg.index, error: (err as Error).message });
        }
        break;
      case 'suspend':
        // Messages are handled between run slices: the hart is on an instruction boundary.
        try {
          machine.flushDisks();
          run.frozen = true;
          const state = captureMachine(machine);
          post({ type: 'suspended', state });
        } catch (err) {
          post({ type: 'suspended', error: (err as Error).message });
        }
        break;
      case 'thaw':
        run.frozen = false;
        break;
      case 'restore':
        try {
          restoreMachine(machine, msg.state, msg.name);
          collectGarbage();
          post({ type: 'restored' });
        } catch (err) {
          post({ type: 'restored', error: (err as Error).message });
        }
        break;
      case 'stop':
        if (!machine.termination) machine.terminate(msg.reason ?? Termination.POWEROFF);
        return true;
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
  return false;
}

// Outside a worker thread this module is only being loaded into the compile cache.
if (!isMainThread && workerData) main(workerData as MachineConfig);
