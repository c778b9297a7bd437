/** The InfluxDB 2.x API (url + token + org + bucket) through @influxdata/influxdb-client. */
import { InfluxDB, type QueryApi, type WriteApi } from '@influxdata/influxdb-client';
import type { Value } from '../../core/types.js';
import type { InfluxClient, InfluxClientOptions, InfluxConnection } from './client.js';
import { InfluxError, networkError } from './errors.js';
import { historyFlux, isoNs, type TagFilter } from './query.js';

export class InfluxV2 implements InfluxClient {
  readonly url: string;
  readonly target: string;
  private readonly client: InfluxDB;
  private writeApi: WriteApi | undefined;
  private queryApi: QueryApi | undefined;
  private readonly timeoutMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly conn: InfluxConnection,
    o: InfluxClientOptions = {},
  ) {
    this.url = conn.url;
    this.target = conn.bucket!;
    this.timeoutMs = o.timeoutMs ?? 15_000;
    this.batchSize = o.batchSize ?? 5000;
    this.client = new InfluxDB({ url: conn.url, token: conn.token, timeout: this.timeoutMs });
  }

  private wrap(what: string, e: unknown): InfluxError {
    const err = e as { name?: string; statusCode?: number; body?: string; message?: string; code?: string; json?: { message?: string } };
    if (typeof err.statusCode === 'number') {
      const msg = err.json?.message ?? err.body ?? err.message ?? '';
      return new InfluxError(`${what}: HTTP ${err.statusCode}${msg ? `: ${msg}` : ''}`, err.statusCode, err.statusCode >= 500 || err.statusCode === 429);
    }
    if (err.name === 'RequestTimedOutError') return new InfluxError(`cannot reach InfluxDB at ${this.url}: timed out`, undefined, true);
    return networkError(this.url, { message: err.message, cause: { code: err.code ?? /ECONNREFUSED/.exec(err.message ?? '')?.[0] } });
  }

  async ping(): Promise<void> {
    try {
      await this.client.transport.request('/ping', '', { method: 'GET' });
    } catch (e) {
      throw this.wrap(`InfluxDB ${this.url}/ping`, e);
    }
  }

  async ensureDatabase(): Promise<boolean> {
    return false; // buckets belong to an organisation: created by its admin
  }

  private writer(): WriteApi {
    // our own batches and retries: one request per flush, no background retry buffer
    this.writeApi ??= this.client.getWriteApi(this.conn.org ?? '-', this.conn.bucket!, 'ns', {
      batchSize: this.batchSize + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: Number.MAX_SAFE_INTEGER,
      gzipThreshold: 64 * 1024,
    });
    return this.writeApi;
  }

  async write(lines: string[]): Promise<{ partial?: string }> {
    if (lines.length === 0) return {};
    if (lines.length > this.batchSize) throw new Error(`influx client: ${lines.length} lines in one write, more than the batch size ${this.batchSize}`);
    const w = this.writer();
    try {
      w.writeRecords(lines);
      await w.flush();
    } catch (e) {
      throw this.wrap(`InfluxDB write to bucket ${this.target}`, e);
    }
    return {};
  }

  async history(q: { measurement: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): Promise<Record<string, Value>[]> {
    this.queryApi ??= this.client.getQueryApi(this.conn.org ?? '-');
    const query = historyFlux({ ...q, bucket: this.conn.bucket! });
    const rows: Record<string, Value>[] = [];
    try {
      await this.queryApi.collectRows(query, (values, meta) => {
        const row: Record<string, Value> = {};
        meta.columns.forEach((c, i) => {
          const name = c.label;
          const raw = values[i] ?? '';
          if (name === 'result' || name === 'table' || name === '_start' || name === '_stop' || name === '_measurement') return;
          if (raw === '') return;
          if (name === '_time') {
            row.time = isoNs(raw);
            return;
          }
          row[name] = fluxValue(raw, c.dataType);
        });
        rows.push(row);
        return row;
      });
    } catch (e) {
      throw this.wrap(`InfluxDB query of bucket ${this.target}`, e);
    }
    return rows;
  }

  async close(): Promise<void> {
    const w = this.writeApi;
    this.writeApi = undefined;
    await w?.close().catch(() => undefined);
  }
}

function fluxValue(raw: string, type: string): Value {
  switch (type) {
    case 'long':
    case 'unsignedLong': {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : BigInt(raw);
    }
    case 'double':
      return raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    case 'boolean':
      return raw === 'true';
    case 'dateTime:RFC3339':
    case 'dateTime:RFC3339Nano':
      return isoNs(raw);
    default:
      return raw;
  }
}
