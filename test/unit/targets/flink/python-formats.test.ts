/**
 * The job's output formats (python/tsengine_job/runtime.py) against ts-engine's own
 * renderers on generated windows and alerts: JSON lines, the reference stdout lines,
 * InfluxDB line protocol, the key order of a window, and the alert formats (JSON
 * lines, reference line, Kafka message).
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../../engine/components/types.js';
import { kafkaAlertJson } from '../../../../engine/components/alerts/kafka-message.js';
import { jsonAlertLine, referenceAlertLine } from '../../../../engine/components/alerts/stdout.js';
import { referenceAlert } from '../../components/alerts/fixtures.js';
import { windowLines } from '../../../../engine/connectors/influx/index.js';
import { jsonLine, referenceLine, sortedGroups } from '../../../../engine/components/outputs/format.js';
import type { RowShape } from '../../../../engine/core/window.js';
import type { FieldType, Value } from '../../../../engine/core/types.js';
import { PY_SRC, pythonExecutable } from './python-harness.js';

const SHAPE: RowShape = {
  keyNames: ['sensor', 'site', 'level'],
  keyTypes: ['LongType', 'StringType', 'DoubleType'],
  valueNames: ['count', 'rpm', 'alarm', 'total', 'Mixed Case'],
  valueTypes: ['IntegerType', 'DoubleType', 'BooleanType', 'LongType', 'DoubleType'],
};

type Wire = ['i' | 'f' | 'b' | 's' | 'n', string];
const wire = (v: Value): Wire =>
  typeof v === 'bigint'
    ? ['i', v.toString()]
    : typeof v === 'number'
      ? ['f', Object.is(v, -0) ? '-0.0' : String(v)]
      : typeof v === 'boolean'
        ? ['b', v ? '1' : '']
        : v === null
          ? ['n', '']
          : ['s', v];
/** integers travel as text so the Python side builds an int, never a float */
const wireTyped = (v: Value, t: FieldType): Wire => (typeof v === 'number' && (t === 'IntegerType' || t === 'LongType') ? ['i', String(v)] : wire(v));

const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
from tsengine_job.runtime import *
def val(w):
    k, t = w
    return int(t) if k == 'i' else float(t) if k == 'f' else bool(t) if k == 'b' else None if k == 'n' else t
spec = json.load(sys.stdin)
shape = Shape(*spec['shape'])
out = []
for w in spec['windows']:
    groups = [(tuple(val(x) for x in g[0]), [val(x) for x in g[1]]) for g in w['groups']]
    groups.sort(key=lambda g: shape.sort_key(g[0]))
    lines = []
    for k, acc in groups:
        lines.append(shape.json_line(w['start'], w['end'], k, acc))
        lines.append(shape.reference_line(k, acc))
        lp, why = influx_line('m e,a', shape, k, acc, w['end'])
        lines.append(lp if lp is not None else 'rejected')
    out.append(lines)
alerts = []
for a in spec['alerts']:
    al = Alert(a['module'], a['time'], tuple(val(x) for x in a['key']) if a['key'] is not None else None, a['field'], val(a['value']), a['valueType'], float(a['lower']), float(a['upper']))
    alerts.append([alert_json_line(al, shape.key_types), alert_reference_line(al, shape.key_types), alert_kafka_value(al, shape.key_types)])
json.dump({'windows': out, 'alerts': alerts}, sys.stdout)
`;

const intV = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }).map((b) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)),
);
const dblV = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1e16, 1e21, 1.5e-7, 0.0001, 123456789.125, 1e-5));
const strV = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 5 }), fc.constantFrom('', 'a b', 'x,y=z', "it's", 'q"\\', '\u{1F600}', 'é', 'Z'));

describe("the Flink job's output formats match ts-engine's", () => {
  it('JSON lines, reference lines, line protocol, key order and alert formats', () => {
    const group = fc.record({
      key: fc.tuple(
        intV,
        strV,
        dblV.filter((x) => !Number.isNaN(x)),
      ),
      acc: fc.tuple(intV, dblV, fc.boolean(), intV, dblV),
    });
    const windows = fc.sample(
      fc.record({
        start: fc.integer({ min: -1e11, max: 4e12 }).map((x) => x * 1000),
        groups: fc.uniqueArray(group, {
          minLength: 1,
          maxLength: 6,
          selector: (g) => JSON.stringify(g.key, (_k, v) => (typeof v === 'bigint' ? v.toString() : Object.is(v, -0) ? 0 : v)),
        }),
      }),
      60,
    );
    const alerts: Alert[] = fc
      .sample(
        fc.record({
          module: fc.constantFrom('Simple1', 'Avg é', 'M'),
          timeMs: fc.integer({ min: 0, max: 4e12 }),
          key: fc.option(
            fc.tuple(
              intV,
              strV,
              dblV.filter((x) => Number.isFinite(x)),
            ),
            { nil: null },
          ),
          field: fc.constantFrom('rpm', 'count', 'total'),
          value: fc.oneof(intV, dblV),
          lower: dblV,
          upper: dblV,
        }),
        80,
      )
      .map((a) =>
        referenceAlert({
          module: a.module,
          timeMs: a.timeMs,
          key: a.key,
          keyFields: SHAPE.keyNames,
          keyTypes: SHAPE.keyTypes,
          field: a.field,
          // a double column's value is a double, an integer column's an integer
          value:
            a.field === 'rpm'
              ? typeof a.value === 'bigint'
                ? Number(a.value)
                : a.value
              : typeof a.value === 'number' && !Number.isSafeInteger(a.value)
                ? 7
                : a.value,
          valueType: a.field === 'rpm' ? 'DoubleType' : a.field === 'count' ? 'IntegerType' : 'LongType',
          lowerBound: a.lower,
          upperBound: a.upper,
        }),
      );
    const spec = {
      shape: [SHAPE.keyNames, SHAPE.keyTypes, SHAPE.valueNames, SHAPE.valueTypes],
      windows: windows.map((w) => ({
        start: w.start,
        end: w.start + 10_000,
        groups: w.groups.map((g) => [g.key.map((v, i) => wireTyped(v, SHAPE.keyTypes[i]!)), g.acc.map((v, i) => wireTyped(v, SHAPE.valueTypes[i]!))]),
      })),
      alerts: alerts.map((a) => ({
        module: a.module,
        time: a.timeMs,
        key: a.key === null ? null : a.key.map((v, i) => wireTyped(v, SHAPE.keyTypes[i]!)),
        field: a.field,
        value: wireTyped(a.value, a.valueType!),
        valueType: a.valueType,
        lower: wire(a.lowerBound)[1],
        upper: wire(a.upperBound)[1],
      })),
    };
    const r = spawnSync(pythonExecutable(), ['-c', DRIVER, PY_SRC], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as { windows: string[][]; alerts: string[][] };

    windows.forEach((w, k) => {
      const cw = { startMs: w.start, endMs: w.start + 10_000, groups: w.groups.map((g) => ({ key: g.key as Value[], acc: g.acc as Value[] })) };
      const expected: string[] = [];
      for (const g of sortedGroups(cw.groups)) {
        expected.push(jsonLine(cw, g, SHAPE), referenceLine(g, SHAPE));
        const one = windowLines({ ...cw, groups: [g] }, SHAPE, 'm e,a');
        expected.push(one.lines[0] ?? 'rejected');
      }
      expect(py.windows[k]).toEqual(expected);
    });
    alerts.forEach((a, k) => expect(py.alerts[k]).toEqual([jsonAlertLine(a), referenceAlertLine(a, 'utc'), kafkaAlertJson(a)]));
  });
});
