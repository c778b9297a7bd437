/** Cassandra history (`analysis.historical.method: "cassandra"`): the store lives in cassandra-store.ts, loaded only when configured. */
import type { CassandraConnection } from '../../connectors/cassandra/connection.js';
import { contactText } from '../../connectors/cassandra/connection.js';
import type { HistoryDescriptor } from '../descriptor.js';
import { cassandraArgs, cassandraConnectionSpec } from '../cassandra-options.js';
import { checkConnection } from '../health.js';

export const cassandraHistory: HistoryDescriptor<'cassandra', { connection: CassandraConnection }> = {
  kind: 'history',
  name: 'cassandra',
  doc: 'Reads history back from a table written by a cassandra output: one partition read per lookup.',
  optionsKey: 'cassandra_options',
  options: cassandraConnectionSpec.required().map((connection) => ({ connection })),
  describe: (o) => `cassandra ${contactText(o.connection.contactPoints)} ${o.connection.keyspace}.${o.connection.table}`,
  create: async (o, ctx) => new (await import('./cassandra-store.js')).CassandraHistory(o.connection, { clock: ctx.clock }),
  readsOutput(o, out) {
    if (out.method !== 'cassandra') return false;
    const a = o.connection;
    const b = (out as unknown as { connection: CassandraConnection }).connection;
    return a.keyspace === b.keyspace && a.table === b.table && a.contactPoints.some((p) => b.contactPoints.includes(p));
  },
  connection: (o) => ({ kind: 'cassandra', ...cassandraArgs(o.connection) }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
  export: { reference: { unsupported: 'the reference has no Cassandra history (ts-engine only)' } },
};
