/**
 * The `cassandra` output's sink (docs/live.md#cassandra-output). A window's rows are grouped per
 * partition (the key of the aggregate row) and sent as single-partition statements (an unlogged
 * batch when a partition has several rows), up to 32 requests in flight; `write` resolves only once
 * Cassandra confirmed every row of the window, so the runner commits source offsets only after
 * that. Every statement is an idempotent upsert keyed by (key fields, window_end): a retried
 * request or a re-run replaces, never duplicates. Failed requests are retried with backoff (only
 * those that failed), and since the runner awaits `write` the input waits meanwhile (back-pressure).
 */
import type { ConnectionStatus } from '../../core/connection.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { EngineError } from '../../core/errors.js';
import type { Value } from '../../core/types.js';
import type { ClosedWindow, RowShape } from '../../core/window.js';
import type { StoredWindow } from '../../core/window.js';
import { isFlatWindow } from '../../core/flat-window.js';
import { stoppableSleep, Throttle, withRetries, type BackoffOptions } from '../../connectors/backoff.js';
import {
  cassandraClient,
  contactText,
  cqlTable,
  describeCassandraError,
  isRetriable,
  type CassandraClient,
  type CassandraConnection,
} from '../../connectors/cassandra/client.js';
import {
  ensureTable,
  fromCql,
  insertCql,
  partitionProblem,
  reservedNames,
  tableColumns,
  tableLayout,
  toCql,
  type TableLayout,
} from '../../connectors/cassandra/table.js';
import { pyTuple } from '../../values/python.js';
import type { Sink, SinkContext } from '../types.js';

/** The `cassandra` output's options */
export interface CassandraOutputOptions {
  connection: CassandraConnection;
  /** the keyspace's replication when the output creates it */
  replication: Record<string, string | number>;
  maxRetries: number;
}

/** rows of one partition in one batch statement (one mutation on the replica, far below its size limit) */
const ROWS_PER_BATCH = 250;
/** requests in flight at once */
const CONCURRENCY = 32;

