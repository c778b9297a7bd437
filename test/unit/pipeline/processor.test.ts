// Windows (docs/semantics.md#windows: event time, lateness, late rows, processing time on a virtual clock), row parsing
// (docs/semantics.md#row-parsing, docs/semantics.md#data-structure) and row errors (docs/semantics.md#row-errors). The Processor is the synchronous core every run uses.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Processor } from '../../../engine/pipeline/processor.js';
import type { ClosedWindow } from '../../../engine/core/window.js';
import { VirtualClock } from '../../../engine/core/clock.js';
import { compileByteRowParser, compileRowParser } from '../../../engine/pipeline/row-parser.js';
import { RowError } from '../../../engine/core/errors.js';
import { buildGroupOps, compileGroupOps, newGroupJournal } from '../../../engine/aggregate/groups.js';
import type { Value } from '../../../engine/core/types.js';
import {
  fieldsOf,
  makeConfig,
  mustPlan,
  referenceText,
  runLines,
  SECTION14_ROWS,
  SECTION14_RULE,
  SECTION14_TRANSFORMATION,
  type StructureSpec,
} from '../helpers.js';

const eventOptions = (extra: Record<string, unknown> = {}) => ({ path: 'd.csv', time_field: 'timestamp', batchDuration: 10, ...extra });

/** [start s, end s, reference lines] of closed windows */
function summary(plan: Parameters<typeof referenceText>[0], windows: ClosedWindow[]): [number, number, string][] {
  return windows.map((w) => [w.startMs / 1000, w.endMs / 1000, referenceText(plan, [w]).split('\n').slice(1, -1).join(' | ')]);
}

describe('Section 14 worked example through the processor', () => {
  it('reduceByKey: D-20 integer boolean sums', async () => {
    const plan = await mustPlan(makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE }));
    const { windows } = runLines(plan, SECTION14_ROWS);
    expect(referenceText(plan, windows)).toBe(
      "---------------------------\n((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)\n((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)\n",
    );
  });
  it('reduce without string columns: (3, 900.0, 4100.0, 7500.0, 1, 1)', async () => {
    const t = SECTION14_TRANSFORMATION.filter((e) => e !== 'sensor_id' && e !== 'sensor_type');
    const plan = await mustPlan(makeConfig({ transformation: t, rule: SECTION14_RULE.slice(1), operation: 'reduce' }));
    const { windows } = runLines(plan, SECTION14_ROWS);
    expect(referenceText(plan, windows)).toBe('---------------------------\n(3, 900.0, 4100.0, 7500.0, 1, 1)\n');
  });
  it('empty transformation and rule with reduce: () for a non-empty window (2.3)', async () => {
    const plan = await mustPlan(makeConfig({ transformation: [], rule: [], operation: 'reduce' }));
    expect(referenceText(plan, runLines(plan, SECTION14_ROWS).windows)).toBe('---------------------------\n()\n');
    // an empty input produces no aggregate at all, but its whole-input window still closes (separator only)
    const empty = runLines(plan, []).windows;
    expect(empty.map((w) => w.groups)).toEqual([[]]);
    expect(referenceText(plan, empty)).toBe('---------------------------\n');
  });
});

