// Rows of plans that call user functions are processed in the sandbox process (docs/sandbox.md): a row whose user
// code runs out of time is dead-lettered and the run goes on; the time limit may cut the loop anywhere, segments end
// after a slice of time, and what the sandbox computes still equals a run of the same rows (minus the dead-lettered
// ones) in this process; memory beyond the limit stops the sandbox with one line naming the module and the limit.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkConfig, type PipelinePlan } from '../../../engine/pipeline/plan.js';
import { SandboxError } from '../../../engine/sandbox/client.js';
import {
  makeConfig,
  mustPlan,
  referenceText,
  runLines,
  runLinesInSandbox,
  SENSOR_SPEC,
  structure,
  useTmpDir,
  writeFiles,
  type ConfigParts,
} from '../helpers.js';

const tmp = useTmpDir();

// slow on purpose: every call does some work, so small time limits cut the loop at many places
const MODULE = `
const work = (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); return s; };
export const transformFunctions = [
  { name: 'slow_id', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => (work(4000) >= 0 ? x : x) },
  { name: 'hang_above', arity: 2, params: ['numeric', 'numeric'], returns: 'arg0', apply: (x, limit) => { if (x > limit) for (;;) {} return x; } },
  { name: 'quit', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => { if (x > 1000) process.exit(0); return x; } },
  { name: 'typed_hog', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => { const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(x)); } },
  { name: 'heap_hog', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => { const m = new Map(); for (let i = 0; ; i++) m.set(i, { x, i }); } },
];
export const aggregateFunctions = [
  { name: 'slow_sum', accepts: ['DoubleType'], combine: (a, b) => (work(4000) >= 0 ? a + b : a) },
  { name: 'slow_max', accepts: ['DoubleType', 'LongType'], combine: (a, b) => (work(2000) >= 0 && b > a ? b : a) },
];
`;

