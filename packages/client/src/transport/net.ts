// node:net transport: Unix domain socket (named pipe on Windows).
import net from 'node:net';
import { SocketConnection } from './socket-connection.ts';
import type { Connection, Transport, TransportServer } from './types.ts';

/** On Windows a local socket is a named pipe; name it the way node-ipc does so both meet. */
function localPath(socketPath: string): string {
  if (process.platform !== 'win32' || socketPath.startsWith('\\\\.\\pipe\\')) return socketPath;
  return `\\\\.\\pipe\\${socketPath.replace(/^\//, '').replace(/\//g, '-')}`;
}

function timeoutError(socketPath: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`connect ${socketPath}: timed out`);
  e.code = 'ETIMEDOUT';
  return e;
}

export const netTransport: Transport = {
  name: 'net',

  connect(socketPath: string, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: localPath(socketPath) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(timeoutError(socketPath));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        const conn = new SocketConnection(socket);
        socket.on('data', (chunk: Buffer) => conn.deliver(chunk));
        resolve(conn);
      });
    });
  },

  listen(socketPath: string, _socketRoot: string, onConnection: (c: Connection) => void): Promise<TransportServer> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => {
        const conn = new SocketConnection(socket);
        socket.on('data', (chunk: Buffer) => conn.deliver(chunk));
        onConnection(conn);
      });
      server.once('error', reject);
      server.listen({ path: localPath(socketPath) }, () => {
        server.off('error', reject);
        server.on('error', () => {});
        resolve({
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
            }),
        });
      });
    });
  },
};
