/**
 * Replay worker: processes one byte range ("chunk") of a CSV file with the
 * same Processor as a sequential run and hands back partial aggregates —
 * windows it closed itself and the windows still open at the chunk's end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkConfig, type PipelinePlan } from '../pipeline/plan.js';
import { Processor } from '../pipeline/processor.js';
import { CsvSource } from '../components/sources/csv.js';
import type { ChunkResult, ChunkTask } from './protocol.js';
import { flatten } from '../core/flat-window.js';
import { rawOf } from '../pipeline/dead-letters.js';
import { countingGroups, mergeDependsOnOrder } from './refold.js';

const { configPath, configText } = workerData as { configPath: string; configText: string };
let planPromise: Promise<PipelinePlan> | undefined;
let countingPlan: PipelinePlan | undefined;

function plan(): Promise<PipelinePlan> {
  // plans with user functions never run here (parallelUnsupportedReason): no module is loaded
  planPromise ??= checkConfig(configPath, configText, undefined, { userModules: 'skip' }).then((o) => {
    if (!o.plan) throw new Error(`config does not compile in the replay worker: ${o.diagnostics.map((d) => d.message).join('; ')}`);
    return o.plan;
  });
  return planPromise;
}

async function processChunk(task: ChunkTask): Promise<ChunkResult> {
  const p = await plan();
  const src = p.config.input.source;
  if (src.type !== 'csv') throw new Error('replay workers only read CSV files');
  const source = new CsvSource({ path: src.path, header: src.header && task.start === 0, range: { start: task.start, end: task.end, firstLine: 1 } });
  await source.open();
  const orderMatters = mergeDependsOnOrder(p);
  // groups count their rows where merging depends on order: a group with one row in a range merges exactly (refold.ts)
  if (orderMatters) countingPlan ??= { ...p, groups: countingGroups(p) };
  const proc = new Processor(countingPlan ?? p, { initialWatermarkMs: task.initialWatermarkMs ?? undefined });
  const deadLetters: ChunkResult['deadLetters'] = [];
  const nKeys = p.aggregation.keys.length;
  const nValues = p.aggregation.values.length;
  // Windows are flattened as they close, not when the chunk ends: held as group objects for the whole chunk they
  // outlived the young generation's collections, which copied and promoted them (docs/performance.md#all-cores).
  const closed: ChunkResult['closed'] = [];
  const flattenClosed = () => {
    for (const w of proc.drain()) closed.push(flatten(w, nKeys, nValues));
  };
  // where each window's last row ends, noted when the row's window changes (rows of a window mostly come together)
  const rowEnds = orderMatters ? new Map<number, number>() : undefined;
  let window = Number.NaN;
  let windowRowEnd = 0;
  const rowWentIn = (rowEnd: number) => {
    if (proc.lastWindowStart !== window) {
      if (!Number.isNaN(window)) rowEnds!.set(window, windowRowEnd);
      window = proc.lastWindowStart;
    }
    windowRowEnd = rowEnd;
  };
  let rowsRead = 0;
  try {
    for (let batch = await source.next(); batch !== null; batch = await source.next()) {
      const { buf, starts, ends } = batch;
      const bytes = buf !== undefined && proc.parseBytes !== undefined;
      // the batch's buffer holds the file's bytes from this offset on
      const at = batch.fileRange ? batch.fileRange.start - starts![0]! : 0;
      for (let i = 0; i < batch.count; i++) {
        if (bytes) {
          const from = i;
          i = proc.takeRows(buf!, starts!, ends!, from, batch.count);
          rowsRead += i - from;
          if (i > from && rowEnds) rowWentIn(at + ends![i - 1]!);
          if (i === batch.count) break;
        }
        rowsRead++;
        const ok = bytes ? proc.processBytes(buf!, starts![i]!, ends![i]!) : proc.processRow(batch.text(i));
        if (ok && rowEnds) rowWentIn(at + ends![i]!);
        if (!ok) {
          const f = proc.lastFailure!;
          const { raw, rawBytes } = rawOf(batch.bytes?.(i), () => batch.text(i));
          deadLetters.push({
            line: batch.position(i).line!,
            reason: f.reason,
            message: f.message,
            raw,
            ...(rawBytes ? { rawBase64: Buffer.from(rawBytes).toString('base64') } : {}),
          });
        }
        if (proc.closed.length > 0) flattenClosed();
      }
    }
  } finally {
    await source.close();
  }
  flattenClosed();
  if (rowEnds && !Number.isNaN(window)) rowEnds.set(window, windowRowEnd);
  return {
    type: 'result',
    index: task.index,
    closed,
    partial: proc.openPartials().map((w) => flatten(w, nKeys, nValues)),
    lines: source.linesRead,
    rowsRead,
    rowsOk: proc.rowsOk,
    failed: proc.failed,
    late: proc.lateRows,
    maxEventMs: proc.maxEventMs,
    rowEnds,
    deadLetters,
  };
}

parentPort!.on('message', (task: ChunkTask) => {
  processChunk(task).then(
    (r) => parentPort!.postMessage(r),
    (e) => parentPort!.postMessage({ type: 'error', index: task.index, message: (e as Error).stack ?? String(e) }),
  );
});
