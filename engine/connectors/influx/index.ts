/** InfluxDB: clients of both APIs, line protocol, history queries, and the connection probe. */
import type { InfluxClient, InfluxClientOptions, InfluxConnection } from './client.js';
import { InfluxV1 } from './v1.js';
import { InfluxV2 } from './v2.js';

export * from './client.js';
export * from './errors.js';
export * from './json.js';
export * from './line-protocol.js';
export * from './query.js';
export { InfluxV1 } from './v1.js';
export { InfluxV2 } from './v2.js';

export function influxClient(conn: InfluxConnection, o: InfluxClientOptions = {}): InfluxClient {
  return conn.kind === 'v1' ? new InfluxV1(conn, o) : new InfluxV2(conn, o);
}
export * from './probe.js';
