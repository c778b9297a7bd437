/**
 * Tests in the config (docs/config-tests.md): `<config>.tests.json` beside a config holds named
 * cases — input rows (inline lines or a slice of a CSV file), the windows, alerts and row errors
 * expected — run with the config's outputs off and history from the case's own windows. Each
 * failing expectation is one difference at the JSON path of the expectation it breaks.
 */
import path from 'node:path';
import type { SourcePosition, Value } from '../core/types.js';
import type { ClosedWindow } from '../core/window.js';
import { stringBatch, type LineBatch, type Source } from '../components/types.js';
import type { Diagnostic } from '../core/errors.js';
import type { ConfigIO } from '../config/model.js';
import { parseDoc } from '../config/data-structure.js';
import { lineCol } from '../options/json.js';
import { anything, array, int, num, obj, oneOf, str, type Spec } from '../options/spec.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import { timeModeOf } from '../pipeline/processor.js';
import { pyTuple } from '../values/python.js';
import { parseLabelTime } from './labels.js';
import { analysedReplay, type RaisedAlert } from './replay.js';

// ---- the tests file --------------------------------------------------------------------

const time = () =>
  anything({ type: ['number', 'string'], description: 'epoch seconds, or an ISO 8601 time (UTC when no offset is written)' }).map((v, at, env) => {
    const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? parseLabelTime(v, 's') : undefined;
    if (ms === undefined || !Number.isFinite(ms)) {
      env.sink.report(at.path, 'ConfigError', `${at.path} must be epoch seconds or an ISO 8601 time, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return ms;
  });

const scalar = () => anything({ type: ['number', 'string', 'boolean', 'null'] });
const keyObject = () =>
  anything({
    type: ['object', 'null'],
    additionalProperties: { type: ['number', 'string', 'boolean'] },
    description: 'key field → value; null for a reduce config',
  });

const unknownKey = (k: string) => `unknown key '${k}' (it is ignored)`;

const rowSpec = obj(
  {
    key: keyObject().describe('The row of this key (key field → value); null or absent for a reduce config.'),
    values: anything({ type: 'object', additionalProperties: { type: ['number', 'string', 'boolean', 'null'] } })
      .required()
      .describe('Aggregated column → expected value; columns not written are not compared.'),
  },
  { unknownKey },
);

const windowSpec = obj(
  {
    start: time().required().describe('Start of the window: epoch seconds or ISO 8601.'),
    rows: array(rowSpec).default([]).describe('Expected rows of the window (by key).'),
  },
  { unknownKey },
);

const alertSpec = obj(
  {
    rule: str().required().describe('The rule that raises it (its name in analysis.rule).'),
    key: keyObject(),
    field: str().required().describe('The aggregated column it is about.'),
    window_end: time().describe('End of the window it is raised on; any window when absent.'),
    value: scalar().describe('The value it reports; not compared when absent.'),
  },
  { unknownKey },
);

const rowErrorSpec = obj(
  {
    line: int({ min: 1 }).required().describe('Line of the case input: index in `lines` (1-based), or the file line of a slice.'),
    message: str().describe('Text the error message contains.'),
  },
  { unknownKey },
);

const inputSpec = obj(
  {
    lines: array(str()).describe('Input rows, as the config reads them (no header).'),
    file: str().describe('A CSV file, relative to the tests file.'),
    from_line: int({ min: 1 }).describe('First line of the file to read (1-based, inclusive); default 1.'),
    to_line: int({ min: 1 }).describe('Last line of the file to read (inclusive); default the last.'),
  },
  { unknownKey },
);

const caseSpec = obj(
  {
    name: str().required().describe('What the case shows.'),
    input: inputSpec.required().describe('The rows of the case: inline `lines`, or `file` with an optional line range.'),
    expect: obj(
      {
        windows: array(windowSpec).describe('Expected windows (by start); only their listed keys and columns are compared unless windows_match is "all".'),
        windows_match: oneOf('listed', 'all').default('listed').describe('"all": windows and keys not listed are differences too.'),
        alerts: array(alertSpec).describe('Exactly the alerts the case raises ([] for none); not checked when absent.'),
        row_errors: array(rowErrorSpec).describe('Exactly the rows that fail ([] for none); not checked when absent.'),
        tolerance: num({ min: 0 }).default(1e-9).describe('Relative tolerance of floating-point comparisons.'),
      },
      { unknownKey },
    )
      .required()
      .describe('What the case must produce.'),
  },
  { unknownKey },
);

const testsFileSpec = obj(
  {
    $schema: str().describe('The JSON Schema of this file (ts-engine schema tests).'),
    tests: array(caseSpec).required().describe('Named test cases of the config beside this file.'),
  },
  { unknownKey },
);

export const testsFileJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ts-engine config tests (<config>.tests.json)',
  ...testsFileSpec.jsonSchema(),
};

type Parsed<S> = S extends Spec<infer T> ? T : never;
export type TestCase = Parsed<typeof caseSpec> & { index: number; line: number; column: number };

/** `config.json` → `config.tests.json` */
export function testsFileOf(configPath: string): string {
  return configPath.replace(/(\.json)?$/i, '.tests.json');
}

export function parseTestsFile(file: string, text: string): { cases?: TestCase[]; diagnostics: Diagnostic[] } {
  const { doc, sink } = parseDoc(text, file);
  if (!doc) return { diagnostics: sink.diagnostics };
  const env = { sink, resolve: (p: string) => path.resolve(path.dirname(file), p), exists: () => true };
  const parsed = testsFileSpec.parse(doc.value, '', env);
  const cases: TestCase[] = [];
  (parsed?.tests ?? []).forEach((c, index) => {
    const at = `tests[${index}]`;
    const hasLines = c.input.lines !== undefined;
    const hasFile = c.input.file !== undefined;
    if (hasLines === hasFile) sink.report(`${at}.input`, 'ConfigError', `${at}.input needs either "lines" or "file" (with optional from_line and to_line)`);
    if (hasLines && (c.input.from_line !== undefined || c.input.to_line !== undefined)) {
      sink.report(`${at}.input`, 'ConfigError', `${at}.input: from_line and to_line go with "file"`);
    }
    const loc = doc.locs.get(at);
    const lc = loc ? lineCol(doc.lineStarts, loc.start) : { line: 1, column: 1 };
    cases.push({ ...c, index, ...lc });
  });
  const names = new Map<string, number>();
  for (const c of cases) {
    if (names.has(c.name))
      sink.report(`tests[${c.index}].name`, 'ConfigError', `two cases are named ${JSON.stringify(c.name)} (tests[${names.get(c.name)}] too)`);
    names.set(c.name, c.index);
  }
  if (sink.hasErrors || !parsed) return { diagnostics: sink.diagnostics };
  return { cases, diagnostics: sink.diagnostics };
}

// ---- running a case --------------------------------------------------------------------

/** The rows of a case as a source; each line keeps its number (a row error names it). */
class CaseSource implements Source {
  readonly committable = false;
  private done = false;
  constructor(
    readonly description: string,
    private readonly lines: string[],
    private readonly firstLine: number,
  ) {}
  async open(): Promise<void> {}
  async next(): Promise<LineBatch | null> {
    if (this.done) return null;
    this.done = true;
    return stringBatch(this.lines, (i): SourcePosition => ({ source: this.description, line: this.firstLine + i }));
  }
  progress(): number | null {
    return this.done ? 1 : 0;
  }
  async close(): Promise<void> {}
}

export interface Difference {
  /** JSON path in the tests file of the expectation not met */
  path: string;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

export interface CaseOutcome {
  case: TestCase;
  differences: Difference[];
  /** why the case could not run (an unreadable input file) */
  error?: string;
  windows: number;
  alerts: number;
  rowErrors: number;
}

interface ActualAlert {
  rule: string;
  key: Value[] | null;
  field: string;
  windowEndMs: number;
  value: Value;
  text: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Expected JSON value against an engine value: numbers within the relative tolerance, big integers exactly. */
function matches(expected: unknown, actual: Value | undefined, tolerance: number): boolean {
  if (actual === undefined) return false;
  if (typeof expected === 'number' && (typeof actual === 'number' || typeof actual === 'bigint')) {
    if (typeof actual === 'bigint') return Number.isInteger(expected) ? BigInt(expected) === actual : false;
    if (expected === actual) return true;
    return Math.abs(expected - actual) <= tolerance * Math.max(Math.abs(expected), Math.abs(actual));
  }
  if (typeof expected === 'boolean' && typeof actual === 'boolean') return expected === actual;
  return expected === actual;
}

const shown = (v: Value | undefined): unknown => (typeof v === 'bigint' ? v.toString() : v);

export async function runCase(plan: PipelinePlan, c: TestCase, io: ConfigIO, testsFile: string): Promise<CaseOutcome> {
  const at = `tests[${c.index}]`;
  const outcome: CaseOutcome = { case: c, differences: [], windows: 0, alerts: 0, rowErrors: 0 };
  let lines: string[];
  let firstLine = 1;
  let description = `${path.basename(testsFile)} case ${JSON.stringify(c.name)}`;
  if (c.input.file !== undefined) {
    const file = path.resolve(path.dirname(testsFile), c.input.file);
    const text = io.readFile(file);
    if (text instanceof Error) {
      outcome.error = `cannot read ${c.input.file}: ${text.message}`;
      return outcome;
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    firstLine = c.input.from_line ?? 1;
    lines = all.slice(firstLine - 1, c.input.to_line ?? all.length).map((l) => l.replace(/\r$/, ''));
    description = c.input.file;
  } else lines = c.input.lines!;

  const keyNames = plan.aggregation.keys.map((k) => k.name);
  const keyTypes = plan.aggregation.keys.map((k) => k.type);
  const valueNames = plan.aggregation.values.map((v) => v.name);
  const windows = new Map<number, ClosedWindow>();
  const alerts: ActualAlert[] = [];
  const rowErrors: { line: number; message: string }[] = [];
  await analysedReplay(plan, {
    variants: plan.config.analysis ? [plan.config.analysis] : [],
    source: new CaseSource(description, lines, firstLine),
    mode: timeModeOf(plan) === 'event' ? undefined : 'whole',
    onRowError: (d) => rowErrors.push({ line: d.position.line ?? 0, message: d.message }),
    onWindow: (w, raised: readonly RaisedAlert[][]) => {
      windows.set(w.startMs, w);
      for (const { alert, rule } of raised[0] ?? []) {
        alerts.push({
          rule: rule.name,
          key: alert.key,
          field: alert.field,
          windowEndMs: w.endMs,
          value: alert.value,
          text: `${rule.name} ${alert.key ? pyTuple(alert.key, keyTypes) : '()'} ${alert.field} at ${iso(w.endMs)}: ${shown(alert.value)} outside [${alert.lowerBound}, ${alert.upperBound}]`,
        });
      }
    },
  });
  outcome.windows = windows.size;
  outcome.alerts = alerts.length;
  outcome.rowErrors = rowErrors.length;
  const diff = (p: string, message: string, expected?: unknown, actual?: unknown) => outcome.differences.push({ path: p, message, expected, actual });
  const tol = c.expect.tolerance;
  const keyOf = (expected: unknown): Value[] | null | string => {
    if (expected === null || expected === undefined) return keyNames.length === 0 ? null : 'the config groups by key: write "key": {…}';
    const o = expected as Record<string, unknown>;
    const missing = keyNames.filter((k) => !(k in o));
    if (missing.length > 0) return `key needs ${missing.join(', ')}`;
    return keyNames.map((k) => o[k] as Value);
  };
  const sameKey = (expected: Value[] | null, actual: Value[] | null) =>
    expected === null ? actual === null : actual !== null && expected.every((v, i) => matches(v, actual[i], 0));
  const keyShown = (k: Value[] | null) => (k === null ? '()' : pyTuple(k, keyTypes));

  // windows
  if (c.expect.windows) {
    const listed = new Set<number>();
    c.expect.windows.forEach((ew, wi) => {
      const wp = `${at}.expect.windows[${wi}]`;
      listed.add(ew.start);
      const w = windows.get(ew.start);
      if (!w) {
        diff(wp, `no window starts at ${iso(ew.start)} (windows: ${[...windows.keys()].map(iso).join(', ') || 'none'})`);
        return;
      }
      const seenKeys = new Set<number>();
      ew.rows.forEach((er, ri) => {
        const rp = `${wp}.rows[${ri}]`;
        const key = keyOf(er.key);
        if (typeof key === 'string') {
          diff(`${rp}.key`, key);
          return;
        }
        const gi = w.groups.findIndex((g) => sameKey(key, g.key));
        if (gi < 0) {
          diff(`${rp}.key`, `no row of key ${keyShown(key)} in the window starting ${iso(ew.start)}`);
          return;
        }
        seenKeys.add(gi);
        const g = w.groups[gi]!;
        for (const [col, expected] of Object.entries(er.values as Record<string, unknown>)) {
          const i = valueNames.indexOf(col);
          if (i < 0) {
            diff(`${rp}.values.${col}`, `'${col}' is not an aggregated column (columns: ${valueNames.join(', ')})`);
            continue;
          }
          if (!matches(expected, g.acc[i], tol)) diff(`${rp}.values.${col}`, 'value differs', expected, shown(g.acc[i]));
        }
      });
      if (c.expect.windows_match === 'all') {
        w.groups.forEach((g, gi) => {
          if (!seenKeys.has(gi))
            diff(`${wp}.rows`, `unexpected row of key ${keyShown(g.key)}`, undefined, Object.fromEntries(valueNames.map((n, i) => [n, shown(g.acc[i])])));
        });
      }
    });
    if (c.expect.windows_match === 'all') {
      for (const start of windows.keys()) if (!listed.has(start)) diff(`${at}.expect.windows`, `unexpected window starting ${iso(start)}`);
    }
  }

  // alerts: every expected one raised, no other
  if (c.expect.alerts) {
    const used = new Set<number>();
    c.expect.alerts.forEach((ea, ai) => {
      const ap = `${at}.expect.alerts[${ai}]`;
      const key = keyOf(ea.key);
      if (typeof key === 'string') {
        diff(`${ap}.key`, key);
        return;
      }
      const found = alerts.findIndex(
        (a, i) =>
          !used.has(i) &&
          a.rule === ea.rule &&
          a.field === ea.field &&
          sameKey(key, a.key) &&
          (ea.window_end === undefined || a.windowEndMs === ea.window_end) &&
          (ea.value === undefined || matches(ea.value, a.value, tol)),
      );
      if (found >= 0) used.add(found);
      else {
        const what = `${ea.rule} ${keyShown(key)} ${ea.field}${ea.window_end !== undefined ? ` at ${iso(ea.window_end)}` : ''}${ea.value !== undefined ? ` with value ${JSON.stringify(ea.value)}` : ''}`;
        const near = alerts.filter((a) => a.rule === ea.rule && a.field === ea.field && sameKey(key, a.key)).map((a) => a.text);
        diff(ap, `expected alert ${what} was not raised`, undefined, near.length > 0 ? near : undefined);
      }
    });
    alerts.forEach((a, i) => {
      if (!used.has(i)) diff(`${at}.expect.alerts`, `unexpected alert ${a.text}`);
    });
  }

  // row errors: exactly the lines listed
  if (c.expect.row_errors) {
    const used = new Set<number>();
    c.expect.row_errors.forEach((ee, ei) => {
      const ep = `${at}.expect.row_errors[${ei}]`;
      const found = rowErrors.findIndex((r, i) => !used.has(i) && r.line === ee.line);
      if (found < 0) {
        diff(ep, `line ${ee.line} was expected to fail but was read`);
        return;
      }
      used.add(found);
      if (ee.message !== undefined && !rowErrors[found]!.message.includes(ee.message))
        diff(`${ep}.message`, 'message differs', ee.message, rowErrors[found]!.message);
    });
    rowErrors.forEach((r, i) => {
      if (!used.has(i)) diff(`${at}.expect.row_errors`, `unexpected row error at line ${r.line}: ${r.message}`);
    });
  }
  return outcome;
}
