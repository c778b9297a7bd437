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
  /**
   * The body of `add` for a row whose values are read by `value(position)` (locals of code that runs it inline,
   * pipeline/row-runs.ts), with `done` where it created the group; it needs `h`, `w` and `sameKey`, `nest` besides.
   * Only for ops that are neither journaled nor call extension aggregates.
   */
  inlineAdd?: (value: (position: number) => string, done: string) => string;
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

/**
 * A map is keyed by one key field: the root by the first, a map under it by the second, and so on. An entry is a
 * deeper map, or a group, which then is the only one under its key prefix: a map per prefix is made only when a second
 * group shares it. With many keys each prefix usually has one group (a sensor id with its one sensor type): a map per
 * prefix made 100 000 maps per window, a quarter of the run's peak memory, all copied by the young generation's GC
 * (docs/performance.md#where-the-time-goes).
 */
export type GroupTree = Map<unknown, GroupTree | Group>;

/**
 * Code that finds (or creates) the group for key values `k0..kn` and leaves it in `g` (returning when it created it).
 * `keyExprs` are evaluated once each, before the lookup.
 */
function lookupCode(nKeys: number, keyExprs: string[], createGroup: string, journaled = false, done = 'return;'): string {
  // journaled: the new group is in the journal before anywhere else, and in the list before the map (see forget)
  const created = (place: string) =>
    journaled ? `const n = ${createGroup}; j.created.push(w, n); w.list.push(n); ${place};` : `const n = ${createGroup}; ${place}; w.list.push(n);`;
  const create = (map: string, key: string) => `{ ${created(`${map}.set(${key}, n)`)} ${done} }`;
  if (nKeys <= 1) {
    const k = nKeys === 0 ? '0' : keyExprs[0]!;
    return `const k0 = ${k};
    let g = w.root.get(k0);
    if (g === undefined) ${create('w.root', 'k0')}`;
  }
  const keys = keyExprs.map((e, i) => `const k${i} = ${e};`).join(' ');
  // depth d: `e` is the entry of map `m` (keyed by field d) under k{d}
  const level = (d: number): string => {
    if (d === nKeys - 1)
      return `g = m.get(k${d});
    if (g === undefined) ${create('m', `k${d}`)}`;
    const rest = Array.from({ length: nKeys - 1 - d }, (_, i) => d + 1 + i);
    const leafMatches = rest.map((i) => `sameKey(e.key[${i}], k${i})`).join(' && ');
    return `e = m.get(k${d});
    if (e === undefined) ${create('m', `k${d}`)}
    if (e instanceof Map) {
    m = e;
    ${level(d + 1)}
    } else if (${leafMatches}) g = e;
    else { ${created(`nest(m, k${d}, e, n, ${d + 1})`)} ${done} }`;
  };
  return `${keys}
    let m = w.root, e, g;
    ${level(0)}`;
}

/** A Map's key equality (SameValueZero): 0 and -0 are one key, and so are all NaNs. */
export function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * What a leaf group makes when a second group (`fresh`) shares its key prefix: under `k` of `m`, maps for the key
 * fields from `d` on that both still share, then both groups.
 */
function nest(m: GroupTree, k: unknown, leaf: Group, fresh: Group, d: number): void {
  let sub: GroupTree = new Map();
  m.set(k, sub);
  for (; ; d++) {
    const a = leaf.key![d];
    const b = fresh.key![d];
    if (!sameKey(a, b)) {
      sub.set(a, leaf);
      sub.set(b, fresh);
      return;
    }
    const deeper: GroupTree = new Map();
    sub.set(a, deeper);
    sub = deeper;
  }
}

/** what the generated lookups call (`tree` in their source) */
export const groupTree = { sameKey, nest };

