// node-ipc 14.0.0 transport (docs/protocol.md): raw mode only (`parser: 'raw'`, stream chunks,
// framing is ours), silent, no reconnects, and a socketRoot that is our own 0700 runtime dir,
// never /tmp itself (run as root, node-ipc would chmod its socketRoot to 0700).
import type net from 'node:net';
import { IPCModule } from 'node-ipc';
import { SocketConnection } from './socket-connection.ts';
import type { Connection, Transport, TransportServer } from './types.ts';

const CLIENT_ID = 'colinux-manager';

function configure(ipc: IPCModule, socketRoot: string): void {
  Object.assign(ipc.config, {
    parser: 'raw',
    rawBuffer: true,
    silent: true,
    socketRoot: socketRoot.endsWith('/') ? socketRoot : `${socketRoot}/`,
    appspace: 'colinux.',
    // We detect and replace stale sockets ourselves (connect probe + lock file).
    unlink: false,
    maxRetries: 0,
    stopRetrying: true,
    maxConnections: 1024,
  });
}

function timeoutError(socketPath: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`connect ${socketPath}: timed out`);
  e.code = 'ETIMEDOUT';
  return e;
}

export const nodeIpcTransport: Transport = {
  name: 'node-ipc',

  connect(socketPath: string, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ipc = new IPCModule();
      configure(ipc, socketPath.slice(0, socketPath.lastIndexOf('/') + 1));
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        ipc.disconnect(CLIENT_ID);
        reject(timeoutError(socketPath));
      }, timeoutMs);
      ipc.connectTo(CLIENT_ID, socketPath);
      const client = ipc.of[CLIENT_ID]!; // connectTo has just created it
      client.on('error', (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ipc.disconnect(CLIENT_ID);
        reject(err);
      });
      client.on('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const socket = client.socket as net.Socket;
        const conn = new SocketConnection(socket, (data) => void client.emit(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
        client.on('data', (chunk: Buffer) => conn.deliver(chunk));
        conn.onClose(() => ipc.disconnect(CLIENT_ID));
        resolve(conn);
      });
    });
  },

  listen(socketPath: string, socketRoot: string, onConnection: (c: Connection) => void): Promise<TransportServer> {
    return new Promise((resolve, reject) => {
      const ipc = new IPCModule();
      configure(ipc, socketRoot);
      const connections = new Map<net.Socket, SocketConnection>();
      let started = false;
      ipc.serve(socketPath, () => {
        started = true;
        resolve({
          close: () =>
            new Promise<void>((done) => {
              const server = ipc.server;
              if (!server) return done();
              const netServer = server.server;
              server.stop();
              if (netServer) netServer.close(() => done());
              else done();
            }),
        });
      });
      const server = ipc.server;
      if (!server) return reject(new Error('node-ipc did not create a server'));
      server.on('connect', (socket: net.Socket) => {
        const conn = new SocketConnection(socket, (data) => void server.emit(socket, Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
        connections.set(socket, conn);
        conn.onClose(() => connections.delete(socket));
        onConnection(conn);
      });
      server.on('data', (chunk: Buffer, socket: net.Socket) => connections.get(socket)?.deliver(chunk));
      server.on('error', (err: Error) => {
        if (!started) reject(err);
      });
      try {
        server.start();
      } catch (err) {
        reject(err);
      }
    });
  },
};
