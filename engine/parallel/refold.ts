/**
 * Exact merging of the windows that span two ranges of a parallel replay. Merging two partial aggregates is what one
 * thread computes only when the aggregate is exact in any order: integer sums and products (bigint beyond 2^53) and
 * integer min/max are; a sum or product of floating-point numbers rounds differently when added in another order, and
 * a min or max that meets a NaN keeps whichever value came first. For those, the rows a range adds to a window that an
 * earlier range began are folded again, in file order, into that window's merged groups.
 */
import type { PipelinePlan } from '../pipeline/plan.js';
import { Processor } from '../pipeline/processor.js';
import { CsvSource } from '../components/sources/csv.js';
import { isFloatingType } from '../core/types.js';
import { compileGroupOps, findGroup, type GroupOps, type WindowGroups } from '../aggregate/groups.js';
import type { FlatWindowData } from '../core/flat-window.js';

/** true when merging partial aggregates may differ from folding the rows one by one */
export function mergeDependsOnOrder(plan: PipelinePlan): boolean {
  return plan.aggregation.values.some((v) => v.fn.user === true || isFloatingType(v.input));
}

/** The plan's group operations, with every group counting its rows (the workers' partials carry the counts). */
export function countingGroups(plan: PipelinePlan): GroupOps {
  return compileGroupOps(plan.aggregation, plan.extensions.aggregateImpls, { countRows: true });
}

/**
 * Whether merging the partial `data` into `groups` gives what folding its rows one by one would. It does when every
 * group of `data` that `groups` already has holds one row: merging a group of one row is the same step as folding that
 * row. So many keys with few rows each (a window longer than a range) merge without folding again.
 */
export function mergeIsExact(groups: WindowGroups, data: FlatWindowData, nKeys: number): boolean {
  const rows = data.rows;
  if (!rows) return false;
  for (let g = 0; g < data.count; g++) if (rows[g]! > 1 && findGroup(groups, data.keys, g * nKeys, nKeys) !== undefined) return false;
  return true;
}

export interface RefoldRange {
  path: string;
  header: boolean;
  /** the range's first byte */
  start: number;
  /** the end of the last row that went into one of the windows */
  end: number;
}

/**
 * Folds the rows of `range` that fall into `windows` (start → the window's groups, merged so far) into those groups,
 * as one thread would: the rows are read, parsed and judged (bad, late) as the range's worker did. The watermark the
 * earlier ranges reached does not matter here: these windows are still open in it. Rows of other windows are
 * aggregated into windows of their own and dropped (the worker's partials have them).
 */
export async function refoldRows(plan: PipelinePlan, range: RefoldRange, windows: ReadonlyMap<number, WindowGroups>): Promise<void> {
  const proc = new Processor(plan);
  for (const [start, groups] of windows) proc.continueWindow(start, groups);
  const source = new CsvSource({ path: range.path, header: range.header && range.start === 0, range: { start: range.start, end: range.end, firstLine: 1 } });
  await source.open();
  try {
    for (let batch = await source.next(); batch !== null; batch = await source.next()) {
      const { buf, starts, ends } = batch;
      const bytes = buf !== undefined && proc.parseBytes !== undefined;
      for (let i = 0; i < batch.count; i++) {
        if (bytes) {
          i = proc.takeRows(buf!, starts!, ends!, i, batch.count);
          if (i < batch.count) proc.processBytes(buf!, starts![i]!, ends![i]!);
        } else proc.processRow(batch.text(i));
      }
      proc.drain();
    }
  } finally {
    await source.close();
  }
}
