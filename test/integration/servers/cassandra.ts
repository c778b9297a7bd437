// A real Apache Cassandra node for integration tests: CassandraDaemon run from
// the cassandra-all jars on Maven Central with the machine's Java 17, its own
// cassandra.yaml (every directory under a temp folder, 127.0.0.1, free ports),
// a logback config and the module flags of Cassandra's jvm17-server.options.
//
//   const c = await startCassandra({ auth: true }); // ~11-20 s on 2 cores
//   c.contactPoints                                 // ['127.0.0.1:<port>']
//   await c.kill(); await c.start();                // crash + restart, data kept
//   await c.stop();                                 // graceful, removes the temp dir
//
// Java and the jars come from the set-up steps `java` and `cassandra-jars` (Maven Central, via
// ./cassandra/pom.xml, cached in .cache/cassandra-jars): prepared by `npm test` up front, or here
// on first use (docs/testing.md). TS_ENGINE_CASSANDRA_LIBS names another folder of jars.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { ensureStep } from '../../../scripts/setup/index.mjs';
import { LogBuffer, freePorts, killHard, makeTempDir, removeTempDir, spawnManaged, terminate, waitUntil, type Managed } from './proc.js';

export interface CassandraServer {
  /** ['127.0.0.1:<port>'] for cassandra-driver's contactPoints */
  readonly contactPoints: string[];
  /** native protocol (CQL) port */
  readonly port: number;
  readonly dir: string;
  /** the datacenter of the node (SimpleSnitch: datacenter1) */
  readonly datacenter: string;
  /** with `auth`: the superuser */
  readonly credentials?: { username: string; password: string };
  readonly version: string;
  /** (Re)starts the node on the same ports and data; no-op if running. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after 30 s); removes the temp dir unless `keepData`. Idempotent. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL (crash); data kept so `start()` recovers from the commit log. */
  kill(): Promise<void>;
  logs(): string;
  /** ms the last start took until a CQL query (and the login, with auth) answered */
  readonly lastStartMs: number;
}

export interface StartCassandraOptions {
  /** PasswordAuthenticator with the default superuser cassandra/cassandra */
  auth?: boolean;
  /** max heap (default 512m) */
  heap?: string;
  /** readiness time-out per start, ms (default 120 000) */
  startTimeoutMs?: number;
}

/** The folder of Cassandra jars (the `cassandra-jars` set-up step) and its version. TS_ENGINE_CASSANDRA_LIBS names another folder. */
export async function cassandraLibs(): Promise<{ dir: string; version: string }> {
  const own = process.env.TS_ENGINE_CASSANDRA_LIBS;
  if (own) {
    const jar = readdirSync(own).find((f) => /^cassandra-all-.+\.jar$/.test(f));
    return { dir: own, version: jar ? jar.slice('cassandra-all-'.length, -'.jar'.length) : 'unknown' };
  }
  const r = await ensureStep('cassandra-jars');
  return { dir: r.path, version: r.version! };
}

/** conf/jvm17-server.options of the Cassandra 5.0 distribution: the module access it needs on Java 17 */
const JVM17_FLAGS = [
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.base/jdk.internal.ref',
    'java.base/sun.nio.ch',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
  ].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.nio',
    'java.base/java.util.concurrent',
    'java.base/java.util',
    'java.base/java.util.concurrent.atomic',
    'java.base/java.lang',
    'java.base/java.math',
    'java.base/java.lang.reflect',
    'java.base/java.net',
  ].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
];

const LOGBACK = `<!-- written by test/integration/servers/cassandra.ts -->
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT" /></root>
</configuration>
`;

