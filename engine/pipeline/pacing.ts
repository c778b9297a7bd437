/**
 * Pacing of replays on the run's clock: an event-time replay at `speed` (1 = as fast as the event
 * times say), and a csv input at `rate` rows per second. Each says how long to wait before the
 * next row; the runner does the waiting, so it can close windows and report progress meanwhile.
 *
 * A pause freezes a pacer's schedule: the time spent paused is added to its start, so a resumed
 * replay goes on at its pace from where it stopped instead of rushing through the rows it "owes"
 * for the paused time. After the rows jumped ahead without pacing (a step), `restart` anchors the
 * schedule anew at the next row.
 */
import type { Clock } from '../core/clock.js';

/** waits shorter than this are not worth a timer: they are caught up with the next wait */
const MIN_WAIT_MS = 5;

/** A schedule that starts at some wall time and can be frozen (pause) and anchored anew (restart). */
abstract class Schedule {
  protected startWall = 0;
  private pausedAt: number | undefined;

  constructor(protected readonly clock: Clock) {}

  /** stops the schedule's time until `resume` */
  pause(): void {
    if (this.pausedAt === undefined) this.pausedAt = this.clock.now();
  }

  /** the schedule goes on from where `pause` froze it */
  resume(): void {
    if (this.pausedAt === undefined) return;
    this.startWall += this.clock.now() - this.pausedAt;
    this.pausedAt = undefined;
  }

  /** the next row starts a new schedule (the rows before it were not paced) */
  abstract restart(): void;

  protected wait(targetWall: number): number {
    const wait = targetWall - this.clock.now();
    return wait > MIN_WAIT_MS ? wait : 0;
  }
}

export class EventPacer extends Schedule {
  private startEvent = NaN;

  constructor(
    clock: Clock,
    public speed: number,
  ) {
    super(clock);
  }

  /** the replay goes on at another speed from the next row on */
  setSpeed(speed: number): void {
    this.speed = speed;
    this.restart();
  }

  restart(): void {
    this.startEvent = NaN;
  }

  /** ms to wait before handing on a row whose event time is `eventMs` (0: go on) */
  waitFor(eventMs: number): number {
    if (this.startEvent !== this.startEvent) {
      this.startEvent = eventMs;
      this.startWall = this.clock.now();
      return 0;
    }
    return this.wait(this.startWall + (eventMs - this.startEvent) / this.speed);
  }
}

export class RatePacer extends Schedule {
  private rows = 0;

  constructor(
    clock: Clock,
    private readonly rate: number,
  ) {
    super(clock);
  }

  restart(): void {
    this.rows = 0;
  }

  /** ms to wait before the next row (0: go on) */
  waitFor(): number {
    if (this.rows === 0) this.startWall = this.clock.now();
    this.rows++;
    return this.wait(this.startWall + (this.rows * 1000) / this.rate);
  }
}
