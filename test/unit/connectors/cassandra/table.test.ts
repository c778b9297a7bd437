// The Cassandra table layout and value mapping (engine/connectors/cassandra/table.ts) without a
// server; against a real Cassandra: test/integration/cassandra-live.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createTableCql,
  fromCql,
  insertCql,
  layoutColumns,
  partitionProblem,
  sameTable,
  tableLayout,
  toCql,
} from '../../../../engine/connectors/cassandra/table.js';
import type { RowShape } from '../../../../engine/core/window.js';

const keyed: RowShape = {
  keyNames: ['sensor_id', 'Type'],
  keyTypes: ['IntegerType', 'StringType'],
  valueNames: ['n', 'avg', 'any'],
  valueTypes: ['LongType', 'DoubleType', 'BooleanType'],
} as RowShape;
const reduce: RowShape = { keyNames: [], keyTypes: [], valueNames: ['n'], valueTypes: ['LongType'] } as RowShape;

describe('cassandra table layout', () => {
  it('partitions by the key fields, clusters by window_end newest first; integers varint, doubles double, booleans boolean; names quoted', () => {
    expect(createTableCql('ks', 'points', tableLayout(keyed))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."points" ("sensor_id" varint, "Type" text, "window_end" timestamp, "window_start" timestamp, ' +
        '"n" varint, "avg" double, "any" boolean, PRIMARY KEY (("sensor_id", "Type"), "window_end")) WITH CLUSTERING ORDER BY ("window_end" DESC)',
    );
    expect(insertCql('ks', 'points', tableLayout(keyed))).toBe(
      'INSERT INTO "ks"."points" ("sensor_id", "Type", "window_end", "window_start", "n", "avg", "any") VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  });

  it('a reduce has one partition, series = all', () => {
    const l = tableLayout(reduce);
    expect(l.series).toBe('all');
    expect(createTableCql('ks', 't', l)).toMatch(/PRIMARY KEY \(\("series"\), "window_end"\)/);
  });

  it('an existing table is the one the layout makes only with the same columns, types, key and order', () => {
    const l = tableLayout(keyed);
    const same = layoutColumns(l);
    expect(sameTable(same, l)).toBe(true);
    expect(
      sameTable(
        same.map((c) => (c.name === 'n' ? { ...c, type: 'bigint' } : c)),
        l,
      ),
    ).toBe(false);
    expect(
      sameTable(
        same.map((c) => (c.name === 'window_end' ? { ...c, clusteringOrder: 'asc' } : c)),
        l,
      ),
    ).toBe(false);
    expect(sameTable(same.slice(1), l)).toBe(false);
  });

  it('a partition key Cassandra cannot store is named', () => {
    const l = tableLayout(keyed);
    expect(partitionProblem(l, [1, 'a'])).toBeUndefined();
    expect(partitionProblem(l, [null, 'a'])).toBe('key field sensor_id is null (a Cassandra partition key cannot be)');
    expect(partitionProblem(tableLayout({ ...keyed, keyNames: ['k'], keyTypes: ['StringType'] } as RowShape), [''])).toMatch(/key field k is empty/);
  });
});

describe('cassandra values', () => {
  it('integers of any size go to varint and come back exactly (numbers while safe, bigints beyond)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }), (big) => {
        const bound = toCql(big, 'varint');
        expect(bound).toBe(big);
        const back = fromCql(bound);
        if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) expect(back).toBe(Number(big));
        else expect(back).toBe(big);
      }),
    );
    expect(toCql(42, 'varint')).toBe(42n);
    expect(toCql(null, 'varint')).toBeNull();
  });

  it('timestamps as Date, read back as epoch ms; doubles and booleans as they are', () => {
    expect(toCql(1_700_000_000_123, 'timestamp')).toEqual(new Date(1_700_000_000_123));
    expect(fromCql(new Date(1_700_000_000_123))).toBe(1_700_000_000_123);
    expect(toCql(1.5, 'double')).toBe(1.5);
    expect(toCql(true, 'boolean')).toBe(true);
    expect(fromCql(undefined)).toBeNull();
  });
});
