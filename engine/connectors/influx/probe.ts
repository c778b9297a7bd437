/**
 * InfluxDB as the workbench's Connections panel and `check --connect` see it: reachable, really
 * InfluxDB, credentials accepted, and the databases (v1) or buckets (v2) and measurements there,
 * with one clear line naming the address when something is wrong. The v1 form asks through the
 * engine's v1 client, the v2 form through the client library's Flux query API.
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConnectionError, causes } from '../probe-util.js';
import type { InfluxConnection } from './client.js';
import { InfluxError } from './errors.js';
import { InfluxV1 } from './v1.js';

export interface InfluxTestArgs {
  /** http(s)://host:port; or host + port (+ ssl) */
  url?: string;
  host?: string;
  port?: number;
  ssl?: boolean;
  /** v1 API (InfluxDB 1.x, and the v1 compatibility API of 2.x/3.x) */
  username?: string;
  password?: string;
  database?: string;
  /** v2 API (token given): token, organisation, bucket */
  token?: string;
  org?: string;
  bucket?: string;
  /** ms (default 5000) */
  timeoutMs?: number;
}

export interface InfluxTestResult {
  ok: boolean;
  url: string;
  api: 'v1' | 'v2';
  /** X-Influxdb-Version of /ping */
  version?: string;
  /** v1: databases the user sees */
  databases?: string[];
  /** v2: buckets of the organisation */
  buckets?: string[];
  /** measurements of the database / bucket given */
  measurements?: string[];
  warnings: string[];
  error?: string;
  elapsedMs: number;
}

function influxUrl(a: InfluxTestArgs): string {
  let url = (a.url ?? '').trim();
  if (!url) {
    const host = (a.host ?? '').trim();
    if (!host) throw new ConnectionError('no InfluxDB address given (url, or host and port)');
    url = `${a.ssl ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${a.port ?? 8086}`;
  }
  if (!/^https?:\/\//i.test(url)) url = `http://${url}`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConnectionError(`${JSON.stringify(url)} is not a URL`);
  }
  return u.toString().replace(/\/+$/, '');
}

function unreachable(url: string, e: unknown, timeoutMs: number): string {
  const chain = causes(e);
  const find = (re: RegExp) => chain.find((c) => re.test(c.name ?? '') || re.test(c.code ?? '') || re.test(c.message ?? ''));
  if (find(/TimeoutError|AbortError/)) return `cannot reach InfluxDB at ${url}: no answer within ${timeoutMs / 1000} s`;
  if (find(/ECONNREFUSED/)) return `cannot reach InfluxDB at ${url}: connection refused`;
  if (find(/ENOTFOUND|EAI_AGAIN/)) return `cannot reach InfluxDB at ${url}: host not found`;
  if (find(/ECONNRESET|EPROTO|certificate|SSL|TLS/i))
    return `cannot reach InfluxDB at ${url}: ${find(/ECONNRESET|EPROTO|certificate|SSL|TLS/i)!.message ?? 'connection reset'}`;
  const c = chain[chain.length - 1];
  return `cannot reach InfluxDB at ${url}: ${c?.code ?? c?.message ?? String(e)}`;
}

const fluxString = (s: string) => JSON.stringify(s);

