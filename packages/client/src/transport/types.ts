// One small interface in front of the socket library, so node-ipc (the project's chosen
// transport, docs/protocol.md) and node:net can be swapped by configuration and tested alike.

export type TransportName = 'node-ipc' | 'net';

/** One stream connection; framing is ours, the transport only moves bytes. */
export interface Connection {
  write(data: Uint8Array): void;
  /** Bytes accepted by write() but not yet handed to the OS: the slow-client signal. */
  readonly pendingBytes: number;
  onData(fn: (chunk: Uint8Array) => void): void;
  onClose(fn: () => void): void;
  /** Called when the pending bytes have been handed to the OS. */
  onDrain(fn: () => void): void;
  /** Stop reading (the peer's writes then wait in the OS), and start again. */
  pause(): void;
  resume(): void;
  /** Flush then close. */
  end(): void;
  /** Close now, dropping anything unsent. */
  destroy(): void;
  readonly closed: boolean;
}

export interface TransportServer {
  close(): Promise<void>;
}

export interface Transport {
  readonly name: TransportName;
  /** Rejects with an error whose `code` is ENOENT / ECONNREFUSED (nobody serves) or ETIMEDOUT. */
  connect(socketPath: string, timeoutMs: number): Promise<Connection>;
  /** `socketRoot` is the 0700 runtime dir that holds the socket. */
  listen(socketPath: string, socketRoot: string, onConnection: (c: Connection) => void): Promise<TransportServer>;
}
