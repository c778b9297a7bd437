/**
 * Kafka as the workbench's Connections panel and `check --connect` see it: test a cluster, list
 * its topics with their offsets, and say in one line what went wrong (connection refused, host
 * not found, authentication failed, …) naming the address. Short time limits everywhere: a dead
 * address must never hang the UI.
 */
import { logLevel, type Admin, type Kafka } from 'kafkajs';
import { systemClock, type Clock } from '../core/clock.js';
import { createKafka, kafkaCause } from './kafka-client.js';
import { ConnectionError, causes, deadline, quietly } from './probe-util.js';

const DEFAULT_TIMEOUT_MS = 6000;
/** topics described with their offsets by listTopics (one ListOffsets round trip each) */
const MAX_TOPICS_WITH_OFFSETS = 200;

export interface KafkaConnectionArgs {
  /** bootstrap brokers, `host:port` */
  brokers: string[];
  clientId?: string;
  /** true, or Node TLS options (ca, cert, key, rejectUnauthorized, …) */
  ssl?: boolean | Record<string, unknown>;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** longest wait for an answer, ms (default 6000) */
  timeoutMs?: number;
}

export interface KafkaTestResult {
  ok: boolean;
  /** the addresses tried */
  address: string;
  clusterId?: string;
  /** the cluster's brokers as the cluster advertises them */
  brokers: { nodeId: number; host: string; port: number }[];
  controller?: number | null;
  /** topics (without internal ones) */
  topicCount?: number;
  error?: string;
  elapsedMs: number;
}

export interface KafkaPartitionInfo {
  partition: number;
  leader: number;
  /** earliest and next (high-water) offsets; absent when they could not be read */
  low?: string;
  high?: string;
}

export interface KafkaTopicInfo {
  name: string;
  partitions: KafkaPartitionInfo[];
  /** messages held (sum of high − low), when known */
  messages?: number;
}

export interface KafkaTopicList {
  address: string;
  topics: KafkaTopicInfo[];
  /** more topics exist than were described with offsets */
  truncated: boolean;
  elapsedMs: number;
}

/** Checks and normalises the broker list: non-empty `host:port` strings. */
export function brokerList(brokers: unknown): string[] {
  const list = (Array.isArray(brokers) ? brokers : typeof brokers === 'string' ? brokers.split(',') : [])
    .map((b) => String(b).trim())
    .filter((b) => b.length > 0);
  if (list.length === 0) throw new ConnectionError('no Kafka brokers given (host:port, comma-separated)');
  for (const b of list) {
    const m = /^(.+):(\d+)$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConnectionError(`Kafka broker ${JSON.stringify(b)} is not host:port`);
  }
  return list;
}

export function kafkaClient(a: KafkaConnectionArgs, brokers: string[], timeoutMs: number, retries = 1): Kafka {
  const sasl = a.sasl?.username
    ? { mechanism: String(a.sasl.mechanism || 'plain').toLowerCase(), username: a.sasl.username, password: a.sasl.password ?? '' }
    : undefined;
  return createKafka(
    { brokers, clientId: a.clientId || 'ts-engine-workbench', ssl: a.ssl || undefined, sasl },
    {
      warn: () => {},
      level: logLevel.NOTHING,
      connectionTimeout: Math.min(3000, Math.max(500, Math.floor(timeoutMs / 2))),
      requestTimeout: Math.max(1000, timeoutMs),
      retry: { retries, initialRetryTime: 200, maxRetryTime: 1000 },
    },
  );
}

/** One clear line for a failed Kafka call: the address and what went wrong. */
export function kafkaProblem(address: string, e: unknown): string {
  if (e instanceof ConnectionError) return e.message;
  const chain = causes(e);
  const find = (re: RegExp) => chain.find((c) => re.test(c.name ?? '') || re.test(c.message ?? '') || re.test(c.code ?? ''));
  const auth = find(/SASL|Authentication|authoriz/i);
  if (auth) return `Kafka at ${address}: authentication failed (${auth.message})`;
  if (find(/ECONNREFUSED/)) return `cannot connect to Kafka at ${address}: connection refused`;
  const dns = find(/ENOTFOUND|EAI_AGAIN/);
  if (dns) return `cannot connect to Kafka at ${address}: host not found (${dns.message?.replace(/^Connection error: /, '')})`;
  if (find(/ETIMEDOUT|Connection timeout|timed? ?out/i)) return `cannot connect to Kafka at ${address}: no answer (timed out)`;
  const tls = find(/TLS|SSL|certificate|EPROTO/i);
  if (tls) return `cannot connect to Kafka at ${address}: TLS failed (${tls.message}); is the listener TLS?`;
  if (find(/Closed connection|ECONNRESET/)) return `Kafka at ${address} closed the connection (wrong port, or the listener expects SASL or TLS)`;
  return `Kafka at ${address}: ${kafkaCause(e)}`;
}

