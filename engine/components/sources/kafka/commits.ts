/**
 * Offset commits of the Kafka input (docs/semantics.md#commit-after-outputs): the runner says,
 * per partition, which offsets every output has confirmed; they are coalesced and committed at
 * most every `everyMs`, never blocking the run loop, never going backwards, never for a partition
 * this process no longer owns. A failed commit keeps its offsets for the next attempt. Under event
 * time the watermark goes along as commit metadata, so a restart resumes from it. Pure: the
 * consumer is reached through a port, time through the injected clock.
 */
import type { Clock, Timer } from '../../../core/clock.js';

export interface CommitPort {
  /** false while there is nothing to commit with (not connected) */
  ready(): boolean;
  isAssigned(partition: number): boolean;
  commitOffsets(offsets: { partition: number; offset: string }[], metadata: string | null): Promise<void>;
  /** a commit failed; it is retried with the next one */
  failed(e: unknown): void;
}

export class CommitBatcher {
  private readonly pending = new Map<number, string>();
  private readonly committed = new Map<number, bigint>();
  private inFlight: Promise<void> | undefined;
  private timer: Timer | undefined;
  private lastCommitAt = 0;
  private watermark: number | undefined;
  private closing = false;
  failures = 0;

  constructor(
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly port: CommitPort,
  ) {}

  /** `safe`: partition → next offset to read; commits it soon (at once when the last commit is older than everyMs) */
  request(safe: Map<number, string>, meta?: { watermarkMs?: number }): void {
    if (meta?.watermarkMs !== undefined && Number.isFinite(meta.watermarkMs)) this.watermark = meta.watermarkMs;
    for (const [p, off] of safe) {
      if (!this.port.isAssigned(p)) continue; // revoked: the new owner commits it
      const o = BigInt(off);
      const done = this.committed.get(p);
      if (done !== undefined && o <= done) continue;
      this.pending.set(p, off);
    }
    if (this.pending.size === 0 || this.inFlight || this.timer || this.closing) return;
    const wait = this.lastCommitAt + this.everyMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(
        () => {
          this.timer = undefined;
          this.start();
        },
        wait,
        { unref: true },
      );
    } else this.start();
  }

  /** `p` was revoked: what is pending for it is the new owner's */
  revoke(p: number): void {
    this.pending.delete(p);
  }

  /** the last commit: waits for one in flight, then commits what is pending */
  async finish(): Promise<void> {
    this.closing = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.flush();
  }

  private start(): void {
    if (this.inFlight || this.pending.size === 0) return;
    this.inFlight = this.flush()
      .catch((e) => {
        this.failures++;
        if (!this.closing) this.port.failed(e);
      })
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending.size > 0 && !this.closing) this.request(new Map());
      });
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0 || !this.port.ready()) return;
    const batch = [...this.pending.entries()].filter(([p]) => this.port.isAssigned(p));
    this.pending.clear();
    this.lastCommitAt = this.clock.now();
    if (batch.length === 0) return;
    const metadata = this.watermark !== undefined ? JSON.stringify({ watermarkMs: this.watermark }) : null;
    try {
      await this.port.commitOffsets(
        batch.map(([partition, offset]) => ({ partition, offset })),
        metadata,
      );
    } catch (e) {
      // keep them for the next attempt unless newer ones arrived meanwhile
      for (const [p, off] of batch) if (!this.pending.has(p)) this.pending.set(p, off);
      throw e;
    }
    for (const [p, off] of batch) this.committed.set(p, BigInt(off));
  }
}
