/** Values as they cross a process boundary (facade-types.ts#CellValue). */
import type { Value } from '../core/types.js';
import type { CellValue } from '../facade-types.js';

export function toCell(v: Value): CellValue {
  return typeof v === 'bigint' ? { big: v.toString() } : v;
}

/** A key as an object of its fields, null for a reduce config. */
export function keyCells(key: readonly Value[] | null, fields: readonly string[]): Record<string, CellValue> | null {
  return key === null ? null : Object.fromEntries(fields.map((f, i) => [f, toCell(key[i]!)]));
}
