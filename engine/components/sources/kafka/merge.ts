/**
 * The messages fetched and not yet handed to the runner, per partition, and the choice of what
 * goes next. Without event time the partitions take turns. With event time (docs/semantics.md#
 * partition-merge) the partitions are merged in event-time order: a partition with nothing queued
 * holds the others back, at most `holdMs`, so a watermark taken over several partitions does not
 * run ahead of a lagging one. The merge hands on one batch of many runs (a topic keyed by sensor
 * alternates partitions every few rows), so the runner's cost per batch is not paid per run.
 * Pure: no consumer here, time from the injected clock.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Clock } from '../../../core/clock.js';

interface Chunk {
  msgs: KafkaMessage[];
  /** the fetch round that brought it, and when */
  round: number;
  at: number;
  /** event time (ms) per message, merge mode only */
  times?: Float64Array;
  i: number;
}

interface Partition {
  id: number;
  chunks: Chunk[];
  queued: number;
  /** next offset expected from the consumer: smaller ones were queued already (a re-fetch after a re-join) */
  fetched?: bigint;
  /** next offset after the last message handed to the runner, up to `handed` (deliveredOf) */
  delivered?: bigint;
  /** the offset of the last message handed on, not yet in `delivered`: a BigInt per run would cost more than the merge */
  handed?: string;
  /** the last batch reached the partition's high watermark */
  caughtUp: boolean;
  seen: boolean;
  assignedAt: number;
  emptySince: number;
  /** event time of the last message handed on (merge mode) */
  frontier: number;
}

/** A bounded read: per partition, the offset to stop at (its end when the run started) and where reading began. */
interface Bound {
  end: bigint;
  start?: bigint;
}

/** Messages [start, end) of one partition's fetched run `msgs`; a batch handed on is one or more of them. */
export interface Run {
  partition: number;
  msgs: KafkaMessage[];
  start: number;
  end: number;
}

export interface MergeOptions {
  /** largest batch handed on */
  maxBatch: number;
  /** event time: how long to wait for a lagging partition before going on without it */
  holdMs: number;
  /** event time (ms) of a message value; absent: partitions take turns */
  eventTime?: (b: Uint8Array, s: number, e: number) => number;
}

