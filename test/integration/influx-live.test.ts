// InfluxDB output (docs/semantics.md#influx-output, docs/semantics.md#one-timestamp-per-window, docs/semantics.md#empty-windows, docs/semantics.md#exact-integers, docs/semantics.md#delivery) and InfluxDB history (docs/semantics.md#history-lookups, docs/semantics.md#influxql-escaping, docs/semantics.md#windows)
// against real influxd servers started by the harness: 1.6 (v1 API, the reference's form),
// and 1.8 built from source (the v2 form through /api/v2/write and Flux); 2.7: influx-live.influx27.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from './servers/influx.js';
import { LINES, MIN, asInflux, influxPoints, roundSum, v2Suite } from './influx-live-suite.js';
import {
  alertLines,
  expectedSensorRows,
  sensorAnalysis,
  removeTempDirs,
  runCli,
  sensorConfig,
  sleep,
  tempDir,
  waitFor,
  writeJson,
  type Row,
} from './live-helpers.js';
import { InfluxV1 } from '../../engine/connectors/influx/index.js';
import { InfluxHistory } from '../../engine/components/history/influx-store.js';
import type { InfluxConnection } from '../../engine/connectors/influx/index.js';
import { checkConfig } from '../../engine/pipeline/plan.js';
import { Runner } from '../../engine/pipeline/runner.js';

const ADMIN = { username: 'admin', password: "p'w\\d" };

