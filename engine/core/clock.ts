/**
 * Time is injected (docs/architecture.md#time): the engine never reads the wall clock or starts a
 * timer directly, it asks a Clock. Production runs get `systemClock`; tests get a VirtualClock
 * whose time moves only when the test advances it, firing due timers in deadline order (the
 * most.js model: explicit time, virtual timers), so timing logic is tested without sleeping.
 */

/** A timer started by a Clock; pass it to the same clock's `clearTimeout`. */
export interface Timer {
  readonly __timer: true;
}

export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** resolves after `ms` of this clock's time */
  sleep(ms: number): Promise<void>;
  /** calls `fn` after `ms` of this clock's time; `unref`: the timer alone does not keep the process alive */
  setTimeout(fn: () => void, ms: number, opts?: { unref?: boolean }): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  setTimeout(fn, ms, opts) {
    const t = setTimeout(fn, Math.max(0, ms));
    if (opts?.unref) t.unref();
    return t as unknown as Timer;
  },
  clearTimeout(timer) {
    if (timer !== undefined) clearTimeout(timer as unknown as NodeJS.Timeout);
  },
};

interface VirtualTimer extends Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A manually advanced clock for tests: timers and sleepers fire when `advance` passes their deadline. */
export class VirtualClock implements Clock {
  private timers: VirtualTimer[] = [];
  private seq = 0;
  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn } as VirtualTimer;
    this.timers.push(timer);
    // deadline order; equal deadlines in the order they were set
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    const i = this.timers.indexOf(timer as VirtualTimer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** moves time forward, firing due timers in deadline order (letting the continuations of each run before the next) */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    while (this.timers.length > 0 && this.timers[0]!.at <= target) {
      const timer = this.timers.shift()!;
      this.t = Math.max(this.t, timer.at);
      timer.fn();
      await settle();
    }
    this.t = target;
  }

  /** moves time to the next timer's deadline and fires it; false when no timer is pending */
  async next(): Promise<boolean> {
    const first = this.timers[0];
    if (!first) return false;
    await this.advance(first.at - this.t);
    return true;
  }

  /** timers (sleepers included) waiting to fire */
  get pendingSleepers(): number {
    return this.timers.length;
  }
}

/** lets pending promise continuations and I/O callbacks run */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
