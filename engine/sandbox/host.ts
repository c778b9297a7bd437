/**
 * The sandbox process (docs/sandbox.md): hosts user code in a realm of its own
 * — no Node globals, no eval, no host object reachable — and runs every piece
 * of user code under a vm time limit, so this process always gets control back.
 * The engine starts it with a heap limit and the Node permission model, watches
 * its memory, and kills it when it must. Rows are processed here by the same
 * Processor the engine uses, so user functions are plain calls.
 */
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import vm from 'node:vm';
import { RowError } from '../core/errors.js';
import { buildTransform } from '../expr/compile.js';
import { buildGroupOps, newGroupJournal } from '../aggregate/groups.js';
import { Processor, type ProcessorPlan, type RowLog } from '../pipeline/processor.js';
import { flatten } from '../core/flat-window.js';
import { CsvSource } from '../components/sources/csv.js';
import { realmBootstrap, type AnalysisReport, type AnalysisRunState, type AnalysisSetup, type RealmHelpers } from './realm-bootstrap.js';
import { taggedJson } from './tagged-json.js';
import {
  BUNDLE_GLOBAL,
  type AlertEventMessage,
  type AnalysisOutcome,
  type AnalysisWindowResult,
  type ClosedAfter,
  type FailureKind,
  type LoadResult,
  type ModuleShape,
  type ProcessorCounters,
  type Reply,
  type Request,
  type SandboxEvent,
  type SandboxLimits,
  type SandboxProcessorSpec,
  type SegmentResult,
  type SegmentRows,
  type WindowsResult,
} from './protocol.js';

/** How long one segment may run before it returns (between two rows) with the rest left for the next. */
const SLICE_MS = 100;

/** Exit code of a sandbox that found itself over its memory limit between calls. */
export const MEMORY_EXIT_CODE = 86;

class SandboxFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

const limits = JSON.parse(process.argv[2] ?? '{}') as SandboxLimits;
const codec = taggedJson();

// The engine decides when this process ends (disconnect), so a clean shutdown can still ask it for open windows.
// It runs in a process group of its own, away from a terminal's Ctrl-C; where signals still reach it, they are ignored.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
/** the engine stops the run: the segment running ends at its next slice, the queued ones at once (until `finish`) */
let stopPending = false;
process.on('disconnect', () => process.exit(0));
// a promise user code rejected and left alone is no part of any result (as a job that throws): it must not end the process
process.on('unhandledRejection', () => undefined);

const context = vm.createContext(Object.create(null), {
  name: 'ts-engine user code',
  codeGeneration: { strings: false, wasm: false },
  // promise jobs of user code run only inside our time-limited calls, never later from the event loop
  microtaskMode: 'afterEvaluate',
});
const helpers = new vm.Script(
  `(function () { 'use strict'; const codec = (${taggedJson.toString()})(); delete Atomics.waitAsync; return (${realmBootstrap.toString()})(codec); })()`,
  { filename: 'ts-engine:realm' },
).runInContext(context, { timeout: 5000 }) as RealmHelpers;

const TIMED = new vm.Script('"use strict"; globalThis.__tsEngineTimed();', { filename: 'ts-engine:timed' });
const DRAIN = new vm.Script('"use strict"; undefined;', { filename: 'ts-engine:drain' });

function failureOf(e: unknown, ms: number, what: string): SandboxFailure {
  const code = (e as { code?: unknown })?.code;
  if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return new SandboxFailure('timeout', `${what} timed out after ${ms} ms`);
  if (e instanceof SandboxFailure) return e;
  if (e instanceof RowError) return new SandboxFailure('user', e.message);
  // the host's own errors (and stack overflows a user call caused in a host frame) are of this realm
  if (e instanceof Error) return new SandboxFailure('internal', e.message);
  // an exception of user code: its message is read in the realm, under a time limit (never hand it a host object)
  let message: string;
  try {
    message = timed(() => helpers.describeError(e), limits.timeoutMs, false);
  } catch {
    message = 'an exception whose message cannot be read';
  }
  return new SandboxFailure('user', message);
}

function checkMemory(): void {
  if (process.memoryUsage.rss() > limits.memoryMb * 1024 * 1024) process.exit(MEMORY_EXIT_CODE);
}

/**
 * Runs host code that calls into the realm, under a time limit; then runs the
 * promise jobs user code queued, under the same limit. Nothing of user code
 * runs anywhere else.
 */
