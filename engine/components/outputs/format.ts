/** Rendering of aggregate rows: the reference stdout format and JSON lines (docs/semantics.md#output-formats). */
import type { FieldType, Value } from '../../core/types.js';
import { isFloatingType } from '../../core/types.js';
import type { ClosedWindow, Group, RowShape } from '../../core/window.js';
import type { AggregationPlan } from '../../aggregate/rules.js';
import { pyFloat, pyRepr, pyTuple } from '../../values/python.js';
import { isoUtc } from '../../core/time.js';

export const SEPARATOR = '---------------------------';

function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1;
  if (typeof a === 'string') return 1;
  if (typeof b === 'string') return -1;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Groups in key order, so output is deterministic (the reference leaves the order unspecified). */
export function sortedGroups(groups: readonly Group[]): Group[] {
  if (groups.length < 2 || groups[0]!.key === null) return groups as Group[];
  return [...groups].sort((x, y) => {
    const a = x.key!;
    const b = y.key!;
    for (let i = 0; i < a.length; i++) {
      const c = compareValues(a[i]!, b[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
}

export function rowShape(plan: AggregationPlan): RowShape {
  return {
    keyNames: plan.keys.map((k) => k.name),
    keyTypes: plan.keys.map((k) => k.type),
    valueNames: plan.values.map((v) => v.name),
    valueTypes: plan.values.map((v) => v.type),
  };
}

/** `((5, 'seal.t1'), 2, 900.0, …)` for reduceByKey, `(7, 0, 5)` for reduce. */
export function referenceLine(g: Group, shape: RowShape): string {
  if (g.key === null) return pyTuple(g.acc, shape.valueTypes);
  const parts = [pyTuple(g.key, shape.keyTypes)];
  for (let i = 0; i < g.acc.length; i++) parts.push(pyRepr(g.acc[i]!, shape.valueTypes[i]));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

/** A value as JSON text: integers with all their digits, doubles keep a `.0`, non-finite → null. */
export function jsonValue(v: Value, t: FieldType): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'null';
    return isFloatingType(t) ? pyFloat(v) : String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  return JSON.stringify(v);
}

function jsonObject(names: readonly string[], values: readonly Value[], types: readonly FieldType[]): string {
  const order = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  return '{' + order.map((i) => JSON.stringify(names[i]) + ': ' + jsonValue(values[i]!, types[i]!)).join(', ') + '}';
}

export function jsonLine(w: ClosedWindow, g: Group, shape: RowShape): string {
  const key = g.key === null ? 'null' : jsonObject(shape.keyNames, g.key, shape.keyTypes);
  return `{"window_start": "${isoUtc(w.startMs)}", "window_end": "${isoUtc(w.endMs)}", "key": ${key}, "values": ${jsonObject(shape.valueNames, g.acc, shape.valueTypes)}}`;
}
