// The Runner: source → processor → outputs in config order → analysis (docs/semantics.md#windows, docs/semantics.md#row-errors, docs/semantics.md#each-window-once),
// processing time on a VirtualClock, stdout formats, SQLite upserts, dead letters, on_error / max_error_rate.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Runner, RunFailure } from '../../../engine/pipeline/runner.js';
import type { Source, LineBatch } from '../../../engine/components/types.js';
import { stringBatch } from '../../../engine/components/types.js';
import { VirtualClock } from '../../../engine/core/clock.js';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import type { PipelinePlan } from '../../../engine/pipeline/plan.js';
import type { Alert } from '../../../engine/components/types.js';
import type { DeadLetter } from '../../../engine/pipeline/dead-letters.js';
import {
  makeConfig,
  SECTION14_ROWS,
  SECTION14_RULE,
  SECTION14_TRANSFORMATION,
  SENSOR_SPEC,
  structure,
  useTmpDir,
  writeFiles,
  type ConfigParts,
} from '../helpers.js';
import { mustPlan } from '../helpers.js';

const tmp = useTmpDir();

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Writes config + data structure (+ csv rows) into a fresh dir and compiles the plan from disk. */
async function setup(parts: ConfigParts, rows?: string[]): Promise<{ dir: string; plan: PipelinePlan }> {
  const dir = tmp();
  const cfg = makeConfig({ options: { path: 'data.csv' }, ...parts });
  writeFiles(dir, { 'config.json': cfg, 'ds.json': structure(SENSOR_SPEC), ...(rows ? { 'data.csv': rows.join('\n') + '\n' } : {}) });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => d.message)).toEqual([]);
  return { dir, plan: outcome.plan! };
}

async function run(plan: PipelinePlan, opts: ConstructorParameters<typeof Runner>[1] = {}) {
  const stdout = new Collect();
  const warnings: string[] = [];
  const alerts: Alert[] = [];
  const rowErrors: DeadLetter[] = [];
  let windows = 0;
  const runner = new Runner(plan, {
    stdout,
    warn: (m) => warnings.push(m),
    onAlert: (a) => alerts.push(a),
    onRowError: (d) => rowErrors.push(d),
    onWindow: () => windows++,
    ...opts,
  });
  const stats = await runner.run();
  return { stats, stdout: stdout.text, warnings, alerts, rowErrors, windows };
}

const T0 = 1523800000;
/** sensor rows: [t offset s, sensor_id, rotation_speed] */
const sensorRows = (rows: [number, number, number][]) => rows.map(([dt, sid, rpm]) => `${T0 + dt},${sid},seal.t${sid},250,516,${rpm},500`);