describe('event time (15.1)', () => {
  const cfg = (extra: Record<string, unknown> = {}) =>
    makeConfig({
      transformation: ['sensor_id', 'n: one(timestamp)', 'ts_max: timestamp'],
      rule: ['key: sensor_id', 'sum(n)', 'max(ts_max)'],
      options: eventOptions(extra),
    });
  const row = (t: number, sid = 1) => `${t},${sid},x,0,0,0,0`;

  it('epoch-aligned half-open windows [start, end), closed in time order', async () => {
    const plan = await mustPlan(cfg());
    const { windows, processor } = runLines(plan, [row(1000), row(1009), row(1019), row(1010), row(1025, 2), row(1019)]);
    expect(summary(plan, windows)).toEqual([
      [1000, 1010, '((1,), 2, 1009)'],
      [1010, 1020, '((1,), 2, 1019)'],
      [1020, 1030, '((2,), 1, 1025)'],
    ]);
    // the last row's window [1010, 1020) closed when 1025 was seen
    expect([processor.rowsOk, processor.lateRows]).toEqual([5, 1]);
  });
  it('a window closes as soon as the watermark reaches its end, before the input ends', async () => {
    const plan = await mustPlan(cfg());
    const p = new Processor(plan);
    p.processRow(row(1001));
    p.processRow(row(1009));
    expect(p.drain()).toEqual([]);
    p.processRow(row(1010)); // watermark 1010 = end of [1000, 1010)
    const closed = p.drain();
    expect(closed.map((w) => [w.startMs, w.endMs])).toEqual([[1_000_000, 1_010_000]]);
    expect(p.watermarkMs).toBe(1_010_000);
    p.processRow(row(1035));
    expect(p.drain().map((w) => w.startMs / 1000)).toEqual([1010]);
    p.finish();
    expect(p.drain().map((w) => w.startMs / 1000)).toEqual([1030]);
  });
  it('only windows that received rows exist (no empty windows under event time)', async () => {
    const plan = await mustPlan(cfg());
    const { windows } = runLines(plan, [row(1000), row(1100)]);
    expect(windows.map((w) => w.startMs / 1000)).toEqual([1000, 1100]);
  });
  it('a file whose rows are all bad has no event-time window at all', async () => {
    const plan = await mustPlan(cfg());
    const { windows, processor } = runLines(plan, ['x,1,a,0,0,0,0', 'garbage']);
    expect(windows).toEqual([]);
    expect(processor.failed).toBe(2);
  });
  it('a row for a closed window is late: counted, reported, never aggregated', async () => {
    const plan = await mustPlan(cfg());
    const p = new Processor(plan);
    expect(p.processRow(row(1000))).toBe(true);
    expect(p.processRow(row(1020))).toBe(true);
    expect(p.processRow(row(1005))).toBe(false);
    expect(p.lastFailure!.reason).toBe('late');
    expect(p.lastFailure!.message).toContain(
      'late row: its window [1970-01-01T00:16:40.000Z, 1970-01-01T00:16:50.000Z) closed at watermark 1970-01-01T00:17:00.000Z',
    );
    expect(p.lateRows).toBe(1);
    expect(p.failed).toBe(1);
    p.finish();
    expect(summary(plan, p.drain())).toEqual([
      [1000, 1010, '((1,), 1, 1000)'],
      [1020, 1030, '((1,), 1, 1020)'],
    ]);
  });
  it('allowed_lateness keeps a window open for out-of-order rows', async () => {
    const plan = await mustPlan(cfg({ allowed_lateness: 15 }));
    const p = new Processor(plan);
    for (const t of [1000, 1020, 1005]) expect(p.processRow(row(t))).toBe(true);
    expect(p.drain()).toEqual([]); // watermark 1020 − 15 = 1005 < 1010
    expect(p.processRow(row(1026))).toBe(true); // watermark 1011 closes [1000, 1010)
    expect(summary(plan, p.drain())).toEqual([[1000, 1010, '((1,), 2, 1005)']]);
    expect(p.processRow(row(1008))).toBe(false);
    expect(p.lastFailure!.reason).toBe('late');
    p.finish();
    expect(summary(plan, p.drain())).toEqual([[1020, 1030, '((1,), 2, 1026)']]);
  });
  it('time_unit ms / us / ns', async () => {
    for (const [unit, scale] of [
      ['ms', 1e3],
      ['us', 1e6],
      ['ns', 1e9],
    ] as const) {
      const plan = await mustPlan(cfg({ time_unit: unit }));
      const { windows } = runLines(plan, [row(1000 * scale), row(1009.999 * scale), row(1010 * scale)]);
      expect(windows.map((w) => [w.startMs, w.endMs, w.groups[0]!.acc[0]])).toEqual([
        [1_000_000, 1_010_000, 2],
        [1_010_000, 1_020_000, 1],
      ]);
    }
  });
  it('a rejected row does not advance the watermark', async () => {
    const plan = await mustPlan(
      makeConfig({ transformation: ['sensor_id', 'q: pydiv(1, sensor_id)'], rule: ['key: sensor_id', 'sum(q)'], options: eventOptions() }),
    );
    const p = new Processor(plan);
    p.processRow(row(1000, 1));
    expect(p.processRow(row(5000, 0))).toBe(false);
    expect(p.lastFailure!.reason).toBe('division by zero');
    expect(p.processRow(row(1001, 2))).toBe(true);
    p.finish();
    expect(summary(plan, p.drain())).toEqual([[1000, 1010, '((1,), 1.0) | ((2,), 0.5)']]);
  });
});

