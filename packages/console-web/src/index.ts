export { WebConsole, TAB_BACKLOG_LIMIT, type PageMessage, type WebConsoleOptions } from './web-console.ts';
export { PageServer, newToken, WEBSOCKET_PATH } from './http-server.ts';
export { DEFAULT_LISTEN, isLoopback, parseListen, urlHost, type ListenAddress } from './listen.ts';
export {
  CloseCode,
  FrameDecoder,
  MAX_MESSAGE,
  Opcode,
  WebSocketConnection,
  WebSocketError,
  acceptKey,
  encodeFrame,
  handshakeProblem,
  type WsEvent,
} from './websocket.ts';
