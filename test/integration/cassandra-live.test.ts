// Cassandra output and Cassandra history (docs/live.md#cassandra) against a real Apache Cassandra
// 5.0.4 started by the harness (servers/cassandra.ts) with PasswordAuthenticator: the sensor
// sample equals its SQLite output row for row, a re-run leaves the same rows, an integer beyond
// int64 is stored exactly as varint, analysis with Cassandra history raises the alerts SQLite
// history raises, a node killed mid-run loses and duplicates nothing, and wrong credentials or an
// unreachable node end the run with one line naming the contact point.
import fs from 'node:fs';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCassandra, type CassandraServer } from './servers/cassandra.js';
import { freePort } from './servers/proc.js';
import {
  alertLines,
  expectedSensorRows,
  sensorAnalysis,
  removeTempDirs,
  runCli,
  sensorConfig,
  sensorLines,
  tempDir,
  waitFor,
  writeJson,
  type Row,
} from './live-helpers.js';
import { CassandraHistory } from '../../engine/components/history/cassandra-store.js';
import { listKeyspaces, testCassandra } from '../../engine/connectors/cassandra/probe.js';
import { readHistory } from '../../engine/facade/history.js';
import { checkConfig } from '../../engine/pipeline/plan.js';
import { Runner } from '../../engine/pipeline/runner.js';

const MIN = 60_000;
const LINES = sensorLines(3000); // 20 sensors, 150 s: 15 windows of 10 s

