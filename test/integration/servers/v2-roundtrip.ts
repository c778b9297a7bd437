// A round trip through the InfluxDB v2 API shared by the harness tests of influxd 1.8
// (servers.test.ts) and 2.7 (servers.influx27.test.ts): 20 points with exact ns timestamps
// written with @influxdata/influxdb-client, read back with Flux.
import { type InfluxDB, Point } from '@influxdata/influxdb-client';
import { expect } from 'vitest';

export const BASE_NS = 1_700_000_000_000_000_000n;
const nsOf = (i: number): bigint => BASE_NS + BigInt(i) * 1_000_000_007n;

export async function writeTemps(client: InfluxDB, org: string, bucket: string): Promise<void> {
  const write = client.getWriteApi(org, bucket, 'ns', { maxRetries: 0 });
  for (let i = 0; i < 20; i++) {
    write.writePoint(
      new Point('temp')
        .tag('sensor', `s${i % 2}`)
        .floatField('value', 20 + i / 4)
        .intField('seq', i)
        .timestamp(nsOf(i).toString()),
    );
  }
  await write.close();
}

/** The points' [time, value, sensor] in time order, read with Flux. */
export async function readTemps(client: InfluxDB, org: string, bucket: string): Promise<Array<readonly [string, number, string]>> {
  const flux = `from(bucket: "${bucket}")
      |> range(start: 2023-11-01T00:00:00Z, stop: 2023-12-01T00:00:00Z)
      |> filter(fn: (r) => r._measurement == "temp" and r._field == "value")
      |> group()
      |> sort(columns: ["_time"])`;
  const rows = await client.getQueryApi(org).collectRows<{ _time: string; _value: number; sensor: string }>(flux);
  return rows.map((r) => [r._time, r._value, r.sensor] as const);
}

/** All 20 came back, with their values, tags and exact ns times (RFC3339 with nanoseconds). */
export function expectTemps(rows: Array<readonly [string, number, string]>): void {
  expect(rows).toHaveLength(20);
  rows.forEach(([time, value, sensor], i) => {
    expect(value).toBe(20 + i / 4);
    expect(sensor).toBe(`s${i % 2}`);
    const ns = nsOf(i);
    const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
    expect(time).toBe(`${new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`);
  });
}
