/**
 * History read back from InfluxDB (docs/semantics.md#history-lookups): the
 * points of the record's series within target ± accuracy (numeric epoch-ns
 * bounds, quoted identifiers, escaped tag values), the one closest to the
 * target wins (a tie goes to the later one, like the SQLite history). Returns
 * the stored fields and tags and `time` (ns, bigint). The v1 form speaks
 * InfluxQL on /query, the v2 form Flux through the client library.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import type { Value } from '../../core/types.js';
import type { HistoryQuery, HistorySource } from '../types.js';
import { EngineError } from '../../core/errors.js';
import { influxClient, isRetriable, msToNs, tagFilter, type InfluxClient, type InfluxConnection, type TagFilter } from '../../connectors/influx/index.js';
import { withRetries } from '../../connectors/backoff.js';

export class InfluxHistory implements HistorySource {
  readonly description: string;
  private client: InfluxClient | undefined;
  queries = 0;
  private readonly clock: Clock;

  constructor(
    private readonly conn: InfluxConnection,
    opts: { warn(m: string): void; clock?: Clock },
  ) {
    this.clock = opts.clock ?? systemClock;
    this.description = `influx ${conn.url} ${conn.kind === 'v1' ? `database ${conn.database}` : `bucket ${conn.bucket}`} (measurement ${conn.measurement})`;
  }

  async open(): Promise<void> {
    const client = influxClient(this.conn);
    try {
      await withRetries(() => client.ping(), { maxRetries: 3, retriable: isRetriable, sleep: (ms) => this.clock.sleep(ms) });
    } catch (e) {
      throw new EngineError('InfluxConnectError', `InfluxDB error: cannot connect to ${this.conn.url} for analysis history: ${(e as Error).message}`);
    }
    this.client = client;
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const target = msToNs(q.targetMs);
    const tol = msToNs(q.toleranceMs);
    const tags: TagFilter[] = q.key ? q.keyFields.map((k, i) => tagFilter(k, q.key![i]!)) : [];
    this.queries++;
    // a short outage should not cost the record its analysis
    const rows = await withRetries(() => this.client!.history({ measurement: this.conn.measurement, fromNs: target - tol, toNs: target + tol, tags }), {
      maxRetries: 2,
      retriable: isRetriable,
      minMs: 250,
      sleep: (ms) => this.clock.sleep(ms),
    });
    let best: Record<string, Value> | undefined;
    let bestD = 0n;
    for (const r of rows) {
      const t = r.time as bigint;
      const d = t > target ? t - target : target - t;
      if (!best || d < bestD || (d === bestD && t > (best.time as bigint))) {
        best = r;
        bestD = d;
      }
    }
    return best;
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}
