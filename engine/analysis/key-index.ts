/**
 * Per-key state of the analysis histories (the run's recent windows, a replay's windows in memory), found through one
 * Map per key field: a lookup hashes the key's values, never a string made of them. Map keys compare as SameValueZero,
 * so 0 and −0 are one key, NaN is one key, 1 and 1n and "1" are three, as the stores keep them apart
 * (docs/performance.md#analysis).
 */
import type { Value } from '../core/types.js';

interface KeyNode<T> {
  next: Map<Value, KeyNode<T>> | undefined;
  entry: T | undefined;
}

export class KeyIndex<T> {
  private readonly root: KeyNode<T> = { next: undefined, entry: undefined };

  /** the entry of `key` (null: the key of an aggregation without key fields) */
  get(key: readonly Value[] | null): T | undefined {
    let node: KeyNode<T> | undefined = this.root;
    if (key !== null) {
      for (let i = 0; i < key.length && node; i++) node = node.next?.get(key[i]!);
    }
    return node?.entry;
  }

  set(key: readonly Value[] | null, entry: T): void {
    let node = this.root;
    if (key !== null) {
      for (let i = 0; i < key.length; i++) {
        const v = key[i]!;
        let next = node.next?.get(v);
        if (!next) {
          next = { next: undefined, entry: undefined };
          (node.next ??= new Map()).set(v, next);
        }
        node = next;
      }
    }
    node.entry = entry;
  }

  /** how many key values the index holds, over all its levels: what its memory is bounded by */
  valueCount(): number {
    let n = 0;
    const count = (node: KeyNode<T>): void => {
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
      const next = node.next;
      if (next) {
        // forEach, not for-of: no [value, child] pair per entry (a Map may drop the entry being visited)
        next.forEach((child, v) => {
          if (sweep(child)) next.delete(v);
        });
        if (next.size === 0) node.next = undefined;
      }
      return node.entry === undefined && !node.next;
    };
    sweep(this.root);
  }
}