export class PartitionQueues {
  private readonly parts = new Map<number, Partition>();
  private assigned = new Set<number>();
  /** the assigned partitions' states, in partition order */
  private active: Partition[] = [];
  private rr = 0;
  /** fetch requests started: once round k + 2 starts, every batch of response k + 1 is queued */
  private rounds = 0;
  /** messages fetched and not yet handed on */
  total = 0;
  /** messages skipped because they were queued before (a re-fetch after a re-join or restart) */
  skippedDuplicates = 0;
  /** a bounded read (--until-end): the partitions' end offsets; a partition not in it ends where it starts */
  private bounds: Map<number, Bound> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly opts: MergeOptions,
  ) {}

  /** the consumer started a fetch request */
  fetchStarted(): void {
    this.rounds++;
  }

  /** partitions assigned to this process, in order */
  assignment(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  isAssigned(p: number): boolean {
    return this.assigned.has(p);
  }

  queuedIn(p: number): number {
    return this.parts.get(p)?.queued ?? 0;
  }

  /** Makes the read bounded: each partition ends at `ends` (partition → offset), the offsets it had when the run started. */
  bound(ends: Map<number, bigint>): void {
    this.bounds = new Map([...ends].map(([p, end]) => [p, { end }]));
  }

  get bounded(): boolean {
    return this.bounds !== undefined;
  }

  /** A bounded read: partition `p` is read from `offset` on (its committed offset, or where an absent one resets to). */
  startsAt(p: number, offset: bigint): void {
    const b = this.bounds?.get(p);
    if (b) b.start = offset;
  }

  /** A bounded read: the offset partition `p` ends at (0 for one created after the run started) */
  endOf(p: number): bigint {
    return this.bounds?.get(p)?.end ?? 0n;
  }

  /** A bounded read: the share of the assigned partitions' offsets from their start to their end handed on; null otherwise */
  fractionRead(): number | null {
    if (!this.bounds) return null;
    let total = 0n;
    let done = 0n;
    for (const p of this.assigned) {
      const b = this.bounds.get(p);
      if (b?.start === undefined || b.start >= b.end) continue;
      total += b.end - b.start;
      const st = this.parts.get(p);
      const delivered = (st && this.deliveredOf(st)) ?? b.start;
      if (delivered >= b.end) done += b.end - b.start;
      else if (delivered > b.start) done += delivered - b.start;
    }
    return total === 0n ? (this.finished() ? 1 : 0) : Number(done) / Number(total);
  }

  /** A bounded read: the assigned partitions whose start is not known yet (a re-join gave them to this process). */
  unknownStarts(): number[] {
    if (!this.bounds) return [];
    return this.assignment().filter((p) => {
      const b = this.bounds!.get(p);
      return b !== undefined && b.start === undefined && !this.reachedEnd(p);
    });
  }

  /** A bounded read: everything of `p` up to its end offset was fetched (or there was nothing to read). */
  reachedEnd(p: number): boolean {
    if (!this.bounds) return false;
    const b = this.bounds.get(p);
    if (!b) return true; // created after the run started
    const fetched = this.parts.get(p)?.fetched;
    return (b.start !== undefined && b.start >= b.end) || (fetched !== undefined && fetched >= b.end);
  }

  /** A bounded read is over: every assigned partition reached its end and everything fetched was handed on. */
  finished(): boolean {
    if (!this.bounds || this.total > 0) return false;
    for (const p of this.assigned) if (!this.reachedEnd(p)) return false;
    return true;
  }

  /** A fetch of `p` brought only records that carry no row (transaction markers, aborted or compacted ones) up to `lastOffset`. */
  skipped(p: number, lastOffset: string): void {
    const st = this.part(p);
    const next = BigInt(lastOffset) + 1n;
    if (st.fetched === undefined || next > st.fetched) st.fetched = next;
  }

  private part(p: number): Partition {
    let st = this.parts.get(p);
    if (!st) {
      const now = this.clock.now();
      st = { id: p, chunks: [], queued: 0, caughtUp: false, seen: false, assignedAt: now, emptySince: now, frontier: -Infinity };
      this.parts.set(p, st);
    }
    return st;
  }

  /** A (re-)join gave this process `partitions`; what is queued of a revoked one belongs to its new owner. Returns the revoked ones. */
  assign(partitions: number[]): number[] {
    const next = new Set(partitions);
    const revoked: number[] = [];
    for (const p of this.assigned) {
      if (next.has(p)) continue;
      revoked.push(p);
      const st = this.parts.get(p);
      if (st) {
        this.total -= st.queued;
        st.chunks = [];
        st.queued = 0;
        st.fetched = this.deliveredOf(st);
        st.caughtUp = false;
        st.seen = false;
      }
    }
    const now = this.clock.now();
    for (const p of next) {
      const st = this.part(p);
      if (!this.assigned.has(p)) {
        st.assignedAt = now;
        st.emptySince = now;
      }
    }
    this.assigned = next;
    this.active = [...next].sort((a, b) => a - b).map((p) => this.parts.get(p)!);
    return revoked;
  }

  /** A fetched batch of partition `p`: queued, except offsets queued before and tombstones (no row). */
  enqueue(p: number, all: KafkaMessage[], lastOffset: string, highWatermark: string): void {
    const st = this.part(p);
    // offsets grow within a batch: only a batch starting before `fetched` (a re-fetch) needs a look per message
    let first = 0;
    const from = st.fetched;
    if (from !== undefined && all.length > 0 && BigInt(all[0]!.offset) < from) {
      while (first < all.length && BigInt(all[first]!.offset) < from) first++;
      this.skippedDuplicates += first;
    }
    // a bounded read takes nothing at or beyond the partition's end
    const end = this.bounds ? this.endOf(p) : undefined;
    let last = BigInt(lastOffset);
    let stop = all.length;
    if (end !== undefined && last >= end) {
      while (stop > first && BigInt(all[stop - 1]!.offset) >= end) stop--;
      last = end - 1n;
    }
    let msgs = first === 0 && stop === all.length ? all : all.slice(first, stop);
    if (msgs.some((m) => m.value === null)) msgs = msgs.filter((m) => m.value !== null);
    if (msgs.length > 0) {
      st.chunks.push({ msgs, i: 0, round: this.rounds, at: this.clock.now() });
      st.queued += msgs.length;
      this.total += msgs.length;
    }
    if (st.fetched === undefined || last + 1n > st.fetched) st.fetched = last + 1n;
    st.caughtUp = BigInt(highWatermark) <= st.fetched;
    st.seen = true;
  }

  private deliveredOf(st: Partition): bigint | undefined {
    if (st.handed !== undefined) {
      const next = BigInt(st.handed) + 1n;
      if (st.delivered === undefined || next > st.delivered) st.delivered = next;
      st.handed = undefined;
    }
    return st.delivered;
  }

  /** the next runs to hand on as one batch (at most maxBatch messages), or undefined when nothing may go yet */
  take(): Run[] | undefined {
    if (this.total === 0) return undefined;
    if (!this.opts.eventTime || this.assigned.size <= 1) return this.takeRoundRobin();
    // one reading of the clock for the batch: the merge takes a run every few rows on a topic keyed by sensor
    const now = this.clock.now();
    const runs: Run[] = [];
    for (let room = this.opts.maxBatch; room > 0; ) {
      const run = this.takeMerged(room, now);
      if (!run) break;
      runs.push(run);
      room -= run.end - run.start;
    }
    return runs.length > 0 ? runs : undefined;
  }

  private takeRoundRobin(): Run[] | undefined {
    const ids = [...this.assigned].filter((p) => (this.parts.get(p)?.queued ?? 0) > 0).sort((a, b) => a - b);
    if (ids.length === 0) return undefined;
    const p = ids[this.rr++ % ids.length]!;
    return [this.emit(this.parts.get(p)!, Infinity, this.opts.maxBatch, this.clock.now())];
  }

  private headTime(st: Partition): number {
    const c = st.chunks[0]!;
    if (!c.times) {
      // computed when first needed: a single partition never needs them
      const times = new Float64Array(c.msgs.length);
      for (let i = 0; i < c.msgs.length; i++) {
        const v = c.msgs[i]!.value!;
        times[i] = this.opts.eventTime!(v, 0, v.length);
      }
      c.times = times;
    }
    return c.times[c.i]!;
  }

  /**
   * The partition with the oldest head, up to the oldest time another partition may still deliver.
   * A partition with nothing queued holds the others back (at most holdMs): until the fetch after
   * the one that brought the head has been queued (a burst of new rows reaches the partitions one
   * batch after the other), and longer while it is known to lag or has not had its first batch yet.
   */
  private takeMerged(room: number, now: number): Run | undefined {
    const holdMs = this.opts.holdMs;
    const active = this.active;
    let best: Partition | undefined;
    let bestT = Infinity;
    for (let i = 0; i < active.length; i++) {
      const st = active[i]!;
      if (st.queued === 0) continue;
      const t = this.headTime(st);
      if (best === undefined || t < bestT) {
        best = st;
        bestT = t;
      }
    }
    if (best === undefined) return undefined;
    const head = best.chunks[0]!;
    const settled = this.rounds >= head.round + 2 || now - head.at > holdMs;
    let limit = Infinity;
    for (let i = 0; i < active.length; i++) {
      const st = active[i]!;
      if (st === best) continue;
      let t: number;
      if (st.queued > 0) t = this.headTime(st);
      else if (this.reachedEnd(st.id)) t = Infinity;
      else if (!settled) t = st.frontier;
      else if (!st.seen) t = now - st.assignedAt > holdMs ? Infinity : st.frontier;
      else if (!st.caughtUp) t = now - st.emptySince > holdMs ? Infinity : st.frontier;
      else t = Infinity;
      if (t < limit) limit = t;
    }
    if (bestT > limit) return undefined; // wait for the other partition (bounded by holdMs)
    return this.emit(best, limit, room, now);
  }

  /** At most `room` messages of one partition (one chunk at most), with times ≤ limit in merge mode. */
  private emit(st: Partition, limit: number, room: number, now: number): Run {
    const c = st.chunks[0]!;
    const start = c.i;
    let end = Math.min(c.msgs.length, start + room);
    if (c.times && limit !== Infinity) {
      let k = start + 1;
      while (k < end && c.times[k]! <= limit) k++;
      end = k;
    }
    c.i = end;
    if (c.times) st.frontier = Math.max(st.frontier, c.times[end - 1]!);
    if (c.i >= c.msgs.length) st.chunks.shift();
    const n = end - start;
    st.queued -= n;
    this.total -= n;
    if (st.queued === 0) st.emptySince = now;
    st.handed = c.msgs[end - 1]!.offset;
    return { partition: st.id, msgs: c.msgs, start, end };
  }
}
