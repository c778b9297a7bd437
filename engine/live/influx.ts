/**
 * InfluxDB plumbing shared by the `influx` output (9.2) and InfluxDB history
 * (10.2): line protocol of a closed window (built with the client library's
 * Point, D-28 one timestamp per window, D-39 int64 range), escaped InfluxQL
 * (D-27), a JSON reader that keeps 64-bit integers exact, and two HTTP clients:
 *
 * - v1 (the reference's host/port/username/password/database): /ping, /write
 *   (line protocol), /query (InfluxQL). Served by InfluxDB 1.x and by the
 *   v1-compatibility endpoints of 2.x and 3.x.
 * - v2 (url/token/org/bucket): @influxdata/influxdb-client's WriteApi and
 *   QueryApi (Flux).
 */
import { InfluxDB, Point, flux, fluxDateTime, fluxString, type QueryApi, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxConnection } from '../config/model.js';
import type { FieldType, Value } from '../types.js';
import { isIntegerType } from '../types.js';
import type { ClosedWindow } from '../pipeline/processor.js';
import type { Group } from '../aggregate/groups.js';
import type { RowShape } from '../sinks/format.js';
import { pyStr } from '../values/python.js';

// ---- values ------------------------------------------------------------------

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** A key value as a tag: Python `str()` as the reference's client did (5 → "5", 5.0 → "5.0", True → "True"). */
export function tagText(v: Value, type: FieldType | undefined): string {
  return v === null ? '' : pyStr(v, type);
}

export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

export interface WindowLines {
  lines: string[];
  /**
   * aggregate rows not written (D-39: integer outside int64; non-finite double; no field left):
   * the row, a short reason for counting (`kind`) and a message naming the value
   */
  rejected: { key: Value[] | null; group: Group; kind: string; reason: string }[];
}

/**
 * One point per aggregate row: key fields as tags, the other columns as fields
 * (integers with `i`, doubles, booleans, strings), all stamped with the window
 * end in ns (D-28). Nulls are left out (InfluxDB has none). Empty windows give
 * no line (D-29).
 */
export function windowLines(w: ClosedWindow, shape: RowShape, measurement: string): WindowLines {
  const out: WindowLines = { lines: [], rejected: [] };
  if (w.groups.length === 0) return out;
  const ts = msToNs(w.endMs).toString();
  const { keyNames, keyTypes, valueNames, valueTypes } = shape;
  groups: for (const g of w.groups) {
    const p = new Point(measurement);
    if (g.key) {
      for (let i = 0; i < keyNames.length; i++) {
        const t = tagText(g.key[i]!, keyTypes[i]);
        if (t !== '') p.tag(keyNames[i]!, t);
      }
    }
    for (let i = 0; i < valueNames.length; i++) {
      const v = g.acc[i]!;
      const name = valueNames[i]!;
      const type = valueTypes[i]!;
      switch (typeof v) {
        case 'bigint':
          if (v < I64_MIN || v > I64_MAX) {
            out.rejected.push({
              key: g.key,
              group: g,
              kind: 'integer outside int64',
              reason: `${name} = ${v} is outside the signed 64-bit range of InfluxDB integers`,
            });
            continue groups;
          }
          p.fields[name] = `${v}i`;
          break;
        case 'number':
          if (!Number.isFinite(v)) {
            out.rejected.push({ key: g.key, group: g, kind: 'non-finite double', reason: `${name} = ${v} cannot be stored in InfluxDB (not a finite number)` });
            continue groups;
          }
          if (isIntegerType(type)) p.fields[name] = `${Object.is(v, -0) ? 0 : v}i`;
          else p.floatField(name, v);
          break;
        case 'boolean':
          p.booleanField(name, v);
          break;
        case 'string':
          p.stringField(name, v);
          break;
        default:
          break; // null: no field
      }
    }
    p.timestamp(ts);
    const line = p.toLineProtocol();
    if (line === undefined) out.rejected.push({ key: g.key, group: g, kind: 'no field', reason: 'no field to write (every value is null)' });
    else out.lines.push(line);
  }
  return out;
}

// ---- InfluxQL (D-27) -------------------------------------------------------------

