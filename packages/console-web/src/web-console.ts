// One console attachment shown in any number of browser tabs. The program attaches CONSOLE like
// colinux-console-nt (holder, --force, --read-only watcher); among its tabs exactly one may type
// (the writer), the others watch and can take over. If another console takes the monitor's console
// away, every tab keeps watching and "Take over" takes it back (ATTACH with FORCE), as
// colinux-console-nt --force would.
//
// Page protocol, over the WebSocket: binary frames are terminal bytes (guest output to the page,
// keystrokes from it); text frames are JSON control messages (PageMessage / TabRequest below).
import { Module, type Message } from '@colinux/protocol';
import { type ManagerClient } from '@colinux/client';
import { EscapeMenu, MENU_ITEMS, attachTo, describeEscapeKey, endOfAttachment, type MenuChoice } from '@colinux/console-nt';
import { CloseCode, type WebSocketConnection } from './websocket.ts';

/** Unsent output a tab may have queued before more is dropped (and counted) for it. */
export const TAB_BACKLOG_LIMIT = 1024 * 1024;
/** Keystrokes go to the guest in messages of at most this many bytes. */
const KEYS_PER_MESSAGE = 4096;

/** Server -> page. */
export type PageMessage =
  | { type: 'hello'; monitor: number; tab: number; escape: string; menu: Array<{ key: string; label: string }> }
  | { type: 'state'; writer: boolean; canTakeOver: boolean; text: string }
  | { type: 'screen'; cols: number; rows: number }
  | { type: 'notice'; text: string }
  | { type: 'dropped'; bytes: number }
  | { type: 'end'; text: string };

/** Page -> server. */
type TabRequest = { type: 'menu'; key: string } | { type: 'take-over' };

export interface WebConsoleOptions {
  readOnly: boolean;
  escapeByte: number;
  log: (line: string) => void;
}

class Tab {
  readonly n: number;
  readonly ws: WebSocketConnection;
  readonly menu: EscapeMenu;
  /** A repaint is on its way: output until then is part of it. */
  repainting = false;
  /** Output was dropped for this tab: repaint it once its backlog drains. */
  stale = false;
  dropped = 0;

  constructor(n: number, ws: WebSocketConnection, escapeByte: number) {
    this.n = n;
    this.ws = ws;
    this.menu = new EscapeMenu(escapeByte);
  }

  send(m: PageMessage): void {
    this.ws.sendText(JSON.stringify(m));
  }
}

export class WebConsole {
  readonly id: number;
  /** Resolves when the attachment ends (detach, monitor end, lost manager) with the exit status. */
  readonly done: Promise<{ code: number; line: string }>;
  private readonly client: ManagerClient;
  private readonly opts: WebConsoleOptions;
  private readonly tabs = new Set<Tab>();
  private nextTab = 1;
  private writer: Tab | undefined;
  /** This program holds CONSOLE (false: it watches, by --read-only or after another console took over). */
  private holding: boolean;
  private ended = false;
  private resolveDone!: (r: { code: number; line: string }) => void;

  constructor(client: ManagerClient, id: number, opts: WebConsoleOptions) {
    this.client = client;
    this.id = id;
    this.opts = opts;
    this.holding = !opts.readOnly;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    client.on('message', (m: Message) => {
      if (m.to === Module.CONSOLE) for (const tab of this.tabs) this.deliver(tab, m.data);
    });
    client.on('end', (cause) => {
      if (cause === 'taken-over') void this.watchAfterTakeover();
      else {
        const end = endOfAttachment(cause, id);
        this.end(end.code, end.line);
      }
    });
  }

  addTab(ws: WebSocketConnection): void {
    if (this.ended) return ws.close(CloseCode.GOING_AWAY, 'the console has ended');
    const tab = new Tab(this.nextTab++, ws, this.opts.escapeByte);
    this.tabs.add(tab);
    if (this.holding && !this.writer) this.writer = tab;
    this.opts.log(`tab ${tab.n} opened${this.writer === tab ? ' (writer)' : ' (read-only)'}`);
    ws.on('binary', (data: Uint8Array) => this.keys(tab, data));
    ws.on('text', (text: string) => this.request(tab, text));
    ws.on('drain', () => {
      if (!tab.stale) return;
      tab.stale = false;
      tab.send({ type: 'dropped', bytes: tab.dropped });
      this.repaint(tab);
    });
    ws.on('close', () => {
      this.tabs.delete(tab);
      if (this.writer === tab) {
        this.writer = undefined;
        this.broadcastState();
      }
      this.opts.log(`tab ${tab.n} closed${tab.dropped ? ` (${tab.dropped} bytes of output dropped for it)` : ''}`);
    });
    tab.send({
      type: 'hello',
      monitor: this.id,
      tab: tab.n,
      escape: describeEscapeKey(this.opts.escapeByte),
      menu: MENU_ITEMS.map(({ key, label }) => ({ key, label })),
    });
    this.sendState(tab);
    this.repaint(tab);
  }

  /** Detaches from the monitor (menu, signal): the guest keeps running. */
  detach(why: string): void {
    if (this.ended) return;
    void this.client
      .closeMonitor()
      .catch(() => {})
      .finally(() => this.end(0, `${why}, detached from monitor ${this.id}`));
  }

  // ---- guest output -----------------------------------------------------------------------
  /** A slow tab never holds anyone up: past its backlog limit its output is dropped and counted. */
  private deliver(tab: Tab, data: Uint8Array): void {
    if (tab.repainting || !tab.ws.isOpen) return;
    if (tab.stale || tab.ws.buffered > TAB_BACKLOG_LIMIT) {
      tab.stale = true;
      tab.dropped += data.length;
      return;
    }
    tab.ws.sendBinary(data);
  }

