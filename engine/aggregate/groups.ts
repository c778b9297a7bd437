/**
 * Generated per-group aggregation code. A window's state is a Map from a group
 * key to `{ key, acc }`; `add` folds one transformed row in, `merge` folds a
 * partial state from another worker in (aggregates are monoids, Spark's
 * map-side combine), so memory is keys × open windows, never rows.
 */
import type { FieldType, Value } from '../types.js';
import { runtime } from '../expr/runtime.js';
import type { AggregationPlan } from './rules.js';

export interface Group {
  key: Value[] | null;
  acc: Value[];
}

export type GroupMap = Map<unknown, Group>;

export interface GroupOps {
  add(groups: GroupMap, row: readonly Value[]): void;
  merge(groups: GroupMap, other: Group): void;
  /** Map key of a group's key values (used when re-keying merged partials) */
  mapKey(key: readonly Value[] | null): unknown;
  source: string;
}

function keyExpr(plan: AggregationPlan, src: string): string {
  if (plan.keys.length === 0) return '0';
  if (plan.keys.length === 1) return `${src}[${plan.keys[0]!.position}]`;
  return plan.keys
    .map((k) => (k.type === 'StringType' ? `(${src}[${k.position}].length + ':' + ${src}[${k.position}])` : `String(${src}[${k.position}])`))
    .join(" + '\\u0001' + ");
}

export function compileGroupOps(plan: AggregationPlan, extensions: unknown[] = []): GroupOps {
  const initList = plan.values.map((v) => v.fn.init(`o[${v.position}]`, v.input)).join(', ');
  const combine = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `o[${v.position}]`, v.input)).join('\n    ');
  const merge = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `t[${j}]`, v.input)).join('\n    ');
  const keyValues = plan.keys.length === 0 ? 'null' : `[${plan.keys.map((k) => `o[${k.position}]`).join(', ')}]`;
  // keys as they sit in a Group: position i of the key array
  const keyPlanForGroup: AggregationPlan = { ...plan, keys: plan.keys.map((k, i) => ({ ...k, position: i })) };
  const source = `"use strict";
return {
  add(m, o) {
    const k = ${keyExpr(plan, 'o')};
    const g = m.get(k);
    if (g === undefined) { m.set(k, { key: ${keyValues}, acc: [${initList}] }); return; }
    const s = g.acc;
    ${combine}
  },
  merge(m, other) {
    const o = other.key;
    const k = ${plan.keys.length === 0 ? '0' : keyExpr(keyPlanForGroup, 'o')};
    const g = m.get(k);
    if (g === undefined) { m.set(k, { key: o, acc: other.acc.slice() }); return; }
    const s = g.acc, t = other.acc;
    ${merge}
  },
  mapKey(o) { return ${plan.keys.length === 0 ? '0' : keyExpr(keyPlanForGroup, 'o')}; },
};`;
  const ops = new Function('h', 'x', source)(runtime, extensions) as Omit<GroupOps, 'source'>;
  return { ...ops, source };
}

/** Result types of the emitted row: key types then aggregated types. */
export function outputTypes(plan: AggregationPlan): { keyTypes: FieldType[]; valueTypes: FieldType[] } {
  return { keyTypes: plan.keys.map((k) => k.type), valueTypes: plan.values.map((v) => v.type) };
}
