// The analysis histories' key index tells keys apart as the stores and keyString do: by type and value, 0 and −0 alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyString } from '../../../engine/analysis/history-recent.js';
import { KeyIndex } from '../../../engine/analysis/key-index.js';
import type { Value } from '../../../engine/core/types.js';

const keyValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom<Value>(0, -0, Number.NaN, 1, 1n, '1', 'null', null, true, false, '', Number.POSITIVE_INFINITY),
  fc.integer({ min: -3, max: 3 }),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.string({ maxLength: 2 }),
);

describe('KeyIndex', () => {
  it('finds what was set under the same key, as a Map by keyString would, and forgets what retain drops', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 3 })
          .chain((width) => fc.array(fc.tuple(fc.array(keyValue, { minLength: width, maxLength: width }), fc.boolean()), { minLength: 1, maxLength: 40 })),
        fc.array(fc.array(keyValue, { minLength: 1, maxLength: 3 }), { maxLength: 10 }),
        (sets, probes) => {
          const index = new KeyIndex<{ n: number; kept: boolean }>();
          const model = new Map<string, { n: number; kept: boolean }>();
          sets.forEach(([key, kept], n) => {
            const entry = { n, kept };
            index.set(key, entry);
            model.set(keyString(key), entry);
          });
          const same = () => {
            for (const [key] of sets) expect(index.get(key)).toBe(model.get(keyString(key)));
            for (const key of probes) if (key.length === sets[0]![0].length) expect(index.get(key)).toBe(model.get(keyString(key)));
          };
          same();
          index.retain((e) => e.kept);
          for (const [k, e] of model) if (!e.kept) model.delete(k);
          same();
          // the levels of dropped keys went with them: each kept key holds at most one value per field
          expect(index.valueCount()).toBeLessThanOrEqual(model.size * sets[0]![0].length);
          index.retain(() => false);
          expect(index.valueCount()).toBe(0);
        },
      ),
    );
  });

  it('keeps the entry of an unkeyed aggregation (null) apart from every keyed one', () => {
    const index = new KeyIndex<string>();
    index.set(null, 'unkeyed');
    index.set([null], 'null field');
    expect(index.get(null)).toBe('unkeyed');
    expect(index.get([null])).toBe('null field');
    expect(index.get(['null'])).toBeUndefined();
    expect(index.get([-0])).toBeUndefined();
    index.set([0], 'zero');
    expect(index.get([-0])).toBe('zero');
    // getOrAdd makes an entry only where there is none
    expect(index.getOrAdd([-0], () => 'made')).toBe('zero');
    expect(index.getOrAdd([1, 2], () => 'made')).toBe('made');
    expect(index.get([1, 2])).toBe('made');
  });
});