  /** Full repaint from the manager's shadow screen (GET_CONSOLE), as console-nt does on attach. */
  private repaint(tab: Tab): void {
    tab.repainting = true;
    this.client.getConsoleScreen().then(
      (screen) => {
        tab.repainting = false;
        if (!tab.ws.isOpen) return;
        tab.send({ type: 'screen', cols: screen.cols, rows: screen.rows });
        tab.ws.sendBinary(screen.data);
      },
      (err: Error) => {
        tab.repainting = false;
        if (tab.ws.isOpen) tab.send({ type: 'notice', text: `cannot read the console of monitor ${this.id}: ${err.message}` });
      },
    );
  }

  // ---- input from tabs --------------------------------------------------------------------
  private canWrite(tab: Tab): boolean {
    return this.holding && this.writer === tab;
  }

  private keys(tab: Tab, data: Uint8Array): void {
    if (!this.canWrite(tab) || this.ended) return;
    for (const step of tab.menu.feed(data)) {
      if (this.ended) return;
      if (step.kind === 'keys') this.sendKeys(step.bytes);
      else if (step.kind === 'menu-opened')
        tab.send({
          type: 'notice',
          text: `menu: ${MENU_ITEMS.map((i) => `${i.key} ${i.label}`).join(', ')}; ${describeEscapeKey(this.opts.escapeByte)} sends it; any other key resumes`,
        });
      else this.choose(tab, step.choice);
    }
  }

  private sendKeys(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += KEYS_PER_MESSAGE) this.client.send(Module.CONSOLE, bytes.subarray(at, at + KEYS_PER_MESSAGE));
  }

  private request(tab: Tab, text: string): void {
    let req: TabRequest;
    try {
      req = JSON.parse(text) as TabRequest;
    } catch {
      return tab.ws.close(CloseCode.INVALID_DATA, 'control messages are JSON');
    }
    if (req?.type === 'take-over') return void this.takeOver(tab);
    if (req?.type === 'menu') {
      const item = MENU_ITEMS.find((i) => i.key === req.key);
      if (item) return this.choose(tab, item.choice);
    }
    tab.send({ type: 'notice', text: `unknown request ${JSON.stringify(text.slice(0, 80))}` });
  }

  private choose(tab: Tab, choice: MenuChoice): void {
    if (choice.kind === 'detach') {
      if (this.canWrite(tab) || this.opts.readOnly) return this.detach(`tab ${tab.n}`);
      return tab.send({ type: 'notice', text: 'only the tab that writes can detach: take over first' });
    }
    if (choice.kind !== 'power') {
      tab.send({ type: 'notice', text: '' });
      return;
    }
    if (!this.canWrite(tab)) return tab.send({ type: 'notice', text: 'read-only: nothing sent' });
    this.client.power(choice.action);
    this.opts.log(`tab ${tab.n}: ${choice.label} sent to the guest`);
    for (const t of this.tabs) t.send({ type: 'notice', text: `${choice.label} sent to the guest (by tab ${tab.n})` });
  }

  /** This tab becomes the writer; if another console holds CONSOLE, take it back (--force). */
  private async takeOver(tab: Tab): Promise<void> {
    if (this.opts.readOnly) return tab.send({ type: 'notice', text: 'started with --read-only: this console never types' });
    if (!this.holding) {
      try {
        await attachTo(this.client, this.id, { force: true, readOnly: false });
      } catch (err) {
        return tab.send({ type: 'notice', text: `take over failed: ${(err as Error).message}` });
      }
      this.holding = true;
      this.opts.log(`tab ${tab.n} took the console over from another console`);
    } else if (this.writer !== tab) {
      this.opts.log(`tab ${tab.n} took over from tab ${this.writer?.n ?? 'none'}`);
    }
    if (!this.tabs.has(tab)) return;
    this.writer = tab;
    this.broadcastState();
  }

  /** Another console took CONSOLE (with --force): keep showing it, read-only, until a tab takes it back. */
  private async watchAfterTakeover(): Promise<void> {
    this.holding = false;
    this.opts.log(`console taken over by another console; watching`);
    this.broadcastState();
    try {
      await attachTo(this.client, this.id, { force: false, readOnly: true });
    } catch (err) {
      return this.end(1, `cannot watch monitor ${this.id} after the takeover: ${(err as Error).message}`);
    }
    // Output between the takeover and the watch went to the other console only.
    for (const tab of this.tabs) this.repaint(tab);
  }

  // ---- state ------------------------------------------------------------------------------
  private stateOf(tab: Tab): PageMessage {
    if (this.opts.readOnly) return { type: 'state', writer: false, canTakeOver: false, text: 'read-only (--read-only)' };
    if (!this.holding) return { type: 'state', writer: false, canTakeOver: true, text: 'read-only: another console took the console over' };
    if (this.writer === tab) return { type: 'state', writer: true, canTakeOver: false, text: 'writing: keys go to the guest' };
    const who = this.writer ? `tab ${this.writer.n} writes` : 'no tab writes';
    return { type: 'state', writer: false, canTakeOver: true, text: `read-only: ${who}` };
  }

  private sendState(tab: Tab): void {
    tab.send(this.stateOf(tab));
  }

  private broadcastState(): void {
    for (const tab of this.tabs) this.sendState(tab);
  }

  private end(code: number, line: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const tab of this.tabs) {
      tab.send({ type: 'end', text: line });
      tab.ws.close(CloseCode.NORMAL, 'console ended');
    }
    this.resolveDone({ code, line });
  }
}
