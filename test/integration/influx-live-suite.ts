// The InfluxDB output and history tests shared by influx-live.test.ts (influxd 1.6 and 1.8) and
// influx-live.influx27.test.ts (influxd 2.7, built in the background by `npm test` and run last).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxServer } from './servers/influx.js';
import { expectedSensorRows, removeTempDirs, runCli, sensorConfig, sensorLines, tempDir, writeJson, type Row } from './live-helpers.js';
import { influxClient, type InfluxClient } from '../../engine/connectors/influx/index.js';
import { InfluxHistory } from '../../engine/components/history/influx-store.js';
import type { InfluxConnection } from '../../engine/connectors/influx/index.js';

export const MIN = 60_000;
export const LINES = sensorLines(3000); // 20 sensors, 150 s: 15 windows of 10 s

/** every point of the measurement, keyed like the SQLite rows */
export async function influxPoints(client: InfluxClient, measurement = 'points'): Promise<Row[]> {
  const rows = await client.history({ measurement, fromNs: 0n, toNs: 4_000_000_000_000_000_000n, tags: [] });
  return rows
    .map((r) => ({ ...r }))
    .sort((a, b) => (a.time === b.time ? Number(a.sensor_id) - Number(b.sensor_id) : (a.time as bigint) < (b.time as bigint) ? -1 : 1));
}

/** the SQLite row as InfluxDB stores it: tags as text, window end as time (ns) */
export function asInflux(r: Row): Row {
  return {
    time: BigInt(r.window_end as number) * 1_000_000n,
    sensor_id: String(r.sensor_id),
    sensor_type: r.sensor_type,
    counter: r.counter,
    rpm_min: r.rpm_min,
    rpm_max: r.rpm_max,
    rpm_sum: Math.round((r.rpm_sum as number) * 1e6) / 1e6,
    speed_lt: r.speed_lt,
    speed_gt: r.speed_gt,
  };
}
export function roundSum(r: Row): Row {
  return { ...r, rpm_sum: Math.round((r.rpm_sum as number) * 1e6) / 1e6 };
}

/** The v2 form (url + token + org + bucket) against one server: output, then history through Flux. */
export async function v2Suite(
  name: string,
  start: () => Promise<{ server: InfluxServer; conn: (measurement: string) => InfluxConnection; prepare?(): Promise<void> }>,
) {
  describe(name, () => {
    let server: InfluxServer;
    let conn: (m: string) => InfluxConnection;
    let dir: string;
    let expected: Row[];

    beforeAll(async () => {
      const s = await start();
      server = s.server;
      conn = s.conn;
      await s.prepare?.();
      dir = tempDir();
      expected = await expectedSensorRows(dir, LINES);
    }, 40 * MIN); // the first start builds influxd 1.8 / 2.7 from source when the set-up has not yet
    afterAll(async () => {
      await server?.stop();
      removeTempDirs();
    }, 2 * MIN);

    it('writes through @influxdata/influxdb-client (token, org, bucket) and reads history back with Flux', async () => {
      const c = conn('points');
      const cfg = writeJson(
        path.join(dir, 'v2.json'),
        sensorConfig({ input_type: 'csv', options: { path: path.join(dir, 'expected.csv'), batchDuration: 10, time_field: 'timestamp' } }, [
          { method: 'influx', options: { influx: { url: c.url, token: c.token, org: c.org, bucket: c.bucket, measurement: 'points' }, batch_size: 100 } },
        ]),
      );
      const r = runCli(['run', cfg, '--no-progress']);
      expect(await r.exited, r.stderr()).toBe(0);
      const client = influxClient(c);
      const got = await influxPoints(client);
      expect(got.map(roundSum)).toEqual(expected.map(asInflux));
      const hist = new InfluxHistory(c, { warn: () => undefined });
      await hist.open();
      try {
        const row = expected[expected.length - 25]!;
        const p = await hist.lookup({
          keyFields: ['sensor_id', 'sensor_type'],
          key: [row.sensor_id as number, row.sensor_type as string],
          targetMs: (row.window_end as number) + 1500,
          toleranceMs: 2000,
        });
        expect(p && roundSum(p)).toEqual(asInflux(row));
        expect(
          await hist.lookup({
            keyFields: ['sensor_id', 'sensor_type'],
            key: [row.sensor_id as number, "no'such"],
            targetMs: row.window_end as number,
            toleranceMs: 2000,
          }),
        ).toBeUndefined();
      } finally {
        await hist.close();
        await client.close();
      }
    });
  });
}
