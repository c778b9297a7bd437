/**
 * Which source offsets may be committed (docs/semantics.md#commit-after-outputs): per partition,
 * the first offset still held by a window no output has confirmed yet, else everything read. The
 * runner tells it where each window's rows came from and which windows were written.
 */
import type { LineBatch } from '../components/types.js';

export class OffsetLedger {
  /** open window start → partition → smallest offset of a row in it */
  private readonly windowOffsets = new Map<number, Map<number, bigint>>();
  /** partition → largest offset read */
  private readonly lastOffset = new Map<number, bigint>();

  /** a row of the window starting at `windowStart` came from (partition, offset) */
  track(windowStart: number, partition: number, offset: bigint): void {
    let m = this.windowOffsets.get(windowStart);
    if (!m) this.windowOffsets.set(windowStart, (m = new Map()));
    const cur = m.get(partition);
    if (cur === undefined || offset < cur) m.set(partition, offset);
    this.read(partition, offset);
  }

  /** (partition, offset) was read (a row that went into no window: a bad or late row, the end of a batch) */
  read(partition: number, offset: bigint): void {
    const last = this.lastOffset.get(partition);
    if (last === undefined || offset > last) this.lastOffset.set(partition, offset);
  }

  /** every output confirmed the window starting at `windowStart` */
  written(windowStart: number): void {
    this.windowOffsets.delete(windowStart);
  }

  get empty(): boolean {
    return this.lastOffset.size === 0;
  }

  /** partition → the next offset a restart should read */
  committable(): Map<number, string> {
    const safe = new Map<number, string>();
    for (const [part, last] of this.lastOffset) {
      let min = last + 1n;
      for (const m of this.windowOffsets.values()) {
        const o = m.get(part);
        if (o !== undefined && o < min) min = o;
      }
      safe.set(part, min.toString());
    }
    return safe;
  }
}

/** The rows of a committable batch: where each came from. */
type OffsetRows = Pick<LineBatch, 'partition' | 'partitions' | 'offsets'>;

/**
 * One batch's rows into the ledger. Offsets grow within a partition, so a window's smallest offset
 * from a partition in the batch is that of its first row from it: only those rows are tracked, and
 * at the end the last row of each partition is noted as read.
 */
export class BatchOffsets {
  /** the partition of the row before, and the window its rows were last tracked in */
  private window = Number.NaN;
  private partition = -1;
  /** partition → the window its rows were last tracked in (a merged batch switches partitions every few rows) */
  private readonly windowOf = new Map<number, number>();

  constructor(
    private readonly ledger: OffsetLedger,
    private readonly batch: OffsetRows,
  ) {}

  /** whether the batch's rows have offsets to commit */
  static tracks(batch: OffsetRows): boolean {
    return batch.offsets !== undefined && (batch.partition !== undefined || batch.partitions !== undefined);
  }

  private partitionOf(i: number): number {
    return this.batch.partitions ? this.batch.partitions[i]! : this.batch.partition!;
  }

  /** row i went into the window starting at `windowStart` */
  row(i: number, windowStart: number): void {
    const part = this.partitionOf(i);
    if (part !== this.partition) {
      this.partition = part;
      this.window = this.windowOf.get(part) ?? Number.NaN;
    }
    if (windowStart === this.window) return;
    this.ledger.track(windowStart, part, BigInt(this.batch.offsets![i]!));
    this.window = windowStart;
    this.windowOf.set(part, windowStart);
  }

  /** row i went into no window (a bad or late row), or the batch stops at it */
  read(i: number): void {
    this.ledger.read(this.partitionOf(i), BigInt(this.batch.offsets![i]!));
  }

  /** windows were written meanwhile (a pause or stop between rows): the next rows are tracked again */
  forget(): void {
    this.window = Number.NaN;
    this.partition = -1;
    this.windowOf.clear();
  }

  /** rows [0, last] were handled: the last of each partition is read */
  end(last: number): void {
    if (last < 0) return;
    if (!this.batch.partitions) {
      this.read(last);
      return;
    }
    const seen = new Set<number>();
    for (let i = last; i >= 0; i--) {
      const part = this.batch.partitions[i]!;
      if (seen.has(part)) continue;
      seen.add(part);
      this.read(i);
    }
  }
}
