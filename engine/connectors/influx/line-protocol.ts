/**
 * Line protocol of a closed window (docs/semantics.md#influx-output): one point per aggregate row,
 * key fields as tags, all stamped with the window end in ns, integers within the int64 range.
 */
import { Point } from '@influxdata/influxdb-client';
import type { FieldType, Value } from '../../core/types.js';
import { isIntegerType } from '../../core/types.js';
import type { ClosedWindow, Group, RowShape } from '../../core/window.js';
import { pyStr } from '../../values/python.js';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** A key value as a tag: Python `str()` as the reference's client did (5 → "5", 5.0 → "5.0", True → "True"). */
export function tagText(v: Value, type: FieldType | undefined): string {
  return v === null ? '' : pyStr(v, type);
}

export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

export interface WindowLines {
  lines: string[];
  /**
   * aggregate rows not written (integer outside int64, docs/semantics.md#exact-integers; non-finite
   * double; no field left): the row, a short reason for counting (`kind`) and a message naming the value
   */
  rejected: { key: Value[] | null; group: Group; kind: string; reason: string }[];
}

/**
 * One point per aggregate row: key fields as tags, the other columns as fields
 * (integers with `i`, doubles, booleans, strings), all stamped with the window
 * end in ns (docs/semantics.md#one-timestamp-per-window). Nulls are left out (InfluxDB has
 * none). Empty windows give no line (docs/semantics.md#empty-windows).
 */
export function windowLines(w: ClosedWindow, shape: RowShape, measurement: string): WindowLines {
  const out: WindowLines = { lines: [], rejected: [] };
  if (w.groups.length === 0) return out;
  const ts = msToNs(w.endMs).toString();
  const { keyNames, keyTypes, valueNames, valueTypes } = shape;
  groups: for (const g of w.groups) {
    const p = new Point(measurement);
    if (g.key) {
      for (let i = 0; i < keyNames.length; i++) {
        const t = tagText(g.key[i]!, keyTypes[i]);
        if (t !== '') p.tag(keyNames[i]!, t);
      }
    }
    for (let i = 0; i < valueNames.length; i++) {
      const v = g.acc[i]!;
      const name = valueNames[i]!;
      const type = valueTypes[i]!;
      switch (typeof v) {
        case 'bigint':
          if (v < I64_MIN || v > I64_MAX) {
            out.rejected.push({
              key: g.key,
              group: g,
              kind: 'integer outside int64',
              reason: `${name} = ${v} is outside the signed 64-bit range of InfluxDB integers`,
            });
            continue groups;
          }
          p.fields[name] = `${v}i`;
          break;
        case 'number':
          if (!Number.isFinite(v)) {
            out.rejected.push({ key: g.key, group: g, kind: 'non-finite double', reason: `${name} = ${v} cannot be stored in InfluxDB (not a finite number)` });
            continue groups;
          }
          if (isIntegerType(type)) p.fields[name] = `${Object.is(v, -0) ? 0 : v}i`;
          else p.floatField(name, v);
          break;
        case 'boolean':
          p.booleanField(name, v);
          break;
        case 'string':
          p.stringField(name, v);
          break;
        default:
          break; // null: no field
      }
    }
    p.timestamp(ts);
    const line = p.toLineProtocol();
    if (line === undefined) out.rejected.push({ key: g.key, group: g, kind: 'no field', reason: 'no field to write (every value is null)' });
    else out.lines.push(line);
  }
  return out;
}
