/**
 * The handler map across a message channel: `serveHandlers` runs next to the
 * engine, `remoteHandlers` gives the same `Handlers` interface on the other
 * side. The Electron main process uses it to keep the engine in a plain Node
 * child process: native modules (better-sqlite3) are built by `npm install`
 * for Node's ABI, not Electron's, and the main process stays free of engine
 * work. Messages are plain JSON (the contract is plain data).
 */
import { HANDLER_NAMES, type Events, type Handlers } from './contract.js';

export type HostMessage =
  | { type: 'call'; id: number; name: string; args: unknown }
  /** from the Electron main process only (the renderer can send contract calls only): a folder picked in the native dialog */
  | { type: 'grant'; id: number; path: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'event'; event: keyof Events; payload: unknown };

/** One end of a message channel (a ChildProcess, `process`, or an in-memory pair in tests). */
export interface Channel {
  send(message: HostMessage): void;
  onMessage(cb: (message: HostMessage) => void): void;
}

/** What the app itself may ask of the handler map besides the contract. */
export interface Grants {
  grantFolder(dir: string): Promise<void>;
}

export function serveHandlers(handlers: Handlers & Grants, channel: Channel): void {
  const table = handlers as unknown as Record<string, (a: unknown) => Promise<unknown>>;
  channel.onMessage(async (m) => {
    if (m.type === 'grant') {
      try {
        await handlers.grantFolder(m.path);
        channel.send({ type: 'reply', id: m.id, result: null });
      } catch (e) {
        channel.send({ type: 'reply', id: m.id, error: (e as Error).message });
      }
      return;
    }
    if (m.type !== 'call') return;
    try {
      if (!(HANDLER_NAMES as readonly string[]).includes(m.name)) throw new Error(`unknown handler ${m.name}`);
      const result = await table[m.name]!(m.args ?? {});
      channel.send({ type: 'reply', id: m.id, result: result ?? null });
    } catch (e) {
      channel.send({ type: 'reply', id: m.id, error: (e as Error).message });
    }
  });
}

export function remoteHandlers(channel: Channel, onEvent: <E extends keyof Events>(event: E, payload: Events[E]) => void): Handlers & Grants {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  channel.onMessage((m) => {
    if (m.type === 'event') onEvent(m.event, m.payload as never);
    else if (m.type === 'reply') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    }
  });
  const request = (message: (id: number) => HostMessage) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      channel.send(message(id));
    });
  const handlers = Object.fromEntries(
    HANDLER_NAMES.map((name) => [name, (args: unknown) => request((id) => ({ type: 'call', id, name, args }))]),
  ) as unknown as Handlers;
  return Object.assign(handlers, {
    grantFolder: async (dir: string) => void (await request((id) => ({ type: 'grant', id, path: dir }))),
  });
}
