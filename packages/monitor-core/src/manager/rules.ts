// One monitor's owner, attach and state rules as a pure model: who owns it, who holds or watches
// which module, which client may do what in which state, who gets a module's output. No sockets,
// no machine: every method returns what happened (or a Refusal with coLinux's rc and one line),
// and every change of these facts happens here. monitor.ts, requests.ts and monitor-ops.ts decode
// a request, call the model, then do the I/O it implies (replies, END frames, machine messages).
// The rules are coLinux's (docs/colinux.md#manager-ioctls, #monitor-operations, #routing) with
// the checks it left out (docs/protocol.md "Differences from coLinux").
import {
  MAX_MONITORS,
  Module,
  MonitorOp,
  MonitorState,
  Rc,
  Termination,
  moduleName,
  monitorStateName,
  type ModuleId,
  type ModuleStatus,
  type RunResult,
} from '@colinux/protocol';

/** A request the rules refuse: the reply's rc and its one-line text. */
export interface Refusal {
  rc: Rc;
  text: string;
}

export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && 'rc' in x && 'text' in x;
}

/** The manager's CREATE admission (server.ts): the id must be free, at most MAX_MONITORS run, and
 *  the guest RAM of all of them must fit the host memory budget (hostmem.ts). */
export function admit(id: number, memoryMiB: number, running: { ids: ReadonlySet<number>; usedBytes: number }, limitBytes: number): Refusal | undefined {
  if (running.ids.has(id)) return { rc: Rc.ERROR, text: `monitor ${id} already exists` };
  if (running.ids.size >= MAX_MONITORS) return { rc: Rc.ERROR, text: `${MAX_MONITORS} monitors already run` };
  if (running.usedBytes + memoryMiB * 1024 * 1024 > limitBytes) {
    return {
      rc: Rc.HOSTMEM_USE_LIMIT_REACHED,
      text: `mem=${memoryMiB} would exceed the host memory limit of ${Math.floor(limitBytes / 1048576)} MiB (${Math.floor(running.usedBytes / 1048576)} MiB in use)`,
    };
  }
  return undefined;
}

export interface AttachRequest {
  modules: readonly ModuleId[];
  force: boolean;
  watch: boolean;
}

/** What an ATTACH did: the modules whose previous holder was displaced (to be told END taken-over). */
export interface Attached<C> {
  takenOver: Array<{ module: ModuleId; from: C }>;
}

/** MONITOR ops only the owner may make (coLinux 3.6.5); GET_CONSOLE and CLOSE are anyone's. */
const OWNER_ONLY = new Set<number>([MonitorOp.LOAD_SECTION, MonitorOp.LOAD_INITRD, MonitorOp.START, MonitorOp.RUN, MonitorOp.GET_STATE, MonitorOp.RESET]);

export class MonitorRules<C> {
  readonly id: number;
  /** Watch-only clients allowed at once (session.ts CLIENT_LIMITS.watchers). */
  private readonly watcherLimit: number;
  private stateValue: MonitorState = MonitorState.INITIALIZED;
  private reasonValue: Termination = Termination.END;
  private textValue = '';
  private ownerValue: C | undefined;
  /** Every client bound to the monitor (owner and attachers): coLinux's reference count. */
  private readonly boundSet = new Set<C>();
  /** module id -> the client receiving it ("connected_modules[]"). */
  private readonly holders = new Map<ModuleId, C>();
  private readonly watching = new Map<ModuleId, Set<C>>();
  private readonly heldBy = new Map<C, Set<ModuleId>>();
  private ended = false;

  constructor(id: number, owner: C, watcherLimit: number) {
    this.id = id;
    this.watcherLimit = watcherLimit;
    this.ownerValue = owner;
    this.boundSet.add(owner);
  }

  get state(): MonitorState {
    return this.stateValue;
  }

  get reason(): Termination {
    return this.reasonValue;
  }

  get text(): string {
    return this.textValue;
  }

  get owner(): C | undefined {
    return this.ownerValue;
  }

  isOwner(client: C): boolean {
    return this.ownerValue === client;
  }

  isBound(client: C): boolean {
    return this.boundSet.has(client);
  }

  /** The client holding `module`, if any. */
  holder(module: ModuleId): C | undefined {
    return this.holders.get(module);
  }

