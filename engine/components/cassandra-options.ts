/**
 * The Cassandra connection options shared by the `cassandra` output and Cassandra history
 * (docs/live.md#cassandra): contact points, local datacenter, keyspace and table, credentials, TLS
 * and the consistency level of reads and writes.
 */
import { CONSISTENCY_NAMES, DEFAULT_DATACENTER, type CassandraConnection } from '../connectors/cassandra/connection.js';
import { type ObjectOf, type Place, type ParseEnv, array, ifThen, oneOf, obj, secret, str, StringSpec } from '../options/spec.js';
import { sslSpec } from './kafka-options.js';

/** Cassandra's own rule for keyspace and table names (quoted or not). */
const cassandraName = () =>
  new StringSpec({
    pattern: /^[A-Za-z0-9_]{1,48}$/,
    patternMessage: (v, at) => `${at.path} must be a Cassandra name (1 to 48 letters, digits or _), got ${JSON.stringify(v)}`,
  }).strict();

const contactPoint = new StringSpec({
  pattern: /^(\[[^\]\s]+\]|[^:\s[\]]+)(:\d{1,5})?$/,
  patternMessage: (v, at) => `${at.path} must be "host" or "host:port", got ${JSON.stringify(v)}`,
});

export const connectionFields = {
  contact_points: array(contactPoint, {
    minItems: 1,
    message: (v, at) => `${at.path} must be a non-empty array of "host:port" strings, got ${JSON.stringify(v)}`,
  })
    .required()
    .describe('Cassandra nodes to connect to first, "host:port" (port 9042 when left out); the driver finds the others.'),
  local_datacenter: str()
    .default(DEFAULT_DATACENTER)
    .describe(`Datacenter whose nodes serve the requests (default ${DEFAULT_DATACENTER}, a single node's default).`),
  keyspace: cassandraName().required().describe('Keyspace of the table.'),
  table: cassandraName().default('points').describe('Table name (default points).'),
  username: str().describe('User name (PasswordAuthenticator).'),
  password: secret({ allowEmpty: true }).describe('Password (exported as ${ENV} placeholder).'),
  ssl: sslSpec,
  consistency: oneOf(...CONSISTENCY_NAMES)
    .default('LOCAL_QUORUM')
    .describe('Consistency level of writes and history reads (default LOCAL_QUORUM).'),
};

type ConnectionFields = ObjectOf<typeof connectionFields>;

/** The parsed fields as the connector's connection; a password without a user name is an error. */
export function toConnection(o: ConnectionFields, at: Place, env: ParseEnv): CassandraConnection | undefined {
  if (o.password !== undefined && o.username === undefined) {
    env.sink.report(`${at.path}.password`, 'ConfigError', `${at.path}.password is given without ${at.path}.username`);
    return undefined;
  }
  return {
    contactPoints: o.contact_points,
    localDataCenter: o.local_datacenter,
    keyspace: o.keyspace,
    table: o.table,
    username: o.username,
    password: o.password,
    ssl: o.ssl,
    consistency: o.consistency,
  };
}

/** What the schema says of toConnection's rule: a password needs a user name. */
export const connectionSchema = ifThen({ required: ['password'] }, { required: ['username'] });

/** The connection options alone (Cassandra history). */
export const cassandraConnectionSpec = obj(connectionFields, { extraSchema: connectionSchema }).map(toConnection);

/** The connection as the Connections panel's form and the probes take it. */
export function cassandraArgs(c: CassandraConnection) {
  return {
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    username: c.username,
    password: c.password,
    ssl: c.ssl,
    keyspace: c.keyspace,
    table: c.table,
  };
}
