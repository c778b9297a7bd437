/**
 * `influx` output (docs/semantics.md#influx-output): one point per aggregate row, key fields as
 * tags, every point of a window stamped with the window end, retried with backoff while the input
 * waits. The sink itself (influx-sink.ts) and the InfluxDB client load only when one is configured.
 */
import type { InfluxConnection } from '../../connectors/influx/client.js';
import { int, obj } from '../../options/spec.js';
import type { OutputDescriptor } from '../descriptor.js';
import type { InfluxOutputOptions } from './influx-sink.js';
import { influxConnectionSpec } from '../influx-options.js';
import { checkConnection } from '../health.js';

const options = obj({
  influx: influxConnectionSpec.required(),
  batch_size: int({ min: 1, max: 1_000_000 }).default(5000).describe('Points per write request (default 5000).'),
  max_retries: int({ min: 0, max: 1_000_000 }).default(10).describe('Retries with backoff before the run fails (default 10).'),
}).map((o): InfluxOutputOptions => ({ connection: o.influx, batchSize: o.batch_size, maxRetries: o.max_retries }));

export const influxOutput: OutputDescriptor<'influx', InfluxOutputOptions> = {
  kind: 'output',
  name: 'influx',
  doc: 'InfluxDB 1.x, 2.x or 3.x: one point per aggregate row, key fields as tags, stamped with the window end.',
  options,
  describe: (o) => `${o.connection.url} ${o.connection.database ?? o.connection.bucket}/${o.connection.measurement}`,
  create: async (o, ctx) => new (await import('./influx-sink.js')).InfluxSink(ctx, o),
  asHistory: (o) => ({ method: 'influx', connection: o.connection }),
  connection: (o) => ({ kind: 'influx', ...influxArgs(o.connection) }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
  export: {
    reference: {
      dropKeys: [
        { key: 'batch_size', why: 'ts-engine only (write batching)', sameResults: true },
        { key: 'max_retries', why: 'ts-engine only (delivery retries)', sameResults: true },
      ],
      notes: (o, path) => {
        const c = o.influx as Record<string, unknown> | undefined;
        return c && typeof c === 'object' && (c.url !== undefined || c.token !== undefined)
          ? [`kept ${path}.influx in the v2 form (url, token, org, bucket): the reference needs host, port, username, password, database`]
          : [];
      },
    },
  },
};

/** The connection as the Connections panel's form holds it. */
export function influxArgs(c: InfluxConnection) {
  return c.kind === 'v1'
    ? { url: c.url, username: c.username, password: c.password, database: c.database, measurement: c.measurement }
    : { url: c.url, token: c.token, org: c.org, bucket: c.bucket, measurement: c.measurement };
}
