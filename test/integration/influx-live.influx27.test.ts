// The InfluxDB output and history, v2 form, against InfluxDB OSS 2.7 built from source (the
// influxd-2.7 set-up step: `npm test` builds it in the background and runs this file last).
import { startInflux } from './servers/influx.js';
import { v2Suite } from './influx-live-suite.js';

void v2Suite('v2 form against InfluxDB OSS 2.7 built from source', async () => {
  const server = await startInflux({ version: '2.7' });
  return { server, conn: (measurement) => ({ kind: 'v2', url: server.url, token: server.token, org: server.org, bucket: server.bucket!, measurement }) };
});
