// User analysis modules get a window's rows in one request to the sandbox (docs/sandbox.md#analyses): the history
// lookups the sandbox answers itself must be the engine's answers exactly, and a call that hangs, never settles or
// kills the sandbox in the middle of a window fails alone while every other call of the window keeps its alerts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../../engine/analysis/analyzer.js';
import { AlertDelivery } from '../../../engine/analysis/delivery.js';
import { WindowMemoryHistory } from '../../../engine/analysis/history-memory.js';
import type { UserAnalysisHost } from '../../../engine/analysis/user-host.js';
import { Runner } from '../../../engine/pipeline/runner.js';
import { checkConfig, type PipelinePlan } from '../../../engine/pipeline/plan.js';
import type { Value } from '../../../engine/core/types.js';
import { systemClock } from '../../../engine/core/clock.js';
import type { ClosedWindow } from '../../../engine/core/window.js';
import type { Alert, HistoryQuery, HistorySource } from '../../../engine/components/types.js';
import { Collect, makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles, rpmAnalysisPlan } from '../helpers.js';

const tmp = useTmpDir();
const T0 = 1523800000;
const BATCH_MS = 10_000;

// every point it is given, as text: field order, types (bigint, -0, NaN) and all, in the alert's field
const PROBE = `
const text = (v) => JSON.stringify(v, (k, x) => typeof x === 'bigint' ? 'big:' + x : typeof x === 'number' && (Object.is(x, -0) || !Number.isFinite(x)) ? 'num:' + (Object.is(x, -0) ? '-0' : x) : x);
export class Probe {
  constructor(options, name) { this.name = name; }
  async analysis(history, alerts) {
    const cur = history.current();
    const seen = [cur];
    for (const n of [1, 2, 3, 5]) seen.push(await history.get(n));
    const again = await history.get(2);
    if (again !== seen[2]) throw new Error('history.get(2) twice gave two objects');
    seen.push(Object.keys(seen[1]).map((k) => typeof seen[1][k]));
    await alerts.send({ module: this.name, timestamp: 0, param: { key: cur.key, field: text(seen), lower_bound: 0, upper_bound: 0, value: 1 } });
  }
}`;

