// History from a replay's own windows answers as the store does: the closest point within ± tolerance, a tie to the later one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowMemoryHistory } from '../../../engine/analysis/history-memory.js';
import type { KeyIndex } from '../../../engine/analysis/key-index.js';
import type { Value } from '../../../engine/core/types.js';

const window = (endMs: number, groups: { key: Value[]; acc: Value[] }[]) => ({ startMs: endMs - 10_000, endMs, groups });

/** what the store answers: among points within ± tolerance the closest, a tie to the later one */
function expected(ends: number[], targetMs: number, toleranceMs: number): number | undefined {
  let best: number | undefined;
  for (const e of ends) {
    const d = Math.abs(e - targetMs);
    if (d > toleranceMs) continue;
    if (best === undefined || d < Math.abs(best - targetMs) || (d === Math.abs(best - targetMs) && e > best)) best = e;
  }
  return best;
}

describe('WindowMemoryHistory', () => {
  it('answers a stored point with its key, frozen, and booleans as 0/1', async () => {
    const h = new WindowMemoryHistory(['sid'], ['n', 'flag'], Infinity);
    const key = [5];
    h.observe(window(20_000, [{ key, acc: [3, true] }]));
    const point = h.pointNow({ keyFields: ['sid'], key: [5], targetMs: 20_000, toleranceMs: 0 });
    expect(point).toEqual({ window_start: 10_000, window_end: 20_000, sid: 5, n: 3, flag: 1, time: 20_000_000_000n, key: [5] });
    expect(Object.isFrozen(point)).toBe(true);
    // lookup() answers as a store does: without the key tuple
    expect(await h.lookup({ keyFields: ['sid'], key: [5], targetMs: 20_000, toleranceMs: 0 })).toEqual({
      window_start: 10_000,
      window_end: 20_000,
      sid: 5,
      n: 3,
      flag: 1,
      time: 20_000_000_000n,
    });
    expect(h.pointNow({ keyFields: ['sid'], key: [6], targetMs: 20_000, toleranceMs: 0 })).toBeUndefined();
  });

  it('finds the closest point within the tolerance among those in reach, near the newest window and far back alike', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 120, size: 'max' }),
        fc.integer({ min: -10, max: 410 }),
        fc.integer({ min: 0, max: 30 }),
        // how far back the history keeps points (in slots): the ring wraps and grows, or keeps everything
        fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 150 })),
        (slots, targetSlot, tolerance, keepSlots) => {
          const ends = [...slots].sort((a, b) => a - b).map((s) => s * 1000);
          const h = new WindowMemoryHistory(['k'], ['v'], keepSlots * 1000);
          for (const e of ends) h.observe(window(e, [{ key: ['a'], acc: [e] }]));
          const inReach = ends.filter((e) => e >= ends.at(-1)! - keepSlots * 1000);
          const q = { keyFields: ['k'], key: ['a'], targetMs: targetSlot * 1000, toleranceMs: tolerance * 1000 };
          const got = h.pointNow(q);
          expect(got?.v).toBe(expected(inReach, targetSlot * 1000, tolerance * 1000));
          // the rules read the same answer as its aggregate row
          expect(h.rowNow(q)?.[0]).toBe(got?.v);
        },
      ),
    );
  });

  it('tells keys apart by type and value (0 and −0 alike), and makes a point once, when first asked for', () => {
    const h = new WindowMemoryHistory(['a', 'b'], ['v'], Infinity);
    const keys: Value[][] = [
      [1, 'x'],
      [1n, 'x'],
      ['1', 'x'],
      [0, null],
      [0, 'null'],
      [Number.NaN, true],
    ];
    for (let end = 10_000; end <= 50_000; end += 10_000)
      h.observe(
        window(
          end,
          keys.map((key, i) => ({ key, acc: [end + i] })),
        ),
      );
    h.observe(window(60_000, [{ key: [-0, null], acc: [-1] }]));
    const at = (key: Value[], targetMs: number) => ({ keyFields: ['a', 'b'], key, targetMs, toleranceMs: 0 });
    keys.forEach((key, i) => {
      expect(h.rowNow(at([...key], 30_000))).toEqual([30_000 + i]);
      expect(h.pointNow(at([...key], 30_000))?.v).toBe(30_000 + i);
    });
    expect(h.rowNow(at([0, null], 60_000))).toEqual([-1]);
    expect(h.rowNow(at([Number.NaN, true], 60_000))).toBeUndefined();
    expect(h.pointNow(at([1, 'x'], 40_000))).toBe(h.pointNow(at([1, 'x'], 40_000)));
  });

  it('a key asked for before any window held it is found once one does (the same key array asking again)', () => {
    const h = new WindowMemoryHistory(['k'], ['v'], Infinity);
    const q = { keyFields: ['k'], key: ['late'], targetMs: 20_000, toleranceMs: 0 };
    expect(h.rowNow(q)).toBeUndefined();
    h.observe(window(20_000, [{ key: ['late'], acc: [7] }]));
    expect(h.rowNow(q)).toEqual([7]);
  });

  it('keeps only what lookups can reach: points older than the look-back are forgotten', () => {
    const h = new WindowMemoryHistory(['k'], ['v'], 30_000);
    h.observe(window(0, [{ key: ['left early'], acc: [0] }]));
    for (let i = 1; i <= 200; i++) h.observe(window(i * 10_000, [{ key: ['a'], acc: [i] }]));
    // a key with no point in reach is forgotten whole
    expect((h as unknown as { keys: KeyIndex<unknown> }).keys.valueCount()).toBe(1);
    expect(h.pointNow({ keyFields: ['k'], key: ['a'], targetMs: 2_000_000, toleranceMs: 0 })?.v).toBe(200);
    expect(h.pointNow({ keyFields: ['k'], key: ['a'], targetMs: 1_970_000, toleranceMs: 0 })?.v).toBe(197);
    expect(h.pointNow({ keyFields: ['k'], key: ['a'], targetMs: 100_000, toleranceMs: 0 })).toBeUndefined();
  });
});
