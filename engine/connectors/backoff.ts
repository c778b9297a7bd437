/**
 * Retries with exponential backoff for the live connectors (docs/semantics.md#retries: a failing
 * output is retried with backoff while the input waits). Time comes from the injected clock, so
 * unit tests do not sleep.
 */
import { systemClock, type Clock } from '../core/clock.js';

export interface BackoffOptions {
  /** attempts after the first one; Infinity retries forever */
  maxRetries: number;
  /** first delay, ms (default 200) */
  minMs?: number;
  /** cap of the delay, ms (default 10 000) */
  maxMs?: number;
  /** ±fraction of random jitter (default 0.2) */
  jitter?: number;
  /** false → give up at once (a 4xx answer, a bad request) */
  retriable?(e: unknown): boolean;
  /** called before each wait with the attempt number (1-based), the delay and the error */
  onRetry?(attempt: number, delayMs: number, e: unknown): void;
  /** stop waiting and rethrow when this returns true (a run being stopped) */
  aborted?(): boolean;
  sleep?(ms: number): Promise<void>;
  random?(): number;
}

/** Delay before retry `attempt` (1-based): min × 2^(attempt−1), capped, with jitter. */
export function backoffDelay(attempt: number, o: Pick<BackoffOptions, 'minMs' | 'maxMs' | 'jitter' | 'random'> = {}): number {
  const min = o.minMs ?? 200;
  const max = o.maxMs ?? 10_000;
  const base = Math.min(max, min * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const j = o.jitter ?? 0.2;
  const r = (o.random ?? Math.random)();
  return Math.max(0, Math.round(base * (1 - j + 2 * j * r)));
}

/** Runs `fn` until it resolves, retrying retriable failures with backoff; rethrows the last error. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: BackoffOptions): Promise<T> {
  const sleep = o.sleep ?? systemClock.sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= o.maxRetries || (o.retriable && !o.retriable(e)) || o.aborted?.()) throw e;
      const delay = backoffDelay(attempt + 1, o);
      o.onRetry?.(attempt + 1, delay, e);
      await sleep(delay);
      if (o.aborted?.()) throw e;
    }
  }
}

/**
 * A backoff wait that ends early once `stopping()` says the run is being stopped (checked every
 * 100 ms), so a sink retrying a dead server never holds up a stop; `override` (tests) replaces it.
 */
export function stoppableSleep(
  clock: Clock,
  stopping: () => boolean,
  override?: () => ((ms: number) => Promise<void>) | undefined,
): (ms: number) => Promise<void> {
  return async (ms) => {
    const own = override?.();
    if (own) return own(ms);
    const end = clock.now() + ms;
    for (let left = ms; left > 0 && !stopping(); left = end - clock.now()) await clock.sleep(Math.min(left, 100));
  };
}

/** Calls `warn` at most once per `everyMs` for the same message key; counts what it held back. */
export class Throttle {
  private readonly last = new Map<string, { at: number; held: number }>();
  constructor(
    private readonly warn: (m: string) => void,
    private readonly everyMs = 10_000,
    private readonly now: () => number = systemClock.now,
  ) {}
  say(key: string, message: string): void {
    const t = this.now();
    const l = this.last.get(key);
    if (l && t - l.at < this.everyMs) {
      l.held++;
      return;
    }
    this.last.set(key, { at: t, held: 0 });
    this.warn(l && l.held > 0 ? `${message} (${l.held} more like this since the last report)` : message);
  }
}
