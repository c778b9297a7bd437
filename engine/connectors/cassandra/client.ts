/**
 * Apache Cassandra (and ScyllaDB, which speaks the same protocol) through the DataStax/Apache
 * `cassandra-driver`: one client per output or history store, prepared idempotent statements at
 * the configured consistency, varint and bigint as JS bigints (never a lossy Long), and failures
 * worded as one line that names the contact point (docs/live.md#cassandra).
 */
import cassandra from 'cassandra-driver';
import type { CassandraConnection, ConsistencyName } from './connection.js';

export { contactText, type CassandraConnection, type ConsistencyName } from './connection.js';

/** The driver's consistency levels by their CQL names. */
export const CONSISTENCIES: Record<ConsistencyName, number> = {
  ANY: cassandra.types.consistencies.any,
  ONE: cassandra.types.consistencies.one,
  TWO: cassandra.types.consistencies.two,
  THREE: cassandra.types.consistencies.three,
  QUORUM: cassandra.types.consistencies.quorum,
  ALL: cassandra.types.consistencies.all,
  LOCAL_QUORUM: cassandra.types.consistencies.localQuorum,
  EACH_QUORUM: cassandra.types.consistencies.eachQuorum,
  LOCAL_ONE: cassandra.types.consistencies.localOne,
};

export type CassandraClient = cassandra.Client;

/** A driver client (not connected yet) for the connection's cluster. */
export function cassandraClient(
  c: Pick<CassandraConnection, 'contactPoints' | 'localDataCenter' | 'username' | 'password' | 'ssl'> & { consistency?: ConsistencyName },
  opts: { connectTimeoutMs?: number; readTimeoutMs?: number; metadata?: boolean } = {},
): CassandraClient {
  return new cassandra.Client({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    credentials: c.username !== undefined ? { username: c.username, password: c.password ?? '' } : undefined,
    sslOptions: c.ssl === true ? {} : c.ssl ? (c.ssl as cassandra.ClientOptions['sslOptions']) : undefined,
    encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
    // schema metadata is read by the probe (keyspaces and tables), not by writers
    isMetadataSyncEnabled: opts.metadata === true,
    policies: {
      // a node that went away is tried again soon: our own backoff (connectors/backoff.ts) decides when to give up
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(250, 5000, true),
    },
    socketOptions: { connectTimeout: opts.connectTimeoutMs ?? 5000, readTimeout: opts.readTimeoutMs ?? 12_000 },
    queryOptions: {
      consistency: CONSISTENCIES[c.consistency ?? 'LOCAL_QUORUM'],
      prepare: true,
      isIdempotent: true,
      captureStackTrace: false,
    },
  });
}

// ---- errors --------------------------------------------------------------------------------

const codes = cassandra.types.responseErrorCodes;
/** Server answers that a later attempt can get past (a node down, overloaded, a timeout) */
const RETRIABLE_CODES = new Set<number>([
  codes.serverError,
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.writeTimeout,
  codes.readTimeout,
  codes.writeFailure,
  codes.readFailure,
]);

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0]!.trim();

function hostErrors(e: unknown): [string, Error][] {
  const inner = (e as { innerErrors?: Record<string, Error> }).innerErrors;
  return inner && typeof inner === 'object' ? Object.entries(inner) : [];
}

/** Wrong credentials, an unknown datacenter, a bad statement: waiting does not help. */
export function isRetriable(e: unknown): boolean {
  if (e instanceof cassandra.errors.ResponseError) return RETRIABLE_CODES.has(e.code);
  if (e instanceof cassandra.errors.NoHostAvailableError) {
    const inner = hostErrors(e).map(([, x]) => x);
    return !inner.some((x) => x instanceof cassandra.errors.AuthenticationError || x instanceof cassandra.errors.ArgumentError || !isRetriableHostError(x));
  }
  return (
    e instanceof cassandra.errors.OperationTimedOutError ||
    e instanceof cassandra.errors.BusyConnectionError ||
    (e as { code?: string }).code === 'ECONNREFUSED' ||
    (e as { code?: string }).code === 'ECONNRESET'
  );
}

function isRetriableHostError(x: Error): boolean {
  return x instanceof cassandra.errors.ResponseError ? RETRIABLE_CODES.has(x.code) : true;
}

/** One host's failure in a few words (`connection refused`, `authentication failed: …`). */
function hostProblem(x: Error): string {
  const code = (x as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (x instanceof cassandra.errors.AuthenticationError) return `authentication failed: ${firstLine(x.message)}`;
  if (x instanceof cassandra.errors.OperationTimedOutError || /timed? ?out/i.test(x.message)) return `no answer in time (${firstLine(x.message)})`;
  if (x instanceof cassandra.errors.ArgumentError) {
    const dc = /localDataCenter was configured as '([^']*)', but only found hosts in data centers: \[([^\]]*)\]/.exec(x.message);
    if (dc) return `local_datacenter ${JSON.stringify(dc[1])} is not a datacenter of this cluster (it has: ${dc[2]})`;
  }
  return firstLine(x.message) || x.name;
}

/** A driver error as one line (no stack, no "See innerErrors"), each failing host named. */
export function describeCassandraError(e: unknown): string {
  const hosts = hostErrors(e);
  if (hosts.length > 0) {
    const problems = hosts.map(([addr, x]) => ({ addr, what: hostProblem(x) }));
    const same = problems.every((p) => p.what === problems[0]!.what);
    return same && problems.length > 1
      ? `${problems.map((p) => p.addr).join(', ')}: ${problems[0]!.what}`
      : problems.map((p) => `${p.addr}: ${p.what}`).join('; ');
  }
  if (e instanceof cassandra.errors.NoHostAvailableError) return firstLine(e.message.replace(/\s*See innerErrors\.?$/, '')) || 'no host available';
  if (e instanceof Error) return hostProblem(e);
  return String(e);
}

/** True when no host accepted the credentials. */
export function isAuthError(e: unknown): boolean {
  return (
    e instanceof cassandra.errors.AuthenticationError ||
    (e instanceof cassandra.errors.ResponseError && e.code === codes.badCredentials) ||
    hostErrors(e).some(([, x]) => x instanceof cassandra.errors.AuthenticationError)
  );
}

// ---- CQL -----------------------------------------------------------------------------------

/** A quoted CQL identifier: case kept, `"` doubled. */
export function cqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"ks"."table"` */
export function cqlTable(keyspace: string, table: string): string {
  return `${cqlIdent(keyspace)}.${cqlIdent(table)}`;
}

/** A CQL string literal. */
export function cqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `{'class': 'NetworkTopologyStrategy', 'dc1': '3'}`: a replication map as CQL. */
export function cqlReplication(r: Record<string, string | number>): string {
  return `{${Object.entries(r)
    .map(([k, v]) => `${cqlString(k)}: ${cqlString(String(v))}`)
    .join(', ')}}`;
}
