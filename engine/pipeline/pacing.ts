/**
 * Pacing of replays on the run's clock: an event-time replay at `speed` (1 = as fast as the event
 * times say), and a csv input at `rate` rows per second. Each says how long to wait before the
 * next row; the runner does the waiting, so it can close windows and report progress meanwhile.
 */
import type { Clock } from '../core/clock.js';

/** waits shorter than this are not worth a timer: they are caught up with the next wait */
const MIN_WAIT_MS = 5;

export class EventPacer {
  private startWall = 0;
  private startEvent = NaN;

  constructor(
    private readonly clock: Clock,
    public speed: number,
  ) {}

  /** the replay goes on at another speed from the next row on */
  setSpeed(speed: number): void {
    this.speed = speed;
    this.startEvent = NaN;
  }

  /** ms to wait before handing on a row whose event time is `eventMs` (0: go on) */
  waitFor(eventMs: number): number {
    const now = this.clock.now();
    if (this.startEvent !== this.startEvent) {
      this.startEvent = eventMs;
      this.startWall = now;
      return 0;
    }
    const wait = this.startWall + (eventMs - this.startEvent) / this.speed - now;
    return wait > MIN_WAIT_MS ? wait : 0;
  }
}

export class RatePacer {
  private startWall = 0;
  private rows = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rate: number,
  ) {}

  /** ms to wait before the next row (0: go on) */
  waitFor(): number {
    if (this.rows === 0) this.startWall = this.clock.now();
    this.rows++;
    const wait = this.startWall + (this.rows * 1000) / this.rate - this.clock.now();
    return wait > MIN_WAIT_MS ? wait : 0;
  }
}
