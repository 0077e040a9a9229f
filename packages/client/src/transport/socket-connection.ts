import type net from 'node:net';
import type { Connection } from './types.ts';

/** A Connection over a net.Socket; `send` lets the owner route writes through its library. */
export class SocketConnection implements Connection {
  private readonly socket: net.Socket;
  private readonly send: (data: Uint8Array) => void;
  private dataHandlers: Array<(chunk: Uint8Array) => void> = [];
  private closeHandlers: Array<() => void> = [];
  private isClosed = false;

  constructor(socket: net.Socket, send?: (data: Uint8Array) => void) {
    this.socket = socket;
    this.send = send ?? ((data) => void socket.write(data));
    socket.on('close', () => this.markClosed());
    // Errors (EPIPE, ECONNRESET) always end in 'close'; listening keeps them from throwing.
    socket.on('error', () => {});
  }

  /** Called by the transport for each chunk it receives. */
  deliver(chunk: Uint8Array): void {
    for (const fn of this.dataHandlers) fn(chunk);
  }

  write(data: Uint8Array): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.send(data);
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  onData(fn: (chunk: Uint8Array) => void): void {
    this.dataHandlers.push(fn);
  }

  onClose(fn: () => void): void {
    if (this.isClosed) queueMicrotask(fn);
    else this.closeHandlers.push(fn);
  }

  onDrain(fn: () => void): void {
    this.socket.on('drain', fn);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const handlers = this.closeHandlers;
    this.closeHandlers = [];
    for (const fn of handlers) fn();
  }
}
