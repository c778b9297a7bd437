/**
 * Multi-core replay of a CSV file: the file is cut into byte ranges at line
 * starts; worker threads build partial aggregates per range; this thread
 * merges them in file order with the aggregate functions (monoids: Spark's
 * map-side combine) and writes windows through the normal outputs and analysis.
 * Results are identical to a sequential run:
 *  - a window is final once the merged watermark has passed its end;
 *  - where merging partials depends on their order (floating-point sums, refold.ts), the rows a range adds to a
 *    window an earlier range began are folded into it again, in file order, instead of merging the range's partial,
 *    unless each group both ranges have holds one row of this range;
 *  - a range whose rows fall into windows the earlier ranges already closed
 *    (out-of-order data across a boundary) is re-run with that watermark, so
 *    exactly the rows a sequential run calls late are dead-lettered.
 * Memory is bounded by the ranges in flight, not by the file size.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PipelinePlan } from '../pipeline/plan.js';
import { Runner, type RunnerOptions, type RunStats, type WindowDriverContext } from '../pipeline/runner.js';
import { timeModeOf } from '../pipeline/processor.js';
import type { ClosedWindow } from '../core/window.js';
import { newWindowGroups, type WindowGroups } from '../aggregate/groups.js';
import { FlatWindow, type FlatWindowData } from '../core/flat-window.js';
import { workerScript } from '../paths.js';
import { CsvSource } from '../components/sources/csv.js';
import type { ChunkResult, ChunkTask, WorkerReply } from './protocol.js';
import { mergeDependsOnOrder, mergeIsExact, refoldRows } from './refold.js';

/** bytes per range: big enough that per-range costs vanish, small enough to keep memory low */
const CHUNK_BYTES = 8 << 20;

export function parallelUnsupportedReason(plan: PipelinePlan): string | undefined {
  const inp = plan.config.input;
  if (inp.source.type !== 'csv') return 'only CSV file replays can be split across workers';
  if (inp.source.path === '-') return 'standard input cannot be split across workers';
  const mode = timeModeOf(plan);
  if (mode === 'processing') return 'paced (rate) input uses processing time, which is sequential';
  if (inp.speed > 0) return 'a paced replay (speed > 0) is sequential';
  if (plan.userCode?.rows) return 'user functions run in one sandbox process';
  // every range adds to the one window: folding its rows again in order would be the whole one-thread run (refold.ts)
  if (mode === 'whole' && mergeDependsOnOrder(plan)) return 'a whole-input window of floating-point aggregates depends on the order of every row';
  return undefined;
}

/** below this a replay is over before workers pay for their start and the merging (docs/performance.md#all-cores) */
export const AUTO_MIN_FILE_BYTES = 64 << 20;

/**
 * The workers `--workers auto` runs `plan`'s replay with on `cores` cores, 1 meaning this thread alone, and why when it
 * is 1. Measured on 2 cores, workers never paid off: two were 0.6 × one thread on files of 50 MB and 1.0 × on 500 MB
 * (the merging and writing thread shares the cores with them), and one beside the merging thread was slower still.
 * The plan must be one parallelUnsupportedReason accepts (a CSV file).
 */
export function autoWorkers(plan: PipelinePlan, cores: number): { workers: number; why?: string } {
  if (cores <= 2) return { workers: 1, why: `${cores} core${cores === 1 ? '' : 's'}: workers would share them with the thread that merges and writes` };
  const src = plan.config.input.source;
  // a file not there (yet) is for the run to report, on one thread
  const bytes = src.type === 'csv' ? (fs.statSync(src.path, { throwIfNoEntry: false })?.size ?? 0) : 0;
  if (bytes < AUTO_MIN_FILE_BYTES)
    return { workers: 1, why: `the file is under ${AUTO_MIN_FILE_BYTES >> 20} MiB: starting workers and merging would cost more than they save` };
  return { workers: cores };
}

export interface ParallelOptions extends RunnerOptions {
  workers?: number;
  /** bytes per range (default 8 MiB, less for small files so every worker gets work) */
  chunkBytes?: number;
}

/** Range boundaries at line starts. */
export function chunkBoundaries(file: string, chunkBytes: number): { start: number; end: number }[] {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const cuts = [0];
  try {
    const probe = Buffer.allocUnsafe(1 << 16);
    let offset = chunkBytes;
    while (offset < size) {
      let pos = offset;
      let found = -1;
      while (pos < size) {
        const n = fs.readSync(fd, probe, 0, probe.length, pos);
        if (n <= 0) break;
        const nl = probe.subarray(0, n).indexOf(10);
        if (nl >= 0) {
          found = pos + nl + 1;
          break;
        }
        pos += n;
      }
      if (found < 0 || found >= size) break;
      if (found > cuts[cuts.length - 1]!) cuts.push(found);
      offset = found + chunkBytes;
    }
  } finally {
    fs.closeSync(fd);
  }
  cuts.push(size);
  const ranges = [];
  for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) ranges.push({ start: cuts[i]!, end: cuts[i + 1]! });
  if (ranges.length === 0) ranges.push({ start: 0, end: size });
  return ranges;
}