/** An admin client, connected (within the time limit), or a ConnectionError naming the address. */
export async function connectAdmin(
  a: KafkaConnectionArgs,
  clock: Clock = systemClock,
): Promise<{ admin: Admin; kafka: Kafka; address: string; timeoutMs: number }> {
  const brokers = brokerList(a.brokers);
  const address = brokers.join(',');
  const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const kafka = kafkaClient(a, brokers, timeoutMs);
  const admin = kafka.admin();
  try {
    await deadline(
      clock,
      admin.connect(),
      timeoutMs,
      () => new ConnectionError(`cannot connect to Kafka at ${address}: no answer within ${timeoutMs / 1000} s`),
    );
  } catch (e) {
    void quietly(clock, admin.disconnect());
    throw new ConnectionError(kafkaProblem(address, e));
  }
  return { admin, kafka, address, timeoutMs };
}

/** Connects, describes the cluster and counts its topics, within the time limit. */
export async function testKafka(a: KafkaConnectionArgs, clock: Clock = systemClock): Promise<KafkaTestResult> {
  const t0 = clock.now();
  let address = Array.isArray(a.brokers) ? a.brokers.join(',') : String(a.brokers ?? '');
  let admin: Admin | undefined;
  try {
    const c = await connectAdmin(a, clock);
    admin = c.admin;
    address = c.address;
    const limit = () => new ConnectionError(`Kafka at ${c.address}: no answer within ${c.timeoutMs / 1000} s`);
    const cluster = await deadline(clock, c.admin.describeCluster(), c.timeoutMs, limit);
    const topics = await deadline(clock, c.admin.listTopics(), c.timeoutMs, limit);
    return {
      ok: true,
      address,
      clusterId: cluster.clusterId,
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })).sort((x, y) => x.nodeId - y.nodeId),
      controller: cluster.controller,
      topicCount: topics.filter((t) => !t.startsWith('__')).length,
      elapsedMs: clock.now() - t0,
    };
  } catch (e) {
    return { ok: false, address, brokers: [], error: kafkaProblem(address, e), elapsedMs: clock.now() - t0 };
  } finally {
    await quietly(clock, admin?.disconnect());
  }
}

/** The topics with their partitions and offsets (a few ListOffsets at a time, within the time limit). */
export async function listTopics(a: KafkaConnectionArgs & { internal?: boolean }, clock: Clock = systemClock): Promise<KafkaTopicList> {
  const t0 = clock.now();
  const { admin, address, timeoutMs } = await connectAdmin(a, clock);
  const limit = () => new ConnectionError(`Kafka at ${address}: no answer within ${timeoutMs / 1000} s`);
  try {
    const names = (await deadline(clock, admin.listTopics(), timeoutMs, limit)).filter((t) => a.internal || !t.startsWith('__')).sort();
    if (names.length === 0) return { address, topics: [], truncated: false, elapsedMs: clock.now() - t0 };
    const meta = await deadline(clock, admin.fetchTopicMetadata({ topics: names }), timeoutMs, limit);
    const byName = new Map(meta.topics.map((t) => [t.name, t]));
    const topics: KafkaTopicInfo[] = names.map((name) => ({
      name,
      partitions: (byName.get(name)?.partitions ?? []).map((p) => ({ partition: p.partitionId, leader: p.leader })).sort((x, y) => x.partition - y.partition),
    }));
    // offsets: one ListOffsets round trip per topic, a few at a time, within the same time limit
    const end = clock.now() + timeoutMs;
    const withOffsets = topics.slice(0, MAX_TOPICS_WITH_OFFSETS);
    for (let i = 0; i < withOffsets.length && clock.now() < end; i += 8) {
      await Promise.all(
        withOffsets.slice(i, i + 8).map(async (t) => {
          try {
            const offs = await deadline(clock, admin.fetchTopicOffsets(t.name), Math.max(200, end - clock.now()), limit);
            let total = 0;
            for (const o of offs) {
              const p = t.partitions.find((x) => x.partition === o.partition);
              if (!p) continue;
              p.low = o.low;
              p.high = o.high;
              total += Math.max(0, Number(o.high) - Number(o.low));
            }
            t.messages = total;
          } catch {
            // offsets unknown for this topic (leader moving, time limit): listed without them
          }
        }),
      );
    }
    return { address, topics, truncated: topics.length > MAX_TOPICS_WITH_OFFSETS, elapsedMs: clock.now() - t0 };
  } catch (e) {
    throw new ConnectionError(kafkaProblem(address, e));
  } finally {
    await quietly(clock, admin.disconnect());
  }
}
