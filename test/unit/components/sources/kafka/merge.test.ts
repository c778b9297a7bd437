// The Kafka input's partition merge without a broker, on a virtual clock: turns without event
// time; with event time, the oldest head goes first, a partition with nothing queued holds the
// others back until its next fetch arrives or holdMs passes; re-fetched offsets are not queued twice;
// a bounded read (--until-end) takes nothing at or past each partition's end and knows when it is over.
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventTimeReader } from '../../../../../engine/components/sources/kafka/framing.js';
import { type MergeOptions, PartitionQueues, type Run } from '../../../../../engine/components/sources/kafka/merge.js';
import { VirtualClock } from '../../../../../engine/core/clock.js';

const msg = (offset: number, t: number): KafkaMessage =>
  ({ key: null, value: Buffer.from(`${t},x`), offset: String(offset), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;
const run = (first: number, times: number[]) => times.map((t, i) => msg(first + i, t));
const runOf = (r: Run) => ({ p: r.partition, offsets: r.msgs.slice(r.start, r.end).map((m) => Number(m.offset)) });
/** the one run of a batch (one partition), or undefined */
const taken = (t: Run[] | undefined) => {
  if (t) expect(t).toHaveLength(1);
  return t ? runOf(t[0]!) : undefined;
};
const eventTime = eventTimeReader(0, ',', 's');

describe('PartitionQueues', () => {
  it('without event time the partitions take turns, in partition order, a chunk (at most maxBatch) at a time', () => {
    const q = new PartitionQueues(new VirtualClock(), { maxBatch: 2, holdMs: 1000 });
    q.assign([1, 0]);
    q.enqueue(0, run(10, [1, 2, 3]), '12', '13');
    q.enqueue(1, run(50, [9]), '50', '51');
    expect([taken(q.take()), taken(q.take()), taken(q.take()), taken(q.take())]).toEqual([
      { p: 0, offsets: [10, 11] },
      { p: 1, offsets: [50] },
      { p: 0, offsets: [12] },
      undefined,
    ]);
    expect(q.total).toBe(0);
  });

  it('event time: the oldest head first, up to the head of the other partition; an emptied partition holds the rest until its next fetch is in', () => {
    const q = new PartitionQueues(new VirtualClock(), { maxBatch: 100, holdMs: 1000, eventTime });
    q.assign([0, 1]);
    q.enqueue(0, run(0, [1, 2, 5, 6]), '3', '4');
    q.enqueue(1, run(0, [3, 4, 7]), '2', '3');
    // one batch of the runs in event-time order
    expect(q.take()!.map(runOf)).toEqual([
      { p: 0, offsets: [0, 1] },
      { p: 1, offsets: [0, 1] },
      { p: 0, offsets: [2, 3] },
    ]);
    // partition 0 may still bring rows older than 7 with the fetch after the one that brought 7
    q.fetchStarted();
    expect(q.take()).toBeUndefined();
    q.fetchStarted();
    expect(taken(q.take())).toEqual({ p: 1, offsets: [2] });
  });

  it('event time: a merged batch holds at most maxBatch messages, the rest goes in the next one', () => {
    const q = new PartitionQueues(new VirtualClock(), { maxBatch: 3, holdMs: 1000, eventTime });
    q.assign([0, 1]);
    q.enqueue(0, run(0, [1, 3, 5]), '2', '3');
    q.enqueue(1, run(0, [2, 4, 6]), '2', '3');
    q.fetchStarted();
    q.fetchStarted(); // both partitions are caught up and settled: nothing holds the merge back
    expect(q.take()!.map(runOf)).toEqual([
      { p: 0, offsets: [0] },
      { p: 1, offsets: [0] },
      { p: 0, offsets: [1] },
    ]);
    expect(q.take()!.map(runOf)).toEqual([
      { p: 1, offsets: [1] },
      { p: 0, offsets: [2] },
      { p: 1, offsets: [2] },
    ]);
    expect(q.total).toBe(0);
  });

  it('event time: a lagging partition with nothing queued holds the others back at most holdMs (virtual time)', async () => {
    const clock = new VirtualClock(1_000_000);
    const q = new PartitionQueues(clock, { maxBatch: 100, holdMs: 1000, eventTime });
    q.assign([0, 1]);
    q.enqueue(0, run(0, [1, 2]), '1', '10'); // partition 0 is behind its high watermark (10)
    q.enqueue(1, run(0, [3]), '0', '1');
    expect(taken(q.take())).toEqual({ p: 0, offsets: [0, 1] }); // 0 is empty from now on
    q.fetchStarted();
    q.fetchStarted(); // rounds passed: only the lag of partition 0 holds partition 1 now
    expect(q.take()).toBeUndefined();
    await clock.advance(1000);
    expect(q.take()).toBeUndefined();
    await clock.advance(1);
    expect(taken(q.take())).toEqual({ p: 1, offsets: [0] });
  });

  it('a re-fetch after a re-join skips what was queued before; a revoked partition loses its queue and starts again from what was handed on', () => {
    const q = new PartitionQueues(new VirtualClock(), { maxBatch: 100, holdMs: 1000 });
    q.assign([0]);
    q.enqueue(0, run(0, [1, 2, 3]), '2', '3');
    expect(taken(q.take())).toEqual({ p: 0, offsets: [0, 1, 2] });
    q.enqueue(0, run(1, [2, 3, 4, 5]), '4', '5'); // the consumer restarted from a committed offset
    expect(q.skippedDuplicates).toBe(2);
    expect(taken(q.take())).toEqual({ p: 0, offsets: [3, 4] });
    q.enqueue(0, run(5, [6, 7]), '6', '7');
    expect(q.assign([1])).toEqual([0]);
    expect(q.total).toBe(0);
    expect(q.take()).toBeUndefined();
    q.assign([0, 1]);
    q.enqueue(0, run(5, [6, 7]), '6', '7'); // given back: from offset 5 again, which was never handed on
    expect(taken(q.take())).toEqual({ p: 0, offsets: [5, 6] });
  });

  it('tombstones (null values) carry no row', () => {
    const q = new PartitionQueues(new VirtualClock(), { maxBatch: 100, holdMs: 1000 });
    q.assign([0]);
    q.enqueue(0, [msg(0, 1), { ...msg(1, 1), value: null }, msg(2, 1)], '2', '3');
    expect(taken(q.take())).toEqual({ p: 0, offsets: [0, 2] });
  });

  describe('a bounded read (--until-end)', () => {
    /** queues of a bounded read that ends each partition at its offset in `ends` */
    const boundedQueues = (ends: [number, bigint][], options: MergeOptions = { maxBatch: 100, holdMs: 1000 }) => {
      const q = new PartitionQueues(new VirtualClock(), options);
      q.bound(new Map(ends));
      return q;
    };

    it('hands on nothing at or past a partition end, even from a fetch that brought more, and is finished once all was handed on', () => {
      const q = boundedQueues([
        [0, 4n],
        [1, 2n],
      ]);
      q.assign([0, 1]);
      q.startsAt(0, 0n);
      q.startsAt(1, 0n);
      expect(q.finished()).toBe(false);
      q.enqueue(0, run(0, [1, 2, 3]), '2', '6');
      expect([q.reachedEnd(0), q.fractionRead()]).toEqual([false, 0]);
      q.enqueue(1, run(0, [1, 2, 3, 4]), '3', '4'); // offsets 2 and 3 came after the start
      expect(q.reachedEnd(1)).toBe(true);
      expect(taken(q.take())).toEqual({ p: 0, offsets: [0, 1, 2] });
      expect(taken(q.take())).toEqual({ p: 1, offsets: [0, 1] });
      expect(q.finished()).toBe(false); // offset 3 of partition 0 is not fetched yet
      expect(q.fractionRead()).toBeCloseTo(5 / 6);
      q.enqueue(0, run(3, [4, 5, 6]), '5', '6');
      expect(q.reachedEnd(0)).toBe(true);
      expect(q.finished()).toBe(false); // fetched, not handed on yet
      expect(taken(q.take())).toEqual({ p: 0, offsets: [3] });
      expect([q.take(), q.finished(), q.fractionRead()]).toEqual([undefined, true, 1]);
    });

    it('a partition with nothing to read ends where it starts; one created after the start is not read; records without rows at the end count', () => {
      const q = boundedQueues([
        [0, 7n],
        [1, 3n],
      ]);
      q.assign([0, 1, 2]);
      expect(q.unknownStarts()).toEqual([0, 1]);
      q.startsAt(0, 7n); // committed at its end
      q.startsAt(1, 1n);
      expect([q.reachedEnd(0), q.reachedEnd(1), q.reachedEnd(2)]).toEqual([true, false, true]);
      q.enqueue(2, run(0, [1]), '0', '1');
      expect(q.total).toBe(0);
      q.enqueue(1, run(1, [5]), '1', '3'); // offset 2: a transaction marker kafkajs passes over
      expect(taken(q.take())).toEqual({ p: 1, offsets: [1] });
      expect(q.finished()).toBe(false);
      q.skipped(1, '2');
      expect(q.finished()).toBe(true);
    });

    it('event time: a partition at its end holds nothing back, though its topic grew since the start', () => {
      const q = boundedQueues(
        [
          [0, 2n],
          [1, 2n],
        ],
        { maxBatch: 100, holdMs: 1000, eventTime },
      );
      q.assign([0, 1]);
      q.enqueue(0, run(0, [1, 2]), '1', '50');
      q.enqueue(1, run(0, [3, 4]), '1', '50');
      expect(q.take()!.map(runOf)).toEqual([
        { p: 0, offsets: [0, 1] },
        { p: 1, offsets: [0, 1] },
      ]);
      expect(q.finished()).toBe(true);
    });

    it('a revoked partition is read again from what was handed on: not at its end any more until that is fetched', () => {
      const q = boundedQueues([[0, 3n]], { maxBatch: 1, holdMs: 1000 });
      q.assign([0]);
      q.startsAt(0, 0n);
      q.enqueue(0, run(0, [1, 2, 3]), '2', '3');
      expect(taken(q.take())).toEqual({ p: 0, offsets: [0] });
      expect(q.reachedEnd(0)).toBe(true);
      q.assign([]);
      q.assign([0]);
      expect([q.reachedEnd(0), q.finished()]).toEqual([false, false]);
      q.enqueue(0, run(1, [2, 3]), '2', '3');
      expect(taken(q.take())).toEqual({ p: 0, offsets: [1] });
      expect(taken(q.take())).toEqual({ p: 0, offsets: [2] });
      expect(q.finished()).toBe(true);
    });

    it('without bound() nothing ends: a live read', () => {
      const q = new PartitionQueues(new VirtualClock(), { maxBatch: 100, holdMs: 1000 });
      q.assign([0]);
      q.enqueue(0, run(0, [1]), '0', '1');
      q.take();
      expect([q.bounded, q.reachedEnd(0), q.finished(), q.fractionRead()]).toEqual([false, false, false, null]);
    });
  });
});