/** Code that takes group `g` out of window `w`: out of the list if it is the last one, and out of the tree. */
function forgetCode(nKeys: number): string {
  const last = nKeys === 0 ? '0' : `g.key[${nKeys - 1}]`;
  if (nKeys <= 1)
    return `if (w.list[w.list.length - 1] === g) w.list.pop();
    if (w.root.get(${last}) === g) w.root.delete(${last});`;
  return `if (w.list[w.list.length - 1] === g) w.list.pop();
    let m = w.root;
    for (let d = 0; d < ${nKeys}; d++) {
      const e = m.get(g.key[d]);
      if (e === g) { m.delete(g.key[d]); return; }
      if (!(e instanceof Map)) return;
      m = e;
    }`;
}

/** The group of key values keys[at…at + nKeys) in `w`, if it has one. */
export function findGroup(w: WindowGroups, keys: readonly Value[], at: number, nKeys: number): Group | undefined {
  if (nKeys <= 1) return w.root.get(nKeys === 0 ? 0 : keys[at]) as Group | undefined;
  let m = w.root as GroupTree;
  for (let d = 0; d < nKeys; d++) {
    const e = m.get(keys[at + d]);
    if (e === undefined) return undefined;
    if (!(e instanceof Map)) {
      for (let i = d + 1; i < nKeys; i++) if (!sameKey(e.key![i], keys[at + i])) return undefined;
      return e;
    }
    m = e;
  }
  return undefined;
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
  const save = journaled ? 'if (g.stamp !== j.stamp) { j.saved.push(g, s.slice()); g.stamp = j.stamp; }\n    ' : '';
  const addCode = (value: (position: number) => string, done: string) => {
    const initList = plan.values.map((v) => v.fn.init(value(v.position), v.input)).join(', ');
    const combine =
      journaled && plan.values.length > 0
        ? [
            `let ${plan.values.map((_, j) => `t${j} = s[${j}]`).join(', ')};`,
            ...plan.values.map((v, j) => v.fn.combine(`t${j}`, value(v.position), v.input)),
            plan.values.map((_, j) => `s[${j}] = t${j};`).join(' '),
          ].join('\n    ')
        : plan.values.map((v, j) => v.fn.combine(`s[${j}]`, value(v.position), v.input)).join('\n    ');
    const rowKeys = plan.keys.map((k) => value(k.position));
    const keyValues = nKeys === 0 ? 'null' : `[${rowKeys.join(', ')}]`;
    const group = journaled ? `{ key: ${keyValues}, acc: [${initList}], stamp: j.stamp }` : `{ key: ${keyValues}, acc: [${initList}]${rowsField} }`;
    return `${lookupCode(nKeys, rowKeys, group, journaled, done)}
    const s = g.acc;
    ${save}${combine}${countRow}`;
  };
  // partial accumulators already hold result-typed values (e.g. a boolean sum is already an integer)
  const nValues = plan.values.length;
  const merge = plan.values.map((v, j) => v.fn.combine(`s[${j}]`, `t[ao + ${j}]`, v.type)).join('\n    ');
  const flatKeys = plan.keys.map((_, i) => `keys[ko + ${i}]`);
  const flatGroup = `{ key: ${nKeys === 0 ? 'null' : `keys.slice(ko, ko + ${nKeys})`}, acc: [${plan.values.map((_, j) => `t[ao + ${j}]`).join(', ')}] }`;
  // a Map treats 0 and -0 as one key, as Python does for 0.0 == -0.0; NaN keys also group together
  const source = `"use strict";
const { sameKey, nest } = tree;
return {
  add(w, o) {
    ${addCode((position) => `o[${position}]`, 'return;')}
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
  const ops = buildGroupOps(source, extensions);
  return journaled || plan.values.some((v) => v.fn.user) ? ops : { ...ops, inlineAdd: addCode };
}

/** The group operations of a generated source (also built inside the sandbox, with its journal). */
export function buildGroupOps(source: string, extensions: readonly unknown[], journal?: GroupJournal): GroupOps {
  const ops = new Function('h', 'x', 'j', 'tree', source)(runtime, extensions, journal, groupTree) as Omit<GroupOps, 'source'>;
  return { ...ops, source };
}
