/**
 * The InfluxDB connection options shared by the `influx` output and InfluxDB history: the
 * reference's v1 form (host, port, username, password, database) or the v2 form (url, token, org,
 * bucket), both with the measurement. The v1 form also serves the v1-compatible endpoints of 2.x/3.x.
 */
import type { InfluxConnection } from '../connectors/influx/client.js';
import { bool, forms, obj, port, secret, str, url } from '../options/spec.js';

const measurement = str().required().describe('Measurement written and queried.');

const v2 = obj({
  measurement,
  url: url().required().describe('Base URL, e.g. http://localhost:8086 (v2 form).'),
  token: secret().required().describe('API token (v2 form; exported as ${ENV} placeholder).'),
  org: str().describe('Organisation (v2 form).'),
  bucket: str().required().describe('Bucket (v2 form).'),
}).map((o): InfluxConnection => ({ kind: 'v2', url: o.url.replace(/\/+$/, ''), token: o.token, org: o.org, bucket: o.bucket, measurement: o.measurement }));

const v1 = obj({
  measurement,
  host: str().required().describe('InfluxDB host name.'),
  port: port().required().describe('HTTP API port (8086).'),
  username: str().describe('User name (v1 form).'),
  password: secret({ allowEmpty: true }).describe('Password (v1 form; exported as ${ENV} placeholder).'),
  database: str().required().describe('Database; created if missing (v1 form).'),
  ssl: bool().default(false).describe('Use https.'),
  retention_policy: str().describe('Retention policy (v1 form).'),
}).map((o): InfluxConnection => {
  const h = o.host.replace(/^https?:\/\//, '');
  return {
    kind: 'v1',
    url: `${o.ssl || o.host.startsWith('https://') ? 'https' : 'http'}://${h}:${o.port}`,
    username: o.username,
    password: o.password,
    database: o.database,
    measurement: o.measurement,
    retentionPolicy: o.retention_policy,
  };
});

/** An InfluxDB connection in either form; the v2 form is chosen when url, token or bucket is given. */
export const influxConnectionSpec = forms(
  [
    {
      when: (o) => o.url !== undefined || o.token !== undefined || o.bucket !== undefined,
      whenSchema: { anyOf: ['url', 'token', 'bucket'].map((k) => ({ required: [k] })) },
      spec: v2,
    },
  ],
  v1,
  'InfluxDB connection. Reference (v1) form: host, port, username, password, database, measurement (also serves InfluxDB 2.x/3.x v1-compatible endpoints). v2 form: url, token, org, bucket, measurement.',
).messages({
  missing: (at) =>
    `missing required key '${at.key}' (InfluxDB connection: host, port, username, password, database, measurement — or url, token, org, bucket, measurement)`,
  invalid: (_v, at) => `${at.path} must be an object`,
});
