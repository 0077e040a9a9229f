// The page's HTTP side: every request needs the access token (in the URL the program printed, then
// in a cookie), anything else gets 403. The page, xterm.js and the WebSocket are all it serves.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketConnection, handshakeProblem } from './websocket.ts';

const require = createRequire(import.meta.url);
const XTERM_DIR = `${path.dirname(require.resolve('@xterm/xterm/package.json'))}/`;
const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));

/** The files the page loads: URL path -> file and content type. Nothing else is served. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: `${PAGE_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/console.js': { file: `${PAGE_DIR}console.js`, type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: `${PAGE_DIR}console.css`, type: 'text/css; charset=utf-8' },
  '/xterm.mjs': { file: `${XTERM_DIR}lib/xterm.mjs`, type: 'text/javascript; charset=utf-8' },
  '/xterm.css': { file: `${XTERM_DIR}css/xterm.css`, type: 'text/css; charset=utf-8' },
};
export const WEBSOCKET_PATH = '/ws';

/** The page loads only its own scripts and talks only to its own origin; nobody may frame it.
 *  Inline styles are allowed: xterm.js's DOM renderer sizes its rows with a style element. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface PageServerOptions {
  token: string;
  /** Called with each browser tab's WebSocket once the handshake is done. */
  onTab: (ws: WebSocketConnection) => void;
  /** One line per refused request (wrong token, bad handshake). */
  log: (line: string) => void;
}

export class PageServer {
  readonly http: http.Server;
  private readonly opts: PageServerOptions;
  private cookieName = 'colinux-console';

  constructor(opts: PageServerOptions) {
    this.opts = opts;
    this.http = http.createServer((req, res) => this.request(req, res));
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Starts listening; resolves with the port (which may have been 0: any free port). */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host, port }, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const bound = (this.http.address() as { port: number }).port;
    // Cookies are per host, not per port: two consoles on one host keep separate ones.
    this.cookieName = `colinux-console-${bound}`;
    return bound;
  }

  close(): Promise<void> {
    this.http.closeAllConnections();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  /** The token from the query (first load) or the cookie (later loads and the WebSocket). */
  private authorized(req: IncomingMessage, url: URL): 'query' | 'cookie' | undefined {
    if (sameToken(url.searchParams.get('token') ?? undefined, this.opts.token)) return 'query';
    if (sameToken(cookieValue(req, this.cookieName), this.opts.token)) return 'cookie';
    return undefined;
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://page');
    const how = this.authorized(req, url);
    if (!how) {
      this.opts.log(`refused ${req.method} ${url.pathname} from ${req.socket.remoteAddress}: ${url.searchParams.has('token') ? 'wrong' : 'no'} access token`);
      return this.reply(res, 403, 'forbidden: this page needs the access token from the URL colinux-console-web printed\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'method not allowed\n');
    if (how === 'query') {
      // Keep the token out of the address bar and history from here on: it lives in the cookie.
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${this.cookieName}=${this.opts.token}; Path=/; HttpOnly; SameSite=Strict`,
        Location: url.pathname,
      });
      res.end();
      return;
    }
    const asset = ASSETS[url.pathname];
    if (!asset) return this.reply(res, 404, 'not found\n');
    fs.readFile(asset.file, (err, body) => {
      if (err) return this.reply(res, 500, `cannot read ${url.pathname}\n`);
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  }

  private reply(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://page');
    const refuse = (status: string, why: string): void => {
      this.opts.log(`refused a WebSocket from ${req.socket.remoteAddress}: ${why}`);
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.authorized(req, url) !== 'cookie') return refuse('403 Forbidden', 'no access token');
    // A page from another site cannot carry our SameSite cookie; the Origin check says so twice.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse('403 Forbidden', `origin ${origin} is not this page`);
    if (url.pathname !== WEBSOCKET_PATH) return refuse('404 Not Found', `no WebSocket at ${url.pathname}`);
    const problem = handshakeProblem(req);
    if (problem) return refuse('400 Bad Request', problem);
    this.opts.onTab(WebSocketConnection.accept(req, socket, head));
  }
}
