/**
 * The connection panel's back end: test a Kafka cluster, list its topics with
 * their offsets, tail a topic's raw messages, test an InfluxDB server. Short
 * time limits everywhere (the UI must never hang on a dead address) and
 * errors that name the address and say what went wrong (connection refused,
 * host not found, authentication failed, …).
 *
 * A tail is a kafkajs consumer in a throwaway group that commits nothing and
 * seeks every partition to where the tail starts (the high-water mark, or N
 * messages back); the group is deleted when the tail ends. Messages go out as `connection.tail` events,
 * batched every 250 ms and bounded (at most MAX_PER_SECOND a second, the
 * newest kept; the rest are counted as skipped). A tail ends on
 * `connection.tailStop`, after its message or time limit, when the UI stops
 * calling `connection.tailKeepAlive` (closed window, reloaded page), or on a
 * connection failure.
 */
import { randomUUID } from 'node:crypto';
import { logLevel, type Admin, type Consumer, type Kafka, type KafkaMessage } from 'kafkajs';
import { createKafka, kafkaCause } from '../../engine/connectors/kafka-client.js';
import { InfluxError, InfluxV1 } from '../../engine/connectors/influx/index.js';
import type { PipelineConfig } from '../../engine/config/model.js';
import type { InfluxConnection } from '../../engine/connectors/influx/index.js';
import type {
  ConnectionDefaults,
  InfluxTestArgs,
  InfluxTestResult,
  KafkaConnectionArgs,
  KafkaTestResult,
  KafkaTopicInfo,
  KafkaTopicList,
  TailInfo,
  TailMessage,
  TailStartArgs,
} from './contract.js';
import type { Emit } from './runs.js';

const DEFAULT_TIMEOUT_MS = 6000;
/** topics described with their offsets by listTopics (one ListOffsets round trip each) */
const MAX_TOPICS_WITH_OFFSETS = 200;
export const MAX_PER_SECOND = 200;
const FLUSH_MS = 250;
const TAIL_IDLE_MS = 30_000;
const MAX_TAILS = 4;
const KEY_CHARS = 256;
const VALUE_CHARS = 4096;

// ---- helpers -----------------------------------------------------------------------

const elapsed = (t0: number) => Math.round(performance.now() - t0);

/** Rejects with `onTimeout()` when `p` has not settled within `ms`. */
async function deadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** Checks and normalises the broker list: non-empty `host:port` strings. */
function brokerList(brokers: unknown): string[] {
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

function kafkaClient(a: KafkaConnectionArgs, brokers: string[], timeoutMs: number, retries = 1): Kafka {
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

interface Cause {
  name?: string;
  message?: string;
  code?: string;
}

function causes(e: unknown): Cause[] {
  const out: Cause[] = [];
  let x = e as (Cause & { cause?: unknown; originalError?: unknown }) | undefined;
  for (let i = 0; x && i < 6; i++) {
    out.push({ name: x.name, message: x.message, code: x.code });
    x = (x.cause ?? x.originalError) as typeof x;
  }
  return out;
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

async function quietly(p: Promise<unknown> | undefined, ms = 3000): Promise<void> {
  if (!p) return;
  await deadline(p, ms, () => new Error('timeout')).catch(() => undefined);
}

/** An admin client, connected (within the time limit), or a ConnectionError naming the address. */
async function connectAdmin(a: KafkaConnectionArgs): Promise<{ admin: Admin; kafka: Kafka; address: string; timeoutMs: number }> {
  const brokers = brokerList(a.brokers);
  const address = brokers.join(',');
  const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  const kafka = kafkaClient(a, brokers, timeoutMs);
  const admin = kafka.admin();
  try {
    await deadline(admin.connect(), timeoutMs, () => new ConnectionError(`cannot connect to Kafka at ${address}: no answer within ${timeoutMs / 1000} s`));
  } catch (e) {
    void quietly(admin.disconnect());
    throw new ConnectionError(kafkaProblem(address, e));
  }
  return { admin, kafka, address, timeoutMs };
}

// ---- Kafka: test, topics -------------------------------------------------------------------

export async function testKafka(a: KafkaConnectionArgs): Promise<KafkaTestResult> {
  const t0 = performance.now();
  let address = Array.isArray(a.brokers) ? a.brokers.join(',') : String(a.brokers ?? '');
  let admin: Admin | undefined;
  try {
    const c = await connectAdmin(a);
    admin = c.admin;
    address = c.address;
    const limit = () => new ConnectionError(`Kafka at ${c.address}: no answer within ${c.timeoutMs / 1000} s`);
    const cluster = await deadline(c.admin.describeCluster(), c.timeoutMs, limit);
    const topics = await deadline(c.admin.listTopics(), c.timeoutMs, limit);
    return {
      ok: true,
      address,
      clusterId: cluster.clusterId,
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })).sort((x, y) => x.nodeId - y.nodeId),
      controller: cluster.controller,
      topicCount: topics.filter((t) => !t.startsWith('__')).length,
      elapsedMs: elapsed(t0),
    };
  } catch (e) {
    return { ok: false, address, brokers: [], error: kafkaProblem(address, e), elapsedMs: elapsed(t0) };
  } finally {
    await quietly(admin?.disconnect());
  }
}