describe('processing time on a virtual clock (7, 15.1)', () => {
  const kafkaCfg = () =>
    makeConfig({
      inputType: 'kafka',
      transformation: ['sensor_id', 'n: one(timestamp)'],
      rule: ['key: sensor_id', 'sum(n)'],
      options: { brokers: ['localhost:9092'], topic: 't', consumer_group: 'g', batchDuration: 10 },
    });

  it('rows belong to the window in which they were received; every elapsed window closes, empty ones included', async () => {
    const plan = await mustPlan(kafkaCfg());
    const clock = new VirtualClock(1_000_000);
    const p = new Processor(plan);
    expect(p.mode).toBe('processing');
    p.startAt(clock.now());
    await clock.advance(2_000);
    p.processRow('0,1,x,0,0,0,0', clock.now());
    p.processRow('999999,1,x,0,0,0,0', clock.now()); // the timestamp column is just data
    await clock.advance(9_000); // t = 1011 s
    p.advanceTo(clock.now());
    expect(summary(plan, p.drain())).toEqual([[1000, 1010, '((1,), 2)']]);
    await clock.advance(25_000); // t = 1036 s: [1010, 1020) and [1020, 1030) elapse empty
    p.processRow('0,2,x,0,0,0,0', clock.now());
    expect(summary(plan, p.drain())).toEqual([
      [1010, 1020, ''],
      [1020, 1030, ''],
    ]);
    p.finish();
    expect(summary(plan, p.drain())).toEqual([[1030, 1040, '((2,), 1)']]);
  });
  it('at the end of input the current window closes when rows arrived in it, even if all were bad', async () => {
    const plan = await mustPlan(kafkaCfg());
    const p = new Processor(plan);
    p.startAt(1_005_000);
    expect(p.processRow('0,x,a,0,0,0,0', 1_006_000)).toBe(false); // a bad row: nothing aggregated
    p.finish(0, 1_007_000);
    expect(p.drain().map((w) => [w.startMs, w.endMs, w.groups.length])).toEqual([[1_000_000, 1_010_000, 0]]);
    // a run stopped before any row arrived in its current window (an idle topic) closes nothing more
    const q = new Processor(plan);
    q.startAt(1_005_000);
    q.processRow('0,1,a,0,0,0,0', 1_006_000);
    q.advanceTo(1_012_000);
    expect(q.drain().map((w) => [w.startMs, w.groups.length])).toEqual([[1_000_000, 1]]);
    q.finish(0, 1_013_000);
    expect(q.drain()).toEqual([]);
  });
  it('an idle first window still closes after startAt', async () => {
    const plan = await mustPlan(kafkaCfg());
    const p = new Processor(plan);
    p.startAt(1_005_000);
    p.advanceTo(1_010_000);
    expect(p.drain().map((w) => [w.startMs, w.endMs, w.groups.length])).toEqual([[1_000_000, 1_010_000, 0]]);
  });
  it('the virtual clock wakes sleepers in deadline order', async () => {
    const clock = new VirtualClock(0);
    const woke: number[] = [];
    void clock.sleep(300).then(() => woke.push(clock.now()));
    void clock.sleep(100).then(() => woke.push(clock.now()));
    expect(clock.pendingSleepers).toBe(2);
    await clock.advance(150);
    expect(woke).toEqual([100]);
    await clock.advance(1000);
    expect(woke).toEqual([100, 300]);
    expect(clock.now()).toBe(1150);
  });
});

