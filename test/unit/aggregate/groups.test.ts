// Aggregation (docs/semantics.md#aggregation) with docs/semantics.md#aggregate-functions and docs/semantics.md#exact-integers; property: reduceByKey over any split of the rows gives the same result.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Column, FieldType, Value } from '../../../engine/core/types.js';
import { planAggregation, type AggregationPlan } from '../../../engine/aggregate/rules.js';
import { BUILTIN_AGGREGATE_MAP } from '../../../engine/aggregate/functions.js';
import { buildGroupOps, compileGroupOps, findGroup, newGroupJournal, newWindowGroups } from '../../../engine/aggregate/groups.js';
import { flatten } from '../../../engine/core/flat-window.js';
import type { Group } from '../../../engine/core/window.js';
import { referenceLine, rowShape, sortedGroups } from '../../../engine/components/outputs/format.js';
import { normBig } from '../../../engine/values/numeric.js';

function planFor(operation: 'reduce' | 'reduceByKey', rules: string[], spec: Record<string, FieldType>): AggregationPlan {
  const columns: Column[] = Object.entries(spec).map(([name, type]) => ({ name, type }));
  const r = planAggregation(operation, rules, columns, BUILTIN_AGGREGATE_MAP);
  expect(r.errors).toEqual([]);
  return r.plan!;
}

function aggregate(plan: AggregationPlan, rows: readonly Value[][]): Group[] {
  const ops = compileGroupOps(plan);
  const w = newWindowGroups();
  for (const r of rows) ops.add(w, r);
  return w.list;
}

function lines(plan: AggregationPlan, groups: Group[]): string[] {
  const shape = rowShape(plan);
  return sortedGroups(groups).map((g) => referenceLine(g, shape));
}

