// Offset commits of the Kafka input without a broker, on a virtual clock: coalesced to at most one
// commit per interval, never backwards, never for a revoked partition, kept after a failure, with
// the event-time watermark as metadata, and a last commit on close.
import { describe, expect, it } from 'vitest';
import { CommitBatcher, type CommitPort } from '../../../../../engine/components/sources/kafka/commits.js';
import { VirtualClock } from '../../../../../engine/core/clock.js';

function port(assigned = new Set([0, 1])) {
  const commits: { offsets: Record<number, string>; metadata: string | null; at: number }[] = [];
  const failures: unknown[] = [];
  let fail = 0;
  const clock = new VirtualClock(10_000);
  const p: CommitPort = {
    ready: () => true,
    isAssigned: (x) => assigned.has(x),
    commitOffsets: async (offsets, metadata) => {
      if (fail > 0) {
        fail--;
        throw new Error('coordinator not available');
      }
      commits.push({ offsets: Object.fromEntries(offsets.map((o) => [o.partition, o.offset])), metadata, at: clock.now() });
    },
    failed: (e) => failures.push(e),
  };
  return { clock, commits, failures, p, failNext: (n: number) => (fail = n), assigned };
}

const m = (o: Record<number, string>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
/** lets the commit in flight finish (its continuations are promise callbacks) */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CommitBatcher', () => {
  it('the first request commits at once; later ones within the interval are coalesced into one commit when it ends', async () => {
    const { clock, commits, p } = port();
    const b = new CommitBatcher(clock, 500, p);
    b.request(m({ 0: '5' }));
    await settle();
    b.request(m({ 0: '7' }));
    await clock.advance(100);
    b.request(m({ 0: '9', 1: '3' }));
    expect(commits).toHaveLength(1);
    await clock.advance(399);
    expect(commits).toHaveLength(1);
    await clock.advance(1);
    await settle();
    expect(commits).toEqual([
      { offsets: { 0: '5' }, metadata: null, at: 10_000 },
      { offsets: { 0: '9', 1: '3' }, metadata: null, at: 10_500 },
    ]);
  });

  it('never commits backwards, nor for a partition this process no longer owns', async () => {
    const { clock, commits, p, assigned } = port();
    const b = new CommitBatcher(clock, 500, p);
    b.request(m({ 0: '5', 1: '5' }));
    await settle();
    await clock.advance(600);
    b.request(m({ 0: '4', 1: '6' }));
    await settle();
    await clock.advance(600);
    assigned.delete(1);
    b.request(m({ 0: '8', 1: '9' }));
    await settle();
    expect(commits.map((c) => c.offsets)).toEqual([{ 0: '5', 1: '5' }, { 1: '6' }, { 0: '8' }]);
  });

  it('a failed commit is reported and its offsets go with the next attempt (newer ones win)', async () => {
    const { clock, commits, failures, p, failNext } = port();
    const b = new CommitBatcher(clock, 500, p);
    failNext(1);
    b.request(m({ 0: '5', 1: '2' }));
    await settle();
    expect(failures).toHaveLength(1);
    expect(b.failures).toBe(1);
    b.request(m({ 0: '6' }));
    await clock.advance(500);
    await settle();
    expect(commits.map((c) => c.offsets)).toEqual([{ 0: '6', 1: '2' }]);
  });

  it('the watermark goes along as metadata; finish() commits what is pending without waiting for the interval', async () => {
    const { clock, commits, p } = port();
    const b = new CommitBatcher(clock, 500, p);
    b.request(m({ 0: '5' }), { watermarkMs: 1_523_800_010_000 });
    await settle();
    await clock.advance(10);
    b.request(m({ 0: '6' }), { watermarkMs: 1_523_800_020_000 });
    await b.finish();
    expect(commits).toEqual([
      { offsets: { 0: '5' }, metadata: '{"watermarkMs":1523800010000}', at: 10_000 },
      { offsets: { 0: '6' }, metadata: '{"watermarkMs":1523800020000}', at: 10_010 },
    ]);
    expect(clock.pendingSleepers).toBe(0);
  });
});
