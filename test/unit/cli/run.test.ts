// `ts-engine run` (docs/semantics.md#cli): the worked example end to end, stdout carries only outputs and alerts,
// the summary goes to stderr; exit 0 finished, 1 runtime failure, 2 invalid config, 130 on Ctrl-C after a clean shutdown.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  cli,
  cliAsync,
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

describe('empty windows print their separator in the reference format', () => {
  const parts = { transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE };
  for (const workers of ['1', '2']) {
    it(`a whole-file window without a valid row: an empty file, or every row bad (--workers ${workers})`, () => {
      for (const rows of [[], ['garbage', '1523800003,x,seal.t2,240,510,4100,510']]) {
        const dir = project(parts, rows);
        if (rows.length === 0) writeFiles(dir, { 'data/rows.csv': '' });
        const r = cli(['run', 'config.json', '--workers', workers], { cwd: dir });
        expect([r.status, r.stdout]).toEqual([0, '---------------------------\n']);
        expect(r.stderr).toMatch(/1 windows closed, 0 aggregate rows/);
      }
    });
  }
  it('--workers auto says in a note why it runs on one thread (a small file), and prints what one thread prints', () => {
    const dir = project({ ...parts, options: { path: 'data/rows.csv', time_field: 'timestamp', batchDuration: 10 } }, SECTION14_ROWS);
    const one = cli(['run', 'config.json'], { cwd: dir });
    const auto = cli(['run', 'config.json', '--workers', 'auto'], { cwd: dir });
    expect([auto.status, auto.stdout]).toEqual([0, one.stdout]);
    expect(auto.stderr).toMatch(/^note: --workers auto runs on one thread: (\d+ cores?: workers would share|the file is under 64 MiB)/m);
    expect(cli(['run', 'config.json', '--workers', 'auto', '--quiet'], { cwd: dir }).stderr).not.toMatch(/note:/);
    // an input workers cannot split: auto chose one thread, which is a note; a number of workers asked for is a warning
    const stdin = project({ ...parts, options: { path: '-', time_field: 'timestamp', batchDuration: 10 } }, undefined);
    const input = SECTION14_ROWS.join('\n') + '\n';
    const piped = cli(['run', 'config.json', '--workers', 'auto'], { cwd: stdin, input });
    expect([piped.status, piped.stdout]).toEqual([0, one.stdout]);
    expect(piped.stderr).toMatch(/^note: --workers auto runs on one thread: standard input cannot be split across workers$/m);
    expect(piped.stderr).not.toMatch(/warning: --workers/);
    expect(cli(['run', 'config.json', '--workers', '2'], { cwd: stdin, input }).stderr).toMatch(
      /^warning: --workers ignored: standard input cannot be split across workers; running on one thread$/m,
    );
  });
  it('event-time windows exist only when they received rows: an all-bad file prints nothing', () => {
    const dir = project({ ...parts, options: { path: 'data/rows.csv', time_field: 'timestamp', batchDuration: 10 } }, ['garbage', 'x,1,a,0,0,0,0']);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toMatch(/0 windows closed/);
  });
  it('a paced (processing-time) replay of bad rows prints the separator of the window they fell in', () => {
    const dir = project({ ...parts, options: { path: 'data/rows.csv', rate: 1000, batchDuration: 3600 } }, ['garbage', 'x,1,a,0,0,0,0']);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([0, '---------------------------\n']);
  });
});

