// A real Apache Kafka broker for integration tests: one KRaft node
// (process.roles=broker,controller, no ZooKeeper) run from the jars on Maven
// Central with the machine's Java 17. Everything binds 127.0.0.1.
//
//   const kafka = await startKafka();          // ~8 s on 2 cores
//   new Kafka({ brokers: kafka.brokers });     // kafkajs
//   await kafka.kill(); await kafka.start();   // crash + restart, data kept
//   await kafka.stop();                        // graceful, removes the temp dir
//
// Java and the jars come from the set-up steps `java` and `kafka-jars` (Maven Central, via
// ./kafka/pom.xml, cached in .cache/kafka-jars): prepared by `npm test` up front, or here on
// first use (docs/testing.md). TS_ENGINE_KAFKA_LIBS names another folder of jars.
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureStep } from '../../../scripts/setup/index.mjs';
import { LogBuffer, freePorts, killHard, makeTempDir, removeTempDir, runChecked, spawnManaged, terminate, waitUntil, type Managed } from './proc.js';

export interface KafkaServer {
  /** ['127.0.0.1:<port>'] — pass to kafkajs `new Kafka({ brokers })`. */
  readonly brokers: string[];
  /** Client (PLAINTEXT) port. */
  readonly port: number;
  /** KRaft controller port (internal). */
  readonly controllerPort: number;
  /** Temp folder holding server.properties and the data dir (log.dirs). */
  readonly dir: string;
  readonly clusterId: string;
  /** Kafka version of the jars (kafka/pom.xml's). */
  readonly version: string;
  /** (Re)starts the broker on the same ports and data dir; no-op if running. */
  start(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM, SIGKILL after 30 s). Removes the temp dir
   * unless `keepData` is set (then `start()` can bring it back). Idempotent;
   * also the way to clean up after `kill()`.
   */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL (crash); data dir kept so `start()` recovers from it. */
  kill(): Promise<void>;
  /** The broker's stdout+stderr (last 4 MB), across restarts. */
  logs(): string;
  /**
   * Milliseconds the last start took until kafkajs's admin saw the broker
   * and (after a restart) the group coordinator had loaded the offsets.
   */
  readonly lastStartMs: number;
  /** With `saslPlain`: the SASL_PLAINTEXT (mechanism PLAIN) listener, beside the plain one. */
  readonly saslBrokers?: string[];
}

export interface StartKafkaOptions {
  /** Client port; a free one is picked when omitted. */
  port?: number;
  /** Max heap (default '512m'). */
  heap?: string;
  /** Readiness time-out per start, ms (default 90 000). */
  startTimeoutMs?: number;
  /**
   * JVM tuning options; replace the default ['-XX:TieredStopAtLevel=1',
   * '-XX:+UseSerialGC'] (C1 only + serial GC: starts ~2 s faster on 2 cores,
   * plenty for test traffic). Heap is set by `heap`.
   */
  jvmOptions?: string[];
  /** Extra server.properties lines (key → value); override the defaults. */
  properties?: Record<string, string | number | boolean>;
  /** Adds a SASL_PLAINTEXT listener (mechanism PLAIN) accepting these users (name → password). */
  saslPlain?: Record<string, string>;
}

/** The folder of Kafka jars (the `kafka-jars` set-up step) and its Kafka version. */
export async function kafkaLibs(): Promise<{ dir: string; version: string }> {
  const own = process.env.TS_ENGINE_KAFKA_LIBS;
  if (own) {
    const jar = readdirSync(own).find((f) => /^kafka_2\.13-.+\.jar$/.test(f));
    return { dir: own, version: jar ? jar.slice('kafka_2.13-'.length, -'.jar'.length) : 'unknown' };
  }
  const r = await ensureStep('kafka-jars');
  return { dir: r.path, version: r.version! };
}

const LOG4J2 = `# written by test/integration/servers/kafka.ts
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
# the full config dumps are long and say nothing a test needs
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
logger.appinfo.name = org.apache.kafka.common.utils.AppInfoParser
logger.appinfo.level = WARN
`;