/** Reachable, InfluxDB, credentials accepted, and what there is to write to (databases or buckets, measurements). */
export async function testInflux(a: InfluxTestArgs, clock: Clock = systemClock): Promise<InfluxTestResult> {
  const t0 = clock.now();
  const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? 5000));
  const api: 'v1' | 'v2' = a.token ? 'v2' : 'v1';
  const result: InfluxTestResult = { ok: false, url: a.url ?? a.host ?? '', api, warnings: [], elapsedMs: 0 };
  const done = (error?: string) => {
    result.ok = error === undefined;
    if (error !== undefined) result.error = error;
    result.elapsedMs = clock.now() - t0;
    return result;
  };
  let url: string;
  try {
    url = influxUrl(a);
  } catch (e) {
    return done((e as Error).message);
  }
  result.url = url;

  // 1. reachable, and InfluxDB (every version answers /ping with its version)
  try {
    const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer().catch(() => undefined);
    result.version = r.headers.get('x-influxdb-version') ?? undefined;
    if (r.status === 401 || r.status === 403) return done(`InfluxDB at ${url}: authentication failed (/ping: HTTP ${r.status})`);
    if (r.status !== 204 && r.status !== 200) return done(`${url} does not look like InfluxDB (/ping answered HTTP ${r.status})`);
    if (!result.version) result.warnings.push(`${url}/ping gave no X-Influxdb-Version header: is this InfluxDB?`);
  } catch (e) {
    return done(unreachable(url, e, timeoutMs));
  }

  // 2. credentials, and what there is to write to
  if (api === 'v1') {
    const conn: InfluxConnection = {
      kind: 'v1',
      url,
      username: a.username || undefined,
      password: a.password,
      database: a.database || undefined,
      measurement: '-',
    };
    const client = new InfluxV1(conn, { timeoutMs });
    const v1Error = (e: unknown) => {
      if (e instanceof InfluxError && (e.status === 401 || e.status === 403)) {
        return `InfluxDB at ${url}: authentication failed (${a.username ? `user ${a.username}` : 'no user given'}): ${e.message.replace(/^InfluxDB query: /, '')}`;
      }
      return e instanceof InfluxError && e.status === undefined
        ? unreachable(url, e, timeoutMs)
        : `InfluxDB at ${url}: ${(e as Error).message.replace(/^InfluxDB query: /, '')}`;
    };
    try {
      const r = await client.query('SHOW DATABASES');
      result.databases = (r.results?.[0]?.series?.[0]?.values ?? []).map((v) => String(v[0]));
    } catch (e) {
      return done(v1Error(e));
    }
    if (a.database) {
      if (!result.databases.includes(a.database)) {
        result.warnings.push(`database ${a.database} does not exist yet (or this user cannot see it); the influx output creates it at start when the user may`);
      } else {
        try {
          const r = await client.query('SHOW MEASUREMENTS LIMIT 1000', { db: a.database });
          result.measurements = (r.results?.[0]?.series?.[0]?.values ?? []).map((v) => String(v[0]));
        } catch (e) {
          return done(v1Error(e));
        }
      }
    }
    return done();
  }

  // v2: Flux through the client library's query API (InfluxDB 2.x, and 1.8 with flux-enabled)
  const queryApi = new InfluxDB({ url, token: a.token, timeout: timeoutMs }).getQueryApi({ org: a.org ?? '' });
  const flux = async (query: string, column: string): Promise<string[]> => {
    try {
      const rows = await queryApi.collectRows<Record<string, unknown>>(query);
      return rows.map((r) => r[column]).filter((v): v is string => typeof v === 'string' && v !== '');
    } catch (e) {
      const err = e as { statusCode?: number; body?: string; json?: { message?: string; error?: string } };
      if (typeof err.statusCode !== 'number') throw new ConnectionError(unreachable(url, e, timeoutMs));
      const status = err.statusCode;
      const msg = (err.json?.message ?? err.json?.error ?? err.body ?? '').trim();
      if (status === 401 || status === 403)
        throw new ConnectionError(`InfluxDB at ${url}: authentication failed (token rejected: HTTP ${status}${msg ? `: ${msg}` : ''})`);
      if (status === 404 && /page not found/i.test(msg))
        throw new ConnectionError(
          `InfluxDB at ${url} has no v2 query API (/api/v2/query: HTTP 404); InfluxDB 1.x needs 1.8+ with flux-enabled, or use the v1 form (username, password, database)`,
        );
      throw new ConnectionError(
        `InfluxDB at ${url}: HTTP ${status}${msg ? `: ${msg}` : ''}${/organi[sz]ation/i.test(msg) && !a.org ? ' (give the organisation)' : ''}`,
      );
    }
  };
  try {
    result.buckets = (await flux('buckets()', 'name')).sort();
    if (a.bucket) {
      if (!result.buckets.includes(a.bucket))
        return done(`bucket ${a.bucket} not found at ${url}${a.org ? ` in organisation ${a.org}` : ''} (the influx output needs it to exist)`);
      result.measurements = await flux(`import "influxdata/influxdb/v1"\nv1.measurements(bucket: ${fluxString(a.bucket)})`, '_value');
    }
  } catch (e) {
    return done((e as Error).message);
  }
  return done();
}