describe('Cassandra output and history (Apache Cassandra 5.0.4, PasswordAuthenticator)', () => {
  let server: CassandraServer;
  let client: cassandra.Client;
  let dir: string;
  let expected: Row[];
  let csv: string;

  beforeAll(async () => {
    server = await startCassandra({ auth: true });
    // what the node's start-up costs the run (docs/live.md#cassandra)
    console.info(`cassandra: started in ${server.lastStartMs} ms`);
    client = new cassandra.Client({
      contactPoints: server.contactPoints,
      localDataCenter: server.datacenter,
      credentials: server.credentials,
      encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
    });
    await client.connect();
    dir = tempDir();
    expected = await expectedSensorRows(dir, LINES);
    csv = path.join(dir, 'expected.csv');
  }, 5 * MIN);
  afterAll(async () => {
    await client?.shutdown();
    await server?.stop();
    removeTempDirs();
  }, 2 * MIN);

  const options = (keyspace: string, extra: Record<string, unknown> = {}) => ({
    contact_points: server.contactPoints,
    keyspace,
    username: server.credentials!.username,
    password: server.credentials!.password,
    replication: { class: 'SimpleStrategy', replication_factor: 1 },
    consistency: 'ONE',
    ...extra,
  });
  const output = (keyspace: string, extra: Record<string, unknown> = {}) => ({ method: 'cassandra', options: options(keyspace, extra) });
  const sensorInput = (file = csv, extra: Record<string, unknown> = {}) => ({
    input_type: 'csv',
    options: { path: file, batchDuration: 10, time_field: 'timestamp', ...extra },
  });

  /** every row of a table, as the SQLite output has them */
  async function rows(keyspace: string, table = 'points', from = client): Promise<Row[]> {
    const r = await from.execute(`SELECT * FROM "${keyspace}"."${table}"`, [], { fetchSize: 100_000 });
    return r.rows
      .map((x) => {
        const o: Row = {};
        for (const c of r.columns) {
          const v = x[c.name];
          o[c.name] =
            v instanceof Date
              ? v.getTime()
              : typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)
                ? Number(v)
                : v;
        }
        return o;
      })
      .sort((a, b) => (a.window_end as number) - (b.window_end as number) || (a.sensor_id as number) - (b.sensor_id as number));
  }
  const columnsOf = (r: Row) =>
    Object.fromEntries(
      Object.keys(r)
        .sort()
        .map((k) => [k, r[k]]),
    );

  it('writes the sensor sample: equal to its SQLite output row for row; types map exactly; key partition, window_end DESC; a re-run leaves the same rows', async () => {
    const cfg = writeJson(path.join(dir, 'out.json'), sensorConfig(sensorInput(), [output('live')]));
    const first = runCli(['run', cfg, '--no-progress']);
    expect(await first.exited, first.stderr()).toBe(0);
    expect(first.stderr()).toMatch(/created keyspace live/);
    const once = await rows('live');
    expect(once.map(columnsOf)).toEqual(expected.map(columnsOf));
    const again = runCli(['run', cfg, '--no-progress']);
    expect(await again.exited, again.stderr()).toBe(0);
    expect((await rows('live')).map(columnsOf)).toEqual(expected.map(columnsOf)); // replaced, not duplicated

    const cols = await client.execute(
      'SELECT column_name, type, kind, position, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      ['live', 'points'],
    );
    const byName = Object.fromEntries(cols.rows.map((c) => [c.column_name, `${c.kind}:${c.position}:${c.type}:${c.clustering_order}`]));
    expect(byName).toEqual({
      sensor_id: 'partition_key:0:varint:none',
      sensor_type: 'partition_key:1:text:none',
      window_end: 'clustering:0:timestamp:desc',
      window_start: 'regular:-1:timestamp:none',
      counter: 'regular:-1:varint:none',
      rpm_min: 'regular:-1:double:none',
      rpm_max: 'regular:-1:double:none',
      rpm_sum: 'regular:-1:double:none',
      speed_lt: 'regular:-1:varint:none',
      speed_gt: 'regular:-1:varint:none',
    });
    // the last windows of a key: one partition read, newest first
    const last = await client.execute(
      'SELECT window_end FROM live.points WHERE sensor_id = ? AND sensor_type = ? LIMIT 3',
      [BigInt(expected[0]!.sensor_id as number), expected[0]!.sensor_type],
      { prepare: true },
    );
    const ends = last.rows.map((r) => (r.window_end as Date).getTime());
    expect(ends).toEqual([...ends].sort((a, b) => b - a));
    expect(ends[0]).toBe(expected[expected.length - 1]!.window_end);

    // what a reopened project shows: the last windows the table holds, oldest first, rows in key order
    const plan = (await checkConfig(cfg)).plan!;
    const shown = await readHistory(plan, 4);
    expect(shown.source).toBe(`cassandra ${server.contactPoints[0]} live.points`);
    expect(shown.truncated).toBe(true);
    const lastFour = expected.filter((r) => (r.window_end as number) > (expected[expected.length - 1]!.window_end as number) - 40_000);
    expect(
      shown.windows.flatMap((w) => w.rows.map((r) => ({ ...r.key, ...r.values, window_start: w.windowStart, window_end: w.windowEnd }))).map(columnsOf),
    ).toEqual(lastFour.map(columnsOf));
  });

  it('stores integers beyond int64 exactly (varint), booleans as boolean, and reads them back through the history', async () => {
    const ds = writeJson(path.join(dir, 'big-ds.json'), {
      k: { index: 0, type: 'StringType' },
      v: { index: 1, type: 'LongType' },
      b: { index: 2, type: 'BooleanType' },
    });
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(
      file,
      ['over,9223372036854775807,true', 'over,9223372036854775807,false', 'under,-9223372036854775808,true', 'under,-1,true', 'small,42,false', ''].join('\n'),
    );
    const cfg = writeJson(path.join(dir, 'big.json'), {
      input: { input_type: 'csv', data_structure: ds, options: { path: file } },
      outputs: [output('big', { table: 'sums' })],
      processing: { transformation: ['k', 'v', 'b'], aggregations: { operation_type: 'reduceByKey', rule: ['key: k', 'sum(v)', 'max(b)'] } },
      databases: {},
    });
    const r = runCli(['run', cfg, '--no-progress']);
    expect(await r.exited, r.stderr()).toBe(0);
    const got = await client.execute('SELECT k, v, b FROM big.sums');
    const byKey = Object.fromEntries(got.rows.map((x) => [x.k, [x.v, x.b]]));
    expect(byKey).toEqual({ over: [18446744073709551614n, true], under: [-9223372036854775809n, true], small: [42n, false] });
    const types = await client.execute("SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = 'big' AND table_name = 'sums'");
    expect(Object.fromEntries(types.rows.map((x) => [x.column_name, x.type]))).toMatchObject({ k: 'text', v: 'varint', b: 'boolean' });
  });

  it('history: the row closest to the target within ± accuracy in the key partition (bounds included, a tie goes to the later one)', async () => {
    const conn = {
      contactPoints: server.contactPoints,
      localDataCenter: 'datacenter1',
      keyspace: 'live',
      table: 'points',
      ...server.credentials!,
      consistency: 'ONE' as const,
    };
    const hist = new CassandraHistory(conn);
    await hist.open();
    try {
      const row = expected[expected.length - 25]!;
      const q = { keyFields: ['sensor_id', 'sensor_type'], key: [row.sensor_id as number, row.sensor_type as string], toleranceMs: 2000 };
      const exact = await hist.lookup({ ...q, targetMs: row.window_end as number });
      expect(exact).toEqual({ ...row, rpm_sum: exact!.rpm_sum, time: BigInt(row.window_end as number) * 1_000_000n });
      expect(exact!.rpm_sum).toBeCloseTo(row.rpm_sum as number, 6);
      // 2 s off, accuracy 2 s: the bound is included
      expect((await hist.lookup({ ...q, targetMs: (row.window_end as number) + 2000 }))?.window_end).toBe(row.window_end);
      expect(await hist.lookup({ ...q, targetMs: (row.window_end as number) + 2001 })).toBeUndefined();
      // halfway between two windows (10 s apart, accuracy 5 s): the later one
      expect((await hist.lookup({ ...q, toleranceMs: 5000, targetMs: (row.window_end as number) - 5000 }))?.window_end).toBe(row.window_end);
      // another key: nothing
      expect(await hist.lookup({ ...q, key: [987654, 'x'], targetMs: row.window_end as number })).toBeUndefined();
      expect(hist.queries).toBe(5);
    } finally {
      await hist.close();
    }
  });

  it('analysis with history read from Cassandra raises the same alerts as with history from SQLite', async () => {
    const analysis = sensorAnalysis;
    const a = writeJson(
      path.join(dir, 'an-sqlite.json'),
      sensorConfig(sensorInput(), [{ method: 'sqlite', main: true, options: { path: path.join(dir, 'an.db') } }], { analysis: analysis() }),
    );
    // history read from the table the first test wrote
    const b = writeJson(
      path.join(dir, 'an-cassandra.json'),
      sensorConfig(sensorInput(), [{ method: 'stdout', options: { format: 'jsonl' } }], {
        analysis: analysis({ method: 'cassandra', cassandra_options: options('live') }),
      }),
    );
    // the cassandra output marked main is the history source; it writes and reads its own keyspace
    const c = writeJson(path.join(dir, 'an-main.json'), sensorConfig(sensorInput(), [{ ...output('main_hist'), main: true }], { analysis: analysis() }));
    const ra = runCli(['run', a, '--no-progress']);
    expect(await ra.exited, ra.stderr()).toBe(0);
    const rb = runCli(['run', b, '--no-progress']);
    expect(await rb.exited, rb.stderr()).toBe(0);
    const rc = runCli(['run', c, '--no-progress']);
    expect(await rc.exited, rc.stderr()).toBe(0);
    const alerts = alertLines;
    expect(alerts(ra.stdout()).length).toBeGreaterThan(5);
    expect(alerts(rb.stdout())).toEqual(alerts(ra.stdout()));
    expect(alerts(rc.stdout())).toEqual(alerts(ra.stdout()));
    expect(rb.stderr()).toMatch(/analysis: 300 records, [1-9][\d,]* history lookups/);
  });

  it('the probe: the cluster, its keyspaces and tables; check --connect reaches the node', async () => {
    const args = { contactPoints: server.contactPoints, ...server.credentials! };
    const t = await testCassandra({ ...args, keyspace: 'live', table: 'points' });
    expect(t.ok, t.error).toBe(true);
    expect(t.version).toBe('5.0.4');
    expect(t.hosts).toHaveLength(1);
    expect(t.table?.exists).toBe(true);
    expect(t.table?.columns).toMatch(/^PRIMARY KEY \(\(sensor_id, sensor_type\), window_end DESC\)/);
    const list = await listKeyspaces(args);
    const live = list.keyspaces.find((k) => k.name === 'live');
    expect(live).toMatchObject({
      system: false,
      tables: ['points'],
      replication: { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: '1' },
    });
    expect(list.keyspaces[0]!.system).toBe(false);
    const cfg = writeJson(path.join(dir, 'check.json'), sensorConfig(sensorInput(), [output('live')]));
    const r = runCli(['check', cfg, '--connect']);
    expect(await r.exited, r.stdout() + r.stderr()).toBe(0);
    expect(r.stdout() + r.stderr()).toMatch(/cassandra 127\.0\.0\.1:\d+.*Cassandra 5\.0\.4/);
  });

  it('wrong credentials or an unreachable node: one clear line naming the contact point, exit 1', async () => {
    const bad = writeJson(path.join(dir, 'bad-pw.json'), sensorConfig(sensorInput(), [output('live', { password: 'wrong' })]));
    const r1 = runCli(['run', bad, '--no-progress']);
    expect(await r1.exited).toBe(1);
    const point = server.contactPoints[0]!.replace(/\./g, '\\.');
    expect(r1.stderr()).toMatch(new RegExp(`cassandra output: cannot write to live\\.points at ${point}: 127\\.0\\.0\\.1:\\d+: authentication failed`));
    expect(r1.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    const port = await freePort();
    const gone = writeJson(
      path.join(dir, 'gone.json'),
      sensorConfig(sensorInput(), [output('live', { contact_points: [`127.0.0.1:${port}`], max_retries: 0 })]),
    );
    const r2 = runCli(['run', gone, '--no-progress']);
    expect(await r2.exited).toBe(1);
    expect(r2.stderr()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
    expect(r2.stderr()).not.toMatch(/\n\s+at /);
  });

  it('Cassandra killed mid-run and started again: writes are retried with backoff while the input waits, and every window arrives exactly once', async () => {
    const cfgFile = writeJson(path.join(dir, 'outage.json'), sensorConfig(sensorInput(csv, { speed: 15 }), [output('outage', { max_retries: 60 })]));
    const outcome = await checkConfig(cfgFile);
    expect(outcome.plan, JSON.stringify(outcome.diagnostics)).toBeDefined();
    let windows = 0;
    const warnings: string[] = [];
    const runner = new Runner(outcome.plan!, { warn: (m) => warnings.push(m), onWindow: () => windows++ });
    const seen = new Set<string>();
    const poll = setInterval(() => {
      for (const c of runner.stats().connections) seen.add(c.status);
    }, 50);
    const done = runner.run();
    try {
      await waitFor(() => windows >= 3, 60_000, '3 windows written');
      await server.kill();
      await waitFor(() => seen.has('retrying'), 60_000, 'the output retrying');
      const during = windows;
      await server.start();
      const stats = await done;
      expect(stats.state).toBe('finished');
      expect(stats.windowsClosed).toBe(15);
      expect(during).toBeLessThan(15);
    } finally {
      clearInterval(poll);
    }
    expect(warnings.join('\n')).toMatch(/cassandra output: .*retry \d+\/60/);
    // a new session: the suite's own one may not have seen the node come back yet
    const after = new cassandra.Client({
      contactPoints: server.contactPoints,
      localDataCenter: server.datacenter,
      credentials: server.credentials,
      encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
    });
    try {
      await after.connect();
      expect((await rows('outage', 'points', after)).map(columnsOf)).toEqual(expected.map(columnsOf));
    } finally {
      await after.shutdown();
    }
  });
});
