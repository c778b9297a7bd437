// Real-server harness test of InfluxDB OSS 2.7 (real v2 API). influxd 2.7 takes minutes to build
// on 2 cores (Go + Rust libflux): `npm test` builds it in the background and runs the
// influx27 project last; run alone, the first start builds it (docs/testing.md).
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from './influx.js';
import { expectTemps, readTemps, writeTemps } from './v2-roundtrip.js';

const MIN = 60_000;

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
      await writeTemps(client, influx.org, influx.bucket!);
      const readAll = () => readTemps(client, influx.org, influx.bucket!);
      const rows = await readAll();
      expectTemps(rows);

      await influx.kill();
      await influx.start();
      report('influxd 2.7 restart after kill -9', influx.lastStartMs);
      expect(await readAll()).toEqual(rows);
    },
    3 * MIN,
  );
});