describe('reduce (6.4)', () => {
  it('reference example: (4,2,1) (7,1,1) (1,0,1) (2,5,1) (1,1,1) → (7, 0, 5)', () => {
    const plan = planFor('reduce', ['min(packet_size)', 'max(sampling_rate)', 'sum(traffic)'], {
      sampling_rate: 'LongType',
      packet_size: 'LongType',
      traffic: 'LongType',
    });
    const groups = aggregate(plan, [
      [4, 2, 1],
      [7, 1, 1],
      [1, 0, 1],
      [2, 5, 1],
      [1, 1, 1],
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.key).toBeNull();
    expect(groups[0]!.acc).toEqual([7, 0, 5]);
    expect(lines(plan, groups)).toEqual(['(7, 0, 5)']);
  });
  it('one column renders as (13,); no rows give no aggregate; empty rule gives ()', () => {
    const plan = planFor('reduce', ['sum(x)'], { x: 'LongType' });
    expect(lines(plan, aggregate(plan, [[13]]))).toEqual(['(13,)']);
    expect(aggregate(plan, [])).toEqual([]);
    const empty = planFor('reduce', [], {});
    expect(lines(empty, aggregate(empty, [[], []]))).toEqual(['()']);
  });
});

describe('reduceByKey (6.4)', () => {
  it('reference example: keys are always tuples, values in transformation order', () => {
    const plan = planFor('reduceByKey', ['key: src_ip', 'sum(traffic)', 'sum(packet_size)'], {
      src_ip: 'StringType',
      packet_size: 'LongType',
      traffic: 'LongType',
    });
    const groups = aggregate(plan, [
      ['217.69.143.60', 100, 4000],
      ['217.69.143.60', 100, 4000],
      ['192.168.30.2', 1500, 54000],
      ['192.168.30.2', 200, 3000],
      ['192.168.30.2', 200, 3000],
    ]);
    expect(lines(plan, groups)).toEqual(["(('192.168.30.2',), 1900, 60000)", "(('217.69.143.60',), 200, 8000)"]);
  });
  it('key tuple in declaration order (not transformation order)', () => {
    const plan = planFor('reduceByKey', ['key: (stype, sid)', 'sum(v)'], { sid: 'LongType', stype: 'StringType', v: 'LongType' });
    expect(
      lines(
        plan,
        aggregate(plan, [
          [5, 'seal.t1', 1],
          [5, 'seal.t1', 2],
        ]),
      ),
    ).toEqual(["(('seal.t1', 5), 3)"]);
  });
  it('multi-field keys never collide, whatever the strings contain', () => {
    const plan = planFor('reduceByKey', ['key: (a, b)', 'sum(v)'], { a: 'StringType', b: 'StringType', v: 'LongType' });
    const groups = aggregate(plan, [
      ['a\u0001b', 'c', 1],
      ['a', 'b\u0001c', 10],
      ['1:a', 'b', 100],
      ['1', ':ab', 1000],
      ['', '', 10000],
    ]);
    expect(groups.map((g) => g.acc[0]).sort((x, y) => Number(x) - Number(y))).toEqual([1, 10, 100, 1000, 10000]);
  });
  it('integer keys beyond 2^53 group by value (D-39)', () => {
    const plan = planFor('reduceByKey', ['key: k', 'sum(v)'], { k: 'LongType', v: 'LongType' });
    const k = 9007199254740993n;
    const groups = aggregate(plan, [
      [k, 1],
      [9007199254740993n, 2],
      [9007199254740992, 4],
    ]);
    expect(lines(plan, groups)).toEqual(['((9007199254740992,), 4)', '((9007199254740993,), 3)']);
  });
  it('Section 14 rows: boolean sums are integers even for one-row groups (D-20)', () => {
    const plan = planFor(
      'reduceByKey',
      ['key: (sensor_id, sensor_type)', 'sum(counter)', 'min(rpm_min)', 'max(rpm_max)', 'sum(rpm_sum)', 'sum(speed_lt)', 'sum(speed_gt)'],
      {
        counter: 'IntegerType',
        sensor_id: 'LongType',
        sensor_type: 'StringType',
        rpm_min: 'DoubleType',
        rpm_max: 'DoubleType',
        rpm_sum: 'DoubleType',
        speed_lt: 'BooleanType',
        speed_gt: 'BooleanType',
      },
    );
    const groups = aggregate(plan, [
      [1, 5, 'seal.t1', 2500, 2500, 2500, false, false],
      [1, 5, 'seal.t1', 900, 900, 900, true, false],
      [1, 72, 'seal.t2', 4100, 4100, 4100, false, true],
    ]);
    expect(lines(plan, groups)).toEqual(["((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)", "((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)"]);
  });
});

describe('combination semantics (6.4)', () => {
  it('sum and mul stay exact beyond 2^53 (D-39)', () => {
    const plan = planFor('reduce', ['sum(s)', 'mul(m)'], { s: 'LongType', m: 'LongType' });
    const g = aggregate(plan, [
      [9007199254740992, 1099511627776],
      [1, 1099511627776],
      [2, 3],
    ]);
    expect(g[0]!.acc).toEqual([9007199254740995n, 3626777458843887524118528n]);
    expect(lines(plan, g)).toEqual(['(9007199254740995, 3626777458843887524118528)']);
  });
  it('boolean mul is an integer product (D-20); max/min of booleans stay booleans', () => {
    const plan = planFor('reduce', ['mul(a)', 'max(b)', 'min(c)'], { a: 'BooleanType', b: 'BooleanType', c: 'BooleanType' });
    expect(lines(plan, aggregate(plan, [[true, false, true]]))).toEqual(['(1, False, True)']);
    expect(
      lines(
        plan,
        aggregate(plan, [
          [true, false, true],
          [false, true, false],
        ]),
      ),
    ).toEqual(['(0, True, False)']);
  });
  it('NaN propagates through sum; max/min keep the first operand when a comparison involves NaN', () => {
    const plan = planFor('reduce', ['sum(s)', 'max(mx)', 'min(mn)'], { s: 'DoubleType', mx: 'DoubleType', mn: 'DoubleType' });
    const g = aggregate(plan, [
      [1, 5, 5],
      [NaN, NaN, NaN],
      [2, 7, 3],
    ]);
    expect(g[0]!.acc[0]).toBeNaN();
    expect(g[0]!.acc.slice(1)).toEqual([7, 3]);
    const first = aggregate(plan, [
      [1, NaN, NaN],
      [2, 7, 3],
    ]);
    expect(first[0]!.acc[1]).toBeNaN();
    expect(first[0]!.acc[2]).toBeNaN();
  });
  it('double sums follow IEEE addition', () => {
    const plan = planFor('reduce', ['sum(s)'], { s: 'DoubleType' });
    expect(aggregate(plan, [[0.1], [0.2]])[0]!.acc).toEqual([0.30000000000000004]);
    expect(lines(plan, aggregate(plan, [[1e16], [1]]))).toEqual(['(1e+16,)']);
  });
});

// ---- property: any split, any merge order -------------------------------------------------

const SPEC = {
  k1: 'StringType',
  k2: 'LongType',
  i: 'LongType',
  b: 'BooleanType',
  d: 'DoubleType',
  dm: 'DoubleType',
  p: 'IntegerType',
  bmax: 'BooleanType',
} as const;
const RULES = ['key: (k2, k1)', 'sum(i)', 'sum(b)', 'max(d)', 'min(dm)', 'mul(p)', 'max(bmax)'];

const bigInt = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(normBig));
const row = fc.tuple(
  fc.constantFrom('a', 'b', '', 'a\u0001', '1:a', 'é'),
  fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant(9007199254740993n)),
  bigInt,
  fc.boolean(),
  fc.double({ noNaN: true }),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
);

