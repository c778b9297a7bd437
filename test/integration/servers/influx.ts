// A real InfluxDB server for integration tests. Everything binds 127.0.0.1.
//
//   version '1.6' (default): Debian's `influxdb` package, /usr/bin/influxd
//     1.6.7 — v1 API only: /ping, /write (line protocol), /query (InfluxQL).
//   version '1.8': influxd 1.8.10 built from source by ./build-influxd.sh into
//     test/integration/.servers/bin/influxd-1.8 — the v1 API plus the v2
//     compatibility API: /api/v2/write?bucket=db/rp and Flux on
//     /api/v2/query (`[http] flux-enabled = true`), token `username:password`.
//
//   const influx = await startInflux();                 // ~0.5 s
//   const v2 = await startInflux({ version: '1.8', auth: { username: 'admin', password: 'pw' } });
//   v2.token  // 'admin:pw' for @influxdata/influxdb-client
//   await influx.kill(); await influx.start();          // crash + restart, data kept
//   await influx.stop();                                // graceful, removes the temp dir
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  LogBuffer,
  REPO_ROOT,
  SERVERS_DIR,
  freePorts,
  killHard,
  makeTempDir,
  removeTempDir,
  runChecked,
  spawnManaged,
  terminate,
  waitUntil,
  type Managed,
} from './proc.js';

export type InfluxVersion = '1.6' | '1.8';

export interface InfluxServer {
  /** 'http://127.0.0.1:<port>' */
  readonly url: string;
  readonly port: number;
  readonly version: InfluxVersion;
  /** The influxd binary that runs. */
  readonly binary: string;
  /** Temp folder holding influxdb.conf and meta/, data/, wal/. */
  readonly dir: string;
  /** Set when started with `auth`. */
  readonly auth?: { username: string; password: string };
  /**
   * Token for the v2 compatibility API (@influxdata/influxdb-client):
   * `username:password` with auth; any string works without auth.
   */
  readonly token: string;
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
  /** Milliseconds the last start took until /ping answered 204. */
  readonly lastStartMs: number;
}

export interface StartInfluxOptions {
  /** '1.6' (Debian package, default) or '1.8' (built from source). */
  version?: InfluxVersion;
  /** HTTP port; a free one is picked when omitted. */
  port?: number;
  /**
   * Turn on `[http] auth-enabled` and create this admin user right after the
   * first start (InfluxDB allows that one unauthenticated CREATE USER).
   */
  auth?: { username: string; password: string };
  /** Readiness time-out per start, ms (default 30 000). */
  startTimeoutMs?: number;
}

export const INFLUXD_18_BIN = process.env.TS_ENGINE_INFLUXD_18 ?? resolve(SERVERS_DIR, 'bin', 'influxd-1.8');
export const BUILD_INFLUXD_SCRIPT = resolve(REPO_ROOT, 'test', 'integration', 'servers', 'build-influxd.sh');

function findOnPath(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

/** Path of the influxd binary for a version; builds 1.8 if it is missing. */
export async function ensureInfluxd(version: InfluxVersion): Promise<string> {
  if (version === '1.6') {
    const bin = process.env.TS_ENGINE_INFLUXD ?? (existsSync('/usr/bin/influxd') ? '/usr/bin/influxd' : findOnPath('influxd'));
    if (!bin || !existsSync(bin)) {
      throw new Error("influxd not found: install Debian's influxdb package (run `bash .ci/install-servers.sh` as root)");
    }
    return bin;
  }
  if (!existsSync(INFLUXD_18_BIN)) {
    // ~2-3 min on 2 cores with an empty Go module cache.
    await runChecked('bash', [BUILD_INFLUXD_SCRIPT], { what: 'building influxd 1.8 (test/integration/servers/build-influxd.sh)' });
  }
  return INFLUXD_18_BIN;
}

function q(s: string): string {
  return JSON.stringify(s); // TOML basic strings accept JSON string escapes
}

function influxConf(p: { version: InfluxVersion; dir: string; port: number; rpcPort: number; auth: boolean }): string {
  const loopback = (port: number) => q(`127.0.0.1:${port}`);
  const v18 = p.version === '1.8';
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
${v18 ? '  flux-enabled = true\n  flux-log-enabled = true\n' : ''}
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

async function ping(url: string): Promise<boolean> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), 1000);
  try {
    const r = await fetch(`${url}/ping`, { signal: ctl.signal });
    await r.arrayBuffer();
    return r.status === 204;
  } finally {
    clearTimeout(t);
  }
}

/** Starts influxd with its own config and data dirs in a fresh temp dir. */
export async function startInflux(opts: StartInfluxOptions = {}): Promise<InfluxServer> {
  const version = opts.version ?? '1.6';
  const binary = await ensureInfluxd(version);
  const [p1, p2] = await freePorts(2);
  const port = opts.port ?? p1!;
  const rpcPort = p2 === port ? p1! : p2!;
  const dir = makeTempDir(`ts-engine-influx-${version}-`);
  const confFile = join(dir, 'influxdb.conf');
  writeFileSync(confFile, influxConf({ version, dir, port, rpcPort, auth: !!opts.auth }));

  const url = `http://127.0.0.1:${port}`;
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
    log.append(`\n[harness] ===== start #${starts} (${binary}, port ${port}, rpc ${rpcPort}) =====\n`);
    // INFLUXDB_* variables of the caller would override the config file.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));
    proc = spawnManaged(binary, ['run', '-config', confFile], { cwd: dir, env, log });
    const p = proc;
    try {
      await waitUntil(`influxd ${version}`, p, log, () => ping(url), opts.startTimeoutMs ?? 30_000, 100);
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
    dir,
    auth: opts.auth,
    token: opts.auth ? `${opts.auth.username}:${opts.auth.password}` : 'no-auth:no-auth',
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
    if (opts.auth) {
      const body = new URLSearchParams({
        q: `CREATE USER ${JSON.stringify(opts.auth.username)} WITH PASSWORD '${opts.auth.password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`,
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