async function planOf(files: Record<string, string>, rule: Record<string, unknown>[], limits: Record<string, number> = {}): Promise<PipelinePlan> {
  const dir = tmp();
  writeFiles(dir, {
    ...files,
    'ds.json': structure(SENSOR_SPEC),
    'data.csv': '',
    'config.json': makeConfig({
      transformation: ['sensor_id', 'sensor_type', 'rpm_max: rotation_speed', 'slow: lt(rotation_speed, 1000)'],
      rule: ['key: (sensor_id, sensor_type)', 'max(rpm_max)', 'max(slow)'],
      options: { path: 'data.csv', time_field: 'timestamp', batchDuration: BATCH_MS / 1000 },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
      analysis: { alert: { method: 'stdout' }, accuracy: 1, rule, ...limits },
    }),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  expect(outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return outcome.plan!;
}

/** A fixed pseudo-random sequence (the same windows on every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Windows whose keys come and go (so lookups miss), keys the engine's groups hold as one but spell differently (0 and
 * −0), strings with the characters a key's text is made of, and values of every kind a point carries.
 */
function windows(count: number): ClosedWindow[] {
  const next = lcg(7);
  const keys: Value[][] = [
    [0, 'a;b'],
    [-0, 'a;b'],
    [1, 's1:x;'],
    [2, ''],
    [3, 'number:3;'],
    [Number.NaN, 'nan'],
    [4, null],
    [4, 'null'],
  ];
  const values: Value[] = [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 12n, true, false, null, 'text', 0];
  const out: ClosedWindow[] = [];
  for (let i = 0; i < count; i++) {
    const endMs = (T0 + 10 * (i + 1)) * 1000;
    const seen = new Set<string>();
    const groups = [];
    for (const key of keys) {
      // 0 and −0 are one group: a window holds one of them
      const id = `${String(key[0])}:${typeof key[1]}:${String(key[1])}`;
      if (next() < 0.3 || seen.has(id)) continue;
      seen.add(id);
      groups.push({ key: [...key], acc: [values[Math.floor(next() * values.length)]!, values[Math.floor(next() * values.length)]!] });
    }
    out.push({ startMs: endMs - BATCH_MS, endMs, groups });
  }
  return out;
}

/** The same history, counting what the engine is asked, with or without the promise that the sandbox may answer exact hits. */
function counted(
  inner: WindowMemoryHistory,
  answersAnalysedWindows: boolean,
): HistorySource & { asked: number; pointNow: NonNullable<HistorySource['pointNow']> } {
  const h = {
    description: inner.description,
    answersAnalysedWindows,
    asked: 0,
    open: () => inner.open(),
    close: () => inner.close(),
    lookup(q: HistoryQuery) {
      h.asked++;
      return inner.lookup(q);
    },
    pointNow(q: HistoryQuery) {
      h.asked++;
      return inner.pointNow(q);
    },
  };
  return h;
}

/** The plan's analyzer as a run makes it, on `history`, with no alert sink: its alerts go to `onAlert`. */
function analyzerOf(plan: PipelinePlan, history: HistorySource, onAlert: (a: Alert) => void, warn: (m: string) => void = () => {}): Analyzer {
  return new Analyzer(
    plan.aggregation,
    plan.userCode,
    plan.config.analysis!,
    history,
    new AlertDelivery([], { clock: systemClock, warn, stopping: () => false }),
    BATCH_MS,
    { warn, onAlert },
  );
}

/** Analyses the windows as a run does (each observed, then analysed), with the history `historyOf` makes of them. */
async function analyse<H extends HistorySource>(plan: PipelinePlan, ws: ClosedWindow[], historyOf: (memory: WindowMemoryHistory) => H, ahead = false) {
  const memory = new WindowMemoryHistory(['sensor_id', 'sensor_type'], ['rpm_max', 'slow'], Number.POSITIVE_INFINITY);
  const history = historyOf(memory);
  const alerts: Alert[] = [];
  const warnings: string[] = [];
  const analyzer = analyzerOf(
    plan,
    history,
    (a) => alerts.push(a),
    (m) => warnings.push(m),
  );
  await analyzer.open();
  try {
    // as a replay does: the windows a batch closed, handed on before they are written and analysed one by one
    if (ahead) analyzer.lookahead(ws, BATCH_MS);
    for (const w of ws) {
      memory.observe(w);
      await analyzer.analyze(w, BATCH_MS);
    }
  } finally {
    await analyzer.close();
  }
  const { answered } = (analyzer as unknown as { host: UserAnalysisHost }).host;
  return { fields: alerts.map((a) => a.field), alerts, warnings, history, lookups: analyzer.stats.lookups, answered };
}

describe('user analyses, a window per request', () => {
  it('history the sandbox answers itself is what the engine answers, point for point', async () => {
    const ws = windows(40);
    const plan = await planOf({ 'Probe.mjs': PROBE }, [{ module: './Probe.mjs', name: 'P' }]);
    const local = await analyse(plan, ws, (m) => counted(m, true));
    const engine = await analyse(plan, ws, (m) => counted(m, false));
    // handed on ahead of their analysis, all at once, as a replay's batch
    const ahead = await analyse(plan, ws, (m) => counted(m, true), true);
    expect(ahead.fields).toEqual(engine.fields);
    expect(ahead.lookups).toBe(engine.lookups);
    expect(local.warnings).toEqual([]);
    expect(engine.warnings).toEqual([]);
    const rows = ws.reduce((n, w) => n + w.groups.length, 0);
    expect(local.fields).toHaveLength(rows);
    expect(local.fields).toEqual(engine.fields);
    // the points are real ones: a stored boolean reads 0 or 1, the time is a bigint of ns
    expect(local.fields.some((f) => f.includes('"window_end"') && f.includes('"time":"big:'))).toBe(true);
    // the sandbox answered most lookups, and counted them as the engine counts its own
    expect(local.history.asked).toBeLessThan(engine.history.asked / 2);
    expect(local.lookups).toBe(engine.lookups);
    // what the engine answers, it answers ahead, many points to a request, once the rules' indices are known
    expect(engine.answered.ahead).toBeGreaterThan(0);
    expect(engine.answered.singly).toBeLessThan(engine.answered.ahead / 10);
  }, 60_000);

  it('handed a batch of windows ahead, the sandbox asks the engine what it cannot answer only as the analysis reaches each window', async () => {
    const ws = windows(30);
    const plan = await planOf({ 'Probe.mjs': PROBE }, [{ module: './Probe.mjs', name: 'P' }]);
    const memory = new WindowMemoryHistory(['sensor_id', 'sensor_type'], ['rpm_max', 'slow'], Number.POSITIVE_INFINITY);
    /** the window being analysed, and the one each lookup the engine answered was for (Probe asks 1, 2, 3 and 5 windows back) */
    let analysing = -1;
    const early: string[] = [];
    const inner = counted(memory, false);
    const history: HistorySource = {
      ...inner,
      pointNow(q: HistoryQuery) {
        const asking = ws.findIndex((w) => [1, 2, 3, 5].some((n) => w.endMs - n * BATCH_MS === q.targetMs));
        if (asking > analysing) early.push(`window ${asking} answered while analysing ${analysing}`);
        return inner.pointNow(q);
      },
    };
    const alerts: Alert[] = [];
    const analyzer = analyzerOf(plan, history, (a) => alerts.push(a));
    await analyzer.open();
    try {
      analyzer.lookahead(ws, BATCH_MS);
      for (let i = 0; i < ws.length; i++) {
        // time for the sandbox to run ahead, and to ask for what it cannot answer
        await new Promise((resolve) => setTimeout(resolve, 20));
        memory.observe(ws[i]!);
        analysing = i;
        await analyzer.analyze(ws[i]!, BATCH_MS);
      }
    } finally {
      await analyzer.close();
    }
    expect(early).toEqual([]);
    // and what it gave is what one window at a time gives
    const serial = await analyse(plan, ws, (m) => counted(m, false));
    expect(alerts.map((a) => a.field)).toEqual(serial.fields);
  }, 60_000);

  it('a history lookup that fails is the failure of the call that asked for it, prefetched or not', async () => {
    const ws = windows(12);
    const plan = await planOf({ 'Probe.mjs': PROBE }, [{ module: './Probe.mjs', name: 'P' }]);
    const broken = ws[4]!.endMs;
    // a store that fails for one window's points: its lookup() rejects, or its answer at once (pointNow) throws
    const stores = [
      (memory: WindowMemoryHistory): HistorySource => ({
        description: 'a store failing for one window',
        open: () => memory.open(),
        close: () => memory.close(),
        lookup: (q) => (q.targetMs === broken ? Promise.reject(new Error('disk I/O error')) : memory.lookup(q)),
      }),
      (memory: WindowMemoryHistory): HistorySource => ({
        description: 'a store failing at once for one window',
        open: () => memory.open(),
        close: () => memory.close(),
        lookup: (q) => memory.lookup(q),
        pointNow: (q) => {
          if (q.targetMs === broken) throw new Error('disk I/O error');
          return memory.pointNow(q);
        },
      }),
    ];
    for (const [ahead, store] of [false, true].flatMap((a) => stores.map((s) => [a, s] as const))) {
      const { warnings, alerts } = await analyse(plan, ws, store, ahead);
      // Probe reads 1, 2, 3 and 5 windows back: the rows of the windows after the broken one that reach it fail
      const failing = ws.flatMap((w, i) => ([1, 2, 3, 5].includes(i - 4) ? w.groups.map(() => i) : []));
      expect(warnings).toHaveLength(failing.length);
      for (const m of warnings)
        expect(m).toMatch(/^analysis P \(.*Probe\.mjs\) failed for window ending .*: disk I\/O error; its alerts for this row are lost$/);
      expect(alerts).toHaveLength(ws.reduce((n, w) => n + w.groups.length, 0) - failing.length);
    }
  }, 60_000);

  /** a module alerting on every record, after running `bad` */
  const everyRecord = (bad: string) => `export class Mod {
    async analysis(history, alerts) {
      const cur = history.current();
      const prev = await history.get(1);
      ${bad}
      await alerts.send({ module: 'M', timestamp: 0, param: { key: cur.key, field: 'rpm_max', lower_bound: 0, upper_bound: 0, value: typeof prev.rpm_max === 'number' ? prev.rpm_max : -1 } });
    }
  }`;

  /** three windows of six keys, every value 1000 + window × 10 + key */
  async function runSix(bad: string, sandbox: Record<string, unknown>, sliceMs: number | undefined) {
    const dir = tmp();
    const rows: string[] = [];
    for (let w = 0; w < 3; w++) for (let k = 0; k < 6; k++) rows.push(`${T0 + 10 * w},${k},a,0,0,${1000 + w * 10 + k},0`);
    const plan = await rpmAnalysisPlan(dir, {
      files: { 'Mod.mjs': everyRecord(bad) },
      rows,
      analysis: { alert: { method: 'stdout', format: 'jsonl' }, accuracy: 1, rule: [{ module: './Mod.mjs', name: 'M' }] },
      sandbox,
    });
    // slices of one call each: every call reported on its own, the window resumed between them
    if (sliceMs !== undefined) plan.userCode!.limits = { ...plan.userCode!.limits, sliceMs };
    const stdout = new Collect();
    const warnings: string[] = [];
    await new Runner(plan, { stdout, warn: (m) => warnings.push(m) }).run();
    const alerts = stdout.text
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { key: number[]; value: number; time: string });
    return { alerts: alerts.map((a) => [a.time.slice(11, 19), a.key[0], a.value]), warnings };
  }

  /** every record's alert, with its previous window's value (−1 in the first window), but that of key 3 in the second window */
  const times = ['13:46:50', '13:47:00', '13:47:10'];
  const expected = [0, 1, 2].flatMap((w) =>
    [0, 1, 2, 3, 4, 5].filter((k) => !(w === 1 && k === 3)).map((k) => [times[w], k, w === 0 ? -1 : 1000 + (w - 1) * 10 + k]),
  );

  it.each([
    ['hangs', 'for (;;) {}', /timed out after 1000 ms/, { timeout_ms: 1000 }],
    ['never settles', 'await new Promise(() => {});', /never settles/, {}],
    ['throws', "throw new Error('no');", /: no; its alerts/, {}],
    [
      'fills the sandbox memory',
      'const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(1));',
      /exceeded the sandbox memory limit of 128 MB/,
      { timeout_ms: 60_000, memory_mb: 128 },
    ],
  ] as const)(
    'a call in the middle of a window that %s fails alone; the calls before and after it keep their alerts',
    async (_what, bad, why, sandbox) => {
      for (const sliceMs of [undefined, 0]) {
        const r = await runSix(`if (cur.rpm_max === 1013) { ${bad} }`, sandbox, sliceMs);
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings[0]).toMatch(/^analysis M \(.*Mod\.mjs\) failed for window ending 2018-04-15T13:47:00\.000Z key=\(3,\): /);
        expect(r.warnings[0]).toMatch(why);
        expect(r.alerts).toEqual(expected);
      }
    },
    60_000,
  );
});
