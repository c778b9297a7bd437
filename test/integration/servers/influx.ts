// A real InfluxDB server for integration tests. Everything binds 127.0.0.1.
//
//   version '1.6' (default): Debian's `influxdb` package, influxd 1.6.7 — v1 API
//     only: /ping, /write (line protocol), /query (InfluxQL). The installed one, or
//     the package unpacked without root; where there is no Debian package, influxd
//     1.8 stands in (set-up step `influxd-1.x`; `serverVersion` says which ran).
//   version '1.8': influxd 1.8.10 built from source (step `influxd-1.8`,
//     ./build-influxd.sh) — the v1 API plus the v2 compatibility API:
//     /api/v2/write?bucket=db/rp and Flux on /api/v2/query
//     (`[http] flux-enabled = true`), token `username:password`.
//   version '2.7': InfluxDB OSS 2.7.12 built from source (step `influxd-2.7`) —
//     the real v2 server: set up on first start (POST /api/v2/setup) with an
//     org, a bucket, a user and an operator token; /api/v2/write, Flux /api/v2/query.
// The binaries are prepared by `npm test` up front or here on first use, and
// cached under .cache/ (docs/testing.md).
//
//   const influx = await startInflux();                 // ~0.1 s
//   const v18 = await startInflux({ version: '1.8', auth: { username: 'admin', password: 'pw' } });
//   v18.token  // 'admin:pw' for @influxdata/influxdb-client
//   const v27 = await startInflux({ version: '2.7' });  // v27.org, v27.bucket, v27.token
//   await influx.kill(); await influx.start();          // crash + restart, data kept
//   await influx.stop();                                // graceful, removes the temp dir
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStep } from '../../../scripts/setup/index.mjs';
import { LogBuffer, freePorts, killHard, makeTempDir, removeTempDir, spawnManaged, terminate, waitUntil, type Managed } from './proc.js';

export type InfluxVersion = '1.6' | '1.8' | '2.7';

export interface InfluxServer {
  /** 'http://127.0.0.1:<port>' */
  readonly url: string;
  readonly port: number;
  readonly version: InfluxVersion;
  /** The influxd binary that runs. */
  readonly binary: string;
  /** What that binary says it is ('1.6.7~rc0', '1.8.10', '2.7.12'). */
  readonly serverVersion: string;
  /** Temp folder holding the config (1.x) and all data. */
  readonly dir: string;
  /** 1.x: set when started with `auth`. 2.7: the user made by the setup. */
  readonly auth?: { username: string; password: string };
  /**
   * Token for @influxdata/influxdb-client. 1.8: `username:password` with
   * auth, any string without. 2.7: the operator token of the setup.
   */
  readonly token: string;
  /** 2.7: the organization made by the setup ('ts-engine'); 1.x: '-' (ignored). */
  readonly org: string;
  /** 2.7: the bucket made by the setup ('default'); 1.x: undefined (use 'db/rp'). */
  readonly bucket?: string;
  /** (Re)starts influxd on the same port and data dirs; no-op if running. */
  start(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM, SIGKILL after 15 s). Removes the temp dir
   * unless `keepData` is set. Idempotent; also the clean-up after `kill()`.
   */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL (crash); data kept so `start()` recovers it from the WAL. */
  kill(): Promise<void>;
  /** influxd's stdout+stderr (last 4 MB), across restarts. */
  logs(): string;
  /** Milliseconds the last start took until /ping answered 204 (2.7: /health 200). */
  readonly lastStartMs: number;
}

