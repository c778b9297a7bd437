/**
 * Which source offsets may be committed (docs/semantics.md#commit-after-outputs): per partition,
 * the first offset still held by a window no output has confirmed yet, else everything read. The
 * runner tells it where each window's rows came from and which windows were written.
 */
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
