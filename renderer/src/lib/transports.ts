/**
 * The renderer's way to the back end: the contract of main/api/contract.ts over this page's
 * platform — `window.tsEngine` (Electron preload, IPC) or fetch + WebSocket (web mode, token from
 * the page URL). Made once at start (main.ts) and passed to the state classes; unit tests pass
 * main/api/in-process.ts instead (docs/architecture.md#the-renderer).
 */
import type { Reply, Transport } from '../../../main/api/contract';

declare global {
  interface Window {
    tsEngine?: { invoke(name: string, args: unknown): Promise<Reply<unknown>>; on(event: string, cb: (payload: unknown) => void): () => void };
  }
}

export class ApiError extends Error {
  override name = 'ApiError';
}

function unwrap<T>(r: Reply<T>): T {
  if ('error' in r) throw new ApiError(r.error);
  return r.result;
}

export function electronTransport(bridge: NonNullable<Window['tsEngine']>): Transport {
  return {
    async invoke(name, args) {
      return unwrap((await bridge.invoke(name, args)) as Reply<never>);
    },
    on(event, cb) {
      return bridge.on(event, cb as (p: unknown) => void);
    },
  };
}

function webToken(): string {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem('ts-engine-token', t);
    // keep the token out of the address bar (screenshots, shared screens); the tab remembers it
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return t;
  }
  return sessionStorage.getItem('ts-engine-token') ?? '';
}

export function webTransport(token: string): Transport {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let socket: WebSocket | undefined;
  let retry = 250;
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${proto}://${location.host}/events?token=${encodeURIComponent(token)}`);
    socket.onopen = () => (retry = 250);
    socket.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: string; payload: unknown };
      for (const cb of listeners.get(event) ?? []) cb(payload);
    };
    socket.onclose = () => {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  };
  connect();
  return {
    async invoke(name, args) {
      const res = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ts-engine-token': token },
        body: JSON.stringify(args ?? {}),
      });
      let body: Reply<never>;
      try {
        body = (await res.json()) as Reply<never>;
      } catch {
        throw new ApiError(`${name}: HTTP ${res.status}`);
      }
      return unwrap(body);
    },
    on(event, cb) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb as (p: unknown) => void);
      return () => set!.delete(cb as (p: unknown) => void);
    },
  };
}

/** The transport of the platform this page runs on. */
export function platformTransport(): Transport {
  return window.tsEngine ? electronTransport(window.tsEngine) : webTransport(webToken());
}
