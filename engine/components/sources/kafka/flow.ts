/**
 * Back-pressure of the Kafka input: a partition whose queue is full is paused in the consumer, so
 * a runner blocked on a slow or failing output stops the fetching and memory stays bounded; it is
 * resumed once half of it was handed on. The workbench's pause stops every partition; a bounded read
 * (--until-end) stops a partition for good at its end. Pure: the consumer is reached through a port.
 */

/** Pauses and resumes the fetching of partitions (the kafkajs consumer). */
export interface PartitionSwitch {
  pause(partitions: number[]): void;
  resume(partitions: number[]): void;
}

export class FlowControl {
  /** paused because their queue is full */
  private readonly full = new Set<number>();
  /** paused for good: a bounded read reached their end */
  private readonly ended = new Set<number>();
  private userPaused = false;

  constructor(
    private readonly consumer: PartitionSwitch,
    /** messages queued per partition before it is paused */
    private readonly maxQueued: number,
  ) {}

  get pausedByUser(): boolean {
    return this.userPaused;
  }

  /** partitions paused because their queue is full, in order */
  pausedPartitions(): number[] {
    return [...this.full].sort((a, b) => a - b);
  }

  /** a fetch queued messages of `p`: pause it when full */
  filled(p: number, queued: number): void {
    if (queued >= this.maxQueued && !this.full.has(p)) {
      this.full.add(p);
      this.consumer.pause([p]);
    }
  }

  /** a bounded read fetched everything of `p` it reads: stop fetching it */
  reachedEnd(p: number): void {
    if (this.ended.has(p)) return;
    this.ended.add(p);
    this.full.delete(p);
    this.consumer.pause([p]);
  }

  /** messages of `p` were handed on: resume it once half empty (unless the user paused) */
  drained(p: number, queued: number): void {
    if (this.full.has(p) && queued <= this.maxQueued / 2 && !this.userPaused) {
      this.full.delete(p);
      this.consumer.resume([p]);
    }
  }

  /** After a (re-)join: the consumer forgets pauses, so pause again what is still full, and everything while the user paused. */
  rejoined(assigned: number[], revoked: number[], queuedOf: (p: number) => number): void {
    // a partition that comes back is read again from what was handed on, which may be short of its end
    for (const p of revoked) {
      this.full.delete(p);
      this.ended.delete(p);
    }
    for (const p of assigned) {
      if (this.ended.has(p)) this.consumer.pause([p]);
      else if (this.full.has(p) || queuedOf(p) >= this.maxQueued) {
        this.full.add(p);
        this.consumer.pause([p]);
      }
    }
    if (this.userPaused && assigned.length) this.consumer.pause(assigned);
  }

  /** the workbench paused the run: stop fetching every partition */
  pauseAll(assigned: number[]): void {
    this.userPaused = true;
    if (assigned.length) this.consumer.pause(assigned);
  }

  /** the workbench resumed: fetch again what is not full */
  resumeAll(assigned: number[]): void {
    this.userPaused = false;
    const parts = assigned.filter((p) => !this.full.has(p) && !this.ended.has(p));
    if (parts.length) this.consumer.resume(parts);
  }
}