/** `"name"` with `\` and `"` escaped. */
export function influxIdent(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** `'text'` with `\` and `'` escaped. */
export function influxString(s: string): string {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/**
 * `SELECT * FROM "<db>"."<rp>"."<m>" WHERE time >= <from ns> AND time <= <to ns> AND "<tag>" = '<v>' …`:
 * numeric time bounds, quoted identifiers, escaped tag values.
 */
export function historyQuery(o: { measurement: string; database?: string; retentionPolicy?: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): string {
  const from =
    o.retentionPolicy !== undefined && o.database !== undefined
      ? `${influxIdent(o.database)}.${influxIdent(o.retentionPolicy)}.${influxIdent(o.measurement)}`
      : influxIdent(o.measurement);
  let q = `SELECT * FROM ${from} WHERE time >= ${o.fromNs} AND time <= ${o.toNs}`;
  for (const [k, vs] of o.tags) {
    const alts = vs.map((v) => `${influxIdent(k)} = ${influxString(v)}`);
    q += alts.length === 1 ? ` AND ${alts[0]}` : ` AND (${alts.join(' OR ')})`;
  }
  return q;
}

/** a tag and the texts it may have been written as (a double key 5.0 is "5.0", an integer 5 is "5") */
export type TagFilter = [tag: string, values: string[]];

/** The tag texts a key value of unknown static type may have been stored as. */
export function tagFilter(name: string, v: Value): TagFilter {
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 1e16) return [name, [String(v), `${v}.0`]];
  return [name, [tagText(v, undefined)]];
}

/** The same lookup in Flux (v2 form), parameters escaped by the client's `flux` template. */
export function historyFlux(o: { bucket: string; measurement: string; fromNs: bigint; toNs: bigint; tags: TagFilter[] }): string {
  let filter = flux`r._measurement == ${o.measurement}`;
  for (const [k, vs] of o.tags) {
    let alt = flux`r[${fluxString(k)}] == ${vs[0]!}`;
    for (const v of vs.slice(1)) alt = flux`${alt} or r[${fluxString(k)}] == ${v}`;
    filter = vs.length > 1 ? flux`${filter} and (${alt})` : flux`${filter} and ${alt}`;
  }
  const q = flux`from(bucket: ${o.bucket})
  |> range(start: ${fluxDateTime(nsIso(o.fromNs))}, stop: ${fluxDateTime(nsIso(o.toNs + 1n))})
  |> filter(fn: (r) => ${filter})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
  return q.toString();
}

/** epoch ns → RFC 3339 with 9 fraction digits */
export function nsIso(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const sub = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const iso = new Date(Number(ms - (ms % 1000n) - (ns < 0n && sub !== 0n ? 1000n : 0n))).toISOString().slice(0, 19);
  return `${iso}.${sub.toString().padStart(9, '0')}Z`;
}

/** RFC 3339 (any fraction digits) → epoch ns */
export function isoNs(s: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new Error(`not an RFC 3339 time: ${s}`);
  const secs = BigInt(Date.parse(m[1]! + m[3]!)) / 1000n;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return secs * 1_000_000_000n + frac;
}

// ---- JSON with exact 64-bit integers -----------------------------------------------

/** JSON.parse, except integers beyond ±2^53 become bigint (InfluxDB times in ns and int64 fields). */
export function parseJsonBig(text: string): unknown {
  let i = 0;
  const n = text.length;
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    }
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`bad JSON at ${i}: ${what}`);
  };
  const str = (): string => {
    const s = i;
    i++;
    let escaped = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 92) {
        escaped = true;
        i++;
      } else if (c === 34) break;
    }
    if (i >= n) fail('unterminated string');
    i++;
    return escaped ? (JSON.parse(text.slice(s, i)) as string) : text.slice(s + 1, i - 1);
  };
  const NUM = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        const v = value();
        if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] !== '}') fail("expected ',' or '}'");
        i++;
        return o;
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] !== ']') fail("expected ',' or ']'");
        i++;
        return a;
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    const num = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(num)) return BigInt(m[0]);
    return num;
  };
  const v = value();
  ws();
  if (i < n) fail('trailing characters');
  return v;
}

// ---- errors -----------------------------------------------------------------------

export class InfluxError extends Error {
  override name = 'InfluxError';
  constructor(
    message: string,
    /** HTTP status, undefined for network failures */
    readonly status: number | undefined,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

export function isRetriable(e: unknown): boolean {
  return e instanceof InfluxError && e.retriable;
}

function networkError(url: string, e: unknown): InfluxError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code;
  const why =
    err.name === 'TimeoutError' || err.name === 'AbortError'
      ? 'timed out'
      : code === 'ECONNREFUSED'
        ? 'connection refused'
        : (code ?? err.cause?.message ?? err.message ?? String(e));
  return new InfluxError(`cannot reach InfluxDB at ${url}: ${why}`, undefined, true);
}

function httpError(what: string, status: number, body: string): InfluxError {
  let msg = body.trim();
  try {
    const j = JSON.parse(body) as { error?: string; message?: string };
    msg = j.error ?? j.message ?? msg;
  } catch {
    // plain text
  }
  return new InfluxError(`${what}: HTTP ${status}${msg ? `: ${msg}` : ''}`, status, status >= 500 || status === 429 || status === 408);
}

// ---- clients ------------------------------------------------------------------------

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

export function influxClient(conn: InfluxConnection, o: InfluxClientOptions = {}): InfluxClient {
  return conn.kind === 'v1' ? new InfluxV1(conn, o) : new InfluxV2(conn, o);
}

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
