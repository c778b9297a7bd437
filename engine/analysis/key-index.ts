/**
 * Per-key state of the analysis histories (the run's recent windows, a replay's windows in memory), found through one
 * level per key field: a lookup compares or hashes the key's values, never a string made of them. Values compare as
 * SameValueZero (a Map's keys), so 0 and −0 are one key, NaN is one key, 1 and 1n and "1" are three, as the stores keep
 * them apart (docs/performance.md#analysis).
 */
import type { Value } from '../core/types.js';
import { sameKey } from '../aggregate/groups.js';

/**
 * A level holds its one value and child inline until a second value comes, and only then a Map: with 100 000 sensors of
 * one type each, the second field's levels would otherwise be 100 000 Maps of one entry (as the aggregator's groups do,
 * engine/aggregate/groups.ts).
 */
interface KeyNode<T> {
  onlyValue: Value;
  only: KeyNode<T> | undefined;
  next: Map<Value, KeyNode<T>> | undefined;
  entry: T | undefined;
}

const newNode = <T>(): KeyNode<T> => ({ onlyValue: null, only: undefined, next: undefined, entry: undefined });

function childOf<T>(node: KeyNode<T>, v: Value): KeyNode<T> | undefined {
  if (node.only !== undefined) return sameKey(node.onlyValue, v) ? node.only : undefined;
  return node.next?.get(v);
}

export class KeyIndex<T> {
  private readonly root: KeyNode<T> = newNode();

  /** the entry of `key` (null: the key of an aggregation without key fields) */
  get(key: readonly Value[] | null): T | undefined {
    let node: KeyNode<T> | undefined = this.root;
    if (key !== null) {
      for (let i = 0; i < key.length && node !== undefined; i++) node = childOf(node, key[i]!);
    }
    return node?.entry;
  }

  set(key: readonly Value[] | null, entry: T): void {
    this.nodeOf(key).entry = entry;
  }

  /** the entry of `key`, made by `make` when there is none: one walk down the levels either way */
  getOrAdd(key: readonly Value[] | null, make: () => T): T {
    const node = this.nodeOf(key);
    return (node.entry ??= make());
  }

  /** the node of `key`, its levels made where missing */
  private nodeOf(key: readonly Value[] | null): KeyNode<T> {
    let node = this.root;
    if (key !== null) {
      for (let i = 0; i < key.length; i++) {
        const v = key[i]!;
        let child = childOf(node, v);
        if (child === undefined) {
          child = newNode();
          if (node.only === undefined && node.next === undefined) {
            node.onlyValue = v;
            node.only = child;
          } else {
            if (node.only !== undefined) {
              node.next = new Map([[node.onlyValue, node.only]]);
              node.onlyValue = null;
              node.only = undefined;
            }
            node.next!.set(v, child);
          }
        }
        node = child;
      }
    }
    return node;
  }

  /** how many key values the index holds, over all its levels: what its memory is bounded by */
  valueCount(): number {
    let n = 0;
    const count = (node: KeyNode<T>): void => {
      if (node.only !== undefined) {
        n++;
        count(node.only);
      }
      node.next?.forEach((child) => {
        n++;
        count(child);
      });
    };
    count(this.root);
    return n;
  }

  /** Drops every entry `keep` says no to, and the levels left empty. */
  retain(keep: (entry: T) => boolean): void {
    const sweep = (node: KeyNode<T>): boolean => {
      if (node.entry !== undefined && !keep(node.entry)) node.entry = undefined;
      if (node.only !== undefined && sweep(node.only)) {
        node.onlyValue = null;
        node.only = undefined;
      }
      const next = node.next;
      if (next) {
        // forEach, not for-of: no [value, child] pair per entry (a Map may drop the entry being visited)
        next.forEach((child, v) => {
          if (sweep(child)) next.delete(v);
        });
        if (next.size === 0) node.next = undefined;
      }
      return node.entry === undefined && node.only === undefined && node.next === undefined;
    };
    sweep(this.root);
  }
}
