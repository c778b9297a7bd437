/**
 * The contract served in-process: the real handler map (createHandlers) called directly, with
 * what the wire does kept — arguments and results go through JSON as over HTTP and IPC, and a
 * handler's failure comes back as an Error carrying its message only. Events reach the
 * transport's listeners at once (`sync`, as fast as a transport can be) or when the caller
 * delivers them (`queued`); a reply can be held back (`hold`) so events overtake it, as they can
 * over HTTP or IPC, where nothing orders the events channel against a reply.
 *
 * The renderer's state classes are unit-tested through it (test/unit/renderer/); see
 * docs/architecture.md#the-renderer.
 */
import { createHandlers, type HandlerMap, type HandlerOptions } from './handlers.js';
import type { ArgsOf, EventName, Events, HandlerName, ResultOf, Transport } from './contract.js';

export interface InProcessOptions extends Omit<HandlerOptions, 'emit'> {
  /** `sync` (default): an event reaches the listeners while the handler emits it; `queued`: on deliver() */
  events?: 'sync' | 'queued';
}

type Listener = (payload: unknown) => void;

export class InProcessTransport implements Transport {
  readonly handlers: HandlerMap;
  /** every event emitted so far, in order */
  readonly emitted: { event: EventName; payload: unknown }[] = [];
  private readonly mode: 'sync' | 'queued';
  private readonly queue: { event: EventName; payload: unknown }[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly held = new Map<string, { answered: () => void; gate: Promise<void> }>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(opts: InProcessOptions) {
    this.mode = opts.events ?? 'sync';
    this.handlers = createHandlers({ ...opts, emit: (event, payload) => this.emit(event, payload) });
  }

  invoke<K extends HandlerName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    const call = this.call(name, args);
    this.inflight.add(call);
    const done = () => void this.inflight.delete(call);
    call.then(done, done);
    return call;
  }

  /**
   * Resolves once no call is in flight any more, calls made by what the replies set off
   * included (a state class's follow-up requests): what a test awaits after an action. A reply
   * held back by hold() keeps it waiting until released.
   */
  async idle(): Promise<void> {
    do {
      await Promise.allSettled([...this.inflight]);
      // the continuations of the last replies run, and may invoke again
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (this.inflight.size > 0);
  }

  private async call<K extends HandlerName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    const handler = this.handlers[name] as (a: unknown) => Promise<unknown>;
    const hold = this.held.get(name);
    this.held.delete(name);
    let reply: { result: unknown } | { error: string };
    try {
      reply = { result: await handler.call(this.handlers, wire(args ?? {})) };
    } catch (e) {
      reply = { error: (e as Error).message };
    }
    if (hold) {
      hold.answered();
      await hold.gate;
    }
    if ('error' in reply) throw new Error(reply.error);
    return (reply.result === undefined ? undefined : wire(reply.result)) as ResultOf<K>;
  }

  on<E extends EventName>(event: E, cb: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb as Listener);
    return () => set.delete(cb as Listener);
  }

  /**
   * The next reply of `name` waits until `release()`; `answered` resolves once the handler has
   * answered (its events, in `sync` mode, have then been delivered ahead of the reply).
   */
  hold(name: HandlerName): { answered: Promise<void>; release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let answered!: () => void;
    const reached = new Promise<void>((resolve) => (answered = resolve));
    this.held.set(name, { answered, gate });
    return { answered: reached, release };
  }

  /** events waiting in `queued` mode */
  get pending(): number {
    return this.queue.length;
  }

  /** delivers the first `n` queued events (all by default); returns how many were delivered */
  deliver(n = Infinity): number {
    let k = 0;
    while (k < n && this.queue.length > 0) {
      const e = this.queue.shift()!;
      this.dispatch(e.event, e.payload);
      k++;
    }
    return k;
  }

  dispose(): Promise<void> {
    return this.handlers.dispose();
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    const copy = wire(payload);
    this.emitted.push({ event, payload: copy });
    if (this.mode === 'queued') this.queue.push({ event, payload: copy });
    else this.dispatch(event, copy);
  }

  private dispatch(event: EventName, payload: unknown): void {
    for (const cb of [...(this.listeners.get(event) ?? [])]) cb(payload);
  }
}

/** what crosses HTTP, WebSocket and IPC: JSON (no undefined members, no classes, no shared objects) */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
