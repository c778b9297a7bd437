// The labels file of a backtest (docs/backtest.md#labels): header by name, typed keys, epoch or ISO times, every problem positioned.
import { describe, expect, it } from 'vitest';
import { parseLabels, parseLabelTime, splitCsvLine } from '../../../engine/evaluate/labels.js';

const KEYS = [
  { name: 'sensor_id', type: 'LongType' as const },
  { name: 'sensor_type', type: 'StringType' as const },
];

describe('labels file', () => {
  it('reads columns in any order, skips comments and blank lines, sorts by start', () => {
    const text = [
      '# known anomalies',
      'end,label,sensor_type,start,sensor_id',
      '',
      '1700000095,surge,gear.t3,1700000060,20',
      '1700000020,,"a,b",1700000010,4',
      '',
    ].join('\r\n');
    const r = parseLabels('labels.csv', text, KEYS);
    expect(r.diagnostics).toEqual([]);
    expect(r.labels).toEqual([
      { key: [4, 'a,b'], startMs: 1_700_000_010_000, endMs: 1_700_000_020_000, line: 5 },
      { key: [20, 'gear.t3'], startMs: 1_700_000_060_000, endMs: 1_700_000_095_000, label: 'surge', line: 4 },
    ]);
  });

  it('times: epoch numbers in the given unit, ISO 8601 with or without an offset (UTC)', () => {
    expect(parseLabelTime('1700000000', 's')).toBe(1_700_000_000_000);
    expect(parseLabelTime('1700000000500', 'ms')).toBe(1_700_000_000_500);
    expect(parseLabelTime('1.5', 's')).toBe(1500);
    expect(parseLabelTime('2023-11-14T22:13:20Z', 's')).toBe(1_700_000_000_000);
    expect(parseLabelTime('2023-11-14 22:13:20', 's')).toBe(1_700_000_000_000);
    expect(parseLabelTime('2023-11-14T23:13:20.250+01:00', 's')).toBe(1_700_000_000_250);
    expect(parseLabelTime('2023-11-14T23:13:20+0100', 's')).toBe(1_700_000_000_000);
    expect(parseLabelTime('yesterday', 's')).toBeUndefined();
  });

  it('splits quoted CSV cells and reports an unclosed quote', () => {
    expect(splitCsvLine('a,"b ""x"", c",d')?.map((c) => [c.text, c.column])).toEqual([
      ['a', 1],
      ['b "x", c', 3],
      ['d', 16],
    ]);
    expect(splitCsvLine('a,"b')).toBeUndefined();
  });

  it('reports every problem at its line and column', () => {
    const text = ['sensor_id,sensor_type,start,end', 'x,a,1,2', '4,b,3', '4,b,9,5', '4,b,soon,5', '4,"b,1,2'].join('\n');
    const r = parseLabels('labels.csv', text, KEYS);
    expect(r.labels).toEqual([]);
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '2:1 sensor_id "x" is not a valid LongType (the type of the key field sensor_id)',
      '3:1 expected 4 values (sensor_id, sensor_type, start, end), got 3',
      '4:7 end 5 is before start 9',
      '5:5 start "soon" is neither an epoch time in s nor an ISO 8601 time',
      '6:3 a quoted value is not closed',
    ]);
  });

  it('a header must name every key field, start and end, and nothing unknown', () => {
    const r = parseLabels('labels.csv', 'sensor_id,begin,end\n', KEYS);
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "1:11 unknown column 'begin': the header names sensor_id, sensor_type, start, end and optionally label",
      "1:1 the header lacks 'sensor_type', 'start': it must name sensor_id, sensor_type, start, end and optionally label",
    ]);
    expect(parseLabels('labels.csv', '\n# nothing\n', KEYS).diagnostics[0]!.message).toMatch(/^the labels file is empty/);
  });

  it('a reduce config has no key columns: every label has key null', () => {
    const r = parseLabels('labels.csv', 'start,end\n10,20\n', []);
    expect(r.labels).toEqual([{ key: null, startMs: 10_000, endMs: 20_000, line: 2 }]);
  });
});
