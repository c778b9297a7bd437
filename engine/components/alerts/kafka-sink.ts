/**
 * The `kafka` alert sink's producer: one message per alert (kafka.ts has the message format),
 * keyed by the aggregation key so one key's alerts stay in order on one partition, with the
 * alert id and state as headers. The producer is idempotent (no duplicates from its own
 * retries); what a crash may still duplicate carries the same alert id (docs/live.md#alert-duplicates).
 * One producer per pipeline (docs/semantics.md#one-producer-per-pipeline).
 */
import type { Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Alert, AlertSink } from '../types.js';
import type { ConnectionStatus } from '../../core/connection.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers } from '../../connectors/kafka-client.js';
import type { KafkaConnection } from '../../connectors/kafka-client.js';
import { alertKeyJson, kafkaAlertHeaders, kafkaAlertJson } from './kafka-message.js';

/** The `kafka` alert sink's options */
export interface KafkaAlertOptions extends KafkaConnection {
  topic: string;
}

export class KafkaAlertSink implements AlertSink {
  readonly description: string;
  readonly target: string;
  private producer: Producer | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = '';
  sent = 0;

  constructor(
    private readonly cfg: KafkaAlertOptions,
    private readonly opts: { warn(m: string): void },
  ) {
    this.description = `alerts to kafka topic ${cfg.topic} (brokers ${cfg.brokers.join(',')})`;
    this.target = `kafka topic ${cfg.topic} @ ${cfg.brokers.join(',')}`;
  }

  status(): ConnectionStatus {
    return {
      name: `kafka alerts ${this.cfg.topic} @ ${this.cfg.brokers.join(',')}`,
      status: this.state,
      detail: this.state === 'ok' ? `${this.sent} alerts sent` : this.detail,
    };
  }

  async open(): Promise<void> {
    const cfg = this.cfg;
    try {
      await probeBrokers(cfg, { warn: this.opts.warn });
      const kafka = createKafka(cfg, { warn: this.opts.warn, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 } });
      this.producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: true,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await this.producer.connect();
    } catch (e) {
      this.state = 'down';
      this.detail = kafkaCause(e);
      throw kafkaConnectError(cfg.brokers, { topic: cfg.topic, for: 'alerts' }, e);
    }
    this.state = 'ok';
  }

  /** One request for the window's alerts, acknowledged by every in-sync replica. */
  async deliver(alerts: readonly Alert[]): Promise<void> {
    const messages = alerts.map((a) => ({ key: a.key === null ? null : alertKeyJson(a), value: kafkaAlertJson(a), headers: kafkaAlertHeaders(a) }));
    try {
      await this.producer!.send({ topic: this.cfg.topic, acks: -1, messages });
    } catch (e) {
      this.state = 'retrying';
      this.detail = kafkaCause(e);
      throw new Error(`sending failed: ${kafkaCause(e)}`, { cause: e });
    }
    this.state = 'ok';
    this.sent += alerts.length;
  }

  /** A message too large or a topic the client may not write to: retrying cannot help. */
  retriable(e: unknown): boolean {
    const fatal = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'TOPIC_AUTHORIZATION_FAILED', 'INVALID_RECORD', 'INVALID_TOPIC_EXCEPTION']);
    for (let x = e as { cause?: unknown; type?: string } | undefined, i = 0; x && i < 5; x = x.cause as typeof x, i++)
      if (x.type && fatal.has(x.type)) return false;
    return true;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.state = 'down';
    this.detail = 'closed';
  }
}
