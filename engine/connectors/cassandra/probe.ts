/**
 * Cassandra as the workbench's Connections panel and `check --connect` see it: reachable,
 * credentials accepted, the local datacenter there, the release and the nodes; the keyspaces
 * with their tables; and whether the keyspace and table a config names exist. One line naming the
 * contact points when something is wrong; short time limits, so a dead address never hangs the UI.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { ConnectionError, deadline, quietly } from '../probe-util.js';
import { cassandraClient, contactText, describeCassandraError, type CassandraClient } from './client.js';
import { DEFAULT_DATACENTER } from './connection.js';
import { describeColumns, tableColumns } from './table.js';

const DEFAULT_TIMEOUT_MS = 6000;
/** the datacenter of a single-node Cassandra started with its default snitch */

export interface CassandraConnectionArgs {
  /** `host:port` (9042 when the port is left out) */
  contactPoints: string[];
  /** default datacenter1 */
  localDataCenter?: string;
  username?: string;
  password?: string;
  /** true, or Node TLS options (ca, cert, key, rejectUnauthorized, servername, …) */
  ssl?: boolean | Record<string, unknown>;
  /** longest wait for an answer, ms (default 6000) */
  timeoutMs?: number;
}

export interface CassandraTestArgs extends CassandraConnectionArgs {
  /** also say whether this keyspace (and table) exist */
  keyspace?: string;
  table?: string;
}

export interface CassandraHostInfo {
  address: string;
  datacenter: string;
  rack: string;
  version: string;
  up: boolean;
}

export interface CassandraTestResult {
  ok: boolean;
  /** the contact points tried */
  address: string;
  clusterName?: string;
  /** release of the node that answered (`5.0.4`) */
  version?: string;
  localDataCenter?: string;
  /** the nodes the driver knows */
  hosts: CassandraHostInfo[];
  /** user keyspaces (system ones left out) */
  keyspaceCount?: number;
  /** the keyspace and table asked about */
  keyspace?: { name: string; exists: boolean; tables?: string[] };
  table?: { name: string; exists: boolean; columns?: string };
  warnings: string[];
  error?: string;
  elapsedMs: number;
}

export interface CassandraKeyspaceInfo {
  name: string;
  /** Cassandra's own keyspaces (system, system_auth, …) */
  system: boolean;
  /** the replication map (`class`, `replication_factor` or one entry per datacenter) */
  replication: Record<string, string>;
  tables: string[];
}

export interface CassandraKeyspaceList {
  address: string;
  keyspaces: CassandraKeyspaceInfo[];
  elapsedMs: number;
}

/** Checks and normalises the contact points: non-empty `host` or `host:port` strings. */
export function contactPointList(points: unknown): string[] {
  const list = (Array.isArray(points) ? points : typeof points === 'string' ? points.split(',') : []).map((p) => String(p).trim()).filter((p) => p.length > 0);
  if (list.length === 0) throw new ConnectionError('no Cassandra contact points given (host:port, comma-separated)');
  for (const p of list) {
    const m = /^(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(p);
    if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)))
      throw new ConnectionError(`Cassandra contact point ${JSON.stringify(p)} is not host:port`);
  }
  return list;
}

const isSystemKeyspace = (name: string) => name === 'system' || name.startsWith('system_');

/** Connects a short-lived client (within the time limit) and runs `body` with it; always shuts it down. */
async function withClient<T>(
  a: CassandraConnectionArgs,
  clock: Clock,
  body: (client: CassandraClient, points: string[], timeoutMs: number) => Promise<T>,
): Promise<T> {
  const points = contactPointList(a.contactPoints);
  const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const client = cassandraClient(
    { contactPoints: points, localDataCenter: a.localDataCenter || DEFAULT_DATACENTER, username: a.username || undefined, password: a.password, ssl: a.ssl },
    { connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs },
  );
  const where = `Cassandra at ${contactText(points)}`;
  try {
    await deadline(clock, client.connect(), timeoutMs, () => new ConnectionError(`cannot reach ${where}: no answer within ${timeoutMs / 1000} s`));
  } catch (e) {
    void quietly(clock, client.shutdown());
    if (e instanceof ConnectionError) throw e;
    throw new ConnectionError(`cannot connect to ${where}: ${describeCassandraError(e)}`);
  }
  try {
    return await deadline(clock, body(client, points, timeoutMs), timeoutMs, () => new ConnectionError(`${where}: no answer within ${timeoutMs / 1000} s`));
  } catch (e) {
    if (e instanceof ConnectionError) throw e;
    throw new ConnectionError(`${where}: ${describeCassandraError(e)}`);
  } finally {
    await quietly(clock, client.shutdown());
  }
}

