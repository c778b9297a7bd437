/**
 * Shared kafkajs plumbing for the Kafka source, the Kafka alert sink and
 * `ts-engine produce`: client options from the config (SSL, SASL), kafkajs log
 * lines routed to our warnings (throttled), and the KafkaConnectError of
 * the error catalogue naming the broker addresses (docs/semantics.md#kafka-brokers).
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { EngineError } from '../core/errors.js';
import { Throttle } from './backoff.js';
import { installFastRecordBatchDecoder } from './kafka-record-batch.js';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl?: boolean | Record<string, unknown>;
  sasl?: { mechanism: string; username: string; password: string };
}

export interface KafkaClientOptions {
  warn(message: string): void;
  /** ms to wait for a TCP connection (default 3000) */
  connectionTimeout?: number;
  requestTimeout?: number;
  retry?: KafkaConfig['retry'];
  /** kafkajs log entries to report: default ERROR */
  level?: logLevel;
  /** every kafkajs ERROR entry (connection status) */
  onError?(message: string): void;
}

/** Messages kafkajs logs at ERROR on every reconnect attempt; the connection status says the same. */
const ROUTINE = [/Connection error/i, /Crash: KafkaJSNumberOfRetriesExceeded/i, /Restarting the consumer/i, /Response (Heartbeat|OffsetCommit|JoinGroup)/i];

export function createKafka(conn: KafkaConnection, o: KafkaClientOptions): Kafka {
  const throttle = new Throttle(o.warn, 15_000);
  const level = o.level ?? logLevel.ERROR;
  installFastRecordBatchDecoder();
  return new Kafka({
    clientId: conn.clientId,
    brokers: conn.brokers,
    ssl: conn.ssl as KafkaConfig['ssl'],
    sasl: conn.sasl ? ({ mechanism: conn.sasl.mechanism, username: conn.sasl.username, password: conn.sasl.password } as SASLOptions) : undefined,
    connectionTimeout: o.connectionTimeout ?? 3000,
    requestTimeout: o.requestTimeout ?? 30_000,
    retry: o.retry,
    logLevel: level,
    logCreator:
      () =>
      ({ level: l, log }) => {
        const { message, broker, error } = log as { message: string; broker?: string; error?: string };
        const text = `${message}${error && !message.includes(error) ? `: ${error}` : ''}${broker ? ` (broker ${broker})` : ''}`;
        if (l === logLevel.ERROR) o.onError?.(text);
        if (l > level) return;
        const routine = ROUTINE.some((r) => r.test(message));
        throttle.say(routine ? 'routine' : message, `kafka: ${text}`);
      },
  });
}

/** The root cause of a kafkajs error, as one line. */
export function kafkaCause(e: unknown): string {
  let x = e as { cause?: unknown; message?: string; originalError?: unknown } | undefined;
  const parts: string[] = [];
  for (let i = 0; x && i < 5; i++) {
    if (x.message && !parts.includes(x.message)) parts.push(x.message);
    x = (x.cause ?? x.originalError) as typeof x;
  }
  return parts.join(': ') || String(e);
}

/** `Kafka error: Connection refused: …` with the broker addresses (docs/semantics.md#error-classes). */
export function kafkaConnectError(brokers: string[], what: Record<string, string | undefined>, cause: unknown): EngineError {
  const extra = Object.entries(what)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  return new EngineError('KafkaConnectError', `Kafka error: Connection refused: brokers=${brokers.join(',')}${extra} (${kafkaCause(cause)})`);
}

/** Fails fast (a few seconds) when no broker answers, instead of kafkajs's long retry schedule. */
export async function probeBrokers(conn: KafkaConnection, o: { warn(m: string): void; timeoutMs?: number }): Promise<{ topics: string[] }> {
  const kafka = createKafka(conn, {
    warn: o.warn,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 2, initialRetryTime: 250, maxRetryTime: 1000 },
    level: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return { topics: await admin.listTopics() };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
