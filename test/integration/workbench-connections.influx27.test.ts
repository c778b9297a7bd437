// The workbench's connection panel back end (connection.testInflux, v2 API) against a real
// InfluxDB OSS 2.7 built from source: `npm test` builds it in the background and runs this last.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from './servers/influx.js';
import { ROOT, removeTempDirs, tempDir } from './live-helpers.js';
import { createHandlers } from '../../main/api/handlers.js';

const MIN = 60_000;

describe('workbench connections against a real InfluxDB 2.7', () => {
  let influx27: InfluxServer;
  let h: ReturnType<typeof createHandlers>;

  beforeAll(async () => {
    influx27 = await startInflux({ version: '2.7' });
    const dir = tempDir('ts-engine-conn27-');
    h = createHandlers({
      mode: 'web',
      samplesDir: path.join(ROOT, 'samples'),
      stateDir: path.join(dir, 'state'),
      projectsHome: path.join(dir, 'projects'),
      emit: () => undefined,
    });
  }, 40 * MIN); // run alone on a cold machine, the first start includes the build

  afterAll(async () => {
    await h?.dispose();
    await influx27?.stop();
    removeTempDirs();
  }, 2 * MIN);

  it('connection.testInflux, v2 API: InfluxDB 2.7 (token, org, bucket); wrong token and unknown bucket', async () => {
    await fetch(`${influx27.url}/api/v2/write?org=${influx27.org}&bucket=${influx27.bucket}`, {
      method: 'POST',
      headers: { authorization: `Token ${influx27.token}` },
      body: 'points,sensor_id=1 rpm=5i',
    });
    const v27 = await h['connection.testInflux']({ url: influx27.url, token: influx27.token, org: influx27.org, bucket: influx27.bucket });
    expect(v27).toMatchObject({ ok: true, api: 'v2', version: expect.stringMatching(/^2\.7\./), measurements: ['points'] });
    expect(v27.buckets).toContain(influx27.bucket);

    const badToken = await h['connection.testInflux']({ url: influx27.url, token: 'nope', org: influx27.org });
    expect(badToken.error).toMatch(new RegExp(`^InfluxDB at ${influx27.url}: authentication failed \\(token rejected: HTTP 401`));
    const badBucket = await h['connection.testInflux']({ url: influx27.url, token: influx27.token, org: influx27.org, bucket: 'nope' });
    expect(badBucket.error).toBe(`bucket nope not found at ${influx27.url} in organisation ${influx27.org} (the influx output needs it to exist)`);
  });
});
