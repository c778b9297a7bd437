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
  /**
   * Folds group `i` of a partial window in flat form (core/flat-window.ts: `nKeys` key values and `nValues`
   * accumulators per group) into `w`, without a group object for it unless its key is new to `w`.
   */
  merge(w: WindowGroups, keys: readonly Value[], accs: ArrayLike<Value>, i: number): void;
  /** journaled ops: takes a group out of its window again (undoing an add that created it) */
  forget(w: WindowGroups, g: Group): void;
  source: string;
}

/**
 * What journaled group ops changed since `stamp` was last increased: groups
 * whose accumulators changed (with their values before), groups created. The
 * sandbox rolls a window back with it when its time limit cuts a row short,
 * which may happen inside any call, built-ins included (docs/sandbox.md).
 */
export interface GroupJournal {
  stamp: number;
  /** pairs: group, its accumulators before the first change since `stamp` */
  saved: unknown[];
  /** pairs: window, group created */
  created: unknown[];
}

export function newGroupJournal(): GroupJournal {
  return { stamp: 0, saved: [], created: [] };
}

/** Code that finds (or creates) the group for key values `k0..kn` and leaves it in `g` (or undefined when created). */
function lookupCode(nKeys: number, keyExprs: string[], createGroup: string, journaled = false): string {
  // journaled: the new group is in the journal before anywhere else, and in the list before the map (see forget)
  const create = (map: string, key: string) =>
    journaled
      ? `if (g === undefined) { const n = ${createGroup}; j.created.push(w, n); w.list.push(n); ${map}.set(${key}, n); return; }`
      : `if (g === undefined) { const n = ${createGroup}; ${map}.set(${key}, n); w.list.push(n); return; }`;
  if (nKeys <= 1) {
    const k = nKeys === 0 ? '0' : keyExprs[0]!;
    return `const k0 = ${k};
    let g = w.root.get(k0);
    ${create('w.root', 'k0')}`;
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
    ${create('m', `k${last}`)}`;
  return code;
}

/** Code that takes group `g` out of window `w`: out of the list if it is the last one, and out of its key map. */
function forgetCode(nKeys: number): string {
  let code = 'if (w.list[w.list.length - 1] === g) w.list.pop();\n    let m = w.root;\n';
  for (let i = 0; i < nKeys - 1; i++) code += `    m = m.get(g.key[${i}]);\n    if (m === undefined) return;\n`;
  const last = nKeys === 0 ? '0' : `g.key[${nKeys - 1}]`;
  return `${code}    if (m.get(${last}) === g) m.delete(${last});`;
}

/**
 * `journaled` (the sandbox, docs/sandbox.md): adds record in the journal `j`
 * what they change, and a row is folded into its group all at once or not at
 * all — every new accumulator is computed first, then all are stored — so a
 * user aggregate that throws leaves its group as it was.
 * `countRows` (parallel replay workers): every group counts the rows folded into it (`Group.rows`).
 */
export function compileGroupOps(plan: AggregationPlan, extensions: unknown[] = [], options: { journaled?: boolean; countRows?: boolean } = {}): GroupOps {
  const nKeys = plan.keys.length;
  const journaled = !!options.journaled;
  const rowsField = options.countRows ? ', rows: 1' : '';
  const countRow = options.countRows ? '\n    g.rows++;' : '';
  const initList = plan.values.map((v) => v.fn.init(`o[${v.position}]`, v.input)).join(', ');
  const save = journaled ? 'if (g.stamp !== j.stamp) { j.saved.push(g, s.slice()); g.stamp = j.stamp; }\n    ' : '';
  const combine =
    journaled && plan.values.length > 0
      ? [
          `let ${plan.values.map((_, j) => `t${j} = s[${j}]`).join(', ')};`,
          ...plan.values.map((v, j) => v.fn.combine(`t${j}`, `o[${v.position}]`, v.input)),
          plan.values.map((_, j) => `s[${j}] = t${j};`).join(' '),
        ].join('\n    ')
      : plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `o[${v.position}]`, v.input)).join('\n    ');
  // partial accumulators already hold result-typed values (e.g. a boolean sum is already an integer)
  const nValues = plan.values.length;
  const merge = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `t[ao + ${j}]`, v.type)).join('\n    ');
  const rowKeys = plan.keys.map((k) => `o[${k.position}]`);
  const keyValues = nKeys === 0 ? 'null' : `[${rowKeys.join(', ')}]`;
  const flatKeys = plan.keys.map((_, i) => `keys[ko + ${i}]`);
  const flatGroup = `{ key: ${nKeys === 0 ? 'null' : `keys.slice(ko, ko + ${nKeys})`}, acc: [${plan.values.map((_, j) => `t[ao + ${j}]`).join(', ')}] }`;
  // a Map treats 0 and -0 as one key, as Python does for 0.0 == -0.0; NaN keys also group together
  const source = `"use strict";
return {
  add(w, o) {
    ${lookupCode(nKeys, rowKeys, journaled ? `{ key: ${keyValues}, acc: [${initList}], stamp: j.stamp }` : `{ key: ${keyValues}, acc: [${initList}]${rowsField} }`, journaled)}
    const s = g.acc;
    ${save}${combine}${countRow}
  },
  merge(w, keys, t, i) {
    const ko = i * ${nKeys}, ao = i * ${nValues};
    ${lookupCode(nKeys, flatKeys, flatGroup)}
    const s = g.acc;
    ${merge}
  },
  forget(w, g) {
    ${forgetCode(nKeys)}
  },
};`;
  return buildGroupOps(source, extensions);
}

/** The group operations of a generated source (also built inside the sandbox, with its journal). */
export function buildGroupOps(source: string, extensions: readonly unknown[], journal?: GroupJournal): GroupOps {
  const ops = new Function('h', 'x', 'j', source)(runtime, extensions, journal) as Omit<GroupOps, 'source'>;
  return { ...ops, source };
}