export async function listTopics(a: KafkaConnectionArgs & { internal?: boolean }): Promise<KafkaTopicList> {
  const t0 = performance.now();
  const { admin, address, timeoutMs } = await connectAdmin(a);
  const limit = () => new ConnectionError(`Kafka at ${address}: no answer within ${timeoutMs / 1000} s`);
  try {
    const names = (await deadline(admin.listTopics(), timeoutMs, limit)).filter((t) => a.internal || !t.startsWith('__')).sort();
    if (names.length === 0) return { address, topics: [], truncated: false, elapsedMs: elapsed(t0) };
    const meta = await deadline(admin.fetchTopicMetadata({ topics: names }), timeoutMs, limit);
    const byName = new Map(meta.topics.map((t) => [t.name, t]));
    const topics: KafkaTopicInfo[] = names.map((name) => ({
      name,
      partitions: (byName.get(name)?.partitions ?? []).map((p) => ({ partition: p.partitionId, leader: p.leader })).sort((x, y) => x.partition - y.partition),
    }));
    // offsets: one ListOffsets round trip per topic, a few at a time, within the same time limit
    const end = Date.now() + timeoutMs;
    const withOffsets = topics.slice(0, MAX_TOPICS_WITH_OFFSETS);
    for (let i = 0; i < withOffsets.length && Date.now() < end; i += 8) {
      await Promise.all(
        withOffsets.slice(i, i + 8).map(async (t) => {
          try {
            const offs = await deadline(admin.fetchTopicOffsets(t.name), Math.max(200, end - Date.now()), limit);
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
    return { address, topics, truncated: topics.length > MAX_TOPICS_WITH_OFFSETS, elapsedMs: elapsed(t0) };
  } catch (e) {
    throw new ConnectionError(kafkaProblem(address, e));
  } finally {
    await quietly(admin.disconnect());
  }
}

// ---- Kafka: tail -----------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });

function show(b: Buffer | null | undefined, max: number): { text: string | null; binary: boolean; truncated: boolean } {
  if (b === null || b === undefined) return { text: null, binary: false, truncated: false };
  let text: string;
  try {
    text = utf8.decode(b);
  } catch {
    const n = Math.floor(max / 2);
    return { text: b.subarray(0, n).toString('hex'), binary: true, truncated: b.length > n };
  }
  return text.length > max ? { text: text.slice(0, max), binary: false, truncated: true } : { text, binary: false, truncated: false };
}

export function tailMessage(partition: number, m: KafkaMessage): TailMessage {
  const k = show(m.key, KEY_CHARS);
  const v = show(m.value, VALUE_CHARS);
  const out: TailMessage = { partition, offset: m.offset, key: k.text, value: v.text, timestamp: Number(m.timestamp), size: m.value?.length ?? 0 };
  if (k.truncated || v.truncated) out.truncated = true;
  if (k.binary || v.binary) out.binary = true;
  return out;
}

type EndReason = 'stopped' | 'limit' | 'idle' | 'error';

class Tail {
  readonly id = randomUUID();
  readonly group = `ts-engine-tail-${randomUUID().slice(0, 8)}`;
  private consumer: Consumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** newest messages not sent yet, at most one flush's worth */
  private ring: { partition: number; m: KafkaMessage }[] = [];
  private readonly perFlush = Math.max(1, Math.round((MAX_PER_SECOND * FLUSH_MS) / 1000));
  private skipped = 0;
  received = 0;
  sent = 0;
  private lastAlive = Date.now();
  private readonly startedAt = Date.now();
  ended = false;
  private ending: Promise<void> | undefined;

  constructor(
    private readonly emit: Emit,
    private readonly args: TailStartArgs,
    readonly address: string,
    private readonly brokers: string[],
    private readonly maxMessages: number,
    private readonly maxMs: number,
    private readonly idleMs: number,
    private readonly onEnd: (t: Tail) => void,
  ) {}

  keepAlive(): boolean {
    this.lastAlive = Date.now();
    return !this.ended;
  }

  async start(timeoutMs: number): Promise<TailInfo> {
    const { args, address } = this;
    const topic = args.topic;
    const kafka = kafkaClient(args, this.brokers, timeoutMs, 3);
    const admin = kafka.admin();
    const limit = (what: string) => () => new ConnectionError(`Kafka at ${address}: ${what} took longer than ${timeoutMs / 1000} s`);
    let partitions: TailInfo['partitions'];
    try {
      await deadline(admin.connect(), timeoutMs, limit('connecting'));
      const topics = await deadline(admin.listTopics(), timeoutMs, limit('listing topics'));
      if (!topics.includes(topic))
        throw new ConnectionError(
          `topic ${JSON.stringify(topic)} does not exist at ${address} (${topics.filter((t) => !t.startsWith('__')).length} topics there)`,
        );
      const offs = await deadline(admin.fetchTopicOffsets(topic), timeoutMs, limit('reading the offsets'));
      const back = Math.min(1000, Math.max(0, Math.floor(args.back ?? 10)));
      partitions = offs
        .map((o) => {
          const high = BigInt(o.high);
          const low = BigInt(o.low);
          let start = args.from === 'back' ? high - BigInt(back) : high;
          if (start < low) start = low;
          return { partition: o.partition, start: start.toString(), high: o.high };
        })
        .sort((x, y) => x.partition - y.partition);
    } catch (e) {
      throw new ConnectionError(kafkaProblem(address, e));
    } finally {
      await quietly(admin.disconnect());
    }

    const consumer = kafka.consumer({
      groupId: this.group,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 4 << 20,
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 300, maxRetryTime: 2000, restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    let joined: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    const join = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error;
      failed(err);
      if (!e.payload.restart) void this.end('error', kafkaProblem(address, err));
    });
    try {
      await deadline(consumer.connect(), timeoutMs, limit('connecting the consumer'));
      await deadline(consumer.subscribe({ topics: [topic] }), timeoutMs, limit('subscribing'));
      await consumer.run({
        // nothing is committed: the group is ours alone and deleted at the end
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (this.ended) return;
          const msgs = batch.messages;
          this.received += msgs.length;
          const from = Math.max(0, msgs.length - this.perFlush);
          this.skipped += from;
          for (let i = from; i < msgs.length; i++) this.ring.push({ partition: batch.partition, m: msgs[i]! });
          if (this.ring.length > this.perFlush) {
            const drop = this.ring.length - this.perFlush;
            this.ring.splice(0, drop);
            this.skipped += drop;
          }
        },
      });
      // applied by kafkajs on the first fetch after the partitions are assigned
      for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.start });
      await deadline(join, Math.max(timeoutMs, 15_000), limit('joining the tail consumer group'));
    } catch (e) {
      await this.end('error', kafkaProblem(address, e), false);
      throw new ConnectionError(kafkaProblem(address, e));
    }
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    return { tailId: this.id, topic, address, group: this.group, partitions, maxPerSecond: MAX_PER_SECOND, idleMs: this.idleMs };
  }

  private flush(): void {
    if (this.ended) return;
    const now = Date.now();
    if (this.ring.length > 0 || this.skipped > 0) {
      const room = this.maxMessages - this.sent;
      const take = this.ring.slice(Math.max(0, this.ring.length - room));
      const skipped = this.skipped + (this.ring.length - take.length);
      this.ring = [];
      this.skipped = 0;
      // partitions interleave in the order kafkajs delivered them; the UI shows them as they come
      const messages = take.map(({ partition, m }) => tailMessage(partition, m));
      this.sent += messages.length;
      this.emit('connection.tail', { tailId: this.id, messages, skipped, received: this.received });
    }
    if (this.sent >= this.maxMessages || now - this.startedAt >= this.maxMs) void this.end('limit');
    else if (now - this.lastAlive > this.idleMs) void this.end('idle');
  }

  /** Stops the consumer and deletes the throwaway group; emits `connection.tailEnded` once. */
  end(reason: EndReason, error?: string, announce = true): Promise<void> {
    if (this.ending) return this.ending;
    this.ended = true;
    clearInterval(this.timer);
    this.onEnd(this);
    this.ending = (async () => {
      await quietly(this.consumer?.disconnect(), 10_000);
      // the group was only ours: remove it (best effort; an empty group also expires on its own)
      const admin = kafkaClient(this.args, this.brokers, 3000, 0).admin();
      try {
        await deadline(admin.connect(), 3000, () => new Error('timeout'));
        await deadline(admin.deleteGroups([this.group]), 3000, () => new Error('timeout'));
      } catch {
        /* broker gone: nothing to clean */
      } finally {
        await quietly(admin.disconnect());
      }
      if (announce) this.emit('connection.tailEnded', { tailId: this.id, reason, error, received: this.received, sent: this.sent });
    })();
    return this.ending;
  }
}

/** The tails of one handler map. */
export class Tails {
  private readonly tails = new Map<string, Tail>();

  constructor(
    private readonly emit: Emit,
    /** a tail without tailKeepAlive for this long ends (the UI went away) */
    private readonly idleMs = TAIL_IDLE_MS,
  ) {}

  async start(a: TailStartArgs): Promise<TailInfo> {
    const brokers = brokerList(a.brokers);
    if (typeof a.topic !== 'string' || a.topic.trim() === '') throw new ConnectionError('no topic given to tail');
    if (this.tails.size >= MAX_TAILS) throw new ConnectionError(`${MAX_TAILS} tails are running already; stop one first`);
    const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    const maxMessages = Math.min(50_000, Math.max(1, Math.floor(a.maxMessages ?? 5000)));
    const maxMs = Math.min(3600, Math.max(1, a.maxSeconds ?? 600)) * 1000;
    const tail = new Tail(this.emit, { ...a, topic: a.topic.trim() }, brokers.join(','), brokers, maxMessages, maxMs, this.idleMs, (t) =>
      this.tails.delete(t.id),
    );
    this.tails.set(tail.id, tail);
    try {
      return await tail.start(timeoutMs);
    } catch (e) {
      this.tails.delete(tail.id);
      throw e;
    }
  }

  async stop(tailId: string): Promise<void> {
    await this.tails.get(tailId)?.end('stopped');
  }

  keepAlive(tailId: string): { alive: boolean } {
    const t = this.tails.get(tailId);
    return { alive: t ? t.keepAlive() : false };
  }

  get size(): number {
    return this.tails.size;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.tails.values()].map((t) => t.end('stopped')));
  }
}

