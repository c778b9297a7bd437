/**
 * The `influx` output's sink (docs/semantics.md#influx-output): one point per aggregate
 * row, key fields as tags, every point of a window stamped with the window end
 * (ns), so a re-written window (a replay after a crash, a retried request)
 * replaces the same series and time instead of adding points. Batches of
 * `batch_size` points; a failed request is retried with backoff inside
 * write(), and since the runner awaits write() the input waits meanwhile
 * (back-pressure). The database is created when missing (v1 form).
 */
import type { ClosedWindow } from '../../core/window.js';
import type { Sink, SinkContext } from '../types.js';
import type { ConnectionStatus } from '../../core/connection.js';
import { EngineError } from '../../core/errors.js';
import { influxClient, isRetriable, windowLines, type InfluxClient, type InfluxConnection } from '../../connectors/influx/index.js';
import { stoppableSleep, Throttle, withRetries, type BackoffOptions } from '../../connectors/backoff.js';
import { pyTuple } from '../../values/python.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { referenceLine } from './format.js';

/** The `influx` output's options */
export interface InfluxOutputOptions {
  connection: InfluxConnection;
  batchSize: number;
  maxRetries: number;
}

const RESERVED = new Set(['time']);

export class InfluxSink implements Sink {
  readonly description: string;
  private client: InfluxClient | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = 'not connected yet';
  private readonly throttle: Throttle;
  /** a backoff wait that ends early when the run is being stopped */
  private readonly pause: (ms: number) => Promise<void>;
  private readonly clock: Clock;
  /** tests: shorter waits */
  backoff: Pick<BackoffOptions, 'minMs' | 'maxMs' | 'sleep'> = {};
  pointsWritten = 0;
  requests = 0;
  retries = 0;
  rejectedRows = 0;

  constructor(
    private readonly ctx: SinkContext,
    private readonly out: InfluxOutputOptions,
  ) {
    const c = out.connection;
    this.description = `influx ${c.url} ${c.kind === 'v1' ? `database ${c.database}` : `bucket ${c.bucket}`} (measurement ${c.measurement})`;
    this.clock = ctx.clock ?? systemClock;
    this.throttle = new Throttle(ctx.warn, 10_000, () => this.clock.now());
    this.pause = stoppableSleep(
      this.clock,
      () => this.stopping(),
      () => this.backoff.sleep,
    );
  }

  /** the run is being stopped: retries give up (the window is not written, so its offsets are not committed) */
  private stopping(): boolean {
    return this.ctx.stopping?.() === true;
  }

  status(): ConnectionStatus {
    const c = this.out.connection;
    return {
      name: `influx ${c.url} ${this.client?.target ?? c.database ?? c.bucket}/${c.measurement}`,
      status: this.state,
      detail: this.state === 'ok' ? `${this.pointsWritten} points written` : this.detail,
    };
  }

  async open(): Promise<void> {
    const { keyNames, valueNames } = this.ctx.shape;
    const clash = [...keyNames, ...valueNames].find((n) => RESERVED.has(n));
    if (clash) throw new EngineError('OutputError', `influx output: column name '${clash}' is reserved by InfluxDB; rename it in the transformation`);
    const conn = this.out.connection;
    const client = influxClient(conn, { batchSize: this.out.batchSize });
    this.client = client;
    this.state = 'connecting';
    this.detail = `connecting to ${conn.url}`;
    try {
      await withRetries(
        async () => {
          await client.ping();
          if (conn.kind === 'v1' && !(await client.ensureDatabase())) {
            this.ctx.warn(
              `influx output: could not create database ${conn.database} at ${conn.url} (no admin rights, or no DDL on this server); assuming it exists`,
            );
          }
        },
        {
          maxRetries: Math.min(3, this.out.maxRetries),
          retriable: isRetriable,
          ...this.backoff,
          sleep: this.pause,
          aborted: () => this.stopping(),
          onRetry: (n, ms, e) => {
            this.state = 'retrying';
            this.detail = `${(e as Error).message}; attempt ${n + 1} in ${(ms / 1000).toFixed(1)} s`;
          },
        },
      );
    } catch (e) {
      this.state = 'down';
      this.detail = (e as Error).message;
      throw new EngineError(
        'InfluxConnectError',
        `InfluxDB error: cannot connect to ${conn.url} (${conn.kind === 'v1' ? `database ${conn.database}` : `bucket ${conn.bucket}`}): ${(e as Error).message}`,
      );
    }
    this.state = 'ok';
    this.detail = '';
  }

  async write(w: ClosedWindow): Promise<void> {
    if (w.groups.length === 0) return; // docs/semantics.md#empty-windows
    const shape = this.ctx.shape;
    const { lines, rejected } = windowLines(w, shape, this.out.connection.measurement);
    if (rejected.length > 0) {
      this.rejectedRows += rejected.length;
      const ends = new Date(w.endMs).toISOString();
      if (this.ctx.rowFailed) {
        // that row only is a row error (docs/semantics.md#row-errors): the rest of the window is written
        for (const r of rejected) {
          this.ctx.rowFailed({
            position: { source: this.description },
            reason: `influx: ${r.kind}`,
            message: `aggregate row of the window ending ${ends}${r.key ? ` with key ${pyTuple(r.key, shape.keyTypes)}` : ''} not written: ${r.reason}`,
            raw: referenceLine(r.group, shape),
          });
        }
      } else {
        const r = rejected[0]!;
        this.throttle.say(
          'rejected',
          `influx output: ${rejected.length} aggregate row(s) of the window ending ${ends} not written (row error), e.g.${r.key ? ` key=${pyTuple(r.key, shape.keyTypes)}:` : ''} ${r.reason}`,
        );
      }
    }
    const size = this.out.batchSize;
    for (let i = 0; i < lines.length; i += size) await this.send(lines.slice(i, i + size), w);
  }

  private async send(lines: string[], w: ClosedWindow): Promise<void> {
    const client = this.client!;
    const max = this.out.maxRetries;
    try {
      const r = await withRetries(
        () => {
          this.requests++;
          return client.write(lines);
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
            this.detail = `${(e as Error).message}; retry ${n}/${max} in ${(ms / 1000).toFixed(1)} s (input paused)`;
            this.throttle.say('retry', `influx output: ${this.detail}`);
          },
        },
      );
      if (r.partial) {
        this.throttle.say('partial', `influx output: InfluxDB dropped points of the window ending ${new Date(w.endMs).toISOString()}: ${r.partial}`);
      }
    } catch (e) {
      this.state = isRetriable(e) ? 'down' : this.state;
      this.detail = (e as Error).message;
      if (isRetriable(e) && this.stopping()) {
        throw new EngineError(
          'OutputError',
          `influx output: the window ending ${new Date(w.endMs).toISOString()} was not written: the run was stopped while retrying (${(e as Error).message})`,
        );
      }
      const after = isRetriable(e) ? ` after ${max} retries` : '';
      throw new EngineError(
        'OutputError',
        `influx output: writing the window ending ${new Date(w.endMs).toISOString()} failed${after}: ${(e as Error).message}`,
      );
    }
    if (this.state !== 'ok') this.ctx.warn(`influx output: ${client.url} answers again`);
    this.state = 'ok';
    this.detail = '';
    this.pointsWritten += lines.length;
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}
