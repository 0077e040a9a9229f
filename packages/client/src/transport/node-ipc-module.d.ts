// The slice of node-ipc 14.0.0 (plain JavaScript, no bundled types) that transport/node-ipc.ts uses.
declare module 'node-ipc' {
  import type net from 'node:net';
  interface PubSub {
    on(type: string, handler: (...args: any[]) => void, once?: boolean): this;
    off(type?: string, handler?: unknown): this;
  }
  interface IpcClient extends PubSub {
    socket: net.Socket | false;
    emit(data: Buffer): boolean;
  }
  interface IpcServer extends PubSub {
    start(): void;
    stop(): void;
    emit(socket: net.Socket, data: Buffer): boolean;
    server: net.Server | false;
  }
  export class IPCModule {
    config: Record<string, unknown>;
    of: Record<string, IpcClient>;
    server: IpcServer | false;
    connectTo(id: string, path: string, callback?: () => void): void;
    disconnect(id: string): void;
    serve(path: string, callback?: () => void): void;
  }
  const singleton: IPCModule;
  export default singleton;
}