// ---- InfluxDB ------------------------------------------------------------------------------------

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

/** Flux annotated CSV → the values of one column (tables and annotations skipped). */
export function fluxColumn(csv: string, column: string): string[] {
  const out: string[] = [];
  let idx = -1;
  for (const raw of csv.split(/\r?\n/)) {
    if (raw === '' || raw.startsWith('#')) {
      if (raw === '') idx = -1;
      continue;
    }
    const cells = splitCsv(raw);
    if (idx < 0) {
      idx = cells.indexOf(column);
      continue;
    }
    const v = cells[idx];
    if (v !== undefined && v !== '') out.push(v);
  }
  return out;
}

function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}

const fluxString = (s: string) => JSON.stringify(s);

export async function testInflux(a: InfluxTestArgs): Promise<InfluxTestResult> {
  const t0 = performance.now();
  const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? 5000));
  const api: 'v1' | 'v2' = a.token ? 'v2' : 'v1';
  const result: InfluxTestResult = { ok: false, url: a.url ?? a.host ?? '', api, warnings: [], elapsedMs: 0 };
  const done = (error?: string) => {
    result.ok = error === undefined;
    if (error !== undefined) result.error = error;
    result.elapsedMs = elapsed(t0);
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

  // v2: Flux over /api/v2/query (InfluxDB 2.x, and 1.8 with flux-enabled)
  const flux = async (query: string): Promise<string> => {
    const qs = a.org ? `?org=${encodeURIComponent(a.org)}` : '';
    let r: Response;
    let text: string;
    try {
      r = await fetch(`${url}/api/v2/query${qs}`, {
        method: 'POST',
        headers: { authorization: `Token ${a.token}`, 'content-type': 'application/vnd.flux', accept: 'application/csv' },
        body: query,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await r.text();
    } catch (e) {
      throw new ConnectionError(unreachable(url, e, timeoutMs));
    }
    if (r.status === 200) return text;
    let msg = text.trim();
    try {
      const j = JSON.parse(text) as { message?: string; error?: string };
      msg = j.message ?? j.error ?? msg;
    } catch {
      /* plain text */
    }
    if (r.status === 401 || r.status === 403)
      throw new ConnectionError(`InfluxDB at ${url}: authentication failed (token rejected: HTTP ${r.status}${msg ? `: ${msg}` : ''})`);
    if (r.status === 404 && /page not found/i.test(msg))
      throw new ConnectionError(
        `InfluxDB at ${url} has no v2 query API (/api/v2/query: HTTP 404); InfluxDB 1.x needs 1.8+ with flux-enabled, or use the v1 form (username, password, database)`,
      );
    throw new ConnectionError(
      `InfluxDB at ${url}: HTTP ${r.status}${msg ? `: ${msg}` : ''}${/organi[sz]ation/i.test(msg) && !a.org ? ' (give the organisation)' : ''}`,
    );
  };
  try {
    result.buckets = fluxColumn(await flux('buckets()'), 'name').sort();
    if (a.bucket) {
      if (!result.buckets.includes(a.bucket))
        return done(`bucket ${a.bucket} not found at ${url}${a.org ? ` in organisation ${a.org}` : ''} (the influx output needs it to exist)`);
      result.measurements = fluxColumn(await flux(`import "influxdata/influxdb/v1"\nv1.measurements(bucket: ${fluxString(a.bucket)})`), '_value');
    }
  } catch (e) {
    return done((e as Error).message);
  }
  return done();
}

// ---- defaults from the open config -------------------------------------------------------------

function influxArgs(c: InfluxConnection): InfluxTestArgs & { measurement?: string } {
  return c.kind === 'v1'
    ? { url: c.url, username: c.username, password: c.password, database: c.database, measurement: c.measurement }
    : { url: c.url, token: c.token, org: c.org, bucket: c.bucket, measurement: c.measurement };
}

type Sasl = KafkaConnectionArgs['sasl'];

export function connectionDefaults(cfg: PipelineConfig | undefined): ConnectionDefaults {
  if (!cfg) return { liveInput: false, note: 'the config has errors: its connection settings could not be read' };
  const out: ConnectionDefaults = { liveInput: cfg.input.source.type === 'kafka' };
  const src = cfg.input.source;
  const alert = cfg.analysis?.alerts.find((x) => x.method === 'kafka');
  if (src.type === 'kafka') {
    out.kafka = {
      brokers: src.brokers,
      clientId: src.clientId,
      ssl: src.ssl,
      sasl: src.sasl as Sasl,
      topic: src.topic,
      consumerGroup: src.consumerGroup,
      from: 'input',
    };
  } else if (alert && alert.method === 'kafka') {
    out.kafka = { brokers: alert.brokers, clientId: alert.clientId, ssl: alert.ssl, sasl: alert.sasl as Sasl, topic: alert.topic, from: 'alerts' };
  }
  const output = cfg.outputs.find((o) => o.method === 'influx');
  const history = cfg.analysis?.history;
  if (output && output.method === 'influx') out.influx = { ...influxArgs(output.connection), from: 'output' };
  else if (history && history.method === 'influx') out.influx = { ...influxArgs(history.connection), from: 'history' };
  return out;
}
