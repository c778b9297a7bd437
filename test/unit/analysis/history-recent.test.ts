// Recent windows of the run's own output answer exact history hits from memory; everything else asks the store.
import { describe, expect, it } from 'vitest';
import type { KeyIndex } from '../../../engine/analysis/key-index.js';
import { RecentWindowsHistory, storedPointMaker, storedRecord } from '../../../engine/analysis/history-recent.js';
import { RecordHistory } from '../../../engine/analysis/history.js';
import type { HistoryQuery, HistorySource } from '../../../engine/components/types.js';
import type { Value } from '../../../engine/core/types.js';

class RecordingSource implements HistorySource {
  readonly description = 'store';
  queries: HistoryQuery[] = [];
  constructor(private readonly answer: Record<string, Value> | undefined) {}
  async open() {}
  async close() {}
  async lookup(q: HistoryQuery) {
    this.queries.push(q);
    return this.answer;
  }
}

const window = (endMs: number, groups: { key: Value[]; acc: Value[] }[]) => ({ startMs: endMs - 10_000, endMs, groups });

describe('RecentWindowsHistory', () => {
  it('serves an exact (window_end, key) hit as the store would return it, booleans as 0/1', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['sid', 'stype'], ['n', 'flag'], 60_000, 10_000);
    h.observe(window(20_000, [{ key: [5, 'a'], acc: [3, true] }]));
    const r = await h.lookup({ keyFields: ['sid', 'stype'], key: [5, 'a'], targetMs: 20_000, toleranceMs: 2000 });
    expect(r).toEqual({ window_start: 10_000, window_end: 20_000, sid: 5, stype: 'a', n: 3, flag: 1, time: 20_000_000_000n });
    expect(store.queries).toEqual([]);
    expect(h.hits).toBe(1);
  });

  it('asks the store for another key, a non-exact target, and windows older than the look-back', async () => {
    const stored = { n: 99 };
    const store = new RecordingSource(stored);
    const h = new RecentWindowsHistory(store, ['sid'], ['n'], 20_000, 10_000);
    h.observe(window(20_000, [{ key: [5], acc: [3] }]));
    expect(await h.lookup({ keyFields: ['sid'], key: [6], targetMs: 20_000, toleranceMs: 0 })).toBe(stored);
    expect(await h.lookup({ keyFields: ['sid'], key: [5], targetMs: 21_000, toleranceMs: 2000 })).toBe(stored);
    for (const end of [30_000, 40_000, 50_000, 60_000]) h.observe(window(end, [{ key: [5], acc: [end] }]));
    expect(await h.lookup({ keyFields: ['sid'], key: [5], targetMs: 20_000, toleranceMs: 0 })).toBe(stored);
    expect((await h.lookup({ keyFields: ['sid'], key: [5], targetMs: 50_000, toleranceMs: 0 }))?.n).toBe(50_000);
    expect(store.queries.map((q) => [q.key, q.targetMs])).toEqual([
      [[6], 20_000],
      [[5], 21_000],
      [[5], 20_000],
    ]);
  });

  it('windows before 1970 and across it have ring slots of their own (negative window ends)', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['sid'], ['n'], 40_000, 10_000);
    const ends = [-50_000, -40_000, -30_000, -20_000, -10_000, 0, 10_000];
    for (const end of ends) h.observe(window(end, [{ key: [5], acc: [end] }]));
    // the look-back holds the last 5 windows: each is its own hit, none taken for another that shares its slot
    for (const end of ends.slice(-5)) expect((await h.lookup({ keyFields: ['sid'], key: [5], targetMs: end, toleranceMs: 0 }))?.n).toBe(end);
    expect(store.queries).toEqual([]);
    expect(await h.lookup({ keyFields: ['sid'], key: [5], targetMs: -50_000, toleranceMs: 0 })).toBeUndefined();
    expect(store.queries.map((q) => q.targetMs)).toEqual([-50_000]);
  });

  it('keys of different types do not collide (1 vs "1")', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['k'], ['n'], 60_000, 10_000);
    h.observe(
      window(20_000, [
        { key: [1], acc: [1] },
        { key: ['1'], acc: [2] },
      ]),
    );
    expect((await h.lookup({ keyFields: ['k'], key: ['1'], targetMs: 20_000, toleranceMs: 0 }))?.n).toBe(2);
    expect((await h.lookup({ keyFields: ['k'], key: [1], targetMs: 20_000, toleranceMs: 0 }))?.n).toBe(1);
  });

  it('a record reads a hit at once (no promise), and a miss through the store, each counted once', async () => {
    const stored = { n: 99 };
    const store = new RecordingSource(stored);
    const h = new RecentWindowsHistory(store, ['sid'], ['n'], 60_000, 10_000);
    h.observe(window(20_000, [{ key: [5], acc: [3] }]));
    h.observe(window(30_000, [{ key: [5], acc: [4] }]));
    const key = [5];
    const rec = new RecordHistory({ n: 5 }, key, ['sid'], h, 40_000, 10_000, 0);
    // the frozen point, with its key: shared, never copied
    const hit = rec.getNow(1)!;
    expect(hit).toMatchObject({ window_end: 30_000, sid: 5, n: 4, key: [5] });
    expect(Object.isFrozen(hit)).toBe(true);
    expect(rec.getNow(1)).toBe(hit);
    // history[3] (10 000) was never observed: only the store can tell
    expect(rec.getNow(3)).toBeUndefined();
    expect(await rec.get(3)).toEqual({ n: 99, key: [5] });
    expect(store.queries.map((q) => q.targetMs)).toEqual([10_000]);
    expect([rec.lookups, h.hits, h.misses]).toEqual([2, 1, 1]);
    // what lookup() gives is the point as stored, without the key
    expect(await h.lookup({ keyFields: ['sid'], key, targetMs: 20_000, toleranceMs: 0 })).toEqual({
      window_start: 10_000,
      window_end: 20_000,
      sid: 5,
      n: 3,
      time: 20_000_000_000n,
    });
  });

  it('over many windows (its ring wraps round) hits every window in reach and asks the store beyond', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['sid'], ['n'], 30_000, 10_000);
    for (let end = 10_000; end <= 500_000; end += 10_000) h.observe(window(end, [{ key: [end % 20_000 === 0 ? 1 : 2], acc: [end] }]));
    // reach: 30 s of look-back and one window more, back from 500 s
    for (const end of [460_000, 470_000, 480_000, 490_000, 500_000]) {
      const key = end % 20_000 === 0 ? 1 : 2;
      expect(h.knownNow({ keyFields: ['sid'], key: [key], targetMs: end, toleranceMs: 0 })?.n, `${end}`).toBe(end);
      expect(h.knownNow({ keyFields: ['sid'], key: [3 - key], targetMs: end, toleranceMs: 0 }), `${end}, other key`).toBeUndefined();
    }
    expect(h.knownNow({ keyFields: ['sid'], key: [2], targetMs: 450_000, toleranceMs: 0 })).toBeUndefined();
    expect(h.knownNow({ keyFields: ['sid'], key: [1], targetMs: 440_000, toleranceMs: 0 })).toBeUndefined();
  });

  it('a window observed again replaces the earlier one: keys it lacks now are asked from the store', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['sid'], ['n'], 60_000, 10_000);
    h.observe(
      window(20_000, [
        { key: [1], acc: [1] },
        { key: [2], acc: [2] },
      ]),
    );
    h.observe(window(20_000, [{ key: [1], acc: [10] }]));
    expect(h.knownNow({ keyFields: ['sid'], key: [1], targetMs: 20_000, toleranceMs: 0 })?.n).toBe(10);
    expect(h.knownNow({ keyFields: ['sid'], key: [2], targetMs: 20_000, toleranceMs: 0 })).toBeUndefined();
  });

  it('forgets keys that left (memory bounded by the keys in reach), and knows them again when they come back', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, ['sid', 'stype'], ['n'], 20_000, 10_000);
    h.observe(window(10_000, [{ key: [7, 'gone'], acc: [1] }]));
    for (let end = 20_000; end <= 200_000; end += 10_000) h.observe(window(end, [{ key: [1, 'a'], acc: [end] }]));
    // one key of two values is left: [1, 'a']
    expect((h as unknown as { keys: KeyIndex<unknown> }).keys.valueCount()).toBe(2);
    h.observe(window(210_000, [{ key: [7, 'gone'], acc: [2] }]));
    expect(h.knownNow({ keyFields: ['sid', 'stype'], key: [7, 'gone'], targetMs: 210_000, toleranceMs: 0 })?.n).toBe(2);
    expect(h.knownNow({ keyFields: ['sid', 'stype'], key: [7, 'gone'], targetMs: 10_000, toleranceMs: 0 })).toBeUndefined();
  });

  it('a key asked for before any window held it is found once one does (the same key array asking again)', () => {
    const h = new RecentWindowsHistory(new RecordingSource(undefined), ['sid'], ['n'], 60_000, 10_000);
    const q = { keyFields: ['sid'], key: [3], targetMs: 20_000, toleranceMs: 0 };
    expect(h.knownNow(q)).toBeUndefined();
    h.observe(window(20_000, [{ key: [3], acc: [9] }]));
    expect(h.knownNow(q)?.n).toBe(9);
  });

  it('an unkeyed record (reduce) has its own series', async () => {
    const store = new RecordingSource(undefined);
    const h = new RecentWindowsHistory(store, [], ['n'], 60_000, 10_000);
    h.observe({ startMs: 10_000, endMs: 20_000, groups: [{ key: null, acc: [4] }] });
    expect(h.knownNow({ keyFields: [], key: null, targetMs: 20_000, toleranceMs: 0 })?.n).toBe(4);
  });

  it('makes points as storedRecord plus key does, property order and all (a name given twice, __proto__, no key)', () => {
    const shapes: [string[], string[]][] = [
      [
        ['sid', 'stype'],
        ['n', 'flag'],
      ],
      [['sid'], ['sid', 'time', 'key']],
      [['k'], ['__proto__', 'n']],
      [[], ['n']],
    ];
    for (const [keyFields, valueNames] of shapes) {
      const make = storedPointMaker(keyFields, valueNames);
      for (const g of [
        { key: [5, 'a'], acc: [3, true, 7] },
        { key: null, acc: [false, 2, 9] },
      ]) {
        const w = { startMs: 10_000, endMs: 20_000, groups: [g] };
        const expected: Record<string, unknown> = storedRecord(w, g, keyFields, valueNames, 20_000_000_000n);
        expected.key = g.key;
        const point = make(w, g, 20_000_000_000n);
        expect(Object.entries(point), `${keyFields} | ${valueNames}`).toEqual(Object.entries(expected));
        expect(Object.getPrototypeOf(point)).toBe(Object.getPrototypeOf(expected));
      }
    }
  });

  it('over a store that reads synchronously, a miss is answered at once too, as get() gives it over one that does not', async () => {
    const stored = { window_end: 10_000, n: 99 };
    class SyncSource extends RecordingSource {
      lookupNow(q: HistoryQuery) {
        this.queries.push(q);
        return stored;
      }
    }
    const sync = new RecentWindowsHistory(new SyncSource(stored), ['sid'], ['n'], 60_000, 10_000);
    const async = new RecentWindowsHistory(new RecordingSource(stored), ['sid'], ['n'], 60_000, 10_000);
    for (const h of [sync, async]) h.observe(window(30_000, [{ key: [5], acc: [4] }]));
    const key = [5];
    const atOnce = new RecordHistory({ n: 5 }, key, ['sid'], sync, 40_000, 10_000, 0);
    const awaited = new RecordHistory({ n: 5 }, key, ['sid'], async, 40_000, 10_000, 0);
    expect(atOnce.getNow(3)).toEqual(await awaited.get(3));
    expect(atOnce.getNow(3)).toEqual({ window_end: 10_000, n: 99, key: [5] });
    expect(atOnce.getNow(1)).toEqual(await awaited.get(1));
    expect([atOnce.lookups, sync.hits, sync.misses]).toEqual([2, 1, 1]);
  });
});