/** A Runner whose windows come from replay workers; call `run()` on the result. */
export function parallelReplay(plan: PipelinePlan, opts: ParallelOptions = {}): { runner: Runner; run(): Promise<RunStats> } {
  const why = parallelUnsupportedReason(plan);
  if (why) throw new Error(why);
  const runner = new Runner(plan, opts);
  return { runner, run: () => runner.runWith((ctx) => coordinate(plan, opts, ctx)) };
}

async function coordinate(plan: PipelinePlan, opts: ParallelOptions, ctx: WindowDriverContext): Promise<void> {
  const src = plan.config.input.source;
  if (src.type !== 'csv') throw new Error('unreachable');
  // opened as a one-thread replay opens it, so that a file missing, unreadable or not a file fails with the same line
  const probe = new CsvSource({ path: src.path, chunkSize: 1 });
  await probe.open();
  await probe.close();
  const size = fs.statSync(src.path).size;
  const workers = Math.max(1, opts.workers ?? os.availableParallelism());
  // a fixed range size keeps memory independent of the file size (ranges in flight × range size)
  const chunkBytes = opts.chunkBytes ?? Math.max(1 << 20, Math.min(CHUNK_BYTES, Math.ceil(size / (workers * 4))));
  const ranges = chunkBoundaries(src.path, chunkBytes);
  const mode = timeModeOf(plan);
  const latenessMs = Math.round(plan.config.input.allowedLatenessSec * 1000);
  const merge = plan.groups.merge;
  const durMs = Math.round(plan.config.input.batchDurationSec * 1000);

  // ---- worker pool: tasks run in file order, at most `inFlightLimit` results wait for merging
  const pool = Array.from(
    { length: Math.min(workers, ranges.length) },
    () =>
      new Worker(workerScript('replay-worker'), {
        workerData: { configPath: plan.config.configPath, configText: plan.config.text },
        // rows are short-lived garbage: a bounded young generation keeps memory flat; 32 MB cost 8-10 % less CPU than
        // 16 MB in scavenges for about 32 MB more at the peak, and 64 MB gained nothing more (docs/performance.md#memory)
        resourceLimits: { maxYoungGenerationSizeMb: 32 },
      }),
  );
  const idle = [...pool];
  const results = new Map<number, ChunkResult>();
  const waiting = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: Error) => void }>();
  const queue: ChunkTask[] = [];
  let failure: Error | undefined;
  const inFlightLimit = workers * 2;
  let nextToDispatch = 0;
  let nextToMerge = 0;

  const settle = (r: WorkerReply) => {
    const w = waiting.get(r.index);
    if (r.type === 'error') {
      const e = new Error(`replay worker failed on range ${r.index}: ${r.message}`);
      if (w) w.reject(e);
      else failure ??= e;
      return;
    }
    if (w) {
      waiting.delete(r.index);
      w.resolve(r);
    } else results.set(r.index, r);
  };
  const pump = () => {
    while (idle.length > 0) {
      let task = queue.shift();
      if (!task && nextToDispatch < ranges.length && nextToDispatch - nextToMerge < inFlightLimit && !ctx.stopRequested()) {
        const r = ranges[nextToDispatch]!;
        task = { index: nextToDispatch++, start: r.start, end: r.end, initialWatermarkMs: null };
      }
      if (!task) return;
      const w = idle.pop()!;
      w.once('message', (m: WorkerReply) => {
        idle.push(w);
        settle(m);
        pump();
      });
      w.postMessage(task);
    }
  };
  for (const w of pool) {
    w.on('error', (e) => {
      failure ??= e;
      for (const x of waiting.values()) x.reject(e);
      waiting.clear();
    });
  }
  const run = (task: ChunkTask): Promise<ChunkResult> =>
    new Promise((resolve, reject) => {
      waiting.set(task.index, { resolve, reject });
      queue.unshift(task);
      pump();
    });
  const resultOf = (index: number): Promise<ChunkResult> => {
    const r = results.get(index);
    if (r) {
      results.delete(index);
      return Promise.resolve(r);
    }
    return new Promise((resolve, reject) => waiting.set(index, { resolve, reject }));
  };

  // ---- merge in file order
  // A window seen in one range only is taken over as is; only windows that span
  // a range boundary (one or two per range) are merged group by group.
  const pending = new Map<number, { window: ClosedWindow; first: FlatWindowData; index?: WindowGroups }>();
  let maxEventMs = -Infinity;
  let firstLine = 1;
  let bytesMerged = 0;
  let reruns = 0;
  const nKeys = plan.aggregation.keys.length;
  const nValues = plan.aggregation.values.length;
  // merged from the flat data: with many keys, a group object per partial group was most of the merging thread's work
  const mergeAll = (into: WindowGroups, data: FlatWindowData) => {
    for (let i = 0; i < data.count; i++) merge(into, data.keys, data.accs, i);
  };
  const groupsOf = (p: { window: ClosedWindow; first: FlatWindowData; index?: WindowGroups }): WindowGroups => {
    if (!p.index) {
      p.index = newWindowGroups();
      mergeAll(p.index, p.first);
    }
    return p.index;
  };
  const foldIn = (windows: FlatWindowData[], refolded?: ReadonlyMap<number, WindowGroups>) => {
    for (const data of windows) {
      if (refolded?.has(data.startMs)) continue;
      const p = pending.get(data.startMs);
      if (!p) {
        pending.set(data.startMs, { window: new FlatWindow(data, nKeys, nValues), first: data });
        continue;
      }
      const groups = groupsOf(p);
      mergeAll(groups, data);
      p.window = { startMs: data.startMs, endMs: data.startMs + durMs, groups: groups.list };
    }
  };
  // the rows a range adds to windows an earlier range began, folded in file order where merging the range's partial
  // would not give the same bytes (refold.ts); returns those windows (undefined: none)
  const orderMatters = mergeDependsOnOrder(plan);
  const refold = async (r: ChunkResult): Promise<ReadonlyMap<number, WindowGroups> | undefined> => {
    if (!orderMatters || mode !== 'event') return undefined;
    const windows = new Map<number, WindowGroups>();
    let end = 0;
    for (const data of [...r.closed, ...r.partial]) {
      const p = pending.get(data.startMs);
      if (!p) continue;
      const groups = groupsOf(p);
      if (mergeIsExact(groups, data, nKeys)) continue;
      windows.set(data.startMs, groups);
      end = Math.max(end, r.rowEnds?.get(data.startMs) ?? ranges[nextToMerge]!.end);
    }
    if (windows.size === 0) return undefined;
    const range = ranges[nextToMerge]!;
    await refoldRows(plan, { path: src.path, header: src.header, start: range.start, end }, windows);
    for (const [start, groups] of windows) pending.get(start)!.window = { startMs: start, endMs: start + durMs, groups: groups.list };
    return windows;
  };
  const takeWindows = (upToEnd: number): ClosedWindow[] => {
    const starts = [...pending.keys()].filter((s) => s + durMs <= upToEnd).sort((a, b) => a - b);
    return starts.map((s) => {
      const p = pending.get(s)!;
      pending.delete(s);
      return p.window;
    });
  };

  try {
    pump();
    while (nextToMerge < ranges.length && !ctx.stopRequested()) {
      if (failure) throw failure;
      let r = await resultOf(nextToMerge);
      if (mode === 'event') {
        const wmBefore = maxEventMs - latenessMs;
        const touchesClosed = (ws: FlatWindowData[]) => ws.some((w) => w.endMs <= wmBefore);
        if (touchesClosed(r.closed) || touchesClosed(r.partial)) {
          // out-of-order rows across the boundary: re-run the range knowing what is already closed
          const range = ranges[nextToMerge]!;
          reruns++;
          r = await run({ index: nextToMerge, start: range.start, end: range.end, initialWatermarkMs: wmBefore });
        }
      }
      ctx.addCounts({ rowsRead: r.rowsRead, rowsOk: r.rowsOk, failed: r.failed, late: r.late });
      for (const d of r.deadLetters)
        ctx.rowFailed({
          position: { source: src.path, line: firstLine - 1 + d.line },
          reason: d.reason,
          message: d.message,
          raw: d.raw,
          ...(d.rawBase64 !== undefined ? { rawBytes: Buffer.from(d.rawBase64, 'base64') } : {}),
        });
      await ctx.flushRowErrors();
      firstLine += r.lines;
      const refolded = await refold(r);
      foldIn(r.closed, refolded);
      foldIn(r.partial, refolded);
      if (r.maxEventMs > maxEventMs) maxEventMs = r.maxEventMs;
      bytesMerged += ranges[nextToMerge]!.end - ranges[nextToMerge]!.start;
      ctx.setFraction(size > 0 ? bytesMerged / size : 1);
      nextToMerge++;
      pump();
      if (mode === 'event') {
        const ready = takeWindows(maxEventMs - latenessMs);
        if (ready.length > 0) await ctx.deliver(ready);
      }
    }
    // end of input (or stop): every open window closes, in time order
    if (mode === 'whole') {
      // the whole-file window closes even when no row was valid (stdout prints its separator)
      const p = pending.get(0);
      await ctx.deliver([{ startMs: ctx.startedAt, endMs: ctx.now(), groups: p ? p.window.groups : [] }]);
    } else {
      const rest = takeWindows(Infinity);
      if (rest.length > 0) await ctx.deliver(rest);
    }
    if (reruns > 0) {
      opts.warn?.(
        `${reruns} of ${ranges.length} ranges were re-run because rows arrived later than allowed_lateness across range boundaries (the late rows are dead-lettered exactly as in a one-worker run)`,
      );
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
