/**
 * An InfluxDB client of either API: v1 (the reference's host/port/username/password/database:
 * /ping, /write, /query with InfluxQL; served by 1.x and by the v1-compatible endpoints of 2.x and
 * 3.x) or v2 (url/token/org/bucket through @influxdata/influxdb-client's WriteApi and QueryApi).
 */
import type { Value } from '../../core/types.js';
import type { TagFilter } from './query.js';

/** v1 form (reference options) or v2 form (url + token + org + bucket) */
export interface InfluxConnection {
  kind: 'v1' | 'v2';
  url: string;
  username?: string;
  password?: string;
  database?: string;
  token?: string;
  org?: string;
  bucket?: string;
  measurement: string;
  retentionPolicy?: string;
}

export interface SeriesResult {
  columns: string[];
  values: unknown[][];
}

export interface InfluxClient {
  readonly url: string;
  /** what to call the target in messages: db/rp or bucket */
  readonly target: string;
  ping(): Promise<void>;
  /** creates the database when missing (v1); false when not allowed */
  ensureDatabase(): Promise<boolean>;
  /** writes line-protocol lines; resolves once InfluxDB confirmed them (204) */
  write(lines: string[]): Promise<{ partial?: string }>;
  /** rows of the history lookup, `time` as bigint ns */
  history(q: { measurement: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): Promise<Record<string, Value>[]>;
  close(): Promise<void>;
}

export interface InfluxClientOptions {
  timeoutMs?: number;
  /** most lines one write() gets (v2: the client's buffer must never flush on its own) */
  batchSize?: number;
}