  holds(client: C, module: ModuleId): boolean {
    return this.holders.get(module) === client;
  }

  /** Modules held, and each module's watcher count, for MONITOR_STATUS. */
  modules(): ModuleStatus[] {
    const all = new Set([...this.holders.keys(), ...[...this.watching].filter(([, s]) => s.size > 0).map(([m]) => m)]);
    return [...all].sort((a, b) => a - b).map((module) => ({ module, held: this.holders.has(module), watchers: this.watching.get(module)?.size ?? 0 }));
  }

  /** Bound clients that only watch: neither the owner nor holding any module. */
  watcherCount(): number {
    let n = 0;
    for (const c of this.boundSet) if (c !== this.ownerValue && !this.heldBy.get(c)?.size) n++;
    return n;
  }

  // ---- attaching (coLinux 3.6.3, ATTACH) ---------------------------------------------------
  /** ATTACH: a held module is refused unless FORCE (its holder is displaced); WATCH copies output
   *  without holding, at most `watcherLimit` watch-only clients. */
  attach(client: C, req: AttachRequest): Attached<C> | Refusal {
    if (this.ended) return { rc: Rc.ERROR, text: `no monitor ${this.id}` };
    if (req.watch && !this.boundSet.has(client) && this.watcherCount() >= this.watcherLimit) {
      return { rc: Rc.ACCESS_DENIED, text: `monitor ${this.id} already has ${this.watcherLimit} watching clients` };
    }
    if (!req.watch && !req.force) {
      // coLinux let the last attacher win silently; we refuse unless asked to take over.
      for (const m of req.modules) {
        const holder = this.holders.get(m);
        if (holder !== undefined && holder !== client) {
          return { rc: Rc.ACCESS_DENIED, text: `module ${moduleName(m)} of monitor ${this.id} is held by another client (use --force to take it over)` };
        }
      }
    }
    this.boundSet.add(client);
    const takenOver: Attached<C>['takenOver'] = [];
    for (const m of req.modules) {
      if (req.watch) {
        if (!this.holds(client, m)) this.setOf(this.watching, m).add(client);
        continue;
      }
      const previous = this.holders.get(m);
      if (previous !== undefined && previous !== client) {
        this.heldBy.get(previous)?.delete(m);
        takenOver.push({ module: m, from: previous });
      }
      this.holders.set(m, client);
      this.setOf(this.heldBy, client).add(m);
      // Holding includes the output a watcher gets: never deliver it twice.
      this.watching.get(m)?.delete(client);
    }
    return { takenOver };
  }

  /** A non-owner client leaves (CLOSE op or disconnect): its modules are free (coLinux 3.6.4). */
  detach(client: C): void {
    for (const m of this.heldBy.get(client) ?? []) if (this.holders.get(m) === client) this.holders.delete(m);
    for (const set of this.watching.values()) set.delete(client);
    this.heldBy.delete(client);
    this.boundSet.delete(client);
  }

  /** A client's CLOSE or disconnect: the owner's ends the monitor ('end', then end() says whom to
   *  tell), anyone else's only detaches it. */
  leave(client: C): 'end' | 'detached' {
    if (client === this.ownerValue) return 'end';
    this.detach(client);
    return 'detached';
  }

  /** The monitor ends (coLinux 3.6.6): returns every other bound client (each is told END
   *  monitor-closed); nobody is bound afterwards. */
  end(): C[] {
    if (this.ended) return [];
    this.ended = true;
    const others = [...this.boundSet].filter((c) => c !== this.ownerValue);
    for (const c of [...this.boundSet]) this.detach(c);
    this.ownerValue = undefined;
    return others;
  }

  // ---- records from clients (#routing) -------------------------------------------------------
  /** Whether `client` may send a record from `from` to LINUX: only as a module it holds, and as
   *  DAEMON (power requests) only as the owner or the console's holder. coLinux checked neither. */
  maySend(client: C, from: ModuleId, to: ModuleId): Refusal | undefined {
    if (!this.boundSet.has(client)) return { rc: Rc.MONITOR_NOT_LOADED, text: 'message refused: this connection is not attached to a monitor' };
    if (to !== Module.LINUX) return { rc: Rc.INVALID_PARAMETER, text: `message to ${moduleName(to)} refused: clients may only send to linux` };
    const mayPower = from === Module.DAEMON && (this.isOwner(client) || this.holds(client, Module.CONSOLE));
    if (!this.holds(client, from) && !mayPower)
      return { rc: Rc.ACCESS_DENIED, text: `message from ${moduleName(from)} refused: this connection has not attached that module` };
    return undefined;
  }

