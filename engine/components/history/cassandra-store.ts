/**
 * History read back from Cassandra (docs/live.md#cassandra-history): one partition read per
 * lookup, `window_end` between target ± accuracy in the key's partition (the table is clustered
 * newest first), the row closest to the target wins and a tie goes to the later one, as with the
 * SQLite history. Values come back as the other stores give them: integers as numbers while safe
 * (bigints beyond), booleans as 0/1, window bounds as epoch ms and `time` in ns.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { EngineError } from '../../core/errors.js';
import type { Value } from '../../core/types.js';
import { withRetries } from '../../connectors/backoff.js';
import {
  cassandraClient,
  contactText,
  cqlIdent,
  cqlTable,
  describeCassandraError,
  isRetriable,
  type CassandraClient,
  type CassandraConnection,
} from '../../connectors/cassandra/client.js';
import { fromCql, SERIES_COLUMN, tableColumns, toCql, type ExistingColumn } from '../../connectors/cassandra/table.js';
import type { HistoryQuery, HistorySource } from '../types.js';

/** the series value of a reduce's single partition (connectors/cassandra/table.ts) */
const REDUCE_SERIES = 'all';

interface Lookup {
  cql: string;
  /** CQL types of the partition columns, in the order the key binds them */
  keyTypes: string[];
}

export class CassandraHistory implements HistorySource {
  readonly description: string;
  private client: CassandraClient | undefined;
  private readonly clock: Clock;
  /** by key field names; undefined while the table does not exist */
  private statements = new Map<string, Lookup>();
  private columns: ExistingColumn[] | undefined;
  queries = 0;

  constructor(
    private readonly conn: CassandraConnection,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.description = `cassandra ${contactText(conn.contactPoints)} ${conn.keyspace}.${conn.table}`;
  }

  async open(): Promise<void> {
    const client = cassandraClient(this.conn);
    try {
      await withRetries(() => client.connect(), { maxRetries: 3, retriable: isRetriable, sleep: (ms) => this.clock.sleep(ms) });
    } catch (e) {
      await client.shutdown().catch(() => undefined);
      throw new EngineError(
        'OutputError',
        `Cassandra error: cannot connect to ${contactText(this.conn.contactPoints)} for analysis history: ${describeCassandraError(e)}`,
      );
    }
    this.client = client;
  }

  private async statement(keyFields: string[]): Promise<Lookup | undefined> {
    const id = keyFields.join('\u0001');
    const known = this.statements.get(id);
    if (known) return known;
    // nothing stored yet: asked again on the next lookup, the output may create the table meanwhile
    this.columns ??= await tableColumns(this.client!, this.conn.keyspace, this.conn.table);
    if (!this.columns) return undefined;
    const partition = this.columns.filter((c) => c.kind === 'partition_key').sort((a, b) => a.position - b.position);
    const byName = new Map(this.columns.map((c) => [c.name, c]));
    const reduce = partition.length === 1 && partition[0]!.name === SERIES_COLUMN && !keyFields.includes(SERIES_COLUMN);
    const where = reduce
      ? `${cqlIdent(SERIES_COLUMN)} = '${REDUCE_SERIES}'`
      : keyFields
          .map((k) => {
            if (!byName.has(k)) throw new EngineError('OutputError', `Cassandra history: table ${this.conn.keyspace}.${this.conn.table} has no column ${k}`);
            return `${cqlIdent(k)} = ?`;
          })
          .join(' AND ');
    const lookup: Lookup = {
      cql: `SELECT * FROM ${cqlTable(this.conn.keyspace, this.conn.table)} WHERE ${where} AND "window_end" >= ? AND "window_end" <= ?`,
      keyTypes: reduce ? [] : keyFields.map((k) => byName.get(k)!.type),
    };
    this.statements.set(id, lookup);
    return lookup;
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const s = await this.statement(q.key ? q.keyFields : []);
    if (!s) {
      this.columns = undefined;
      return undefined;
    }
    const params: unknown[] = s.keyTypes.map((t, i) => toCql(q.key![i]!, t));
    params.push(new Date(q.targetMs - q.toleranceMs), new Date(q.targetMs + q.toleranceMs));
    this.queries++;
    // a short outage should not cost the record its analysis
    const result = await withRetries(() => this.client!.execute(s.cql, params), {
      maxRetries: 2,
      retriable: isRetriable,
      minMs: 250,
      sleep: (ms) => this.clock.sleep(ms),
    }).catch((e) => {
      throw new EngineError('OutputError', `Cassandra history at ${contactText(this.conn.contactPoints)}: ${describeCassandraError(e)}`);
    });
    let best: Record<string, unknown> | undefined;
    let bestD = 0;
    for (const r of result.rows) {
      const t = (r.window_end as Date).getTime();
      const d = Math.abs(t - q.targetMs);
      if (!best || d < bestD || (d === bestD && t > (best.window_end as Date).getTime())) {
        best = r as unknown as Record<string, unknown>;
        bestD = d;
      }
    }
    if (!best) return undefined;
    const rec: Record<string, Value> = {};
    for (const c of this.columns ?? []) {
      if (c.name === SERIES_COLUMN && s.keyTypes.length === 0) continue;
      const v = fromCql(best[c.name]);
      rec[c.name] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
    rec.time = BigInt(rec.window_end as number) * 1_000_000n;
    return rec;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.shutdown();
  }
}