interface Held {
  rows: unknown[][];
  firstEnd: number;
  lastEnd: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class CassandraSink implements Sink {
  readonly description: string;
  private client: CassandraClient | undefined;
  private readonly layout: TableLayout;
  private readonly insert: string;
  private readonly clock: Clock;
  private readonly throttle: Throttle;
  /** a backoff wait that ends early when the run is being stopped */
  private readonly pause: (ms: number) => Promise<void>;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = 'not connected yet';
  /** partition (its key as text) → the rows held for it */
  private held = new Map<string, Held>();
  private heldRows = 0;
  /** tests: shorter waits */
  backoff: Pick<BackoffOptions, 'minMs' | 'maxMs' | 'sleep'> = {};
  rowsWritten = 0;
  requests = 0;
  retries = 0;
  rejectedRows = 0;

  constructor(
    private readonly ctx: SinkContext,
    private readonly out: CassandraOutputOptions,
  ) {
    const c = out.connection;
    this.description = `cassandra ${contactText(c.contactPoints)} ${c.keyspace}.${c.table}`;
    this.layout = tableLayout(ctx.shape);
    this.insert = insertCql(c.keyspace, c.table, this.layout);
    this.clock = ctx.clock ?? systemClock;
    this.throttle = new Throttle(ctx.warn, 10_000, () => this.clock.now());
    this.pause = stoppableSleep(
      this.clock,
      () => this.stopping(),
      () => this.backoff.sleep,
    );
  }

  private stopping(): boolean {
    return this.ctx.stopping?.() === true;
  }

  status(): ConnectionStatus {
    return {
      name: this.description,
      status: this.state,
      detail: this.state === 'ok' ? `${this.rowsWritten} rows written${this.heldRows > 0 ? `, ${this.heldRows} held` : ''}` : this.detail,
    };
  }

  async open(): Promise<void> {
    const { keyNames, valueNames } = this.ctx.shape;
    const reserved = new Set(reservedNames(this.layout));
    const clash = [...keyNames, ...valueNames].find((n) => reserved.has(n));
    if (clash) throw new EngineError('OutputError', `cassandra output: column name '${clash}' is the table's own column; rename it in the transformation`);
    const c = this.out.connection;
    const where = `Cassandra at ${contactText(c.contactPoints)}`;
    const client = cassandraClient(c);
    this.client = client;
    this.detail = `connecting to ${contactText(c.contactPoints)}`;
    try {
      const made = await withRetries(
        async () => {
          await client.connect();
          return ensureTable(client, c.keyspace, c.table, this.layout, this.out.replication);
        },
        {
          maxRetries: Math.min(3, this.out.maxRetries),
          retriable: isRetriable,
          ...this.backoff,
          sleep: this.pause,
          aborted: () => this.stopping(),
          onRetry: (n, ms, e) => {
            this.state = 'retrying';
            this.detail = `${describeCassandraError(e)}; attempt ${n + 1} in ${(ms / 1000).toFixed(1)} s`;
          },
        },
      );
      if (made.createdKeyspace) this.ctx.warn(`cassandra output: created keyspace ${c.keyspace} (replication ${JSON.stringify(this.out.replication)})`);
    } catch (e) {
      this.state = 'down';
      this.detail = describeCassandraError(e);
      if ((e as Error).name === 'TableMismatch') throw new EngineError('OutputError', `cassandra output: ${(e as Error).message}`);
      throw new EngineError(
        'OutputError',
        `cassandra output: cannot write to ${c.keyspace}.${c.table} at ${where.replace('Cassandra at ', '')}: ${this.detail}`,
      );
    }
    this.state = 'ok';
    this.detail = '';
  }

  async write(w: ClosedWindow): Promise<void> {
    const count = w.count ?? w.groups.length;
    if (count === 0) return; // docs/semantics.md#empty-windows
    const { columns } = this.layout;
    const nk = this.ctx.shape.keyNames.length;
    const nv = this.ctx.shape.valueNames.length;
    const end = new Date(w.endMs);
    const start = new Date(w.startMs);
    const flat = isFlatWindow(w) ? w.data : undefined;
    let rejected = 0;
    let example: string | undefined;
    for (let g = 0; g < count; g++) {
      const key = flat ? (flat.keyed ? flat.keys.slice(g * nk, (g + 1) * nk) : null) : w.groups[g]!.key;
      const problem = partitionProblem(this.layout, key);
      if (problem) {
        rejected++;
        example ??= `${key ? ` key=${pyTuple(key, this.ctx.shape.keyTypes)}:` : ''} ${problem}`;
        continue;
      }
      const row: unknown[] = new Array(columns.length);
      let i = 0;
      if (key) for (; i < nk; i++) row[i] = toCql(key[i]!, columns[i]!.type);
      else row[i++] = this.layout.series;
      row[i++] = end;
      row[i++] = start;
      for (let v = 0; v < nv; v++, i++) row[i] = toCql(flat ? (flat.accs[g * nv + v] as Value) : w.groups[g]!.acc[v]!, columns[i]!.type);
      this.hold(partitionText(key), row, w.endMs);
    }
    if (rejected > 0) {
      this.rejectedRows += rejected;
      this.throttle.say(
        'rejected',
        `cassandra output: ${rejected} aggregate row(s) of the window ending ${iso(w.endMs)} not written (row error), e.g.${example}`,
      );
    }
    await this.flush();
  }

  private hold(partition: string, row: unknown[], endMs: number): void {
    const h = this.held.get(partition);
    if (h) {
      h.rows.push(row);
      h.lastEnd = endMs;
    } else this.held.set(partition, { rows: [row], firstEnd: endMs, lastEnd: endMs });
    this.heldRows++;
  }

  /** Sends every row held, per partition; resolves once Cassandra confirmed them all. */
  private async flush(): Promise<void> {
    if (this.heldRows === 0) return;
    const client = this.client!;
    let firstEnd = Infinity;
    let lastEnd = -Infinity;
    let pending: unknown[][][] = [];
    for (const h of this.held.values()) {
      for (let i = 0; i < h.rows.length; i += ROWS_PER_BATCH) pending.push(h.rows.slice(i, i + ROWS_PER_BATCH));
      firstEnd = Math.min(firstEnd, h.firstEnd);
      lastEnd = Math.max(lastEnd, h.lastEnd);
    }
    const rows = this.heldRows;
    const windows = firstEnd === lastEnd ? `the window ending ${iso(lastEnd)}` : `the windows ending ${iso(firstEnd)} … ${iso(lastEnd)}`;
    const max = this.out.maxRetries;
    try {
      await withRetries(
        async () => {
          // what failed is sent again, what was confirmed is not
          const failed: unknown[][][] = [];
          let error: unknown;
          await eachConcurrently(pending, CONCURRENCY, async (batch) => {
            this.requests++;
            try {
              await this.send(client, batch);
            } catch (e) {
              if (!isRetriable(e)) throw e;
              failed.push(batch);
              error ??= e;
            }
          });
          pending = failed;
          if (failed.length > 0) throw error;
        },
        {
          maxRetries: max,
          retriable: isRetriable,
          ...this.backoff,
          sleep: this.pause,
          aborted: () => this.stopping(),
          onRetry: (n, ms, e) => {
            this.retries++;
            this.state = 'retrying';
            this.detail = `${describeCassandraError(e)}; retry ${n}/${max} in ${(ms / 1000).toFixed(1)} s (input paused)`;
            this.throttle.say('retry', `cassandra output: ${this.detail}`);
          },
        },
      );
    } catch (e) {
      const why = describeCassandraError(e);
      this.state = isRetriable(e) ? 'down' : this.state;
      this.detail = why;
      if (isRetriable(e) && this.stopping()) {
        throw new EngineError('OutputError', `cassandra output: ${windows} not written: the run was stopped while retrying (${why})`);
      }
      throw new EngineError('OutputError', `cassandra output: writing ${windows} failed${isRetriable(e) ? ` after ${max} retries` : ''}: ${why}`);
    }
    if (this.state !== 'ok') this.ctx.warn(`cassandra output: ${contactText(this.out.connection.contactPoints)} answers again`);
    this.state = 'ok';
    this.detail = '';
    this.rowsWritten += rows;
    this.held = new Map();
    this.heldRows = 0;
  }

  private send(client: CassandraClient, rows: unknown[][]): Promise<unknown> {
    if (rows.length === 1) return client.execute(this.insert, rows[0]);
    return client.batch(
      rows.map((params) => ({ query: this.insert, params })),
      { prepare: true, logged: false, isIdempotent: true },
    );
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.shutdown();
  }
}

/** A partition's identity: its key values with their JS types (5 and '5' are different keys). */
function partitionText(key: readonly Value[] | null): string {
  if (key === null) return '';
  let s = '';
  for (const v of key) s += `${typeof v}:${String(v)}\u0001`;
  return s;
}

/** Runs `fn` over the items, at most `limit` at a time; rejects with the first error once the started ones settled. */
async function eachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * The last `maxWindows` windows of the table, oldest first, rows in key order (what a reopened
 * project shows): every partition's newest rows, by one paged scan with PER PARTITION LIMIT. A
 * row of one of the last N window ends is among its partition's newest N; one more per partition
 * tells whether older windows exist.
 */
export async function readStoredWindows(c: CassandraConnection, shape: RowShape, maxWindows: number): Promise<{ windows: StoredWindow[]; truncated: boolean }> {
  const client = cassandraClient(c, { connectTimeoutMs: 5000, readTimeoutMs: 10_000 });
  try {
    await client.connect();
    const cols = await tableColumns(client, c.keyspace, c.table);
    if (!cols) return { windows: [], truncated: false };
    const have = new Set(cols.map((x) => x.name));
    const keys = shape.keyNames.filter((k) => have.has(k));
    const values = shape.valueNames.filter((v) => have.has(v));
    const byEnd = new Map<number, StoredWindow>();
    const query = `SELECT * FROM ${cqlTable(c.keyspace, c.table)} PER PARTITION LIMIT ?`;
    for await (const row of client.stream(query, [maxWindows + 1], { prepare: true, autoPage: true, fetchSize: 5000 }) as unknown as AsyncIterable<
      Record<string, unknown>
    >) {
      const end = fromCql(row.window_end) as number;
      let w = byEnd.get(end);
      if (!w) {
        w = { startMs: fromCql(row.window_start) as number, endMs: end, rows: [] };
        byEnd.set(end, w);
      }
      w.rows.push({
        key: shape.keyNames.length > 0 ? Object.fromEntries(keys.map((k) => [k, fromCql(row[k])])) : null,
        values: Object.fromEntries(values.map((v) => [v, fromCql(row[v])])),
      });
    }
    const all = [...byEnd.values()].sort((a, b) => a.endMs - b.endMs);
    const windows = all.slice(-maxWindows);
    for (const w of windows) w.rows.sort((a, b) => compareKeys(a.key, b.key, keys));
    return { windows, truncated: all.length > maxWindows };
  } catch (e) {
    throw new Error(`cannot read history from Cassandra at ${contactText(c.contactPoints)} (${c.keyspace}.${c.table}): ${describeCassandraError(e)}`);
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

function compareKeys(a: Record<string, Value> | null, b: Record<string, Value> | null, keys: string[]): number {
  if (!a || !b) return 0;
  for (const k of keys) {
    const x = a[k]!;
    const y = b[k]!;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === 'string' || typeof y === 'string') return String(x) < String(y) ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