/** A straightforward fold per key with bigint arithmetic: what the reference computes. */
function naive(rows: readonly (readonly Value[])[]): Map<string, Value[]> {
  const out = new Map<string, Value[]>();
  for (const r of rows) {
    const key = JSON.stringify([String(r[1]), r[0]]);
    const cur = out.get(key);
    const vals: Value[] = [r[2]!, r[3] ? 1 : 0, r[4]!, r[5]!, r[6]!, r[7]!];
    if (!cur) {
      out.set(key, vals);
      continue;
    }
    cur[0] = normBig(BigInt(cur[0] as number | bigint) + BigInt(vals[0] as number | bigint));
    cur[1] = (cur[1] as number) + (vals[1] as number);
    if ((cur[2] as number) < (vals[2] as number)) cur[2] = vals[2]!;
    if ((cur[3] as number) > (vals[3] as number)) cur[3] = vals[3]!;
    cur[4] = normBig(BigInt(cur[4] as number) * BigInt(vals[4] as number));
    if (cur[5] === false && vals[5] === true) cur[5] = true;
  }
  return out;
}

function asMap(groups: Iterable<Group>): Map<string, Value[]> {
  return new Map([...groups].map((g) => [JSON.stringify([String(g.key![0]), g.key![1]]), g.acc]));
}

describe('property: reduceByKey over any split of the rows gives the same result', () => {
  const plan = planFor('reduceByKey', RULES, { ...SPEC });
  const ops = compileGroupOps(plan);

  it('partials merged in any order equal one pass and the naive fold', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (rows, cuts, order) => {
        const rowsV = rows.map((r) => [...r] as Value[]);
        const single = newWindowGroups();
        for (const r of rowsV) ops.add(single, r);

        // split at arbitrary points
        const points = [...new Set(cuts.map((c) => (rowsV.length === 0 ? 0 : c % (rowsV.length + 1))))].sort((a, b) => a - b);
        const chunks: Value[][][] = [];
        let prev = 0;
        for (const p of [...points, rowsV.length]) {
          chunks.push(rowsV.slice(prev, p));
          prev = p;
        }
        const partials = chunks.map((chunk) => {
          const w = newWindowGroups();
          for (const r of chunk) ops.add(w, r);
          return w.list;
        });
        // merge partial groups in a shuffled order
        const all = partials.flat();
        for (let i = 0; i < order.length && all.length > 1; i++) {
          const a = order[i]! % all.length;
          const b = (order[i]! * 7 + 3) % all.length;
          [all[a], all[b]] = [all[b]!, all[a]!];
        }
        const flat = flatten({ startMs: 0, endMs: 1, groups: all }, plan.keys.length, plan.values.length);
        const merged = newWindowGroups();
        for (let i = 0; i < flat.count; i++) ops.merge(merged, flat.keys, flat.accs, i);

        const expected = naive(rowsV);
        expect(asMap(single.list)).toEqual(expected);
        expect(asMap(merged.list)).toEqual(expected);
        expect(merged.list).toHaveLength(expected.size);
        expect(single.list).toHaveLength(expected.size);
      }),
      { numRuns: 300 },
    );
  });
});