export interface StartInfluxOptions {
  /** '1.6' (Debian package, default), '1.8' or '2.7' (built from source). */
  version?: InfluxVersion;
  /** HTTP port; a free one is picked when omitted. */
  port?: number;
  /**
   * 1.x: turn on `[http] auth-enabled` and create this admin user right after
   * the first start (InfluxDB allows that one unauthenticated CREATE USER).
   * 2.7: the user of the initial setup (default harness / harness-password;
   * 2.x always needs auth).
   */
  auth?: { username: string; password: string };
  /** 2.7 setup: organization (default 'ts-engine'). */
  org?: string;
  /** 2.7 setup: bucket (default 'default'). */
  bucket?: string;
  /** 2.7 setup: operator token (default: random). */
  token?: string;
  /** Readiness time-out per start, ms (default 30 000). */
  startTimeoutMs?: number;
}

const STEP = { '1.6': 'influxd-1.x', '1.8': 'influxd-1.8', '2.7': 'influxd-2.7' } as const;

/** The influxd binary for a version and what it says it is; builds 1.8 / 2.7 on first use. */
export async function ensureInfluxd(version: InfluxVersion): Promise<{ binary: string; serverVersion: string }> {
  const r = await ensureStep(STEP[version]);
  return { binary: r.path, serverVersion: r.version ?? version };
}

function q(s: string): string {
  return JSON.stringify(s); // TOML basic strings accept JSON string escapes
}

function influxConf(p: { serverVersion: string; flux: boolean; dir: string; port: number; rpcPort: number; auth: boolean }): string {
  const loopback = (port: number) => q(`127.0.0.1:${port}`);
  // the config follows the binary: influxd 1.8 also stands in for 1.6 where Debian's is missing
  const v18 = !p.serverVersion.startsWith('1.6');
  // No phoning home: upstream 1.8 reads `reporting-disabled`; Debian's 1.6
  // is patched to read `reporting-enabled` (default false) instead.
  return `# written by test/integration/servers/influx.ts
${v18 ? 'reporting-disabled = true' : 'reporting-enabled = false'}
bind-address = ${loopback(p.rpcPort)}

[meta]
  dir = ${q(join(p.dir, 'meta'))}
  retention-autocreate = true
  logging-enabled = true

[data]
  dir = ${q(join(p.dir, 'data'))}
  wal-dir = ${q(join(p.dir, 'wal'))}
  wal-fsync-delay = "0s"
  index-version = "inmem"
  query-log-enabled = false
  cache-max-memory-size = 268435456

[coordinator]
  write-timeout = "10s"

[retention]
  enabled = true
  check-interval = "30m0s"

[shard-precreation]
  enabled = true

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = ${loopback(p.port)}
  auth-enabled = ${p.auth}
  log-enabled = true
  suppress-write-log = false
  write-tracing = false
  pprof-enabled = false
  https-enabled = false
  unix-socket-enabled = false
  max-row-limit = 0
${p.flux ? '  flux-enabled = true\n  flux-log-enabled = true\n' : ''}
[logging]
  format = "logfmt"
  level = "info"
  suppress-logo = true
${v18 ? '' : '\n[ifql]\n  enabled = false\n  bind-address = "127.0.0.1:0"\n'}
[[graphite]]
  enabled = false
  bind-address = "127.0.0.1:0"

[[collectd]]
  enabled = false
  bind-address = "127.0.0.1:0"

[[opentsdb]]
  enabled = false
  bind-address = "127.0.0.1:0"

[[udp]]
  enabled = false
  bind-address = "127.0.0.1:0"

[continuous_queries]
  enabled = true
  log-enabled = false
`;
}

async function answers(url: string, path: string, status: number): Promise<boolean> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), 1000);
  try {
    const r = await fetch(`${url}${path}`, { signal: ctl.signal });
    await r.arrayBuffer();
    return r.status === status;
  } finally {
    clearTimeout(t);
  }
}

