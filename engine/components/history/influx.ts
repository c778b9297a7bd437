/** InfluxDB history (`analysis.historical.method: "influx"`): the store lives in influx-store.ts, loaded only when configured. */
import type { InfluxConnection } from '../../connectors/influx/client.js';
import type { HistoryDescriptor } from '../descriptor.js';
import { influxConnectionSpec } from '../influx-options.js';
import { influxArgs } from '../outputs/influx.js';
import { checkConnection } from '../health.js';

export const influxHistory: HistoryDescriptor<'influx', { connection: InfluxConnection }> = {
  kind: 'history',
  name: 'influx',
  doc: 'Reads history points back from InfluxDB (InfluxQL for the v1 form, Flux for the v2 form).',
  optionsKey: 'influx_options',
  options: influxConnectionSpec.required().map((connection) => ({ connection })),
  describe: (o) => `influx ${o.connection.url} ${o.connection.database ?? o.connection.bucket}/${o.connection.measurement}`,
  create: async (o, ctx) => new (await import('./influx-store.js')).InfluxHistory(o.connection, { warn: ctx.warn, clock: ctx.clock }),
  readsOutput(o, out) {
    if (out.method !== 'influx') return false;
    const a = o.connection;
    const b = (out as unknown as { connection: InfluxConnection }).connection;
    return a.url === b.url && a.measurement === b.measurement && (a.database ?? a.bucket) === (b.database ?? b.bucket);
  },
  connection: (o) => ({ kind: 'influx', ...influxArgs(o.connection) }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
};
