// Real-server harness test of InfluxDB OSS 2.7 (real v2 API). influxd 2.7 takes minutes to build
// on 2 cores (Go + Rust libflux): `npm test` builds it in the background and runs the
// influx27 project last; run alone, the first start builds it (docs/testing.md).
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from './influx.js';

const MIN = 60_000;
const BASE_NS = 1_700_000_000_000_000_000n;

function report(what: string, ms: number): void {
  // start-up times are worth seeing in CI output
  console.log(`[servers.influx27.test] ${what}: ${ms} ms`);
}

describe('InfluxDB 2.7 harness (built from source, real v2 API)', () => {
  let influx: InfluxServer;

  beforeAll(async () => {
    influx = await startInflux({ version: '2.7' });
    report('influxd 2.7 first start (incl. setup)', influx.lastStartMs);
  }, 40 * MIN); // run alone on a cold machine, this includes the build

  afterAll(async () => {
    await influx?.stop();
  }, MIN);

  it(
    'writes with org/bucket/token through /api/v2/write, reads back with Flux, survives kill -9',
    async () => {
      const health = (await (await fetch(`${influx.url}/health`)).json()) as { version: string };
      expect(health.version).toBe('2.7.12');
      expect(influx.org).toBe('ts-engine');
      expect(influx.bucket).toBe('default');

      const bad = await fetch(`${influx.url}/api/v2/write?org=${influx.org}&bucket=${influx.bucket}&precision=ns`, {
        method: 'POST',
        headers: { authorization: 'Token not-the-token' },
        body: 'cpu value=1 1',
      });
      expect(bad.status).toBe(401);

      const client = new InfluxDB({ url: influx.url, token: influx.token });
      const write = client.getWriteApi(influx.org, influx.bucket!, 'ns', { maxRetries: 0 });
      for (let i = 0; i < 20; i++) {
        write.writePoint(
          new Point('temp')
            .tag('sensor', `s${i % 2}`)
            .floatField('value', 20 + i / 4)
            .timestamp((BASE_NS + BigInt(i) * 1_000_000_007n).toString()),
        );
      }
      await write.close();

      const flux = `from(bucket: "${influx.bucket}")
      |> range(start: 2023-11-01T00:00:00Z, stop: 2023-12-01T00:00:00Z)
      |> filter(fn: (r) => r._measurement == "temp" and r._field == "value")
      |> group()
      |> sort(columns: ["_time"])`;
      const readAll = async () =>
        (await client.getQueryApi(influx.org).collectRows<{ _time: string; _value: number; sensor: string }>(flux)).map(
          (r) => [r._time, r._value, r.sensor] as const,
        );
      const rows = await readAll();
      expect(rows).toHaveLength(20);
      rows.forEach(([time, value, sensor], i) => {
        expect(value).toBe(20 + i / 4);
        expect(sensor).toBe(`s${i % 2}`);
        const ns = BASE_NS + BigInt(i) * 1_000_000_007n;
        const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
        expect(time).toBe(`${new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`);
      });

      await influx.kill();
      await influx.start();
      report('influxd 2.7 restart after kill -9', influx.lastStartMs);
      expect(await readAll()).toEqual(rows);
    },
    3 * MIN,
  );
});
