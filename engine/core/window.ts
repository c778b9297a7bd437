/**
 * A window as every layer sees it once it is closed: its bounds and its groups (one per key;
 * reduce has a single group without a key). Produced by the pipeline, written by the outputs,
 * read by analysis and the facade.
 */
import type { FieldType, Value } from './types.js';

/** One aggregate row: the key values (null for reduce) and the accumulated values in output order. */
export interface Group {
  key: Value[] | null;
  acc: Value[];
  /** the rows folded into the group, when its window counts them (a parallel replay's workers) */
  rows?: number;
}

export interface ClosedWindow {
  startMs: number;
  endMs: number;
  groups: Group[];
  /** number of groups, when known without building `groups` (flat windows from replay workers) */
  readonly count?: number;
}

export function groupCount(w: ClosedWindow): number {
  return w.count ?? w.groups.length;
}

/** Names and types of the columns of an aggregate row. */
export interface RowShape {
  keyNames: string[];
  keyTypes: FieldType[];
  valueNames: string[];
  valueTypes: FieldType[];
}

/** A window as an output stored it and reads it back (a reopened project shows these). */
export interface StoredWindow {
  startMs: number;
  endMs: number;
  rows: { key: Record<string, Value> | null; values: Record<string, Value> }[];
}
