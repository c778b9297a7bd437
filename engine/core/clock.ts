/**
 * Time is injected: the engine never reads the wall clock directly, so window
 * tests run on a virtual clock and are deterministic (most.js style).
 */
export interface Clock {
  /** epoch milliseconds */
  now(): number;
  /** resolves after `ms` of this clock's time */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/** A manually advanced clock for tests: sleepers wake when `advance` passes their deadline. */
export class VirtualClock implements Clock {
  private sleepers: { at: number; resolve: () => void }[] = [];
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.t + Math.max(0, ms), resolve });
      this.sleepers.sort((a, b) => a.at - b.at);
    });
  }
  /** moves time forward, waking sleepers in deadline order (awaiting each so their continuations run) */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    while (this.sleepers.length > 0 && this.sleepers[0]!.at <= target) {
      const s = this.sleepers.shift()!;
      this.t = Math.max(this.t, s.at);
      s.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }
  get pendingSleepers(): number {
    return this.sleepers.length;
  }
}