describe('Section 14 end to end through a run', () => {
  it('stdout reference format: separator, then the groups in key order', async () => {
    const { plan } = await setup({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE }, SECTION14_ROWS);
    const r = await run(plan);
    expect(r.stdout).toBe(
      "---------------------------\n((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)\n((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)\n",
    );
    expect(r.stats.state).toBe('finished');
    expect([r.stats.rowsRead, r.stats.rowsOk, r.stats.rowErrors, r.stats.windowsClosed, r.stats.aggregateRows]).toEqual([3, 3, 0, 1, 2]);
  });
  it('stdout jsonl format under event time: one object per row, keys sorted, ISO UTC window bounds (15.3)', async () => {
    const { plan } = await setup(
      {
        transformation: SECTION14_TRANSFORMATION,
        rule: SECTION14_RULE,
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: [{ method: 'stdout', options: { format: 'jsonl' } }],
      },
      SECTION14_ROWS,
    );
    const r = await run(plan);
    expect(r.stdout.split('\n')).toEqual([
      '{"window_start": "2018-04-15T13:46:40.000Z", "window_end": "2018-04-15T13:46:50.000Z", "key": {"sensor_id": 5, "sensor_type": "seal.t1"}, "values": {"counter": 2, "rpm_max": 2500.0, "rpm_min": 900.0, "rpm_sum": 3400.0, "speed_gt": 0, "speed_lt": 1}}',
      '{"window_start": "2018-04-15T13:46:40.000Z", "window_end": "2018-04-15T13:46:50.000Z", "key": {"sensor_id": 72, "sensor_type": "seal.t2"}, "values": {"counter": 1, "rpm_max": 4100.0, "rpm_min": 4100.0, "rpm_sum": 4100.0, "speed_gt": 1, "speed_lt": 0}}',
      '',
    ]);
    for (const line of r.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
  it('integers beyond 2^53 keep all their digits in JSONL (D-39)', async () => {
    const { plan } = await setup(
      {
        transformation: ['s: timestamp', 'm: mul(timestamp, sensor_id)'],
        rule: ['sum(s)', 'mul(m)'],
        operation: 'reduce',
        outputs: [{ method: 'stdout', options: { format: 'jsonl' } }, { method: 'stdout' }],
      },
      ['9007199254740993,1,a,0,0,0,0', '9007199254740993,1099511627776,a,0,0,0,0'],
    );
    const r = await run(plan);
    const [jsonl, sep, ref] = r.stdout.trim().split('\n');
    const m = 9007199254740993n * (9007199254740993n * 1099511627776n);
    expect(m.toString()).toBe('89202980794122512373183501656678943921537024');
    expect(jsonl!.endsWith(`"key": null, "values": {"m": ${m}, "s": 18014398509481986}}`)).toBe(true);
    expect(sep).toBe('---------------------------');
    expect(ref).toBe(`(18014398509481986, ${m})`);
  });
});

describe('processing time with a VirtualClock (7, 15.1)', () => {
  /** A live-source stand-in: each step advances the clock, then hands over its lines. */
  class ScriptedSource implements Source {
    readonly description = 'scripted';
    readonly committable = false;
    constructor(
      private readonly clock: VirtualClock,
      private readonly steps: { advanceMs: number; lines: string[] }[],
    ) {}
    async open(): Promise<void> {}
    async next(): Promise<LineBatch | null> {
      const s = this.steps.shift();
      if (!s) return null;
      await this.clock.advance(s.advanceMs);
      return stringBatch(s.lines, (i) => ({ source: 'scripted', line: i + 1 }));
    }
    progress(): number | null {
      return null;
    }
    async close(): Promise<void> {}
  }

  it('every elapsed window closes, empty ones print only the separator and write nothing else (7, 9.1, D-29)', async () => {
    const { dir, plan } = await setup({
      inputType: 'kafka',
      transformation: ['sensor_id', 'n: one(timestamp)'],
      rule: ['key: sensor_id', 'sum(n)'],
      options: { brokers: ['localhost:9092'], topic: 't', consumer_group: 'g', batchDuration: 10 },
      outputs: [{ method: 'stdout' }, { method: 'sqlite', options: { path: 'store.db' } }],
    });
    const clock = new VirtualClock(1_000_000_000);
    const source = new ScriptedSource(clock, [
      { advanceMs: 1_000, lines: ['0,1,a,0,0,0,0', '0,2,a,0,0,0,0', '0,1,a,0,0,0,0'] },
      { advanceMs: 25_000, lines: ['0,2,a,0,0,0,0'] },
      { advanceMs: 1_000, lines: [] },
    ]);
    const r = await run(plan, { clock, source });
    expect(r.stdout).toBe('---------------------------\n((1,), 2)\n((2,), 1)\n---------------------------\n---------------------------\n((2,), 1)\n');
    expect(r.windows).toBe(3);
    const db = new Database(path.join(dir, 'store.db'), { readonly: true });
    const rows = db.prepare('SELECT window_start, window_end, sensor_id, n FROM points ORDER BY window_end, sensor_id').all();
    db.close();
    expect(rows).toEqual([
      { window_start: 1_000_000_000, window_end: 1_000_010_000, sensor_id: 1, n: 2 },
      { window_start: 1_000_000_000, window_end: 1_000_010_000, sensor_id: 2, n: 1 },
      { window_start: 1_000_020_000, window_end: 1_000_030_000, sensor_id: 2, n: 1 },
    ]);
  });
});

describe('SQLite output (15.2, D-29)', () => {
  it('one row per aggregate row with window bounds and typed columns; a re-run replaces, never duplicates', async () => {
    const { dir, plan } = await setup(
      {
        transformation: ['sensor_id', 'sensor_type', 'n: one(timestamp)', 'rpm: rotation_speed', 'slow: lt(rotation_speed, 1000)'],
        rule: ['key: (sensor_type, sensor_id)', 'sum(n)', 'max(rpm)', 'max(slow)'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: [{ method: 'sqlite', options: { path: 'out/store.db', table: 'points' } }],
      },
      sensorRows([
        [0, 1, 900],
        [1, 1, 1000],
        [2, 2, 3000],
        [15, 1, 1200],
      ]),
    );
    const dump = () => {
      const db = new Database(path.join(dir, 'out/store.db'), { readonly: true });
      try {
        return {
          cols: (db.prepare('PRAGMA table_info(points)').all() as { name: string; type: string; pk: number }[]).map((c) => [c.name, c.type, c.pk]),
          rows: db.prepare('SELECT * FROM points ORDER BY window_end, sensor_type, sensor_id').all(),
        };
      } finally {
        db.close();
      }
    };
    await run(plan);
    const first = dump();
    expect(first.cols).toEqual([
      ['window_start', 'INTEGER', 0],
      ['window_end', 'INTEGER', 1],
      ['sensor_type', 'TEXT', 2],
      ['sensor_id', 'INTEGER', 3],
      ['n', 'INTEGER', 0],
      ['rpm', 'REAL', 0],
      ['slow', 'INTEGER', 0],
    ]);
    const ms = T0 * 1000;
    expect(first.rows).toEqual([
      { window_start: ms, window_end: ms + 10_000, sensor_type: 'seal.t1', sensor_id: 1, n: 2, rpm: 1000, slow: 1 },
      { window_start: ms, window_end: ms + 10_000, sensor_type: 'seal.t2', sensor_id: 2, n: 1, rpm: 3000, slow: 0 },
      { window_start: ms + 10_000, window_end: ms + 20_000, sensor_type: 'seal.t1', sensor_id: 1, n: 1, rpm: 1200, slow: 0 },
    ]);
    await run(plan);
    expect(dump()).toEqual(first);
  });
});

describe('bad data (15.4, D-09, D-10)', () => {
  const rows = ['1,1,a,0,0,10,2', '1,1,a,0,0,10,0', 'garbage', '1,x,a,0,0,10,2', '1,1,a,0,0,30,2'];
  const parts: ConfigParts = { transformation: ['sensor_id', 'q: pydiv(rotation_speed, torque)'], rule: ['key: sensor_id', 'sum(q)'] };

  it('row errors are counted per reason and dead-lettered with file, line and raw text; the run goes on', async () => {
    const { dir, plan } = await setup(parts, rows);
    const dl = path.join(dir, 'dead.jsonl');
    const r = await run(plan, { deadLetterPath: dl });
    expect(r.stdout).toBe('---------------------------\n((1,), 20.0)\n');
    // 'garbage' fails at its first declared column (timestamp), before the column count matters
    expect(r.stats.errorsByReason).toEqual({ 'division by zero': 1, 'bad LongType': 2 });
    expect([r.stats.rowsRead, r.stats.rowsOk, r.stats.rowErrors]).toEqual([5, 2, 3]);
    const letters = fs
      .readFileSync(dl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters.map((d) => [path.basename(d.source), d.line, d.reason, d.raw])).toEqual([
      ['data.csv', 2, 'division by zero', '1,1,a,0,0,10,0'],
      ['data.csv', 3, 'bad LongType', 'garbage'],
      ['data.csv', 4, 'bad LongType', '1,x,a,0,0,10,2'],
    ]);
    expect(letters[2].message).toBe("field 'sensor_id' (column 2): 'x' is not a valid LongType");
  });
  it('with a SQLite store the dead letters go to its dead_letters table', async () => {
    const { dir, plan } = await setup({ ...parts, outputs: [{ method: 'sqlite', options: { path: 'store.db' } }] }, rows);
    const r = await run(plan);
    expect(r.stats.deadLetters).toContain('dead_letters table of');
    const db = new Database(path.join(dir, 'store.db'), { readonly: true });
    const got = db.prepare('SELECT line, reason, raw FROM dead_letters ORDER BY line').all();
    db.close();
    expect(got).toEqual([
      { line: 2, reason: 'division by zero', raw: '1,1,a,0,0,10,0' },
      { line: 3, reason: 'bad LongType', raw: 'garbage' },
      { line: 4, reason: 'bad LongType', raw: '1,x,a,0,0,10,2' },
    ]);
  });
  it('every declared column is checked, also those the config does not read; too few columns is its own reason', async () => {
    const { plan } = await setup(parts, ['1,1,a,0,0,10,2', '1,1,a,notanumber,0,10,2', '1,1,a,0,0,10']);
    const r = await run(plan);
    expect(r.stats.errorsByReason).toEqual({ 'bad DoubleType': 1, 'too few columns': 1 });
    expect(r.stdout).toBe('---------------------------\n((1,), 5.0)\n');
  });
  it('processing.on_error "fail" stops the run at the first row error', async () => {
    const { plan } = await setup({ ...parts, processingExtra: { on_error: 'fail' } }, rows);
    const err = await run(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect((err as Error).message).toMatch(/row error at .*data\.csv:2: pydiv: division by zero \(processing\.on_error is "fail"\)/);
  });
  it('max_error_rate: above it the run stops and says why', async () => {
    const { plan } = await setup({ ...parts, options: { path: 'data.csv', max_error_rate: 0.5 } }, rows);
    const err = await run(plan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailure);
    expect((err as Error).message).toBe('row error rate 0.6000 (3 of 5 rows) exceeds input.options.max_error_rate 0.5');
    const { plan: ok } = await setup({ ...parts, options: { path: 'data.csv', max_error_rate: 0.6 } }, rows);
    expect((await run(ok)).stats.state).toBe('finished');
  });
  it('late rows are dead-lettered as "late" (15.1)', async () => {
    const { dir, plan } = await setup(
      {
        transformation: ['sensor_id', 'n: one(timestamp)'],
        rule: ['key: sensor_id', 'sum(n)'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        processingExtra: { on_error: 'fail' },
      },
      sensorRows([
        [0, 1, 1],
        [20, 1, 1],
        [5, 1, 1],
      ]),
    );
    const dl = path.join(dir, 'dead.jsonl');
    const r = await run(plan, { deadLetterPath: dl });
    expect([r.stats.lateRows, r.stats.errorsByReason.late]).toEqual([1, 1]);
    expect(JSON.parse(fs.readFileSync(dl, 'utf8')).line).toBe(3);
  });
});

describe('analysis after the outputs (10.1, 10.4, 10.5, 10.6, D-28, D-46)', () => {
  it('alerts from SimpleAnalysis and AverageAnalysis against the SQLite history, in UTC', async () => {
    const { plan } = await setup(
      {
        transformation: ['sensor_id', 'rpm_max: rotation_speed'],
        rule: ['key: sensor_id', 'max(rpm_max)'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: [
          { method: 'sqlite', main: true, options: { path: 'store.db' } },
          { method: 'stdout', options: { format: 'jsonl' } },
        ],
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [
            { module: 'SimpleAnalysis', name: 'S1', options: { deviation: { rpm_max: 10 }, batch_number: 1 } },
            { module: 'AverageAnalysis', name: 'A2', options: { deviation: { rpm_max: 10 }, num_average: 2 } },
          ],
        },
      },
      sensorRows([
        [0, 1, 1000],
        [1, 2, 500],
        [10, 1, 1000],
        [11, 2, 500],
        [20, 1, 1300],
        [21, 2, 500],
        [30, 1, 1000],
        [31, 2, 510],
      ]),
    );
    const r = await run(plan);
    const alertLines = r.stdout.split('\n').filter((l) => !l.startsWith('{') && l !== '');
    expect(alertLines).toEqual([
      "S1: Time: 2018-04-15 13:47:10. Parameter 'rpm_max' for key=(1,) out of range [900.0,1100.0] and equal 1300.0",
      "A2: Time: 2018-04-15 13:47:10. Parameter 'rpm_max' for key=(1,) out of range [900.0,1100.0] and equal 1300.0",
      "S1: Time: 2018-04-15 13:47:20. Parameter 'rpm_max' for key=(1,) out of range [1170.0,1430.0000000000002] and equal 1000.0",
      "A2: Time: 2018-04-15 13:47:20. Parameter 'rpm_max' for key=(1,) out of range [1035.0,1265.0] and equal 1000.0",
    ]);
    // each window's rows are printed before its alerts (outputs first, then analysis)
    const lines = r.stdout.trim().split('\n');
    expect(lines.findIndex((l) => l.startsWith('S1:'))).toBeGreaterThan(lines.findIndex((l) => l.includes('"window_end": "2018-04-15T13:47:10.000Z"')));
    expect(r.alerts.map((a) => [a.module, a.timeMs, a.key])).toEqual([
      ['S1', (T0 + 30) * 1000, [1]],
      ['A2', (T0 + 30) * 1000, [1]],
      ['S1', (T0 + 40) * 1000, [1]],
      ['A2', (T0 + 40) * 1000, [1]],
    ]);
    expect(r.stats.analysis).toMatchObject({ records: 8, alerts: 4, failures: 0 });
    expect(r.stats.alerts).toBe(4);
  });
});

describe('replay controls on a VirtualClock: pause, step, stop (docs/architecture.md#replay-controls)', () => {
  /** 20 rows per second of event time, like the sensors sample: 200 rows per 10 s window */
  const everySecond = (seconds: number) => Array.from({ length: 20 * seconds }, (_, i) => `${T0 + Math.floor(i / 20)},${i % 20},seal.t1,250,516,1000,500`);

  /** A file stand-in: hands its lines over in batches of `batch`; progress is what it handed over (as a file read ahead). */
  class LinesSource implements Source {
    readonly description = 'lines';
    readonly committable = false;
    private at = 0;
    constructor(
      private readonly lines: string[],
      private readonly batch: number,
    ) {}
    async open(): Promise<void> {}
    async next(): Promise<LineBatch | null> {
      if (this.at >= this.lines.length) return null;
      const from = this.at;
      this.at = Math.min(this.lines.length, from + this.batch);
      return stringBatch(this.lines.slice(from, this.at), (i) => ({ source: 'lines', line: from + i + 1 }));
    }
    progress(): number | null {
      return this.at / this.lines.length;
    }
    async close(): Promise<void> {}
  }

  /** lets the runner's promise continuations run (the stand-ins do no I/O: it then waits on the clock or paused) */
  const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

  async function replay(lines: string[], opts: { speed: number; startPaused?: boolean; batch?: number; lateness?: number }) {
    const plan = await mustPlan(
      makeConfig({
        transformation: ['sensor_id', 'n: one(timestamp)'],
        rule: ['key: sensor_id', 'sum(n)'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10, ...(opts.lateness ? { allowed_lateness: opts.lateness } : {}) },
      }),
    );
    const clock = new VirtualClock(1_000_000);
    const windows: number[] = [];
    const runner = new Runner(plan, {
      clock,
      source: new LinesSource(lines, opts.batch ?? 100),
      stdout: new Collect(),
      speed: opts.speed,
      startPaused: opts.startPaused,
      onWindow: (w) => windows.push((w.startMs / 1000 - T0) | 0),
    });
    const done = runner.run();
    await settled();
    const rows = () => runner.stats().rowsRead;
    const state = () => runner.stats().state;
    return { clock, runner, windows, done, rows, state };
  }

  it('a pause freezes the pacing: the replay goes on at its pace from where it paused, never rushing through the paused time', async () => {
    const r = await replay(everySecond(60), { speed: 1 });
    // second 0's rows, then the first row of second 1 waits for its time
    expect(r.rows()).toBe(21);
    await r.clock.advance(4_000);
    expect(r.rows()).toBe(101);
    r.runner.pause();
    await settled();
    expect(r.state()).toBe('paused');
    await r.clock.advance(60_000);
    expect(r.rows()).toBe(101);
    r.runner.resume();
    await settled();
    expect(r.state()).toBe('running');
    // the first row of second 5 had 1 s left to wait when paused: the next row (read, then paced) waits that second, no less
    expect(r.rows()).toBe(102);
    await r.clock.advance(999);
    expect(r.rows()).toBe(102);
    await r.clock.advance(1);
    expect(r.rows()).toBe(121);
    await r.clock.advance(2_000);
    expect(r.rows()).toBe(161);
    r.runner.stop();
    await r.done;
  });

  it.each([1, 10, 0])('a step from idle at speed %s runs exactly one window, then waits paused as long as it takes', async (speed) => {
    const r = await replay(everySecond(60), { speed, startPaused: true });
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 0, []]);
    r.runner.step();
    await settled();
    // the 200 rows of [0, 10) and the row of second 10 that closed it
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 201, [0]]);
    await r.clock.advance(60_000);
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 201, [0]]);
    r.runner.step();
    await settled();
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 401, [0, 10]]);
    r.runner.stop();
    const stats = await r.done;
    expect(stats.state).toBe('stopped');
    expect(r.windows).toEqual([0, 10, 20]);
  });

  it('after a step, resume paces the rows from where the step ended', async () => {
    const r = await replay(everySecond(60), { speed: 1, startPaused: true });
    r.runner.step();
    await settled();
    expect(r.rows()).toBe(201);
    r.runner.resume();
    await settled();
    // a new schedule starts at the next row: the rest of second 10, then the first row of second 11 waits
    expect(r.rows()).toBe(221);
    await r.clock.advance(1_000);
    expect(r.rows()).toBe(241);
    r.runner.stop();
    await r.done;
  });

  it('a row that closes two windows: a step writes one, the next step the other', async () => {
    const rows = [0, 15, 35, 36, 37].map((dt) => `${T0 + dt},1,seal.t1,250,516,1000,500`);
    const r = await replay(rows, { speed: 0, startPaused: true, lateness: 10 });
    r.runner.step();
    await settled();
    // the row at 35 s moved the watermark to 25 s: [0, 10) and [10, 20) closed; one is written
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 3, [0]]);
    r.runner.step();
    await settled();
    expect([r.state(), r.rows(), r.windows]).toEqual(['paused', 4, [0, 10]]);
    r.runner.resume();
    const stats = await r.done;
    expect([stats.state, stats.rowsRead, r.windows]).toEqual(['finished', 5, [0, 10, 30]]);
  });

  it('stop ends a paced wait at once, as `stopped`, with the fraction of the rows processed (not of the bytes read ahead)', async () => {
    const lines = everySecond(60);
    const r = await replay(lines, { speed: 1, batch: lines.length });
    await r.clock.advance(2_000);
    expect(r.rows()).toBe(61);
    expect(r.runner.stats().fraction).toBeCloseTo(61 / 1200, 10);
    r.runner.stop();
    const stats = await r.done;
    expect([stats.state, stats.rowsRead]).toEqual(['stopped', 61]);
    expect(stats.fraction).toBeCloseTo(61 / 1200, 10);

    const all = await replay(lines, { speed: 0, batch: lines.length });
    const end = await all.done;
    expect([end.state, end.rowsRead, end.fraction]).toEqual(['finished', 1200, 1]);
  });
});