async function sandboxPlan(parts: ConfigParts, sandbox: Record<string, unknown> = {}): Promise<PipelinePlan> {
  const dir = tmp();
  writeFiles(dir, {
    'ops.mjs': MODULE,
    'ds.json': structure(SENSOR_SPEC),
    'config.json': makeConfig({ extensions: ['./ops.mjs'], extra: { sandbox }, ...parts }),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
  if (!outcome.plan) throw new Error(errors.map((d) => d.message).join('\n'));
  expect(outcome.plan.userCode?.rows).toBeDefined();
  return outcome.plan;
}

const EVENT = { path: 'data.csv', time_field: 'timestamp', batchDuration: 10, allowed_lateness: 5 };
const T0 = 1523800000;

/** rows: [seconds after T0, sensor, rotation speed, pressure] */
const lineOf = ([t, id, rpm, p]: [number, number, number, number]) => `${T0 + t},${id},s${id},${p},0,${rpm},0`;

describe('the time limit', () => {
  it('dead-letters a row whose user code hangs, and the other rows of the run are aggregated as usual', async () => {
    const plan = await sandboxPlan(
      { transformation: ['sensor_id', 'r: hang_above(rotation_speed, 5000)'], rule: ['key: sensor_id', 'max(r)'], options: EVENT },
      { timeout_ms: 1000 },
    );
    const rows: [number, number, number, number][] = [
      [0, 1, 100, 0],
      [1, 1, 9000, 0],
      [2, 2, 200, 0],
      [12, 1, 300, 0],
      [13, 2, 9999, 0],
      [14, 2, 400, 0],
    ];
    const { windows, failures } = await runLinesInSandbox(plan, rows.map(lineOf));
    expect(failures).toEqual([
      { row: 1, reason: 'user code timeout', message: 'user code (ops.mjs) timed out after 1000 ms on this row (sandbox.timeout_ms)' },
      { row: 4, reason: 'user code timeout', message: 'user code (ops.mjs) timed out after 1000 ms on this row (sandbox.timeout_ms)' },
    ]);
    expect(referenceText(plan, windows)).toBe(
      '---------------------------\n((1,), 100.0)\n((2,), 200.0)\n---------------------------\n((1,), 300.0)\n((2,), 400.0)\n',
    );
  });

  it('process.exit is no function of the realm: a row error, the sandbox goes on', async () => {
    const plan = await sandboxPlan({ transformation: ['sensor_id', 'r: quit(rotation_speed)'], rule: ['key: sensor_id', 'max(r)'], options: EVENT });
    const { windows, failures } = await runLinesInSandbox(plan, [lineOf([0, 1, 2000, 0]), lineOf([1, 1, 50, 0])]);
    expect(failures).toEqual([{ row: 0, reason: 'user function error', message: 'quit: process is not defined' }]);
    expect(referenceText(plan, windows)).toBe('---------------------------\n((1,), 50.0)\n');
  });

  it('cuts the loop at any place, and the rows that were not dead-lettered give exactly what this process computes', async () => {
    // rows of about 0.1 ms and a 3 ms limit well inside each time slice: the limit cuts the loop again and again, anywhere
    const sandboxed = await sandboxPlan(
      {
        transformation: ['sensor_id', 'r: slow_id(rotation_speed)', 'p: pressure', 'q: slow_id(pressure)', 'c: one(timestamp)'],
        rule: ['key: sensor_id', 'slow_max(r)', 'slow_sum(p)', 'max(q)', 'sum(c)'],
        options: EVENT,
      },
      { timeout_ms: 3 },
    );
    sandboxed.userCode!.limits = { ...sandboxed.userCode!.limits, sliceMs: 50 };
    const local = await mustPlan(
      makeConfig({
        transformation: ['sensor_id', 'r: id(rotation_speed)', 'p: pressure', 'q: id(pressure)', 'c: one(timestamp)'],
        rule: ['key: sensor_id', 'max(r)', 'sum(p)', 'max(q)', 'sum(c)'],
        options: EVENT,
      }),
    );
    let interruptions = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 60 }),
            fc.integer({ min: 1, max: 4 }),
            fc.integer({ min: 0, max: 9000 }),
            fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          ),
          {
            minLength: 50,
            maxLength: 200,
          },
        ),
        async (rows) => {
          const lines = rows.map(lineOf);
          const r = await runLinesInSandbox(sandboxed, lines);
          interruptions += r.view.interruptions;
          const dropped = new Set(r.failures.filter((f) => f.reason === 'user code timeout').map((f) => f.row));
          const expected = runLines(
            local,
            lines.filter((_, i) => !dropped.has(i)),
          );
          expect(r.windows.map((w) => [w.startMs, w.endMs])).toEqual(expected.windows.map((w) => [w.startMs, w.endMs]));
          expect(referenceText(sandboxed, r.windows)).toBe(referenceText(local, expected.windows));
          expect(r.processor.lateRows).toBe(expected.processor.lateRows);
        },
      ),
      // a failure is reported as found (shrinking spawns a sandbox per step); a loaded machine ends the search early
      { numRuns: 10, endOnFailure: true, interruptAfterTimeLimit: 60_000 },
    );
    // the property is only worth something if the limit did cut the loop
    expect(interruptions).toBeGreaterThan(0);
  }, 120_000);
});

describe('the memory limit', () => {
  for (const [fn, what] of [
    ['typed_hog', 'typed arrays (memory outside the JavaScript heap)'],
    ['heap_hog', 'objects on the JavaScript heap'],
  ] as const) {
    it(`stops the sandbox of a function that fills ${what}, with one line naming the module and the limit`, async () => {
      const plan = await sandboxPlan(
        { transformation: ['sensor_id', `r: ${fn}(rotation_speed)`], rule: ['key: sensor_id', 'max(r)'], options: EVENT },
        { memory_mb: 128, timeout_ms: 60_000 },
      );
      const error = await runLinesInSandbox(plan, [lineOf([0, 1, 100, 0])]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as SandboxError).kind).toBe('memory');
      expect((error as Error).message).toBe('user code in ops.mjs exceeded the sandbox memory limit of 128 MB (sandbox.memory_mb); the sandbox was stopped');
    }, 60_000);
  }
});