describe('row parsing (Section 4, D-10…D-13)', () => {
  const parse = (spec: StructureSpec, line: string, sep = ','): Value[] => {
    const fields = fieldsOf(spec);
    const r: Value[] = new Array(fields.length).fill(null);
    compileRowParser(
      fields,
      fields.map((_, i) => i),
      sep,
    )(line, r);
    return r;
  };
  const parseError = (spec: StructureSpec, line: string, sep = ','): RowError => {
    try {
      parse(spec, line, sep);
    } catch (e) {
      expect(e).toBeInstanceOf(RowError);
      return e as RowError;
    }
    throw new Error('expected a row error');
  };
  const ALL: StructureSpec = {
    s: [0, 'StringType'],
    i: [1, 'IntegerType'],
    l: [2, 'LongType'],
    f: [3, 'FloatType'],
    d: [4, 'DoubleType'],
    b: [5, 'BooleanType'],
  };

  it('conversions with Python semantics', () => {
    expect(parse(ALL, ' x , 5 ,+2,1e3,-0,yes')).toEqual([' x ', 5, 2, 1000, -0, true]);
    expect(Object.is(parse(ALL, 'a,1,1,1,-0,0')[4], -0)).toBe(true);
    expect(parse(ALL, 'a,1,123456789012345678901,1e400,inf,FALSE')).toEqual(['a', 1, 123456789012345678901n, Infinity, Infinity, false]);
    expect(parse(ALL, 'a,1,1,1,1,true,extra,columns')).toEqual(['a', 1, 1, 1, 1, true]);
  });
  it('no quoting: "q,1" is two cells', () => {
    expect(parse({ a: [0, 'StringType'], b: [1, 'StringType'] }, '"q,1"')).toEqual(['"q', '1"']);
  });
  it('malformed cells are row errors naming the field (D-10, D-11)', () => {
    let e = parseError(ALL, 'a,1.0,1,1,1,true');
    expect(e.reason).toBe('bad IntegerType');
    expect(e.message).toBe("field 'i' (column 2): '1.0' is not a valid IntegerType");
    e = parseError(ALL, 'a,1,,1,1,true');
    expect(e.reason).toBe('bad LongType');
    e = parseError(ALL, 'a,1,1,x,1,true');
    expect(e.reason).toBe('bad FloatType');
    e = parseError(ALL, 'a,1,1,1,1,False2');
    expect(e.reason).toBe('bad BooleanType');
    e = parseError(ALL, 'a,1,1');
    expect(e.reason).toBe('too few columns');
    expect(e.message).toBe('expected at least 6 columns, got 3');
  });
  it('index is the column position: gaps and duplicate indexes (D-13)', () => {
    expect(parse({ a: [0, 'StringType'], c: [2, 'LongType'] }, 'x,skipped,7')).toEqual(['x', 7]);
    expect(parse({ a: [1, 'StringType'], a_num: [1, 'LongType'] }, 'x,42')).toEqual(['42', 42]);
    expect(parse({ z: [3, 'StringType'], a: [0, 'StringType'] }, 'a,b,c,d')).toEqual(['a', 'd']);
  });
  it('wide gaps between indexes (loops in the generated parser) read the right columns, strings and bytes alike', () => {
    const spec: StructureSpec = { a: [1, 'LongType'], far: [25, 'StringType'], farther: [100_000, 'LongType'] };
    const cells = Array.from({ length: 100_001 }, (_, i) => String(i));
    expect(parse(spec, cells.join(','))).toEqual([1, '25', 100_000]);
    const fields = fieldsOf(spec);
    const r: Value[] = [null, null, null];
    compileByteRowParser(fields, [0, 1, 2], 44)(Buffer.from(cells.join(',')), 0, cells.join(',').length, r);
    expect(r).toEqual([1, '25', 100_000]);
    const e = parseError(spec, cells.slice(0, 40).join(','));
    expect([e.reason, e.message]).toEqual(['too few columns', 'expected at least 100001 columns, got 40']);
  });
  it('the configured separator is honoured, multi-character too (D-12)', () => {
    expect(parse({ a: [0, 'LongType'], b: [1, 'StringType'] }, '1;x,y', ';')).toEqual([1, 'x,y']);
    expect(parse({ a: [0, 'LongType'], b: [1, 'StringType'] }, '1||x|y', '||')).toEqual([1, 'x|y']);
  });
  /** what parsing a row gave, comparable across parsers: the values (-0 and bigints spelt out), or the row error */
  const parseOutcome = (f: () => void, r: Value[]) => {
    try {
      f();
      return { ok: r.map((v) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : typeof v === 'bigint' ? `${v}n` : v)) };
    } catch (e) {
      return { error: (e as RowError).reason, message: (e as RowError).message };
    }
  };
  it('bytes and strings parse identically (property)', () => {
    const fields = fieldsOf(ALL);
    const slots = fields.map((_, i) => i);
    const fromString = compileRowParser(fields, slots, ',');
    const fromBytes = compileByteRowParser(fields, slots, 44);
    const enc = new TextEncoder();
    const cell = fc.oneof(
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom('', ' 7 ', '+3', '-0', '1e3', '1.', '.5', 'true', 'No', 'x', 'é', '9007199254740993', '900719925474099.7', 'inf', 'NaN', '0x10'),
      fc.string({ maxLength: 6 }).filter((s) => !s.includes(',') && !s.includes('\n')),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 0, maxLength: 8 }), (cells) => {
        const line = cells.join(',');
        const a: Value[] = new Array(6).fill(null);
        const b: Value[] = new Array(6).fill(null);
        const bytes = enc.encode(`#${line}#`);
        expect(parseOutcome(() => fromBytes(bytes, 1, bytes.length - 1, b), b)).toEqual(parseOutcome(() => fromString(line, a), a));
      }),
      { numRuns: 400 },
    );
  });
  it('bytes and strings parse identically when only some columns are read, whatever the separator (property)', () => {
    // numbers are converted during the scan for the separator; the columns not read are only checked, and a
    // separator that can be part of a number (digit, sign, point) leaves them to the general parser
    const spec: StructureSpec = { ...ALL, l2: [7, 'LongType'], d2: [8, 'DoubleType'], s2: [9, 'StringType'] };
    const fields = fieldsOf(spec);
    const enc = new TextEncoder();
    const numberLike = fc
      .tuple(fc.constantFrom('', '-', '+', '--'), fc.stringMatching(/^[0-9]{0,20}$/), fc.constantFrom('', '.', '..'), fc.stringMatching(/^[0-9]{0,25}$/))
      .map((parts) => parts.join(''));
    const cell = fc.oneof(
      numberLike,
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom('', '-0', '-0.0', '1.', '.5', '00000000000000001.5', '9007199254740993', '1e3', ' 7', 'x', 'é', 'inf', '1_000'),
    );
    fc.assert(
      fc.property(
        fc.array(cell, { minLength: 0, maxLength: 11 }),
        fc.subarray(fields.map((_, i) => i)),
        fc.constantFrom(',', ';', '.', '-', '5', '\t'),
        (cells, slots, sep) => {
          const line = cells.filter((c) => !c.includes(sep)).join(sep);
          const fromString = compileRowParser(fields, slots, sep);
          const fromBytes = compileByteRowParser(fields, slots, sep.charCodeAt(0));
          const a: Value[] = new Array(fields.length).fill(null);
          const b: Value[] = new Array(fields.length).fill(null);
          const bytes = enc.encode(`#${line}#`);
          expect(parseOutcome(() => fromBytes(bytes, 1, bytes.length - 1, b), b)).toEqual(parseOutcome(() => fromString(line, a), a));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('row errors never stop the window (D-09, D-10)', () => {
  it('bad rows fail with a reason; the others are aggregated', async () => {
    const plan = await mustPlan(
      makeConfig({ transformation: ['sensor_id', 'q: pydiv(rotation_speed, torque)', 'n: long(sensor_type)'], rule: ['key: sensor_id', 'sum(q)', 'sum(n)'] }),
    );
    const p = new Processor(plan);
    const lines = ['1,1,7,0,0,10,4', '1,1,x,0,0,10,4', '1,1,7,0,0,10,0', '1,zz,7,0,0,10,4', '1,1', '1,1,8,0,0,1,4'];
    const results = lines.map((l) => (p.processRow(l) ? 'ok' : p.lastFailure!.reason));
    expect(results).toEqual(['ok', 'bad cast', 'division by zero', 'bad LongType', 'too few columns', 'ok']);
    expect([p.rowsOk, p.failed]).toEqual([2, 4]);
    p.finish();
    expect(summary(plan, p.drain())).toEqual([[0, 0, '((1,), 2.75, 15)']]);
  });
});

describe('attempts are rolled back as a whole (the sandbox time limit, docs/sandbox.md)', () => {
  class Cut extends Error {}

  it('an attempt cut short at any call is undone: redoing it gives the result of an uninterrupted run (property)', async () => {
    const plan = await mustPlan(
      makeConfig({
        transformation: ['sensor_id', 'sensor_type', 'p: pressure', 'q: pressure', 'n: one(timestamp)'],
        rule: ['key: (sensor_id, sensor_type)', 'sum(p)', 'max(q)', 'sum(n)'],
        options: eventOptions({ allowed_lateness: 5 }),
      }),
    );
    const journal = newGroupJournal();
    const ops = buildGroupOps(compileGroupOps(plan.aggregation, [], { journaled: true }).source, [], journal);
    // a cut before or after each call into the generated code, as the time limit would cut user code
    let calls = 0;
    let cutAt = -1;
    const tick = () => {
      if (++calls === cutAt) throw new Cut();
    };
    const cutPlan = {
      ...plan,
      transform: {
        columns: plan.transform.columns,
        run: (r: Value[], o: Value[]) => {
          tick();
          plan.transform.run(r, o);
          tick();
        },
      },
      groups: {
        add: (w: Parameters<typeof ops.add>[0], o: readonly Value[]) => {
          tick();
          ops.add(w, o);
          tick();
        },
        forget: ops.forget,
      },
    };
    // few keys and windows, so that attempts go on with the groups of earlier ones; some rows late, some bad
    const row = fc.tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 2 }),
      fc.constantFrom('a', 'b'),
      fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.constant('x')),
    );
    const attempt = fc.record({ rows: fc.integer({ min: 1, max: 20 }), cut: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }) });
    let rollbacks = 0;
    let restored = 0;
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 120, size: 'max' }),
        fc.array(attempt, { minLength: 1, maxLength: 30, size: 'max' }),
        (rows, attempts) => {
          const lines = rows.map(([t, id, type, p]) => `${1523800000 + t},${id},${type},${p},0,0,0`);
          const p = new Processor(cutPlan, { journal });
          let from = 0;
          for (let a = 0; from < lines.length; a++) {
            const { rows: size, cut } = attempts[a % attempts.length]!;
            // after one round of the planned attempts, none is cut: the run always ends
            cutAt = a < attempts.length ? (cut ?? -1) : -1;
            calls = 0;
            p.beginAttempt();
            const start = from;
            try {
              for (let k = from; k < Math.min(lines.length, start + size); k++) {
                p.processRow(lines[k]!);
                from = k + 1;
              }
            } catch (e) {
              if (!(e instanceof Cut)) throw e;
              rollbacks++;
              if (journal.saved.length > 0 && journal.created.length > 0) restored++;
              p.rollback();
              from = start;
            }
          }
          p.finish(0, 0);
          const expected = runLines(plan, lines);
          expect(referenceText(plan, p.drain())).toBe(referenceText(plan, expected.windows));
          const counters = (q: Processor) => [q.rowsOk, q.failed, q.lateRows, q.watermarkMs, q.maxEventMs];
          expect(counters(p)).toEqual(counters(expected.processor));
        },
      ),
      { numRuns: 300 },
    );
    // the property is only worth something if attempts were cut, some after changing groups of earlier attempts and creating some
    expect(rollbacks).toBeGreaterThan(100);
    expect(restored).toBeGreaterThan(10);
  });
});