function timed<T>(fn: () => T, ms: number, drain = true): T {
  const g = globalThis as { __tsEngineTimed?: () => unknown };
  g.__tsEngineTimed = fn;
  let result: T;
  try {
    result = TIMED.runInThisContext({ timeout: Math.max(1, Math.ceil(ms)) }) as T;
  } finally {
    g.__tsEngineTimed = undefined;
  }
  if (drain) DRAIN.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) });
  checkMemory();
  return result;
}

function guarded<T>(fn: () => T, ms: number, what: string, drain = true): T {
  try {
    return timed(fn, ms, drain);
  } catch (e) {
    throw failureOf(e, ms, what);
  }
}

// ---- modules ------------------------------------------------------------------

/** bundle index → realm module index (undefined when it failed to load) */
const realmModule: (number | undefined)[] = [];
const moduleFiles: string[] = [];

function load(req: Extract<Request, { op: 'load' }>): LoadResult {
  const startup = limits.startupTimeoutMs;
  for (const [name, text] of Object.entries(req.files)) guarded(() => helpers.addFile(name, text), startup, 'granting files');
  const modules: LoadResult['modules'] = [];
  for (const b of req.bundles) {
    moduleFiles.push(b.file);
    try {
      const script = new vm.Script(b.code, { filename: b.file });
      try {
        script.runInContext(context, { timeout: startup });
      } catch (e) {
        throw failureOf(e, startup, 'loading the module');
      }
      checkMemory();
      const m = guarded(() => helpers.takeExports(BUNDLE_GLOBAL), startup, 'reading its exports');
      const shape = codec.decode(guarded(() => helpers.describe(m), startup, 'reading its exports')) as ModuleShape;
      realmModule.push(m);
      modules.push({ shape });
    } catch (e) {
      realmModule.push(undefined);
      modules.push({ error: e instanceof SandboxFailure ? e.message : (e as Error).message });
    }
  }
  return { modules };
}

function realmIndex(bundle: number): number {
  const m = realmModule[bundle];
  if (m === undefined) throw new SandboxFailure('internal', `module ${moduleFiles[bundle] ?? bundle} is not loaded`);
  return m;
}

// ---- rows -----------------------------------------------------------------------

/** A host function calling user function f with `arity` arguments; a throw becomes a row error. */
function wrapUserFunction(f: unknown, name: string, arity: number, reason: string): unknown {
  if (typeof f !== 'function') throw new SandboxFailure('internal', `${name} is not a function in the sandbox`);
  const params = Array.from({ length: arity }, (_, i) => `a${i}`).join(', ');
  // runs inside the segment's time-limited loop, which also covers reading the message of what user code threw
  const rowError = (e: unknown) => new RowError(reason, `${name}: ${e instanceof Error ? e.message : helpers.describeError(e)}`);
  return new Function('f', 'rowError', `"use strict"; return function (${params}) { try { return f(${params}); } catch (e) { throw rowError(e); } };`)(
    f,
    rowError,
  );
}

let processor: Processor | undefined;
let spec: SandboxProcessorSpec | undefined;
/** the modules whose functions the rows call, for messages */
let rowModules = '';

function openProcessor(s: SandboxProcessorSpec): void {
  const startup = limits.startupTimeoutMs;
  const x = s.transformImpls.map((r) =>
    wrapUserFunction(
      guarded(() => helpers.transformFn(realmIndex(r.module), r.index), startup, r.name, false),
      r.name,
      r.arity,
      'user function error',
    ),
  );
  const a = s.aggregateImpls.map((r) =>
    wrapUserFunction(
      guarded(() => helpers.aggregateFn(realmIndex(r.module), r.index), startup, r.name, false),
      r.name,
      2,
      'user aggregate error',
    ),
  );
  const journal = newGroupJournal();
  const plan: ProcessorPlan = {
    config: { input: { ...s.input, source: { type: s.input.sourceType } } },
    parseSlots: s.parseSlots,
    timeSlot: s.timeSlot,
    transform: { run: buildTransform(s.transformSource, s.transformConsts, x), columns: s.columns },
    groups: buildGroupOps(s.groupsSource, a, journal),
  };
  processor = new Processor(plan, { ...s.options, journal });
  spec = s;
  rowModules = [...new Set([...s.transformImpls, ...s.aggregateImpls].map((r) => path.basename(moduleFiles[r.module] ?? '?')))].join(', ');
}

