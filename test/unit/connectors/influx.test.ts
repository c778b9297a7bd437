// InfluxDB plumbing without a server: line protocol of a window (docs/semantics.md#influx-output, docs/semantics.md#one-timestamp-per-window, docs/semantics.md#empty-windows, docs/semantics.md#exact-integers),
// escaped InfluxQL and Flux (docs/semantics.md#influxql-escaping), ns time conversions, JSON with exact 64-bit integers.
import { describe, expect, it } from 'vitest';
import {
  historyFlux,
  historyQuery,
  influxIdent,
  influxString,
  isoNs,
  nsIso,
  parseJsonBig,
  tagFilter,
  tagText,
  windowLines,
} from '../../../engine/connectors/influx/index.js';
import type { ClosedWindow, RowShape } from '../../../engine/core/window.js';
import type { Value } from '../../../engine/core/types.js';

const SHAPE: RowShape = {
  keyNames: ['sensor_id', 'sensor_type'],
  keyTypes: ['LongType', 'StringType'],
  valueNames: ['counter', 'rpm_min', 'rpm_max', 'rpm_sum', 'speed_lt', 'speed_gt'],
  valueTypes: ['LongType', 'DoubleType', 'DoubleType', 'DoubleType', 'IntegerType', 'IntegerType'],
};
const group = (key: Value[] | null, acc: Value[]) => ({ key, acc }) as unknown as ClosedWindow['groups'][number];
const win = (groups: ClosedWindow['groups'], endMs = 1523800010000): ClosedWindow => ({ startMs: endMs - 10000, endMs, groups });

describe('line protocol of a window', () => {
  it('Section 14: key fields as tags, integers with i, doubles, one timestamp per window: the window end in ns (D-28)', () => {
    const w = win([group([5, 'seal.t1'], [2, 900, 2500, 3400, 1, 0]), group([72, 'seal.t2'], [1, 4100, 4100, 4100, 0, 1])]);
    expect(windowLines(w, SHAPE, 'points')).toEqual({
      lines: [
        'points,sensor_id=5,sensor_type=seal.t1 counter=2i,rpm_max=2500,rpm_min=900,rpm_sum=3400,speed_gt=0i,speed_lt=1i 1523800010000000000',
        'points,sensor_id=72,sensor_type=seal.t2 counter=1i,rpm_max=4100,rpm_min=4100,rpm_sum=4100,speed_gt=1i,speed_lt=0i 1523800010000000000',
      ],
      rejected: [],
    });
  });

  it('empty windows write nothing (D-29); reduce has no tags', () => {
    expect(windowLines(win([]), SHAPE, 'points')).toEqual({ lines: [], rejected: [] });
    const shape: RowShape = { keyNames: [], keyTypes: [], valueNames: ['n', 'ok', 's'], valueTypes: ['LongType', 'BooleanType', 'StringType'] };
    expect(windowLines(win([group(null, [3, true, 'a "q" \\ b'])]), shape, 'm').lines).toEqual(['m n=3i,ok=T,s="a \\"q\\" \\\\ b" 1523800010000000000']);
  });

  it('escapes measurement, tag keys and values; nulls are left out; a double key keeps Python str() (5.0)', () => {
    const shape: RowShape = { keyNames: ['k y', 'd'], keyTypes: ['StringType', 'DoubleType'], valueNames: ['v', 'w'], valueTypes: ['DoubleType', 'LongType'] };
    const { lines } = windowLines(win([group(['a,b=c d', 5], [1.5, null]), group([null, 2.5], [null, 7])]), shape, 'my m,x');
    expect(lines).toEqual(['my\\ m\\,x,d=5.0,k\\ y=a\\,b\\=c\\ d v=1.5 1523800010000000000', 'my\\ m\\,x,d=2.5 w=7i 1523800010000000000']);
  });

  it('D-39: integers in signed 64 bits are exact, beyond them the row is rejected; non-finite doubles too; a row of nulls has nothing to write', () => {
    const shape: RowShape = { keyNames: ['k'], keyTypes: ['StringType'], valueNames: ['v'], valueTypes: ['LongType'] };
    const r = windowLines(
      win([
        group(['max'], [2n ** 63n - 1n]),
        group(['min'], [-(2n ** 63n)]),
        group(['over'], [2n ** 63n]),
        group(['under'], [-(2n ** 63n) - 1n]),
        group(['none'], [null]),
      ]),
      shape,
      'm',
    );
    expect(r.lines).toEqual(['m,k=max v=9223372036854775807i 1523800010000000000', 'm,k=min v=-9223372036854775808i 1523800010000000000']);
    expect(r.rejected.map((x) => [x.key, x.reason])).toEqual([
      [['over'], 'v = 9223372036854775808 is outside the signed 64-bit range of InfluxDB integers'],
      [['under'], 'v = -9223372036854775809 is outside the signed 64-bit range of InfluxDB integers'],
      [['none'], 'no field to write (every value is null)'],
    ]);
    const d: RowShape = { keyNames: [], keyTypes: [], valueNames: ['x'], valueTypes: ['DoubleType'] };
    expect(windowLines(win([group(null, [NaN])]), d, 'm').rejected[0]!.reason).toBe('x = NaN cannot be stored in InfluxDB (not a finite number)');
    expect(windowLines(win([group(null, [-0])]), { ...d, valueTypes: ['LongType'] }, 'm').lines).toEqual(['m x=0i 1523800010000000000']);
  });

  it('tag text is Python str(): True/False, 5, 5.0, strings as they are', () => {
    expect([
      tagText(true, 'BooleanType'),
      tagText(5, 'LongType'),
      tagText(5, 'DoubleType'),
      tagText("it's", 'StringType'),
      tagText(null, 'StringType'),
    ]).toEqual(['True', '5', '5.0', "it's", '']);
    expect(tagFilter('n', 5)).toEqual(['n', ['5', '5.0']]);
    expect(tagFilter('n', 2.5)).toEqual(['n', ['2.5']]);
    expect(tagFilter('s', 'x')).toEqual(['s', ['x']]);
  });
});