const STACK_FRAME = /^\s+at /m;
const lastLine = (text: string) => text.trimEnd().split('\n').pop();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('runtime errors are one line naming the file or server and the cause; --debug shows the stack', () => {
  const parts = { transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE };
  const sqliteAt = (p: string) => [{ method: 'sqlite', options: { path: p } }];

  it('a SQLite path that is a directory', () => {
    const dir = project({ ...parts, outputs: sqliteAt('store.db') });
    fs.mkdirSync(path.join(dir, 'store.db'));
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`error: OutputError: cannot open SQLite database ${fs.realpathSync(dir)}/store.db: it is a directory`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    const debug = cli(['run', 'config.json', '--debug'], { cwd: dir });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/error: OutputError: cannot open SQLite database .*: it is a directory\n(.*\n)*\s+at openDatabase /);
  });
  it('a SQLite path in a folder that cannot be created', () => {
    const dir = project({ ...parts, outputs: sqliteAt('/proc/ts-engine-no-such-folder/store.db') });
    const r = cli(['run', 'config.json'], { cwd: dir, timeoutMs: 15_000 });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(
      'error: OutputError: cannot open SQLite database /proc/ts-engine-no-such-folder/store.db: cannot create folder /proc/ts-engine-no-such-folder: ENOENT',
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
  // root writes read-only files anyway, so the case only exists for other users
  it.skipIf(process.getuid?.() === 0)('a read-only SQLite file', () => {
    const dir = project({ ...parts, outputs: sqliteAt('store.db') });
    expect(cli(['run', 'config.json'], { cwd: dir }).status).toBe(0);
    for (const f of fs.readdirSync(dir)) if (f.startsWith('store.db')) fs.chmodSync(path.join(dir, f), 0o444);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^error: OutputError: (cannot open SQLite database \S+store\.db: the file is read-only|sqlite \S+store\.db .*readonly)/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
  it('an InfluxDB server that does not answer', async () => {
    const port = await freePort();
    const influx = { host: '127.0.0.1', port, username: 'u', password: 'p', database: 'd', measurement: 'm' };
    const dir = project({ ...parts, outputs: [{ method: 'influx', options: { influx, max_retries: 0 } }] });
    const r = await cliAsync(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(`^error: InfluxConnectError: InfluxDB error: cannot connect to http://127\\.0\\.0\\.1:${port} \\(database d\\): .*refused`),
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
  it('a Kafka broker that does not answer', async () => {
    const port = await freePort();
    const dir = project({
      ...parts,
      inputType: 'kafka',
      options: { brokers: [`127.0.0.1:${port}`], topic: 'sensors', consumer_group: 'g', batchDuration: 10 },
    });
    const r = await cliAsync(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(`^error: KafkaConnectError: Kafka error: Connection refused: brokers=127\\.0\\.0\\.1:${port} consumer_group=g topic=sensors \\(.+\\)$`),
    );
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
  it('every command: export into a folder that cannot be created, check of an unreadable config', () => {
    const dir = project(parts);
    let r = cli(['export', 'config.json', '/proc/ts-engine-no-such-folder/out'], { cwd: dir });
    // the bundle's change list comes first, then the one-line error
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\nerror: cannot create folder \/proc\/ts-engine-no-such-folder: ENOENT\n$/);
    r = cli(['export', 'config.json', '/proc/ts-engine-no-such-folder/out', '--debug'], { cwd: dir });
    expect(r.stderr).toMatch(STACK_FRAME);
    r = cli(['check', dir], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read config file: it is a directory, not a file\n$/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
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
  it('1 when the input file cannot be opened: one line naming it, no stack trace', () => {
    const dir = project({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, options: { path: 'missing.csv' } }, undefined);
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`error: InputError: cannot open input file ${fs.realpathSync(dir)}/missing.csv: no such file`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
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

/** A run of `config.json` in `dir` with stdin and stdout/stderr collected; `until(text)` resolves when a stream shows it. */
function start(dir: string, args: string[] = []) {
  const child = spawn(process.execPath, [CLI, 'run', 'config.json', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const collect = (k: 'stdout' | 'stderr') => (d: string) => {
    out[k] += d;
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.setEncoding('utf8').on('data', collect('stdout'));
  child.stderr.setEncoding('utf8').on('data', collect('stderr'));
  const until = (k: 'stdout' | 'stderr', re: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => (re.test(out[k]) ? resolve() : waiters.push(check));
      check();
    });
  const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { child, out, until, closed };
}

describe('user code cannot hold up a run (docs/sandbox.md)', () => {
  const HANG = `export const transformFunctions = [
    { name: 'hang_above', arity: 2, params: ['numeric', 'numeric'], returns: 'arg0', apply: (x, limit) => { if (x > limit) for (;;) {} return x; } },
    { name: 'hog', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => { const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(x)); } },
  ];`;
  const stdinProject = (transformation: string[], sandbox: Record<string, unknown>) => {
    const dir = project({
      transformation,
      rule: ['key: sensor_id', 'max(r)'],
      options: { path: '-', time_field: 'timestamp', batchDuration: 10 },
      outputs: [{ method: 'stdout', options: { format: 'jsonl' } }],
      extensions: ['./ops.mjs'],
      extra: { sandbox },
    });
    writeFiles(dir, { 'ops.mjs': HANG });
    return dir;
  };

  it('SIGTERM stops a run whose user function hangs on every row: 130, and the windows of the rows done are flushed', async () => {
    const dir = stdinProject(['sensor_id', 'r: hang_above(rotation_speed, 5000)'], { timeout_ms: 1000 });
    const run = start(dir);
    run.child.stdin.write('1523800000,1,a,0,0,100,0\n1523800012,1,a,0,0,200,0\n');
    // the second row closed the first window: the run is under way
    await run.until('stdout', /"values": \{"r": 100\.0\}/);
    run.child.stdin.write(Array.from({ length: 50 }, (_, i) => `${1523800013 + (i % 5)},1,a,0,0,9000,0\n`).join(''));
    run.child.kill('SIGTERM');
    expect(await run.closed).toBe(130);
    expect(run.out.stdout).toBe(
      '{"window_start": "2018-04-15T13:46:40.000Z", "window_end": "2018-04-15T13:46:50.000Z", "key": {"sensor_id": 1}, "values": {"r": 100.0}}\n' +
        '{"window_start": "2018-04-15T13:46:50.000Z", "window_end": "2018-04-15T13:47:00.000Z", "key": {"sensor_id": 1}, "values": {"r": 200.0}}\n',
    );
    expect(run.out.stderr).toContain('warning: You terminated execution.');
  }, 20_000);

  it('a second Ctrl-C ends a stop that waits on user code at once (the limit here is a minute)', async () => {
    const dir = stdinProject(['sensor_id', 'r: hang_above(rotation_speed, 0)'], { timeout_ms: 60_000 });
    const run = start(dir, ['--progress']);
    run.child.stdin.write('1523800000,1,a,0,0,100,0\n1523800001,1,a,0,0,100,0\n');
    await run.until('stderr', /rows \d/);
    run.child.kill('SIGINT');
    await run.until('stderr', /You terminated execution/);
    run.child.kill('SIGINT');
    expect(await run.closed).toBe(130);
  }, 20_000);

  it('memory beyond sandbox.memory_mb ends the run with exit 1 and one error line naming the module and the limit', async () => {
    const dir = stdinProject(['sensor_id', 'r: hog(rotation_speed)'], { memory_mb: 128, timeout_ms: 60_000 });
    const run = start(dir);
    run.child.stdin.end('1523800000,1,a,0,0,100,0\n');
    expect(await run.closed).toBe(1);
    const lines = run.out.stderr.trim().split('\n');
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
    expect(lines.at(-1)).toBe('error: user code in ops.mjs exceeded the sandbox memory limit of 128 MB (sandbox.memory_mb); the sandbox was stopped');
  }, 20_000);
});
