/**
 * A tail of a topic's raw messages for the Connections panel: a kafkajs consumer in a throwaway
 * group that commits nothing and seeks every partition to where the tail starts (the high-water
 * mark, or N messages back); the group is deleted when the tail ends. Messages go out through
 * `emit` batched every 250 ms and bounded (at most MAX_PER_SECOND a second, the newest kept; the
 * rest counted as skipped). A tail ends on stop, after its message or time limit, when nobody
 * calls keepAlive for a while (closed window, reloaded page), or on a connection failure. Its
 * flushes and limits run on the injected clock.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import { brokerList, kafkaClient, kafkaProblem, type KafkaConnectionArgs } from './kafka-admin.js';
import { ConnectionError, deadline, quietly } from './probe-util.js';

const DEFAULT_TIMEOUT_MS = 6000;
export const MAX_PER_SECOND = 200;
const FLUSH_MS = 250;
const TAIL_IDLE_MS = 30_000;
const MAX_TAILS = 4;
const KEY_CHARS = 256;
const VALUE_CHARS = 4096;

export interface TailStartArgs extends KafkaConnectionArgs {
  topic: string;
  /** 'latest': only messages produced from now on; 'back': the last `back` messages of each partition, then new ones */
  from?: 'latest' | 'back';
  /** messages per partition for from='back' (default 10, at most 1000) */
  back?: number;
  /** the tail ends after sending this many messages (default 5000, at most 50 000) */
  maxMessages?: number;
  /** … or after this many seconds (default 600, at most 3600) */
  maxSeconds?: number;
}

export interface TailInfo {
  tailId: string;
  topic: string;
  address: string;
  /** the throwaway consumer group (deleted when the tail ends) */
  group: string;
  partitions: { partition: number; start: string; high: string }[];
  /** most messages sent per second; more are counted as skipped */
  maxPerSecond: number;
  /** the tail ends when no tailKeepAlive came for this long (the UI went away) */
  idleMs: number;
}

export interface TailMessage {
  partition: number;
  offset: string;
  /** UTF-8 text, or hex when the bytes are not UTF-8 (binary); null for a null key / tombstone */
  key: string | null;
  value: string | null;
  /** epoch ms */
  timestamp: number;
  /** value size in bytes */
  size: number;
  /** the value shown is cut (values beyond 4096 characters) */
  truncated?: boolean;
  /** key or value shown as hex */
  binary?: boolean;
}

/** A batch of a tail's messages; `skipped` were received but not sent (rate limit). */
export interface TailBatchEvent {
  tailId: string;
  messages: TailMessage[];
  skipped: number;
  received: number;
}

export interface TailEndEvent {
  tailId: string;
  reason: 'stopped' | 'limit' | 'idle' | 'error';
  error?: string;
  received: number;
  sent: number;
}

