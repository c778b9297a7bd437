// Web mode's transport (main/web-server.ts): 127.0.0.1 only, the token on every API call (never in a cookie), same contract as IPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { EventHub, startWebServer, type WebServer } from '../../../main/web-server.js';
import type { Handlers } from '../../../main/api/contract.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-web-'));
fs.writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><title>wb</title>');
fs.mkdirSync(path.join(tmp, 'assets'));
fs.writeFileSync(path.join(tmp, 'assets', 'a.js'), 'console.log(1)');
fs.writeFileSync(path.join(os.tmpdir(), 'ts-web-secret.txt'), 'secret');

const hub = new EventHub();
const handlers = {
  'app.info': async () => ({ version: '0', mode: 'web', samples: [], recent: [], projectsHome: '/x' }),
  'run.pause': async () => {
    throw new Error('no run in progress');
  },
} as unknown as Handlers;

let server: WebServer;
beforeAll(async () => {
  server = await startWebServer({ handlers, hub, rendererDir: tmp, token: 'tok123' });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function request(p: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: p, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const api = (name: string, args: unknown, headers: Record<string, string> = {}) =>
  request(`/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ts-engine-token': 'tok123', ...headers },
    body: JSON.stringify(args),
  });

describe('web mode server', () => {
  it('prints a loopback URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=tok123`);
  });

  it('refuses API calls without the token header, or with a wrong one', async () => {
    const none = await request('/api/app.info', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toMatch(/missing or wrong token: open the URL printed when the workbench started/);
    expect((await api('app.info', {}, { 'x-ts-engine-token': 'nope' })).status).toBe(401);
    // the URL's token is for the page to read, not a credential of API calls
    const query = await request('/api/app.info?token=tok123', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(query.status).toBe(401);
  });

  it('serves the page with a strict CSP and sets no cookie; its static files need no token', async () => {
    const r = await request('/?token=tok123');
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['set-cookie']).toBeUndefined();
    const a = await request('/assets/a.js');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toContain('javascript');
    expect((await request('/assets/../../ts-web-secret.txt')).status).toBe(404);
    expect((await request('/%E0%A4%A')).status).toBe(400);
  });

  it('never accepts the token from a cookie: browsers send 127.0.0.1 cookies to every port', async () => {
    const other = server.port === 65535 ? 65534 : server.port + 1;
    const noHeader = (cookie: string) => request('/api/app.info', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{}' });
    // the old cookie name, one set for another port, and even one named after this port
    for (const cookie of ['ts_engine_token=tok123', `ts_engine_token_${other}=tok123`, `ts_engine_token_${server.port}=tok123`]) {
      expect((await noHeader(cookie)).status, cookie).toBe(401);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, {
      origin: `http://127.0.0.1:${server.port}`,
      headers: { cookie: `ts_engine_token_${server.port}=tok123` },
    });
    const refused = await new Promise<boolean>((resolve) => {
      ws.on('open', () => resolve(false));
      ws.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('rejects another Host (DNS rebinding)', async () => {
    const r = await request('/?token=tok123', { headers: { host: `evil.example:${server.port}` } });
    expect(r.status).toBe(421);
  });

  it('answers POST /api/<name> with {result} or {error}', async () => {
    const ok = await api('app.info', {});
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ result: { version: '0', mode: 'web', samples: [], recent: [], projectsHome: '/x' } });
    const err = await api('run.pause', {});
    expect(err.status).toBe(400);
    expect(JSON.parse(err.body)).toEqual({ error: 'no run in progress' });
    expect((await api('no.such', {})).status).toBe(404);
    expect((await api('app.info', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await request('/api/app.info', { headers: { 'x-ts-engine-token': 'tok123' } })).status).toBe(405);
  });

  it('streams events over the WebSocket to token holders only', async () => {
    const bad = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=nope`);
    await new Promise<void>((resolve) => bad.on('error', () => resolve()));
    const foreign = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=tok123`, { origin: 'http://evil.example' });
    await new Promise<void>((resolve) => foreign.on('error', () => resolve()));

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=tok123`, { origin: `http://127.0.0.1:${server.port}` });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    const got = new Promise<unknown>((resolve) => ws.on('message', (m) => resolve(JSON.parse(String(m)))));
    hub.emit('run.alerts', { runId: 'r1', alerts: [], total: 0 });
    expect(await got).toEqual({ event: 'run.alerts', payload: { runId: 'r1', alerts: [], total: 0 } });
    ws.close();
  });
});
