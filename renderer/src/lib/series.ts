/**
 * Cells and keys as the tables and charts show them. A key's label is the one the back end's
 * chart summary knows it by (engine/facade/chart-summary.ts `chartKeyLabel`): the two must agree.
 */
import type { CellValue } from '../../../main/api/contract';

export function cellText(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return v.big;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  return String(v);
}

export function keyLabel(key: Record<string, CellValue> | CellValue[] | null): string {
  if (key === null) return 'all';
  const vals = Array.isArray(key) ? key : Object.values(key);
  return vals.map(cellText).join(' · ');
}
