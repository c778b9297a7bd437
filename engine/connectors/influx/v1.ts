/** The InfluxDB 1.x HTTP API: /ping, /write (line protocol), /query (InfluxQL). */
import type { Value } from '../../core/types.js';
import type { InfluxClient, InfluxClientOptions, InfluxConnection, SeriesResult } from './client.js';
import { InfluxError, httpError, networkError } from './errors.js';
import { parseJsonBig } from './json.js';
import { historyQuery, influxIdent, type TagFilter } from './query.js';

/** the 1.x HTTP API: /ping, /write, /query */
export class InfluxV1 implements InfluxClient {
  readonly url: string;
  readonly target: string;
  private readonly auth: string | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly conn: InfluxConnection,
    o: InfluxClientOptions = {},
  ) {
    this.url = conn.url;
    this.target = `${conn.database}${conn.retentionPolicy ? `/${conn.retentionPolicy}` : ''}`;
    this.auth = conn.username !== undefined ? 'Basic ' + Buffer.from(`${conn.username}:${conn.password ?? ''}`).toString('base64') : undefined;
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  private async request(path: string, init: { method: string; body?: string; contentType?: string }): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = this.auth;
    if (init.contentType) headers['content-type'] = init.contentType;
    let r: Response;
    try {
      r = await fetch(this.url + path, { method: init.method, body: init.body, headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw networkError(this.url, e);
    }
    let text: string;
    try {
      text = await r.text();
    } catch (e) {
      throw networkError(this.url, e);
    }
    return { status: r.status, text };
  }

  async ping(): Promise<void> {
    const r = await this.request('/ping', { method: 'GET' });
    if (r.status !== 204 && r.status !== 200) throw httpError(`InfluxDB ${this.url}/ping`, r.status, r.text);
  }

  /** InfluxQL over POST /query; throws on HTTP errors and on statement errors */
  async query(q: string, params: Record<string, string> = {}): Promise<{ results?: { series?: SeriesResult[]; error?: string }[] }> {
    const body = new URLSearchParams({ q, ...params }).toString();
    const r = await this.request('/query', { method: 'POST', body, contentType: 'application/x-www-form-urlencoded' });
    if (r.status !== 200) throw httpError(`InfluxDB query`, r.status, r.text);
    const json = parseJsonBig(r.text) as { error?: string; results?: { series?: SeriesResult[]; error?: string }[] };
    if (json.error) throw new InfluxError(`InfluxDB query: ${json.error}`, 200, false);
    const stmtErr = json.results?.find((x) => x.error)?.error;
    if (stmtErr) throw new InfluxError(`InfluxDB query: ${stmtErr}`, 200, false);
    return json;
  }

  async ensureDatabase(): Promise<boolean> {
    try {
      await this.query(`CREATE DATABASE ${influxIdent(this.conn.database!)}`);
      return true;
    } catch (e) {
      // no admin rights, or a server whose v1 API has no DDL (2.x, 3.x): the database may well exist
      if (e instanceof InfluxError && !e.retriable && e.status !== 401) return false;
      throw e;
    }
  }

  async write(lines: string[]): Promise<{ partial?: string }> {
    if (lines.length === 0) return {};
    const qs = new URLSearchParams({ db: this.conn.database!, precision: 'ns' });
    if (this.conn.retentionPolicy) qs.set('rp', this.conn.retentionPolicy);
    const r = await this.request(`/write?${qs}`, { method: 'POST', body: lines.join('\n'), contentType: 'text/plain; charset=utf-8' });
    if (r.status === 204 || r.status === 200) return {};
    const err = httpError(`InfluxDB write to ${this.target}`, r.status, r.text);
    // 1.x keeps the good points of a batch and names the rest: not worth retrying
    if (r.status === 400 && /partial write/i.test(err.message)) return { partial: err.message };
    throw err;
  }

  async history(q: { measurement: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): Promise<Record<string, Value>[]> {
    const text = historyQuery({ ...q, database: this.conn.database, retentionPolicy: this.conn.retentionPolicy });
    const json = await this.query(text, { db: this.conn.database!, epoch: 'ns', ...(this.conn.retentionPolicy ? { rp: this.conn.retentionPolicy } : {}) });
    const rows: Record<string, Value>[] = [];
    for (const s of json.results?.[0]?.series ?? []) {
      for (const v of s.values) {
        const row: Record<string, Value> = {};
        s.columns.forEach((c, i) => {
          const x = v[i];
          if (x === null || x === undefined) return;
          row[c] = c === 'time' ? BigInt(x as number | bigint) : (x as Value);
        });
        rows.push(row);
      }
    }
    return rows;
  }

  async close(): Promise<void> {}
}

/** url + token + org + bucket: @influxdata/influxdb-client */