/** How a tail reports: its batches of messages, and its end (once). */
export interface TailEmit {
  (event: 'connection.tail', payload: TailBatchEvent): void;
  (event: 'connection.tailEnded', payload: TailEndEvent): void;
}

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
  private timer: Timer | undefined;
  /** newest messages not sent yet, at most one flush's worth */
  private ring: { partition: number; m: KafkaMessage }[] = [];
  private readonly perFlush = Math.max(1, Math.round((MAX_PER_SECOND * FLUSH_MS) / 1000));
  private skipped = 0;
  received = 0;
  sent = 0;
  private lastAlive: number;
  private readonly startedAt: number;
  ended = false;
  private ending: Promise<void> | undefined;

  constructor(
    private readonly emit: TailEmit,
    private readonly args: TailStartArgs,
    readonly address: string,
    private readonly brokers: string[],
    private readonly maxMessages: number,
    private readonly maxMs: number,
    private readonly idleMs: number,
    private readonly onEnd: (t: Tail) => void,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
    this.lastAlive = this.startedAt;
  }

  keepAlive(): boolean {
    this.lastAlive = this.clock.now();
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
      await deadline(this.clock, admin.connect(), timeoutMs, limit('connecting'));
      const topics = await deadline(this.clock, admin.listTopics(), timeoutMs, limit('listing topics'));
      if (!topics.includes(topic))
        throw new ConnectionError(
          `topic ${JSON.stringify(topic)} does not exist at ${address} (${topics.filter((t) => !t.startsWith('__')).length} topics there)`,
        );
      const offs = await deadline(this.clock, admin.fetchTopicOffsets(topic), timeoutMs, limit('reading the offsets'));
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
      await quietly(this.clock, admin.disconnect());
    }

    const joinTimeoutMs = Math.max(timeoutMs, 15_000);
    const joinBy = this.clock.now() + joinTimeoutMs;
    const consumer = kafka.consumer({
      groupId: this.group,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 4 << 20,
      allowAutoTopicCreation: false,
      // a broker that has just started answers "coordinator loading" for a while: a retriable error
      // restarts the consumer until the join deadline; anything else ends the tail
      retry: {
        retries: 3,
        initialRetryTime: 300,
        maxRetryTime: 2000,
        restartOnFailure: async (e) => !this.ended && (e as { retriable?: boolean }).retriable === true && this.clock.now() < joinBy,
      },
    });
    this.consumer = consumer;
    let joined: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    const join = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    // The start offsets are set on the first join, not after run(): when the join fails retriably
    // (a broker still loading its coordinator), run() resolves with the consumer torn down and a
    // restart pending, and a seek then throws "Consumer group was not initialized". A seek made
    // while the join is being reported applies to the first fetch, which comes after it.
    let seeked = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!seeked) {
        seeked = true;
        try {
          for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.start });
        } catch (e) {
          failed(e as Error);
          return;
        }
      }
      joined();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return;
      const err = e.payload.error;
      failed(err);
      void this.end('error', kafkaProblem(address, err));
    });
    try {
      await deadline(this.clock, consumer.connect(), timeoutMs, limit('connecting the consumer'));
      await deadline(this.clock, consumer.subscribe({ topics: [topic] }), timeoutMs, limit('subscribing'));
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
      await deadline(this.clock, join, joinTimeoutMs, limit('joining the tail consumer group'));
    } catch (e) {
      await this.end('error', kafkaProblem(address, e), false);
      throw new ConnectionError(kafkaProblem(address, e));
    }
    this.scheduleFlush();
    return { tailId: this.id, topic, address, group: this.group, partitions, maxPerSecond: MAX_PER_SECOND, idleMs: this.idleMs };
  }

  private scheduleFlush(): void {
    this.timer = this.clock.setTimeout(() => {
      this.flush();
      if (!this.ended) this.scheduleFlush();
    }, FLUSH_MS);
  }

  private flush(): void {
    if (this.ended) return;
    const now = this.clock.now();
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
    this.clock.clearTimeout(this.timer);
    this.onEnd(this);
    this.ending = (async () => {
      await quietly(this.clock, this.consumer?.disconnect(), 10_000);
      // the group was only ours: remove it (best effort; an empty group also expires on its own)
      const admin = kafkaClient(this.args, this.brokers, 3000, 0).admin();
      try {
        await deadline(this.clock, admin.connect(), 3000, () => new Error('timeout'));
        await deadline(this.clock, admin.deleteGroups([this.group]), 3000, () => new Error('timeout'));
      } catch {
        /* broker gone: nothing to clean */
      } finally {
        await quietly(this.clock, admin.disconnect());
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
    private readonly emit: TailEmit,
    /** a tail without tailKeepAlive for this long ends (the UI went away) */
    private readonly idleMs = TAIL_IDLE_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(a: TailStartArgs): Promise<TailInfo> {
    const brokers = brokerList(a.brokers);
    if (typeof a.topic !== 'string' || a.topic.trim() === '') throw new ConnectionError('no topic given to tail');
    if (this.tails.size >= MAX_TAILS) throw new ConnectionError(`${MAX_TAILS} tails are running already; stop one first`);
    const timeoutMs = Math.min(30_000, Math.max(500, a.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    const maxMessages = Math.min(50_000, Math.max(1, Math.floor(a.maxMessages ?? 5000)));
    const maxMs = Math.min(3600, Math.max(1, a.maxSeconds ?? 600)) * 1000;
    const tail = new Tail(
      this.emit,
      { ...a, topic: a.topic.trim() },
      brokers.join(','),
      brokers,
      maxMessages,
      maxMs,
      this.idleMs,
      (t) => this.tails.delete(t.id),
      this.clock,
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