describe('key tree: a group sits alone under its key prefix until a second group shares it', () => {
  // few values per field, so prefixes are shared in every order; 0 and -0, NaNs, 1 and 1n, '1' and 1 are all there
  const keyValue = fc.constantFrom<Value>(0, -0, 1, 1n, '1', NaN, 'a', null, true);
  const sameKey = (a: Value, b: Value) => a === b || (a !== a && b !== b);
  const rowsOf = (nKeys: number) =>
    fc.array(fc.tuple(fc.array(keyValue, { minLength: nKeys, maxLength: nKeys }), fc.integer({ min: -5, max: 5 })), { maxLength: 40 });

  for (const nKeys of [2, 3, 4]) {
    it(`${nKeys} key fields: the groups of a flat list of keys, in first-seen order, each found by findGroup`, () => {
      // the lookup never looks at the declared types: mixed values in one key field test its key equality alone
      const spec: Record<string, FieldType> = { v: 'LongType' };
      for (let i = 0; i < nKeys; i++) spec[`k${i}`] = 'StringType';
      const plan = planFor('reduceByKey', [`key: (${Array.from({ length: nKeys }, (_, i) => `k${i}`).join(', ')})`, 'sum(v)'], spec);
      const ops = compileGroupOps(plan);
      const keyAt = plan.keys.map((k) => k.position);
      fc.assert(
        fc.property(rowsOf(nKeys), (rows) => {
          const w = newWindowGroups();
          const expected: { key: Value[]; sum: number }[] = [];
          for (const [keys, v] of rows) {
            const row: Value[] = [];
            keys.forEach((k, i) => (row[keyAt[i]!] = k));
            row[plan.values[0]!.position] = v;
            ops.add(w, row);
            const same = expected.find((e) => e.key.every((k, i) => sameKey(k, keys[i]!)));
            if (same) same.sum += v;
            else expected.push({ key: keys, sum: v });
          }
          expect(w.list.map((g) => ({ key: g.key, sum: g.acc[0] }))).toEqual(expected);
          for (const g of w.list) expect(findGroup(w, g.key!, 0, nKeys)).toBe(g);
          // a key that differs from every group's in its last field only is not found
          for (const g of w.list) {
            const other = [...g.key!.slice(0, -1), 'no such key'];
            expect(findGroup(w, other, 0, nKeys)).toBeUndefined();
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('journaled: forgetting the groups created since a point leaves the window as it was then', () => {
    const plan = planFor('reduceByKey', ['key: (a, b, c)', 'sum(v)'], { a: 'StringType', b: 'StringType', c: 'StringType', v: 'LongType' });
    fc.assert(
      fc.property(rowsOf(3), rowsOf(3), (before, after) => {
        const journal = newGroupJournal();
        const ops = buildGroupOps(compileGroupOps(plan, [], { journaled: true }).source, [], journal);
        const toRow = ([keys, v]: [Value[], number]) => [...keys, v];
        const w = newWindowGroups();
        for (const r of before) ops.add(w, toRow(r));
        const kept = [...w.list];
        journal.created.length = 0;
        for (const r of after) ops.add(w, toRow(r));
        for (let i = journal.created.length - 2; i >= 0; i -= 2) ops.forget(w, journal.created[i + 1] as Group);
        expect(w.list).toEqual(kept);
        for (const g of kept) expect(findGroup(w, g.key!, 0, 3)).toBe(g);
        for (const [keys] of after) if (!kept.some((g) => g.key!.every((k, i) => sameKey(k, keys[i]!)))) expect(findGroup(w, keys, 0, 3)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