describe('runs of rows (takeRows, docs/performance.md#where-the-time-goes)', () => {
  // a transformation that throws on some rows (long('x')), after other columns were computed
  const planOf = (options: Record<string, unknown>) =>
    mustPlan(
      makeConfig({
        transformation: ['sensor_id', 'sensor_type', 'p: pressure', 'q: pressure', 'n: long(sensor_type)', 'big: gt(pressure, 10)'],
        rule: ['key: (sensor_id, sensor_type)', 'sum(p)', 'max(q)', 'sum(n)', 'sum(big)'],
        options,
      }),
    );

  it('rows taken in runs give what processBytes gives row by row: windows, failures, counters (property)', async () => {
    const plans = [
      await planOf(eventOptions()),
      await planOf(eventOptions({ allowed_lateness: 5 })),
      await planOf({ path: 'd.csv' }),
      await planOf(eventOptions({ time_unit: 'ms', batchDuration: 1 })),
    ];
    const enc = new TextEncoder();
    const pressure = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -20, max: 20 }).map(String) },
      { weight: 3, arbitrary: fc.constantFrom('1e1', '+3', '-0', '2.5', '9007199254740993', ' 7', 'x', '') },
    );
    const row = fc.record({
      step: fc.integer({ min: -3, max: 4 }),
      id: fc.constantFrom('1', '2', '3', '9007199254740993'),
      type: fc.constantFrom('1', '2', 'x'),
      pressure,
      unread: fc.constantFrom('0', '0', '0', '1e1', 'y'),
      shape: fc.constantFrom('whole', 'whole', 'whole', 'whole', 'whole', 'whole', 'short', 'bad time'),
    });
    type Event = [row: number, what: string];
    const windowsOf = (p: Processor) => p.drain().map((w) => [w.startMs, w.endMs, w.groups.map((g) => [g.key, g.acc])]);
    let taken = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: plans.length - 1 }),
        fc.array(row, { minLength: 1, maxLength: 150, size: 'max' }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        // a parallel replay's range starts at a watermark of its own
        fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        (which, rows, batchSizes, initialWatermark) => {
          const plan = plans[which]!;
          const msPerUnit = which === 3 ? 1 : 1000;
          const options = { initialWatermarkMs: initialWatermark === undefined ? undefined : (1523800000 + initialWatermark) * msPerUnit };
          let t = 1523800000;
          const lines = rows.map((r) => {
            t += r.step;
            if (r.shape === 'short') return `${t},${r.id}`;
            return `${r.shape === 'bad time' ? 'x' : t},${r.id},${r.type},${r.pressure},${r.unread},0,0`;
          });
          const failure = (p: Processor) => `${p.lastFailure!.reason}: ${p.lastFailure!.message}`;
          // row by row
          const expected = new Processor(plan, options);
          const expectedEvents: Event[] = [];
          const expectedWindows: unknown[] = [];
          // in runs, batch by batch as the runner reads them
          const p = new Processor(plan, options);
          const events: Event[] = [];
          const windows: unknown[] = [];
          let from = 0;
          for (let b = 0; from < lines.length; b++) {
            const batch = lines.slice(from, from + batchSizes[b % batchSizes.length]!);
            const bytes = enc.encode(batch.join('\n'));
            const starts: number[] = [];
            const ends: number[] = [];
            let at = 0;
            for (const line of batch) {
              starts.push(at);
              ends.push(at + enc.encode(line).length);
              at = ends[ends.length - 1]! + 1;
            }
            for (let i = 0; i < batch.length; i++) {
              const ok = expected.processBytes(bytes, starts[i]!, ends[i]!);
              expectedEvents.push([from + i, ok ? 'ok' : failure(expected)]);
              expectedWindows.push(from + i, windowsOf(expected));
            }
            for (let i = 0; i < batch.length; i++) {
              const run = i;
              i = p.takeRows(bytes, starts, ends, run, batch.length);
              for (let k = run; k < i; k++) {
                events.push([from + k, 'ok']);
                windows.push(from + k, []);
              }
              taken += i - run;
              if (i === batch.length) break;
              const ok = p.processBytes(bytes, starts[i]!, ends[i]!);
              events.push([from + i, ok ? 'ok' : failure(p)]);
              windows.push(from + i, windowsOf(p));
            }
            expect(p.lastWindowStart).toBe(expected.lastWindowStart);
            from += batch.length;
          }
          expect(events).toEqual(expectedEvents);
          expect(windows).toEqual(expectedWindows);
          p.finish(0, 0);
          expected.finish(0, 0);
          expect(windowsOf(p)).toEqual(windowsOf(expected));
          const counters = (q: Processor) => [q.rowsOk, q.failed, q.lateRows, q.watermarkMs, q.maxEventMs];
          expect(counters(p)).toEqual(counters(expected));
        },
      ),
      { numRuns: 400 },
    );
    // worth something only if many rows were taken in runs
    expect(taken).toBeGreaterThan(2_500);
  });
});

describe('generated row code', () => {
  it('is made once per plan and time mode: a parallel replay makes a processor per byte range (docs/performance.md#all-cores)', async () => {
    const plan = await mustPlan(
      makeConfig({ transformation: ['sensor_id', 'n: one(timestamp)'], rule: ['key: sensor_id', 'sum(n)'], options: eventOptions() }),
    );
    const [a, b] = [new Processor(plan), new Processor(plan, { initialWatermarkMs: 0 })];
    expect(a.parseBytes).toBeDefined();
    expect(b.parseBytes).toBe(a.parseBytes);
    // a preview of the same plan puts every row into one window: its row run differs, so its code is its own
    expect(new Processor(plan, { mode: 'whole' }).parseBytes).not.toBe(a.parseBytes);
    const other = await mustPlan(
      makeConfig({ transformation: ['sensor_id', 'n: one(timestamp)'], rule: ['key: sensor_id', 'sum(n)'], options: eventOptions() }),
    );
    expect(new Processor(other).parseBytes).not.toBe(a.parseBytes);
  });
});