describe('InfluxDB output and history, v1 form (influxd 1.6: /write, /query)', () => {
  let influx: InfluxServer;
  let dir: string;
  let conn: InfluxConnection;
  let expected: Row[];

  beforeAll(async () => {
    influx = await startInflux({ version: '1.6', auth: ADMIN });
    dir = tempDir();
    expected = await expectedSensorRows(dir, LINES);
    conn = { kind: 'v1', url: influx.url, username: ADMIN.username, password: ADMIN.password, database: 'live', measurement: 'points' };
  }, 5 * MIN);
  afterAll(async () => {
    await influx?.stop();
    removeTempDirs();
  }, 2 * MIN);

  const influxOutput = (database: string, extra: Record<string, unknown> = {}) => ({
    method: 'influx',
    options: {
      influx: { host: '127.0.0.1', port: influx.port, username: ADMIN.username, password: ADMIN.password, database, measurement: 'points' },
      ...extra,
    },
  });

  it('writes every aggregate row once: key fields as tags, integer and float fields, the window end (ns) as time; creates the database; a re-run replaces', async () => {
    const cfg = writeJson(
      path.join(dir, 'v1.json'),
      sensorConfig({ input_type: 'csv', options: { path: path.join(dir, 'expected.csv'), batchDuration: 10, time_field: 'timestamp' } }, [
        influxOutput('live', { batch_size: 70 }),
      ]),
    );
    for (let i = 0; i < 2; i++) {
      const r = runCli(['run', cfg, '--no-progress']);
      expect(await r.exited, r.stderr()).toBe(0);
    }
    const client = new InfluxV1(conn);
    const got = await influxPoints(client);
    expect(got.length).toBe(expected.length); // 300 points: the second run replaced the first
    expect(got.map(roundSum)).toEqual(expected.map(asInflux));
    // integers as integer fields, doubles as float fields, key fields as tags
    const keys = await client.query('SHOW FIELD KEYS FROM "points"', { db: 'live' });
    const types = Object.fromEntries(keys.results![0]!.series![0]!.values.map((v) => [v[0], v[1]]));
    expect(types).toEqual({ counter: 'integer', rpm_min: 'float', rpm_max: 'float', rpm_sum: 'float', speed_lt: 'integer', speed_gt: 'integer' });
    const tags = await client.query('SHOW TAG KEYS FROM "points"', { db: 'live' });
    expect(tags.results![0]!.series![0]!.values.map((v) => v[0])).toEqual(['sensor_id', 'sensor_type']);
  });

  it('D-39: an integer outside signed 64 bits is a row error (counted, dead-lettered, not written); the rest of the window is written, int64 extremes exactly', async () => {
    const ds = writeJson(path.join(dir, 'big-ds.json'), { k: { index: 0, type: 'StringType' }, v: { index: 1, type: 'LongType' } });
    const csv = path.join(dir, 'big.csv');
    fs.writeFileSync(csv, ['over,9223372036854775807', 'over,1', 'max,9223372036854775807', 'min,-9223372036854775808', 'small,42', ''].join('\n'));
    const cfg = writeJson(path.join(dir, 'big.json'), {
      input: { input_type: 'csv', data_structure: ds, options: { path: csv } },
      outputs: [
        {
          method: 'influx',
          options: { influx: { host: '127.0.0.1', port: influx.port, username: ADMIN.username, password: ADMIN.password, database: 'big', measurement: 'm' } },
        },
      ],
      processing: { transformation: ['k', 'v'], aggregations: { operation_type: 'reduceByKey', rule: ['key: k', 'sum(v)'] } },
      databases: {},
    });
    const dead = path.join(dir, 'big-dead.jsonl');
    const r = runCli(['run', cfg, '--no-progress', '--dead-letter', dead]);
    expect(await r.exited, r.stderr()).toBe(0);
    expect(r.stderr()).toMatch(
      /warning: row error at influx \S+ database big \(measurement m\): aggregate row of the window ending \S+ with key \('over',\) not written: v = 9223372036854775808 is outside the signed 64-bit range of InfluxDB integers\n/,
    );
    expect(r.stderr()).toMatch(/row errors: 1 \(influx: integer outside int64: 1\); kept in /);
    const letters = fs
      .readFileSync(dead, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toMatchObject([{ reason: 'influx: integer outside int64', raw: "(('over',), 9223372036854775808)" }]);
    const got = await new InfluxV1({ ...conn, database: 'big', measurement: 'm' }).history({
      measurement: 'm',
      fromNs: 0n,
      toNs: 4_000_000_000_000_000_000n,
      tags: [],
    });
    const byKey = Object.fromEntries(got.map((x) => [x.k, x.v]));
    expect(byKey).toEqual({ max: 9223372036854775807n, min: -9223372036854775808n, small: 42 });
  });

  it('history: the point closest to the target within ± accuracy (bounds included, a tie goes to the later one), escaped tag values (D-27), fields + tags + time in ns', async () => {
    const db = 'hist';
    const client = new InfluxV1({ ...conn, database: db, measurement: 'odd "meas", m' });
    await client.ensureDatabase();
    const T = 1_700_000_100_000; // ms
    const ns = (ms: number) => BigInt(ms) * 1_000_000n;
    const nasty = ["it's", 'back\\slash', 'a"b', 'x,y=z w', "end\\'"];
    const lines: string[] = [];
    for (const name of nasty) {
      const tag = name.replace(/([,= ])/g, '\\$1');
      lines.push(`odd\\ "meas"\\,\\ m,name=${tag},n=5 v=1.5,c=1i ${ns(T - 3000)}`);
      lines.push(`odd\\ "meas"\\,\\ m,name=${tag},n=5 v=2.5,c=2i ${ns(T - 1000) + 1n}`);
      lines.push(`odd\\ "meas"\\,\\ m,name=${tag},n=5 v=3.5,c=3i ${ns(T + 2000)}`);
      lines.push(`odd\\ "meas"\\,\\ m,name=${tag},n=6 v=9.5,c=9i ${ns(T)}`); // another series
    }
    await client.write(lines);
    const hist = new InfluxHistory({ ...conn, database: db, measurement: 'odd "meas", m' }, { warn: () => undefined });
    await hist.open();
    try {
      for (const name of nasty) {
        const q = { keyFields: ['name', 'n'], key: [name, 5], targetMs: T, toleranceMs: 2000 };
        expect(await hist.lookup(q), name).toEqual({ name, n: '5', v: 2.5, c: 2, time: ns(T - 1000) + 1n });
        // bounds inclusive: T + 0.6 s ± 1.4 s reaches the point at +2 s exactly, not the one at -1 s
        expect(await hist.lookup({ ...q, targetMs: T + 600, toleranceMs: 1400 }), name).toEqual({ name, n: '5', v: 3.5, c: 3, time: ns(T + 2000) });
        expect(await hist.lookup({ ...q, toleranceMs: 500 }), name).toBeUndefined();
        // -3 s is 1 ns closer to T - 2 s than -1 s + 1 ns: distances in ns, not rounded
        expect((await hist.lookup({ ...q, targetMs: T - 2000, toleranceMs: 1001 }))?.v).toBe(1.5);
      }
      // exact tie: equal distance to both points picks the later one
      await client.write([`odd\\ "meas"\\,\\ m,name=tie,n=1 v=1 ${ns(T - 1000)}`, `odd\\ "meas"\\,\\ m,name=tie,n=1 v=2 ${ns(T + 1000)}`]);
      expect((await hist.lookup({ keyFields: ['name', 'n'], key: ['tie', 1], targetMs: T, toleranceMs: 1000 }))?.v).toBe(2);
      // a double key 5.0 is stored as the tag "5.0" (Python str), an integer key 5 as "5": both found
      await client.write([`odd\\ "meas"\\,\\ m,name=dbl,n=5.0 v=7 ${ns(T)}`]);
      expect((await hist.lookup({ keyFields: ['name', 'n'], key: ['dbl', 5], targetMs: T, toleranceMs: 0 }))?.v).toBe(7);
      expect(hist.queries).toBeGreaterThan(10);
    } finally {
      await hist.close();
    }
  });

  it('analysis with history read from InfluxDB raises the same alerts as with history from SQLite', async () => {
    // the first test stored these windows in database "live"
    const csv = path.join(dir, 'expected.csv');
    const analysis = sensorAnalysis;
    const input = { input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp' } };
    const a = writeJson(
      path.join(dir, 'an-sqlite.json'),
      sensorConfig(input, [{ method: 'sqlite', main: true, options: { path: path.join(dir, 'an.db') } }], { analysis: analysis() }),
    );
    const b = writeJson(
      path.join(dir, 'an-influx.json'),
      sensorConfig(input, [{ method: 'stdout', options: { format: 'jsonl' } }], {
        analysis: analysis({
          method: 'influx',
          influx_options: { host: '127.0.0.1', port: influx.port, username: ADMIN.username, password: ADMIN.password, database: 'live', measurement: 'points' },
        }),
      }),
    );
    const ra = runCli(['run', a, '--no-progress']);
    const rb = runCli(['run', b, '--no-progress']);
    expect(await ra.exited, ra.stderr()).toBe(0);
    expect(await rb.exited, rb.stderr()).toBe(0);
    const alerts = alertLines;
    expect(alerts(ra.stdout()).length).toBeGreaterThan(5);
    expect(alerts(rb.stdout())).toEqual(alerts(ra.stdout()));
    expect(rb.stderr()).toMatch(/analysis: 300 records, [1-9][\d,]* history lookups/);
  });

  it('InfluxDB killed mid-run and started again: writes are retried with backoff while the input waits, and every window arrives exactly once', async () => {
    const text = fs.readFileSync(path.join(dir, 'expected.csv'), 'utf8');
    const csv = path.join(dir, 'paced.csv');
    fs.writeFileSync(csv, text);
    const cfgFile = writeJson(
      path.join(dir, 'outage.json'),
      sensorConfig({ input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp', speed: 15 } }, [
        influxOutput('outage', { max_retries: 30 }),
      ]),
    );
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
      await influx.kill();
      await sleep(2500);
      const during = windows;
      await sleep(1500);
      expect(windows - during).toBeLessThanOrEqual(1); // the input waits for the output (back-pressure)
      await influx.start();
      const stats = await done;
      expect(stats.state).toBe('finished');
      expect(stats.windowsClosed).toBe(15);
    } finally {
      clearInterval(poll);
    }
    expect(seen.has('retrying')).toBe(true);
    expect(warnings.join('\n')).toMatch(/influx output: cannot reach InfluxDB at .*: connection refused; retry \d+\/30/);
    const got = await influxPoints(new InfluxV1({ ...conn, database: 'outage' }));
    expect(got.length).toBe(expected.length);
    expect(got.map(roundSum)).toEqual(expected.map(asInflux));
  });
});

void v2Suite('v2 form (url + token + org + bucket) against influxd 1.8 built from source (/api/v2/write, Flux on /api/v2/query)', async () => {
  const auth = { username: 'v2user', password: 'v2-pass' };
  const server = await startInflux({ version: '1.8', auth });
  return {
    server,
    conn: (measurement) => ({ kind: 'v2', url: server.url, token: server.token, org: '-', bucket: 'live/autogen', measurement }),
    // a 1.x bucket is database/retention-policy: the database must exist (created here with the v1 API)
    prepare: async () => {
      await new InfluxV1({
        kind: 'v1',
        url: server.url,
        username: auth.username,
        password: auth.password,
        database: 'live',
        measurement: 'points',
      }).ensureDatabase();
    },
  };
});
