/** What the connection probes share: time limits on the run's clock, and the chain of causes of an error. */
import type { Clock } from '../core/clock.js';

/** Rejects with `onTimeout()` when `p` has not settled within `ms` of the clock's time. */
export async function deadline<T>(clock: Clock, p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = clock.setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clock.clearTimeout(timer);
  }
}

/** A problem already worded for the user (bad input, a time limit). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export interface Cause {
  name?: string;
  message?: string;
  code?: string;
}

/** The error and its causes (`cause`, kafkajs's `originalError`), outermost first. */
export function causes(e: unknown): Cause[] {
  const out: Cause[] = [];
  let x = e as (Cause & { cause?: unknown; originalError?: unknown }) | undefined;
  for (let i = 0; x && i < 6; i++) {
    out.push({ name: x.name, message: x.message, code: x.code });
    x = (x.cause ?? x.originalError) as typeof x;
  }
  return out;
}

/** Settles `p` within `ms` or gives up on it; never throws (clean-up calls). */
export async function quietly(clock: Clock, p: Promise<unknown> | undefined, ms = 3000): Promise<void> {
  if (!p) return;
  await deadline(clock, p, ms, () => new Error('timeout')).catch(() => undefined);
}