  /** Who gets guest output of `module`: its holder, then its watchers. */
  recipients(module: ModuleId): C[] {
    const holder = this.holders.get(module);
    const watchers = this.watching.get(module);
    return [...(holder === undefined ? [] : [holder]), ...(watchers ?? [])];
  }

  // ---- MONITOR ops and the state machine (coLinux 3.6.5) ------------------------------------
  /** Whether `client` may make MONITOR op `op` at all: bound, and the owner for owner-only ops. */
  mayOperate(client: C, op: number): Refusal | undefined {
    if (!this.boundSet.has(client)) return { rc: Rc.MONITOR_NOT_LOADED, text: 'this connection has not created or attached a monitor' };
    if (OWNER_ONLY.has(op) && !this.isOwner(client)) return { rc: Rc.ERROR, text: `only the owner of monitor ${this.id} may do that` };
    return undefined;
  }

  /** `what` needs the monitor in `state`. */
  require(state: MonitorState, what: string): Refusal | undefined {
    if (this.stateValue === state) return undefined;
    const why = this.stateValue === MonitorState.TERMINATED && this.textValue ? ` (${this.textValue})` : '';
    return { rc: Rc.ERROR, text: `${what} needs monitor ${this.id} ${monitorStateName(state)}, it is ${monitorStateName(this.stateValue)}${why}` };
  }

  /** START: INITIALIZED → STARTED. */
  start(): Refusal | undefined {
    const refused = this.require(MonitorState.INITIALIZED, 'START');
    if (!refused) this.stateValue = MonitorState.STARTED;
    return refused;
  }

  /** RUN: the first one after START makes it RUNNING; 'wait' means the caller long-polls for the
   *  next state change, then asks runAnswer(). */
  run(): 'wait' | Refusal | undefined {
    if (this.stateValue === MonitorState.STARTED) this.stateValue = MonitorState.RUNNING;
    return this.stateValue === MonitorState.RUNNING ? 'wait' : this.runAnswer();
  }

  /** What a RUN answers now: OK while RUNNING, INSTANCE_TERMINATED once TERMINATED (the body is
   *  runResult() either way), else a refusal. */
  runAnswer(): Refusal | undefined {
    if (this.stateValue === MonitorState.RUNNING) return undefined;
    if (this.stateValue === MonitorState.TERMINATED) return { rc: Rc.INSTANCE_TERMINATED, text: '' };
    return { rc: Rc.ERROR, text: `RUN needs monitor ${this.id} STARTED or RUNNING, it is ${monitorStateName(this.stateValue)}` };
  }

  runResult(): RunResult {
    if (this.stateValue !== MonitorState.TERMINATED) return { state: this.stateValue };
    return this.textValue ? { state: this.stateValue, reason: this.reasonValue, text: this.textValue } : { state: this.stateValue, reason: this.reasonValue };
  }

  /** Whether the guest runs (power requests and SysRq reach it only then). */
  get running(): boolean {
    return this.stateValue === MonitorState.RUNNING || this.stateValue === MonitorState.STARTED;
  }

  /** The guest ended (or the machine failed): TERMINATED with why. Only the first counts. */
  terminated(reason: Termination, text: string): boolean {
    if (this.ended || this.stateValue === MonitorState.TERMINATED) return false;
    this.reasonValue = reason;
    this.textValue = text;
    this.stateValue = MonitorState.TERMINATED;
    return true;
  }

  /** A resumed machine (suspend.md) is where START would have left it. */
  resumed(): void {
    this.stateValue = MonitorState.STARTED;
  }

  /** RESET: back to INITIALIZED, reason END; attachments kept. */
  reset(): void {
    this.reasonValue = Termination.END;
    this.textValue = '';
    this.stateValue = MonitorState.INITIALIZED;
  }

  private setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    return set;
  }
}
