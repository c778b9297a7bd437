/**
 * Generated per-group aggregation code. A window's state is a `WindowGroups`:
 * nested Maps keyed by each key value (no per-row key string is built) plus a
 * flat list of groups in first-seen order. `add` folds one transformed row in;
 * `merge` folds a partial group from another worker in (aggregates are monoids:
 * Spark's map-side combine), so memory is keys × open windows, never rows.
 */
import type { Value } from '../core/types.js';
import { runtime } from '../expr/runtime.js';
import type { Group } from '../core/window.js';
import type { AggregationPlan } from './rules.js';

export interface WindowGroups {
  /** nested maps, one level per key field (reduce: the single group sits under key 0) */
  root: Map<unknown, unknown>;
  list: Group[];
}

export function newWindowGroups(): WindowGroups {
  return { root: new Map(), list: [] };
}

export interface GroupOps {
  add(w: WindowGroups, row: readonly Value[]): void;
  merge(w: WindowGroups, other: Group): void;
  source: string;
}

/** Code that finds (or creates) the group for key values `k0..kn` and leaves it in `g` (or undefined when created). */
function lookupCode(nKeys: number, keyExprs: string[], createGroup: string): string {
  if (nKeys <= 1) {
    const k = nKeys === 0 ? '0' : keyExprs[0]!;
    return `const k0 = ${k};
    let g = w.root.get(k0);
    if (g === undefined) { const n = ${createGroup}; w.root.set(k0, n); w.list.push(n); return; }`;
  }
  let code = `let m = w.root;\n`;
  for (let i = 0; i < nKeys - 1; i++) {
    code += `    const k${i} = ${keyExprs[i]};
    let m${i} = m.get(k${i});
    if (m${i} === undefined) { m${i} = new Map(); m.set(k${i}, m${i}); }
    m = m${i};\n`;
  }
  const last = nKeys - 1;
  code += `    const k${last} = ${keyExprs[last]};
    let g = m.get(k${last});
    if (g === undefined) { const n = ${createGroup}; m.set(k${last}, n); w.list.push(n); return; }`;
  return code;
}

export function compileGroupOps(plan: AggregationPlan, extensions: unknown[] = []): GroupOps {
  const nKeys = plan.keys.length;
  const initList = plan.values.map((v) => v.fn.init(`o[${v.position}]`, v.input)).join(', ');
  const combine = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `o[${v.position}]`, v.input)).join('\n    ');
  // partial accumulators already hold result-typed values (e.g. a boolean sum is already an integer)
  const merge = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `t[${j}]`, v.type)).join('\n    ');
  const rowKeys = plan.keys.map((k) => `o[${k.position}]`);
  const keyValues = nKeys === 0 ? 'null' : `[${rowKeys.join(', ')}]`;
  const groupKeys = plan.keys.map((_, i) => `other.key[${i}]`);
  // a Map treats 0 and -0 as one key, as Python does for 0.0 == -0.0; NaN keys also group together
  const source = `"use strict";
return {
  add(w, o) {
    ${lookupCode(nKeys, rowKeys, `{ key: ${keyValues}, acc: [${initList}] }`)}
    const s = g.acc;
    ${combine}
  },
  merge(w, other) {
    ${lookupCode(nKeys, groupKeys, `{ key: other.key, acc: other.acc.slice() }`)}
    const s = g.acc, t = other.acc;
    ${merge}
  },
};`;
  const ops = new Function('h', 'x', source)(runtime, extensions) as Omit<GroupOps, 'source'>;
  return { ...ops, source };
}