function cassandraYaml(p: { dir: string; port: number; storagePort: number; auth: boolean }): string {
  const d = (name: string) => JSON.stringify(join(p.dir, name));
  return `# written by test/integration/servers/cassandra.ts
cluster_name: ts-engine-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
authenticator: ${p.auth ? 'PasswordAuthenticator' : 'AllowAllAuthenticator'}
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
data_file_directories: [${d('data')}]
commitlog_directory: ${d('commitlog')}
saved_caches_directory: ${d('saved_caches')}
hints_directory: ${d('hints')}
cdc_raw_directory: ${d('cdc_raw')}
# a write is acknowledged only once its commit log is on disk: a killed node (the outage test)
# loses nothing it confirmed (periodic mode, the default, can lose the last 10 s)
commitlog_sync: group
commitlog_sync_group_window: 10ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${p.storagePort}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${p.storagePort}
native_transport_port: ${p.port}
start_native_transport: true
endpoint_snitch: SimpleSnitch
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 4
concurrent_materialized_view_writes: 2
compaction_throughput: 0MiB/s
auto_snapshot: false
`;
}

/** a CQL query answers (and the superuser logs in, with auth) */
async function cassandraAnswers(contactPoints: string[], credentials?: { username: string; password: string }): Promise<boolean> {
  const client = new cassandra.Client({
    contactPoints,
    localDataCenter: 'datacenter1',
    credentials,
    isMetadataSyncEnabled: false,
    socketOptions: { connectTimeout: 1000, readTimeout: 3000 },
  });
  try {
    await client.connect();
    await client.execute('SELECT release_version FROM system.local');
    return true;
  } catch {
    return false;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export async function startCassandra(opts: StartCassandraOptions = {}): Promise<CassandraServer> {
  const [{ dir: libs, version }, java] = await Promise.all([cassandraLibs(), ensureStep('java')]);
  const [port, storagePort] = (await freePorts(2)) as [number, number];
  const dir = makeTempDir('ts-engine-cassandra-');
  const yaml = join(dir, 'cassandra.yaml');
  const logback = join(dir, 'logback.xml');
  writeFileSync(yaml, cassandraYaml({ dir, port, storagePort, auth: opts.auth === true }));
  writeFileSync(logback, LOGBACK);
  const credentials = opts.auth ? { username: 'cassandra', password: 'cassandra' } : undefined;
  const contactPoints = [`127.0.0.1:${port}`];
  const log = new LogBuffer();
  let proc: Managed | undefined;
  let removed = false;
  let starts = 0;
  let lastStartMs = 0;

  const start = async (): Promise<void> => {
    if (removed) throw new Error('cassandra: start() after stop() removed the data dir (use stop({ keepData: true }))');
    if (proc?.isRunning()) return;
    const t0 = Date.now();
    starts += 1;
    log.append(`\n[harness] ===== start #${starts} (native ${port}, storage ${storagePort}) =====\n`);
    proc = spawnManaged(
      java.path,
      [
        `-Xmx${opts.heap ?? '512m'}`,
        `-Xms${opts.heap ?? '512m'}`,
        '-Xss512k',
        '-XX:+ExitOnOutOfMemoryError',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.net.preferIPv4Stack=true',
        '-Djava.awt.headless=true',
        ...JVM17_FLAGS,
        `-Dcassandra.config=file://${yaml}`,
        `-Dlogback.configurationFile=${logback}`,
        `-Dcassandra.storagedir=${dir}`,
        `-Dcassandra.logdir=${join(dir, 'logs')}`,
        '-Dcassandra-foreground=yes',
        // a single node: nothing to wait for
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=100',
        '-Dcassandra.superuser_setup_delay_ms=0',
        `-Dts-engine.harness=cassandra:${dir}`,
        '-cp',
        join(libs, '*'),
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      { cwd: dir, log },
    );
    const p = proc;
    try {
      await waitUntil('cassandra', p, log, () => cassandraAnswers(contactPoints, credentials), opts.startTimeoutMs ?? 120_000, 500);
    } catch (e) {
      await killHard(p);
      throw e;
    }
    lastStartMs = Date.now() - t0;
  };

  const server: CassandraServer = {
    contactPoints,
    port,
    dir,
    datacenter: 'datacenter1',
    credentials,
    version,
    get lastStartMs() {
      return lastStartMs;
    },
    start,
    async stop(o) {
      if (proc) await terminate(proc, 30_000);
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
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