function counters(p: Processor): ProcessorCounters {
  return { rowsOk: p.rowsOk, failed: p.failed, lateRows: p.lateRows, watermarkMs: p.watermarkMs, maxEventMs: p.maxEventMs, lastWindowStart: p.lastWindowStart };
}

function closedWindows(p: Processor, log: RowLog | undefined): ClosedAfter[] {
  const s = spec!;
  return p.drain().map((w, i) => ({ after: log?.closedAfter[i] ?? -1, window: flatten(w, s.nKeys, s.nValues) }));
}

/**
 * Processes the rows of one segment in attempts under the time limit. The
 * limit may cut an attempt short anywhere (inside built-ins such as Map.set
 * too), so such an attempt is rolled back as a whole (Processor.rollback); its
 * rows before the one that ran out of time are redone, that row is retried
 * with a budget of its own, and a row that alone exceeds the limit is
 * dead-lettered.
 * Between slices of time this process reads its messages, so a stop ends the
 * segment there (and the segments queued after it at once).
 */
async function segment(req: Extract<Request, { op: 'segment' }>): Promise<SegmentResult> {
  if ('file' in req.rows) return fileSegment(req, req.rows);
  const p = processor!;
  const rows = req.rows;
  const n = 'lines' in rows ? rows.lines.length : rows.starts.length;
  const log: RowLog = {
    failures: [],
    closedAfter: [],
    windowStarts: req.want.windowStarts ? new Float64Array(n) : undefined,
    eventTimes: req.want.eventTimes ? new Float64Array(n) : undefined,
  };
  const keptBefore = p.keptRows?.length ?? 0;
  const ms = limits.timeoutMs;
  let from = 0;
  /** after a rollback: where the attempt redoing the rows before the row that ran out of time ends */
  let stopAt = n;
  let interruptions = 0;
  let sliceEnd = 0;
  const now = req.now;
  const drive =
    'lines' in rows
      ? () => {
          const lines = rows.lines;
          for (let k = from; k < stopAt; k++) {
            if (k > from && Date.now() >= sliceEnd) return k;
            p.rowIndex = k;
            p.processRow(lines[k]!, now);
          }
          return stopAt;
        }
      : () => {
          const { buf, starts, ends } = rows;
          for (let k = from; k < stopAt; k++) {
            if (k > from && Date.now() >= sliceEnd) return k;
            p.rowIndex = k;
            p.processBytes(buf, starts[k]!, ends[k]!, now);
          }
          return stopAt;
        };
  p.rowLog = log;
  try {
    while (from < n && !stopPending) {
      sliceEnd = Date.now() + (limits.sliceMs ?? SLICE_MS);
      while (from < n) {
        // the first row of an attempt has the whole budget from here: it is dead-lettered if the limit ends the attempt
        // while still on it, so every attempt makes progress however slow the machine is
        p.rowIndex = from;
        p.beginAttempt();
        try {
          from = timed(drive, ms, false);
          if (from === stopAt) stopAt = n;
        } catch (e) {
          const f = failureOf(e, ms, 'user code');
          if (f.kind !== 'timeout') throw f;
          interruptions++;
          // the limit may have cut anything short, built-ins included: the attempt is undone as a whole
          const at = p.rowIndex;
          p.rollback();
          if (at <= from) {
            p.rowIndex = from;
            p.rejectRow('user code timeout', `user code (${rowModules}) timed out after ${ms} ms on this row (sandbox.timeout_ms)`);
            from++;
            if (stopAt <= from) stopAt = n;
          } else stopAt = at; // the rows before it again, then the row that ran out of time with a budget of its own
        }
        if (Date.now() >= sliceEnd) break;
      }
      settleUserCode(ms);
      // messages (a stop) get in between slices
      if (from < n) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    p.rowLog = undefined;
  }
  return {
    processed: from,
    failures: log.failures,
    windowStarts: log.windowStarts,
    eventTimes: log.eventTimes,
    closed: closedWindows(p, log),
    kept: p.keptRows ? p.keptRows.slice(keptBefore) : undefined,
    counters: counters(p),
    interruptions,
  };
}

/** Rows of a file range: read here (the same splitting as the engine's), processed as bytes; failures carry their text and line. */
async function fileSegment(req: Extract<Request, { op: 'segment' }>, rows: Extract<SegmentRows, { file: unknown }>): Promise<SegmentResult> {
  const { path: file, start, end, firstLine } = rows.file;
  const source = new CsvSource({ path: file, range: { start, end, firstLine }, chunkSize: Math.max(1, end - start) + 1 });
  await source.open();
  try {
    const batch = await source.next();
    const count = batch?.count ?? 0;
    if (!batch || count !== rows.count || !batch.buf || !batch.starts || !batch.ends) {
      throw new SandboxFailure('internal', `${file} bytes ${start}–${end}: expected ${rows.count} rows, read ${count} (did the file change?)`);
    }
    const r = await segment({ ...req, rows: { buf: batch.buf, starts: batch.starts.subarray(0, count), ends: batch.ends.subarray(0, count) } });
    for (const f of r.failures) {
      f.raw = batch.text(f.row);
      f.line = batch.position(f.row).line;
      // bytes that are not UTF-8 are kept exactly (docs/bad-input.md)
      const bytes = batch.bytes?.(f.row);
      if (bytes && !isUtf8(bytes)) f.rawBase64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    }
    return r;
  } finally {
    await source.close();
  }
}

/** Promise jobs user functions queued run now, under the limit (they are no part of a row's result), and memory is checked. */
function settleUserCode(ms: number): void {
  try {
    DRAIN.runInContext(context, { timeout: ms });
  } catch {
    // a job that throws or runs out of time changes no row
  }
  checkMemory();
}

function windows(run: (p: Processor) => void): WindowsResult {
  const p = processor!;
  run(p);
  return { closed: closedWindows(p, undefined), counters: counters(p) };
}

// ---- analyses ---------------------------------------------------------------------

/** answers of the engine to history requests, until the running call hands them to the realm */
const historyAnswers = new Map<number, Record<string, unknown>>();
let answerArrived: (() => void) | undefined;
/** answers to prefetches (history-many), by request */
const prefetchAnswers = new Map<number, (Record<string, unknown> | null)[]>();
let nextPrefetch = 0;
/** requests the engine holds (history-held): since when, and how long those answered since were held */
const heldSince = new Map<number, number>();
const heldFor = new Map<number, number>();

/** how long the engine held these requests so far: time that does not count against their call's limit */
function heldMs(requests: Set<number>): number {
  let total = 0;
  const now = Date.now();
  for (const r of requests) total += heldFor.get(r) ?? (heldSince.has(r) ? now - heldSince.get(r)! : 0);
  return total;
}

function send(m: Reply | SandboxEvent): void {
  process.send!(m);
}

function openAnalyses(req: Extract<Request, { op: 'analysis.open' }>): void {
  const startup = limits.startupTimeoutMs;
  const rules: number[] = [];
  for (const s of req.modules) {
    rules.push(
      guarded(
        () => helpers.analysisNew(realmIndex(s.module), s.from, s.exportName, codec.encode(s.options ?? {}), s.name),
        startup,
        `starting ${s.exportName} (${moduleFiles[s.module]})`,
      ),
    );
  }
  const setup: AnalysisSetup = { rules, observations: req.modules.map((m) => m.observations), ...req.rows };
  guarded(() => helpers.analysisSetup(codec.encode(setup)), startup, 'setting up the analyses', false);
}

/** How often a run of analysis slices reads this process's memory (a read costs ≈ 20 µs; a slice may be one window of a few calls). */
const MEMORY_CHECK_MS = 10;
let memoryCheckedAt = 0;

/**
 * Runs the promise jobs of user code under a time limit (the slices of analysis calls run there), then checks memory:
 * after every slice of one call, else at most every MEMORY_CHECK_MS. A sandbox found over its limit later than the call
 * that filled it ends all the same, and the engine runs that window's unreported calls again one at a time.
 */
function drain(ms: number, oneCall: boolean): void {
  DRAIN.runInContext(context, { timeout: Math.max(1, Math.ceil(ms)) });
  const now = Date.now();
  if (oneCall || now - memoryCheckedAt >= MEMORY_CHECK_MS) {
    memoryCheckedAt = now;
    checkMemory();
  }
}

/**
 * Runs the analysis calls of a request's windows in slices (docs/sandbox.md#analyses): the realm runs call after call, window after window, and a slice
 * starts no call after SLICE_MS, so its vm limit of SLICE_MS + timeout_ms ends only a call that has run for at least
 * timeout_ms. A call that waits for a history point the realm does not hold gets it from the engine within what is
 * left of its limit (the engine may hold it until it analyses the window: that time is not counted). After each slice
 * the outcomes so far go to the engine, so a sandbox that dies (memory) loses only the slice it was in. A slice that
 * all runs in the realm's promise jobs costs one time-limited evaluation.
 */
async function analyseWindows(req: Extract<Request, { op: 'analysis.windows' }>): Promise<AnalysisWindowResult> {
  const ms = limits.timeoutMs;
  const sliceMs = limits.sliceMs ?? SLICE_MS;
  const oneCall = req.oneCall;
  let windowText = req.windows;
  let from = req.from;
  /** the calls before this were reported done */
  let reportedUpTo = from;
  for (;;) {
    const outcomes = new Map<number, AnalysisOutcome>();
    const ended = new Set<number>();
    /** calls end in order: a slice cut short resumes after the last that ended, whatever the realm's cursor says */
    let lastEnded = from - 1;
    const outcome = (call: number) => {
      let o = outcomes.get(call);
      if (!o) outcomes.set(call, (o = { call, alerts: [] }));
      return o;
    };
    const end = (call: number) => {
      ended.add(call);
      if (call > lastEnded) lastEnded = call;
    };
    const fail = (call: number, kind: FailureKind, message: string) => {
      end(call);
      const o = outcome(call);
      o.alerts = [];
      o.error = { kind, message };
    };
    /** requests of the running call still unanswered */
    const outstanding = new Set<number>();
    let localLookups = 0;
    const take = (text: string): AnalysisRunState => {
      const r = codec.decode(text) as AnalysisReport;
      localLookups += r.state.localLookups;
      for (const ev of r.events) {
        const call = ev[1];
        // what a call's leftover promise jobs do after it ended is no part of its outcome
        if (ended.has(call)) continue;
        if (ev[0] === 'done') end(call);
        else if (ev[0] === 'error') fail(call, 'user', String(ev[2]));
        else if (ev[0] === 'alert') outcome(call).alerts.push(ev[2] as AlertEventMessage);
        else if (ev[0] === 'history') {
          const request = ev[2] as number;
          outstanding.add(request);
          send({ event: 'history', call, request, n: ev[3] as number });
        } else if (ev[0] === 'prefetch') prefetch = { call, wants: ev[2] as number[] };
      }
      return r.state;
    };
    /** the points the next rows will likely ask for (see RealmHelpers.answerPrefetch) */
    let prefetch: { call: number; wants: number[] } | undefined;
    /** reports the calls before `next` as done: the engine may be waiting for them to analyse their window before it answers */
    const reportDone = (next: number) => {
      if (next <= reportedUpTo) return;
      const done = [...outcomes.values()].filter((o) => o.call < next);
      for (const o of done) outcomes.delete(o.call);
      send({ event: 'analysis.progress', next, outcomes: done.filter((o) => o.alerts.length > 0 || o.error), localLookups });
      localLookups = 0;
      reportedUpTo = next;
    };
    let interrupted = false;
    /** the time the engine held the running call's answered requests */
    let credit = 0;
    let creditCall = -1;
    const text = windowText;
    windowText = '';
    // no time limit: it only queues the slice (see RealmHelpers.analysisQueue), which the drain runs under one
    helpers.analysisQueue(text, from, sliceMs, oneCall);
    try {
      drain(sliceMs + ms, oneCall);
    } catch (e) {
      const f = failureOf(e, ms, 'analysis');
      if (f.kind !== 'timeout') throw f;
      interrupted = true;
    }
    let finished = false;
    for (;;) {
      // a slice that ended by itself made its report inside its limit; otherwise it is read now, under one
      const prepared = interrupted ? '' : helpers.analysisPrepared();
      const st = take(prepared !== '' ? prepared : guarded(() => helpers.analysisReport(), ms, "reading the analyses' outcomes", false));
      const running = st.current >= 0 && !ended.has(st.current) ? st.current : -1;
      if (interrupted || (st.state === 'waiting' && running >= 0 && outstanding.size === 0)) {
        // the limit ended the slice inside this call, or it awaits something that never comes: it fails, the next goes on
        if (running >= 0) {
          if (interrupted) fail(running, 'timeout', `timed out after ${ms} ms`);
          else fail(running, 'user', 'analysis() returned a promise that never settles (it awaits something other than history.get or alerts.send)');
        }
        from = Math.max(st.next, running + 1, lastEnded + 1);
        break;
      }
      if (st.state === 'prefetch' && prefetch) {
        // no call runs: the points are waited for without a limit (the engine answers once the analysis reaches their window)
        reportDone(st.next);
        const request = nextPrefetch++;
        send({ event: 'history-many', call: prefetch.call, request, wants: prefetch.wants });
        while (!prefetchAnswers.has(request)) await new Promise<void>((resolve) => (answerArrived = resolve));
        answerArrived = undefined;
        const points = prefetchAnswers.get(request)!;
        prefetchAnswers.delete(request);
        const wants = prefetch.wants;
        prefetch = undefined;
        guarded(
          () => helpers.answerPrefetch(codec.encodeData(wants), codec.encodeData(points)),
          Math.max(limits.startupTimeoutMs, ms),
          'reading history points',
          false,
        );
        from = st.next;
        break;
      }
      if (st.state !== 'waiting' || running < 0) {
        from = Math.max(st.next, lastEnded + 1);
        finished = st.state === 'finished';
        break;
      }
      if (running !== creditCall) {
        creditCall = running;
        credit = 0;
      }
      const left = () => st.startedAt + ms + credit + heldMs(outstanding) - Date.now();
      reportDone(running);
      while (left() > 0 && ![...outstanding].some((r) => historyAnswers.has(r))) {
        await new Promise<void>((resolve) => {
          answerArrived = resolve;
          setTimeout(resolve, Math.max(1, left())).unref();
        });
      }
      answerArrived = undefined;
      try {
        for (const request of [...outstanding]) {
          const value = historyAnswers.get(request);
          if (value === undefined) continue;
          if (left() <= 0) break;
          historyAnswers.delete(request);
          outstanding.delete(request);
          credit += heldFor.get(request) ?? 0;
          heldFor.delete(request);
          timed(() => helpers.answer(request, codec.encodeData(value)), left());
        }
      } catch (e) {
        const f = failureOf(e, ms, 'analysis');
        if (f.kind !== 'timeout') throw f;
        interrupted = true;
        continue;
      }
      if (left() <= 0) interrupted = true;
    }
    for (const r of outstanding) {
      historyAnswers.delete(r);
      heldSince.delete(r);
      heldFor.delete(r);
    }
    const reported = [...outcomes.values()].filter((o) => o.alerts.length > 0 || o.error);
    if (finished) return { next: from, localLookups, outcomes: reported };
    send({ event: 'analysis.progress', next: from, outcomes: reported, localLookups });
    // messages get in between slices
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

// ---- dispatch -----------------------------------------------------------------------

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'load':
      return load(req);
    case 'resultType': {
      const m = realmIndex(req.module);
      const text = guarded(() => helpers.resultType(m, req.index, codec.encode(req.types)), limits.startupTimeoutMs, 'resultType');
      return codec.decode(text);
    }
    case 'processor.open':
      openProcessor(req.spec);
      return null;
    case 'segment':
      return segment(req);
    case 'startAt':
      return windows((p) => p.startAt(req.now));
    case 'advanceTo':
      return windows((p) => p.advanceTo(req.now));
    case 'finish':
      stopPending = false;
      return windows((p) => p.finish(req.runStartMs, req.nowMs));
    case 'analysis.open':
      openAnalyses(req);
      return null;
    case 'analysis.windows':
      return analyseWindows(req);
    case 'history-result':
    case 'history-many-result':
    case 'history-held':
    case 'stop':
      return null;
  }
}

/** requests run one after the other; a segment yields between slices, and the next request waits for it */
let queue: Promise<unknown> = Promise.resolve();

process.on('message', (m: Request & { id: number }) => {
  if (m.op === 'history-many-result') {
    prefetchAnswers.set(m.request, m.values);
    answerArrived?.();
    return;
  }
  if (m.op === 'history-held') {
    heldSince.set(m.request, Date.now());
    return;
  }
  if (m.op === 'history-result') {
    const since = heldSince.get(m.request);
    if (since !== undefined) {
      heldSince.delete(m.request);
      heldFor.set(m.request, Date.now() - since);
    }
    historyAnswers.set(m.request, m.value);
    answerArrived?.();
    answerArrived = undefined;
    return;
  }
  if (m.op === 'stop') {
    stopPending = true;
    return;
  }
  queue = queue
    .then(() => handle(m))
    .then(
      (result) => {
        send({ id: m.id, ok: true, result });
      },
      (e) => {
        const f = e instanceof SandboxFailure ? e : new SandboxFailure('internal', (e as Error)?.message ?? String(e));
        send({ id: m.id, ok: false, kind: f.kind, message: f.message });
      },
    );
  queue = queue.catch(() => undefined);
});
