// `ts-engine run` (docs/semantics.md#cli): the worked example end to end, stdout carries only outputs and alerts,
// the summary goes to stderr; exit 0 finished, 1 runtime failure, 2 invalid config, 130 on Ctrl-C after a clean shutdown.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  cli,
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

const tmp = useTmpDir();

function project(parts: ConfigParts, data: string[] | undefined = SECTION14_ROWS): string {
  const dir = tmp();
  writeFiles(dir, {
    'config.json': makeConfig({ options: { path: 'data/rows.csv' }, ...parts }),
    'ds.json': structure(SENSOR_SPEC),
    ...(data ? { 'data/rows.csv': data.join('\n') + '\n' } : {}),
  });
  return dir;
}

describe('Section 14 worked example through the CLI', () => {
  it('reduceByKey: our stdout (D-20 integer boolean sums)', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE });
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "---------------------------\n((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)\n((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)\n",
    );
    const err = r.stderr.split('\n');
    expect(err[0]).toMatch(/^finished: 3 rows read in \d+\.\d\d s \(.* rows\/s\), 3 aggregated, 1 windows closed, 2 aggregate rows$/);
    expect(err[1]).toBe('row errors: 0');
  });
  it('reduce over the same rows: (3, 900.0, 4100.0, 7500.0, 1, 1)', () => {
    const dir = project({
      transformation: SECTION14_TRANSFORMATION.filter((e) => e !== 'sensor_id' && e !== 'sensor_type'),
      rule: SECTION14_RULE.slice(1),
      operation: 'reduce',
    });
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([0, '---------------------------\n(3, 900.0, 4100.0, 7500.0, 1, 1)\n']);
  });
  it('the same rows from standard input ("path": "-")', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, options: { path: '-' } }, undefined);
    const r = cli(['run', 'config.json'], { cwd: dir, input: SECTION14_ROWS.join('\r\n') + '\r\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "---------------------------\n((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)\n((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)\n",
    );
  });
});

describe('exit codes and streams', () => {
  it('2 for an invalid config: diagnostics on stderr, nothing on stdout, no input opened', () => {
    const dir = project({
      transformation: ['sensor_id', 'x: add(rotation_speed, nope)'],
      rule: ['key: sensor_id', 'sum(x)'],
      options: { path: 'does-not-exist.csv' },
    });
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^warning: config\.json:\d+:\d+: input\.options\.path: input file .* does not exist \(yet\)\nconfig\.json:\d+:\d+: FieldNotExists: processing\.transformation\[1\]: Field with name 'nope' does not exists\n$/,
    );
  });
  it('1 for a runtime failure: on_error "fail" and a bad row', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, processingExtra: { on_error: 'fail' } }, [
      ...SECTION14_ROWS,
      '1523800003,x,seal.t2,240,510,4100,510',
    ]);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /\nerror: row error at \S*data\/rows\.csv:4: field 'sensor_id' \(column 2\): 'x' is not a valid LongType \(processing\.on_error is "fail"\)\n/,
    );
    expect(r.stderr).toMatch(/^warning: row error at data\/rows\.csv:4: .*\nfailed: 4 rows read/);
  });
  it('1 when the input file cannot be opened', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, options: { path: 'missing.csv' } }, undefined);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot open input file');
    expect(r.stderr).toContain('missing.csv: no such file');
  });
  it('0 with row errors skipped: counted in the summary, first ones reported as warnings, dead letters kept', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE }, [
      ...SECTION14_ROWS,
      'garbage',
      '1523800003,72,seal.t2,x,510,abc,510',
    ]);
    const r = cli(['run', 'config.json', '--dead-letter', 'dead.jsonl'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "---------------------------\n((5, 'seal.t1'), 2, 900.0, 2500.0, 3400.0, 1, 0)\n((72, 'seal.t2'), 1, 4100.0, 4100.0, 4100.0, 0, 1)\n",
    );
    expect(r.stderr).toContain("warning: row error at data/rows.csv:4: field 'timestamp' (column 1): 'garbage' is not a valid LongType");
    // every declared column is checked, in column order: 'x' in pressure (unused by the config) is the first bad value
    expect(r.stderr).toContain("warning: row error at data/rows.csv:5: field 'pressure' (column 4): 'x' is not a valid DoubleType");
    expect(r.stderr).toMatch(/row errors: 2 \((bad LongType: 1, bad DoubleType: 1|bad DoubleType: 1, bad LongType: 1)\); kept in dead\.jsonl/);
  });
  it('1 for usage errors, with the usage text', () => {
    let r = cli(['run']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid amount of arguments');
    expect(r.stderr).toContain('Usage:');
    r = cli([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^Invalid amount of arguments\nUsage:/);
    r = cli(['frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('130 on Ctrl-C after a clean shutdown: open windows are flushed', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${1523800000 + i},1,a,0,0,1,0`);
    const dir = project(
      {
        transformation: ['sensor_id', 'n: rotation_speed'],
        rule: ['key: sensor_id', 'sum(n)'],
        options: { path: 'data/rows.csv', time_field: 'timestamp', batchDuration: 100, speed: 1 },
        outputs: [{ method: 'stdout', options: { format: 'jsonl' } }],
      },
      rows,
    );
    const child = spawn(process.execPath, [CLI, 'run', 'config.json', '--progress'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // wait until the run is under way (a progress line; rows are paced at one per second), then interrupt
    for (let waited = 0; !/rows [1-9]/.test(stderr) && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/rows [1-9]/);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    expect(stderr).toContain('warning: You terminated execution.');
    const read = Number(/finished: (\d+) rows read/.exec(stderr)?.[1]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(40);
    // the open window was flushed with exactly the rows read
    expect(stdout).toBe(
      `{"window_start": "2018-04-15T13:46:40.000Z", "window_end": "2018-04-15T13:48:20.000Z", "key": {"sensor_id": 1}, "values": {"n": ${read}.0}}\n`,
    );
  }, 20_000);

  it('130 on Ctrl-C while waiting for more standard input: the rows read so far are flushed', async () => {
    const dir = project({
      transformation: ['sensor_id', 'n: rotation_speed'],
      rule: ['key: sensor_id', 'sum(n)'],
      options: { path: '-', time_field: 'timestamp', batchDuration: 100 },
      outputs: [{ method: 'stdout', options: { format: 'jsonl' } }],
    });
    const child = spawn(process.execPath, [CLI, 'run', 'config.json'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.write('1523800000,1,a,0,0,1,0\n1523800001,1,a,0,0,2,0\n1523800002,1,a,0,0,3,0\n');
    // stdin stays open: the run is waiting for data when it is interrupted
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/finished: 3 rows read/);
    expect(stdout).toBe(
      '{"window_start": "2018-04-15T13:46:40.000Z", "window_end": "2018-04-15T13:48:20.000Z", "key": {"sensor_id": 1}, "values": {"n": 6.0}}\n',
    );
  }, 20_000);
});