/** Reachable, Cassandra, credentials and datacenter accepted; what the cluster is and whether the keyspace and table are there. */
export async function testCassandra(a: CassandraTestArgs, clock: Clock = systemClock): Promise<CassandraTestResult> {
  const t0 = clock.now();
  const result: CassandraTestResult = {
    ok: false,
    address: Array.isArray(a.contactPoints) ? a.contactPoints.join(',') : '',
    hosts: [],
    warnings: [],
    elapsedMs: 0,
  };
  try {
    await withClient(a, clock, async (client, points) => {
      result.address = contactText(points);
      const local = (await client.execute('SELECT cluster_name, release_version, data_center FROM system.local')).first();
      result.clusterName = local?.cluster_name as string | undefined;
      result.version = local?.release_version as string | undefined;
      result.localDataCenter = a.localDataCenter || DEFAULT_DATACENTER;
      result.hosts = client.hosts.values().map((h) => ({
        address: h.address,
        datacenter: h.datacenter,
        rack: h.rack,
        version: h.cassandraVersion,
        up: h.isUp(),
      }));
      const keyspaces = (await client.execute('SELECT keyspace_name FROM system_schema.keyspaces')).rows.map((r) => r.keyspace_name as string);
      result.keyspaceCount = keyspaces.filter((k) => !isSystemKeyspace(k)).length;
      if (a.keyspace) {
        const exists = keyspaces.includes(a.keyspace);
        result.keyspace = { name: a.keyspace, exists };
        if (!exists) {
          result.warnings.push(`keyspace ${a.keyspace} does not exist yet (the cassandra output creates it at start when the user may)`);
        } else {
          const tables = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [a.keyspace]);
          result.keyspace.tables = tables.rows.map((r) => r.table_name as string).sort();
          if (a.table) {
            const cols = await tableColumns(client, a.keyspace, a.table);
            result.table = { name: a.table, exists: cols !== undefined, columns: cols && describeColumns(cols) };
            if (!cols) result.warnings.push(`table ${a.keyspace}.${a.table} does not exist yet (the cassandra output creates it at start)`);
          }
        }
      }
      if (result.hosts.some((h) => !h.up)) {
        result.warnings.push(
          `node(s) down: ${result.hosts
            .filter((h) => !h.up)
            .map((h) => `${h.address} (${h.datacenter})`)
            .join(', ')}`,
        );
      }
    });
    result.ok = true;
  } catch (e) {
    result.error = (e as Error).message;
  }
  result.elapsedMs = clock.now() - t0;
  return result;
}

/** Every keyspace with its replication and tables; throws a one-line ConnectionError when the cluster cannot be read. */
export async function listKeyspaces(a: CassandraConnectionArgs, clock: Clock = systemClock): Promise<CassandraKeyspaceList> {
  const t0 = clock.now();
  return withClient(a, clock, async (client, points) => {
    const ks = await client.execute('SELECT keyspace_name, replication FROM system_schema.keyspaces');
    const tables = await client.execute('SELECT keyspace_name, table_name FROM system_schema.tables');
    const byKeyspace = new Map<string, string[]>();
    for (const r of tables.rows) {
      const k = r.keyspace_name as string;
      byKeyspace.set(k, [...(byKeyspace.get(k) ?? []), r.table_name as string]);
    }
    const keyspaces = ks.rows
      .map((r) => {
        const name = r.keyspace_name as string;
        return {
          name,
          system: isSystemKeyspace(name),
          replication: { ...((r.replication as Record<string, string> | null) ?? {}) },
          tables: (byKeyspace.get(name) ?? []).sort(),
        };
      })
      // the user's keyspaces first, then Cassandra's own
      .sort((x, y) => Number(x.system) - Number(y.system) || x.name.localeCompare(y.name));
    return { address: contactText(points), keyspaces, elapsedMs: clock.now() - t0 };
  });
}
