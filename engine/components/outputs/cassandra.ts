/**
 * `cassandra` output (docs/live.md#cassandra-output): one row per aggregate row in a table
 * partitioned by the key fields and clustered by the window end (newest first), written as
 * idempotent upserts in batches per partition, retried with backoff while the input waits. The
 * sink (cassandra-sink.ts) and the driver load only when one is configured.
 */
import { contactText } from '../../connectors/cassandra/connection.js';
import { custom, int, isObj, obj, type JsonSchema } from '../../options/spec.js';
import type { OutputDescriptor } from '../descriptor.js';
import { cassandraArgs, connectionFields, connectionSchema, toConnection } from '../cassandra-options.js';
import { checkConnection } from '../health.js';
import type { CassandraOutputOptions } from './cassandra-sink.js';

const replicationSchema: JsonSchema = {
  type: 'object',
  required: ['class'],
  properties: { class: { type: 'string', minLength: 1 } },
  additionalProperties: { type: ['integer', 'string'] },
  description:
    'Replication of the keyspace when the output creates it, e.g. {"class": "NetworkTopologyStrategy", "dc1": 3} or {"class": "SimpleStrategy", "replication_factor": 1}; default: NetworkTopologyStrategy with 1 replica in local_datacenter. An existing keyspace is left as it is.',
};

const replicationSpec = custom<Record<string, string | number>>(
  () => replicationSchema,
  (v, at, _env, fail) => {
    if (!isObj(v)) return fail(`${at.path} must be an object {"class": …, …}, got ${JSON.stringify(v)}`);
    if (typeof v.class !== 'string' || v.class === '')
      return fail(`${at.path}.class must name a replication strategy (NetworkTopologyStrategy, SimpleStrategy)`, `${at.path}.class`);
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'class' && !(typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x)))) {
        return fail(`${at.path}.${k} must be a replica count (an integer or a string), got ${JSON.stringify(x)}`, `${at.path}.${k}`);
      }
    }
    return v as Record<string, string | number>;
  },
);

const options = obj(
  {
    ...connectionFields,
    replication: replicationSpec,
    max_retries: int({ min: 0, max: 1000 }).default(10).describe('Retries with backoff before the run fails (default 10).'),
  },
  { extraSchema: connectionSchema },
).map((o, at, env): CassandraOutputOptions | undefined => {
  const connection = toConnection(o, at, env);
  if (!connection) return undefined;
  return {
    connection,
    replication: o.replication ?? { class: 'NetworkTopologyStrategy', [connection.localDataCenter]: 1 },
    maxRetries: o.max_retries,
  };
});

export const cassandraOutput: OutputDescriptor<'cassandra', CassandraOutputOptions> = {
  kind: 'output',
  name: 'cassandra',
  doc: 'Apache Cassandra or ScyllaDB: one row per aggregate row, partitioned by the key fields, newest window first; upserts, so a re-run replaces.',
  options,
  describe: (o) => `${contactText(o.connection.contactPoints)} ${o.connection.keyspace}.${o.connection.table}`,
  create: async (o, ctx) => new (await import('./cassandra-sink.js')).CassandraSink(ctx, o),
  asHistory: (o) => ({ method: 'cassandra', connection: o.connection }),
  readStored: async (o, shape, maxWindows) => (await import('./cassandra-sink.js')).readStoredWindows(o.connection, shape, maxWindows),
  connection: (o) => ({ kind: 'cassandra', ...cassandraArgs(o.connection) }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
  export: { reference: { unsupported: 'the reference has no Cassandra output (ts-engine only)' } },
};