function serverProperties(p: {
  port: number;
  controllerPort: number;
  dataDir: string;
  extra?: StartKafkaOptions['properties'];
  sasl?: { port: number; users: Record<string, string> };
}): string {
  const sasl = p.sasl;
  const saslProps: Record<string, string> = sasl
    ? {
        listeners: `PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort},SASL_PLAINTEXT://127.0.0.1:${sasl.port}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.port},SASL_PLAINTEXT://127.0.0.1:${sasl.port}`,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(sasl.users)
          .map(([u, pw]) => `user_${u}="${pw}"`)
          .join(' ')};`,
      }
    : {};
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${p.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': p.dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    // small and quick for tests. After a kill -9 the restarted broker can
    // register only once the controller has expired the dead incarnation's
    // session (default 9 s): keep that short.
    'broker.heartbeat.interval.ms': 500,
    'broker.session.timeout.ms': 2500,
    'log.segment.bytes': 16 * 1024 * 1024,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.dedupe.buffer.size': 2 * 1024 * 1024,
    ...saslProps,
    ...p.extra,
  };
  return (
    '# written by test/integration/servers/kafka.ts\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n') +
    '\n'
  );
}

async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'ts-engine-harness-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    if (c.brokers.length === 0 || c.controller === null) return false;
    // After a restart the group coordinator first reloads __consumer_offsets
    // and answers COORDINATOR_LOAD_IN_PROGRESS meanwhile (which kafkajs's
    // admin does not retry): ready means committed offsets can be read.
    if ((await admin.listTopics()).includes('__consumer_offsets')) {
      await admin.fetchOffsets({ groupId: 'ts-engine-harness-probe', topics: [] });
    }
    return true;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Formats storage in a fresh temp dir and starts a single-node KRaft broker. */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaServer> {
  const [{ dir: libs, version }, java] = await Promise.all([kafkaLibs(), ensureStep('java')]);
  const cp = join(libs, '*');
  const [p1, p2, p3] = await freePorts(3);
  const port = opts.port ?? p1!;
  const controllerPort = p2 === port ? p1! : p2!;
  const saslPort = p3 === port ? p1! : p3!;
  const dir = makeTempDir('ts-engine-kafka-');
  const dataDir = join(dir, 'data');
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  writeFileSync(
    propsFile,
    serverProperties({ port, controllerPort, dataDir, extra: opts.properties, sasl: opts.saslPlain ? { port: saslPort, users: opts.saslPlain } : undefined }),
  );
  writeFileSync(log4jFile, LOG4J2);
  // Kafka's Uuid.toString: url-safe base64 of 16 bytes, no padding.
  // an id starting with '-' would be read as an option by kafka-storage (Kafka's own Uuid.randomUuid avoids it too)
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const jvmCommon = [`-Dlog4j2.configurationFile=${log4jFile}`, `-Dkafka.logs.dir=${join(dir, 'logs')}`, '-Djava.awt.headless=true'];

  const log = new LogBuffer();
  try {
    const out = await runChecked(
      java.path,
      ['-Xmx256m', ...jvmCommon, '-cp', cp, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsFile],
      {
        what: 'kafka storage format',
      },
    );
    log.append(`[harness] storage format:\n${out}\n`);
  } catch (e) {
    removeTempDir(dir);
    throw e;
  }

  const brokers = [`127.0.0.1:${port}`];
  let proc: Managed | undefined;
  let removed = false;
  let starts = 0;
  let lastStartMs = 0;

  const start = async (): Promise<void> => {
    if (removed) throw new Error('kafka: start() after stop() removed the data dir (use stop({ keepData: true }))');
    if (proc?.isRunning()) return;
    const t0 = Date.now();
    starts += 1;
    log.append(`\n[harness] ===== start #${starts} (port ${port}, controller ${controllerPort}) =====\n`);
    proc = spawnManaged(
      java.path,
      [
        `-Xmx${opts.heap ?? '512m'}`,
        '-Xms64m',
        '-XX:+ExitOnOutOfMemoryError',
        ...jvmCommon,
        `-Dts-engine.harness=kafka:${dir}`,
        ...(opts.jvmOptions ?? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']),
        '-cp',
        cp,
        'kafka.Kafka',
        propsFile,
      ],
      { cwd: dir, log },
    );
    const p = proc;
    try {
      await waitUntil('kafka', p, log, () => kafkaAnswers(brokers), opts.startTimeoutMs ?? 90_000, 250);
    } catch (e) {
      await killHard(p);
      throw e;
    }
    lastStartMs = Date.now() - t0;
  };

  const server: KafkaServer = {
    brokers,
    saslBrokers: opts.saslPlain ? [`127.0.0.1:${saslPort}`] : undefined,
    port,
    controllerPort,
    dir,
    clusterId,
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
