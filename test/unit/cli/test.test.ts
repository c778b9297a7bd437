// `ts-engine test` (docs/config-tests.md): the cases of <config>.tests.json, a diff per failing case, exit 0 / 1 / 2.
import Ajv from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, ROOT, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

const CONFIG = makeConfig({
  options: { path: 'data.csv', sep: ',', batchDuration: 10, time_field: 't', time_unit: 's' },
  outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db', table: 'points' } }],
  transformation: ['k', 'vmax: v'],
  rule: ['key: k', 'max(vmax)'],
  analysis: {
    alert: { method: 'stdout' },
    accuracy: 2,
    rule: [{ module: 'SimpleAnalysis', name: 'Jump', options: { deviation: { vmax: 50 }, batch_number: 1 } }],
  },
});

function project(tests: object | string) {
  const dir = tmp();
  writeFiles(dir, {
    'config.json': CONFIG,
    'ds.json': structure({ t: [0, 'LongType'], k: [1, 'StringType'], v: [2, 'DoubleType'] }),
    'data.csv': '1,A,100\n11,A,300\n21,A,100\n',
    'config.tests.json': typeof tests === 'string' ? tests : JSON.stringify(tests, null, 2),
  });
  return dir;
}

// A jumps to 300 in window [10, 20) and falls back in [20, 30): both deviate by more than 50 %
const PASSING = {
  name: 'the jump and the fall alert',
  input: { file: 'data.csv', from_line: 1, to_line: 3 },
  expect: {
    windows_match: 'all',
    windows: [0, 10, 20].map((start, i) => ({ start, rows: [{ key: { k: 'A' }, values: { vmax: [100, 300, 100][i] } }] })),
    alerts: [
      { rule: 'Jump', key: { k: 'A' }, field: 'vmax', window_end: 20, value: 300 },
      { rule: 'Jump', key: { k: 'A' }, field: 'vmax', window_end: '1970-01-01T00:00:30Z' },
    ],
    row_errors: [],
  },
};

const FAILING = {
  name: 'a wrong expectation',
  input: { lines: ['1,A,100', '11,A,300', '21,A,100', 'x,A,1'] },
  expect: {
    windows: [
      {
        start: 10,
        rows: [
          { key: { k: 'A' }, values: { vmax: 250 } },
          { key: { k: 'B' }, values: { vmax: 1 } },
        ],
      },
    ],
    alerts: [
      { rule: 'Jump', key: { k: 'A' }, field: 'vmax', window_end: 20 },
      { rule: 'Jump', key: { k: 'A' }, field: 'vmax', window_end: 40 },
    ],
    row_errors: [{ line: 4, message: 'no such text' }],
  },
};

describe('ts-engine test', () => {
  it('the sample config passes its shipped tests', () => {
    const r = cli(['test', 'samples/sensors/config.json'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'PASS the rpm surge of sensor 20 at 1700000060 raises Simple1 and Avg6',
        'PASS a row that cannot be parsed is counted and the others aggregate',
        '2 cases: 2 passed, 0 failed',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });

  it('a failing case prints its differences at their JSON paths, expected and actual, and exits 1', () => {
    const dir = project({ tests: [PASSING, FAILING] });
    const r = cli(['test', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'PASS the jump and the fall alert',
      'FAIL a wrong expectation (config.tests.json:75:5)',
      '  tests[1].expect.windows[0].rows[0].values.vmax: value differs',
      '    expected: 250',
      '    actual:   300',
      "  tests[1].expect.windows[0].rows[1].key: no row of key ('B',) in the window starting 1970-01-01T00:00:10Z",
      "  tests[1].expect.alerts[1]: expected alert Jump ('A',) vmax at 1970-01-01T00:00:40Z was not raised",
      `    actual:   ${JSON.stringify(["Jump ('A',) vmax at 1970-01-01T00:00:20Z: 300 outside [50, 150]", "Jump ('A',) vmax at 1970-01-01T00:00:30Z: 100 outside [150, 450]"])}`,
      "  tests[1].expect.alerts: unexpected alert Jump ('A',) vmax at 1970-01-01T00:00:30Z: 100 outside [150, 450]",
      '  tests[1].expect.row_errors[0].message: message differs',
      '    expected: "no such text"',
      expect.stringMatching(/^ {4}actual: {3}".+"$/),
      '2 cases: 1 passed, 1 failed',
      '',
    ]);
  });

  it('--format json places each difference in the tests file', () => {
    const dir = project({ tests: [FAILING] });
    const r = cli(['test', 'config.json', '--format', 'json'], { cwd: dir });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, passed: 0, failed: 1, testsFile: 'config.tests.json' });
    const text = fs.readFileSync(path.join(dir, 'config.tests.json'), 'utf8').split('\n');
    const first = out.cases[0].differences[0];
    expect(first).toMatchObject({ path: 'tests[0].expect.windows[0].rows[0].values.vmax', expected: 250, actual: 300 });
    expect(text[first.line - 1]!.slice(first.column - 1)).toMatch(/^250/);
  });

  it('exit 2 for an invalid tests file (positioned) and for a missing one', () => {
    let dir = project('{"tests": [{"name": "x", "input": {}, "expect": {"alerts": [{"rule": "Jump"}], "oops": 1}}]}');
    let r = cli(['test', 'config.json'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      "warning: config.tests.json:1:80: tests[0].expect.oops: unknown key 'oops' (it is ignored)",
      "config.tests.json:1:61: ConfigError: tests[0].expect.alerts[0].field: missing required key 'field' in tests[0].expect.alerts[0]",
      'config.tests.json:1:35: ConfigError: tests[0].input needs either "lines" or "file" (with optional from_line and to_line)',
    ]);
    dir = project({ tests: [] });
    fs.rmSync(path.join(dir, 'config.tests.json'));
    r = cli(['test', 'config.json'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^test: no tests file: cannot read config\.tests\.json/);
  });

  it('ts-engine schema tests is a JSON Schema the sample tests file satisfies and a broken one does not', () => {
    const r = cli(['schema', 'tests'], { cwd: ROOT });
    expect(r.status).toBe(0);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(r.stdout));
    expect(validate(JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/sensors/config.tests.json'), 'utf8')))).toBe(true);
    expect(validate({ tests: [{ name: 'x', input: { lines: [1] }, expect: {} }] })).toBe(false);
  });
});
