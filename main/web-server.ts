/**
 * Web mode: the same handler map as the Electron main process, served over
 * HTTP (POST /api/<name>) and a WebSocket (/events) on 127.0.0.1 only, with
 * the built renderer (out/renderer) as static files. Every API call needs the
 * random token printed at start in the `x-ts-engine-token` header (the
 * WebSocket: in its `token` query parameter); the page reads it once from its
 * URL. No cookie carries it: browsers send 127.0.0.1's cookies to every port,
 * so any other local server would receive it. The static files are the app's
 * own public build and need no token. The Host header must name the loopback
 * address (no DNS rebinding) and WebSocket origins must be the page itself.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicyWeb } from './csp.js';
import { HANDLER_NAMES, type Events, type Handlers, type HandlerName } from './api/contract.js';

export interface WebServerOptions {
  handlers: Handlers;
  hub: EventHub;
  /** built renderer (index.html + assets) */
  rendererDir: string;
  /** 0 = any free port */
  port?: number;
  token?: string;
  log?: (line: string) => void;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Fan-out of engine events to every connected client. */
export class EventHub {
  private readonly listeners = new Set<(event: string, payload: unknown) => void>();
  emit = <E extends keyof Events>(event: E, payload: Events[E]): void => {
    for (const l of this.listeners) l(event, payload);
  };
  subscribe(l: (event: string, payload: unknown) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

const MAX_BODY = 32 * 1024 * 1024;
const NO_TOKEN = 'missing or wrong token: open the URL printed when the workbench started (it ends in ?token=…)';

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const rendererDir = path.resolve(opts.rendererDir);
  const log = opts.log ?? (() => {});
  const handlers = opts.handlers as unknown as Record<string, (a: unknown) => Promise<unknown>>;
  const names = new Set<string>(HANDLER_NAMES);
  let port = 0;

  const tokenOk = (given: string | undefined | null) => {
    if (!given) return false;
    const b = Buffer.from(given);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const hostOk = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const header = (req: http.IncomingMessage) => {
    const v = req.headers['x-ts-engine-token'];
    return typeof v === 'string' ? v : undefined;
  };

  const send = (res: http.ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json');

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostOk(req.headers.host)) return send(res, 421, 'wrong host', 'text/plain');

    if (url.pathname.startsWith('/api/')) {
      if (!tokenOk(header(req))) return json(res, 401, { error: NO_TOKEN });
      const name = url.pathname.slice(5);
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only' });
      if (!names.has(name)) return json(res, 404, { error: `unknown handler ${name}` });
      // a simple cross-site form POST cannot set this header; fetch from the page does
      if (req.headers['content-type'] !== 'application/json') return json(res, 415, { error: 'content-type must be application/json' });
      try {
        const body = await readBody(req);
        const args = body.length > 0 ? (JSON.parse(body) as unknown) : {};
        const result = await handlers[name as HandlerName]!(args ?? {});
        return json(res, 200, { result: result ?? null });
      } catch (e) {
        return json(res, 400, { error: (e as Error).message });
      }
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', 'text/plain');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'bad path', 'text/plain');
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const abs = path.resolve(rendererDir, '.' + rel);
    if (!abs.startsWith(rendererDir + path.sep) || !fs.existsSync(abs) || !fs.statSync(abs).isFile()) return send(res, 404, 'not found', 'text/plain');
    const extra: Record<string, string> = {};
    if (abs.endsWith('.html')) extra['content-security-policy'] = contentSecurityPolicyWeb(port);
    send(res, 200, fs.readFileSync(abs), MIME[path.extname(abs)] ?? 'application/octet-stream', extra);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const sockets = new Set<WebSocket>();
  const unsubscribe = opts.hub.subscribe((event, payload) => {
    if (sockets.size === 0) return;
    const msg = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/events' || !hostOk(req.headers.host) || !originOk || !tokenOk(url.searchParams.get('token'))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  log(`ts-engine workbench (web mode): ${url}`);
  return {
    url,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