/** Starts influxd with its own config and data dirs in a fresh temp dir. */
export async function startInflux(opts: StartInfluxOptions = {}): Promise<InfluxServer> {
  const version = opts.version ?? '1.6';
  const v2 = version === '2.7';
  const { binary, serverVersion } = await ensureInfluxd(version);
  const [p1, p2] = await freePorts(2);
  const port = opts.port ?? p1!;
  const rpcPort = p2 === port ? p1! : p2!;
  const dir = makeTempDir(`ts-engine-influx-${version}-`);
  const url = `http://127.0.0.1:${port}`;

  let args: string[];
  if (v2) {
    // 2.x takes flags; it has no other listener than HTTP.
    args = [
      `--http-bind-address=127.0.0.1:${port}`,
      `--bolt-path=${join(dir, 'influxd.bolt')}`,
      `--engine-path=${join(dir, 'engine')}`,
      `--sqlite-path=${join(dir, 'influxd.sqlite')}`,
      '--reporting-disabled',
      '--pprof-disabled',
      '--ui-disabled',
      '--log-level=info',
      '--storage-wal-fsync-delay=0s',
    ];
  } else {
    const confFile = join(dir, 'influxdb.conf');
    writeFileSync(confFile, influxConf({ serverVersion, flux: version === '1.8', dir, port, rpcPort, auth: !!opts.auth }));
    args = ['run', '-config', confFile];
  }
  // The caller's INFLUXDB_* (1.x) / INFLUXD_* (2.x) variables would override
  // the config; 2.x would also read a config file named by INFLUXD_CONFIG_PATH.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_') && !k.startsWith('INFLUXD_')));

  const auth = v2 ? (opts.auth ?? { username: 'harness', password: 'harness-password' }) : opts.auth;
  const org = v2 ? (opts.org ?? 'ts-engine') : '-';
  const bucket = v2 ? (opts.bucket ?? 'default') : undefined;
  const token = v2 ? (opts.token ?? `harness-${randomBytes(24).toString('hex')}`) : auth ? `${auth.username}:${auth.password}` : 'no-auth:no-auth';

  const log = new LogBuffer();
  let proc: Managed | undefined;
  let removed = false;
  let starts = 0;
  let lastStartMs = 0;

  const start = async (): Promise<void> => {
    if (removed) throw new Error('influx: start() after stop() removed the data dir (use stop({ keepData: true }))');
    if (proc?.isRunning()) return;
    const t0 = Date.now();
    starts += 1;
    log.append(`\n[harness] ===== start #${starts} (${binary}, port ${port}${v2 ? '' : `, rpc ${rpcPort}`}) =====\n`);
    proc = spawnManaged(binary, args, { cwd: dir, env, log });
    const p = proc;
    try {
      await waitUntil(`influxd ${version}`, p, log, () => (v2 ? answers(url, '/health', 200) : answers(url, '/ping', 204)), opts.startTimeoutMs ?? 30_000, 100);
    } catch (e) {
      await killHard(p);
      throw e;
    }
    lastStartMs = Date.now() - t0;
  };

  const server: InfluxServer = {
    url,
    port,
    version,
    binary,
    serverVersion,
    dir,
    auth,
    token,
    org,
    bucket,
    get lastStartMs() {
      return lastStartMs;
    },
    start,
    async stop(o) {
      if (proc) await terminate(proc, 15_000);
      if (!o?.keepData && !removed) {
        removed = true;
        removeTempDir(dir);
      }
    },
    async kill() {
      if (proc) await killHard(proc);
    },
    logs: () => log.text(),
  };

  try {
    await start();
    if (v2) {
      const r = await fetch(`${url}/api/v2/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: auth!.username, password: auth!.password, org, bucket, token }),
      });
      const text = await r.text();
      if (r.status !== 201) throw new Error(`influx 2.7: setup failed: ${r.status} ${text}`);
    } else if (auth) {
      const body = new URLSearchParams({
        q: `CREATE USER ${JSON.stringify(auth.username)} WITH PASSWORD '${auth.password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`,
      });
      const r = await fetch(`${url}/query`, { method: 'POST', body });
      const text = await r.text();
      if (r.status !== 200 || text.includes('"error"')) throw new Error(`influx: creating the admin user failed: ${r.status} ${text}`);
    }
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