describe('queries (D-27)', () => {
  it('quotes identifiers and escapes quote and backslash in tag values; numeric ns bounds', () => {
    expect(influxIdent('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(influxString("it's \\ here")).toBe("'it\\'s \\\\ here'");
    expect(
      historyQuery({
        measurement: 'points',
        fromNs: 988000000000n,
        toNs: 992000000000n,
        tags: [
          ['sid', ['1']],
          ['stype', ["t'1"]],
        ],
      }),
    ).toBe(`SELECT * FROM "points" WHERE time >= 988000000000 AND time <= 992000000000 AND "sid" = '1' AND "stype" = 't\\'1'`);
    expect(historyQuery({ measurement: 'm', database: 'db', retentionPolicy: 'rp', fromNs: 1n, toNs: 2n, tags: [['n', ['5', '5.0']]] })).toBe(
      `SELECT * FROM "db"."rp"."m" WHERE time >= 1 AND time <= 2 AND ("n" = '5' OR "n" = '5.0')`,
    );
  });

  it('Flux: string parameters escaped by the client, RFC 3339 ns bounds, stop exclusive + 1 ns', () => {
    const q = historyFlux({
      bucket: 'db/rp',
      measurement: 'po"ints',
      fromNs: 1523799998000000000n,
      toNs: 1523800002000000000n,
      tags: [
        ['sensor_id', ['5', '5.0']],
        ['t', ['a"b\\c']],
      ],
    });
    expect(q).toBe(
      'from(bucket: "db/rp")\n' +
        '  |> range(start: time(v: "2018-04-15T13:46:38.000000000Z"), stop: time(v: "2018-04-15T13:46:42.000000001Z"))\n' +
        '  |> filter(fn: (r) => r._measurement == "po\\"ints" and (r["sensor_id"] == "5" or r["sensor_id"] == "5.0") and r["t"] == "a\\"b\\\\c")\n' +
        '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    );
  });

  it('ns ⇄ RFC 3339', () => {
    expect(nsIso(1523800010123456789n)).toBe('2018-04-15T13:46:50.123456789Z');
    expect(isoNs('2018-04-15T13:46:50.123456789Z')).toBe(1523800010123456789n);
    expect(isoNs('2018-04-15T13:46:50Z')).toBe(1523800010000000000n);
    expect(isoNs('2018-04-15T13:46:50.5Z')).toBe(1523800010500000000n);
    expect(nsIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(() => isoNs('yesterday')).toThrow(/not an RFC 3339 time/);
  });
});

describe('parseJsonBig', () => {
  it('is JSON.parse, except that integers beyond 2^53 stay exact as bigint', () => {
    const text =
      '{"results":[{"series":[{"columns":["time","v","f","s"],"values":[[1700000010000000001,9223372036854775807,1.5,"a\\"b"],[5,-9007199254740993,1e21,null]]}]}],"t":true,"f":false,"e":[],"o":{}}';
    expect(parseJsonBig(text)).toEqual({
      results: [
        {
          series: [
            {
              columns: ['time', 'v', 'f', 's'],
              values: [
                [1700000010000000001n, 9223372036854775807n, 1.5, 'a"b'],
                [5, -9007199254740993n, 1e21, null],
              ],
            },
          ],
        },
      ],
      t: true,
      f: false,
      e: [],
      o: {},
    });
    for (const bad of ['{', '[1,]', '{"a" 1}', 'nul', '1 2', '"x']) expect(() => parseJsonBig(bad), bad).toThrow(SyntaxError);
    const proto = parseJsonBig('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });
});
