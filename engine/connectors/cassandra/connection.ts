/**
 * What a Cassandra output or history store connects with, without the driver: config checks,
 * schemas and descriptors read this, and only a connection made loads `cassandra-driver` (client.ts).
 */

/** Consistency levels by their CQL names (`LOCAL_QUORUM`). */
export const CONSISTENCY_NAMES = ['ANY', 'ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'] as const;
export type ConsistencyName = (typeof CONSISTENCY_NAMES)[number];

/** A single node's datacenter unless configured otherwise. */
export const DEFAULT_DATACENTER = 'datacenter1';

export interface CassandraConnection {
  /** `host:port` (port 9042 when left out) */
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  table: string;
  username?: string;
  password?: string;
  /** true, or Node TLS options (ca, cert, key, rejectUnauthorized, servername, …) */
  ssl?: boolean | Record<string, unknown>;
  consistency: ConsistencyName;
}

/** The contact points as the messages name them. */
export function contactText(points: readonly string[]): string {
  return points.join(',');
}
