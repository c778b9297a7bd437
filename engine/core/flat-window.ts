/**
 * A closed window as flat arrays (how windows cross from a replay worker to the merger):
 * primitives (and a Float64Array when every aggregate is a plain number)
 * instead of one object per group, which is far cheaper to clone and to
 * collect. Group objects are only built when something asks for them.
 */
import type { Value } from './types.js';
import type { ClosedWindow, Group } from './window.js';

export interface FlatWindowData {
  startMs: number;
  endMs: number;
  count: number;
  /** nKeys values per group (empty for reduce) */
  keys: Value[];
  /** nValues values per group */
  accs: Value[] | Float64Array;
  /** reduce: the single group has no key */
  keyed: boolean;
  /** the rows folded into each group, when the groups counted them (Group.rows) */
  rows?: Int32Array;
}

export function flatten(w: ClosedWindow, nKeys: number, nValues: number): FlatWindowData {
  const groups = w.groups;
  const keys: Value[] = new Array(groups.length * nKeys);
  let allNumbers = true;
  for (const g of groups) {
    for (const v of g.acc) {
      if (typeof v !== 'number') {
        allNumbers = false;
        break;
      }
    }
    if (!allNumbers) break;
  }
  const accs: Value[] | Float64Array = allNumbers ? new Float64Array(groups.length * nValues) : new Array(groups.length * nValues);
  let k = 0;
  let a = 0;
  for (const g of groups) {
    for (let i = 0; i < nKeys; i++) keys[k++] = g.key![i]!;
    for (let i = 0; i < nValues; i++) accs[a++] = g.acc[i] as number;
  }
  const flat: FlatWindowData = { startMs: w.startMs, endMs: w.endMs, count: groups.length, keys, accs, keyed: nKeys > 0 };
  if (groups.length > 0 && groups[0]!.rows !== undefined) {
    const rows = new Int32Array(groups.length);
    for (let g = 0; g < groups.length; g++) rows[g] = groups[g]!.rows!;
    flat.rows = rows;
  }
  return flat;
}

/** A ClosedWindow over flat data; `groups` is built on first use. */
export class FlatWindow implements ClosedWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
  private built: Group[] | undefined;

  constructor(
    readonly data: FlatWindowData,
    private readonly nKeys: number,
    private readonly nValues: number,
  ) {
    this.startMs = data.startMs;
    this.endMs = data.endMs;
    this.count = data.count;
  }

  get groups(): Group[] {
    if (this.built) return this.built;
    const { count, keys, accs, keyed } = this.data;
    const out: Group[] = new Array(count);
    for (let g = 0; g < count; g++) {
      const acc: Value[] = new Array(this.nValues);
      for (let i = 0; i < this.nValues; i++) acc[i] = accs[g * this.nValues + i]!;
      out[g] = { key: keyed ? keys.slice(g * this.nKeys, (g + 1) * this.nKeys) : null, acc };
    }
    this.built = out;
    return out;
  }
}

export function isFlatWindow(w: ClosedWindow): w is FlatWindow {
  return w instanceof FlatWindow && (w as unknown as { built: unknown }).built === undefined;
}
