/**
 * The `kafka` alert sink's producer: one message per alert (kafka.ts has the message format),
 * keyed by the aggregation key so one key's alerts stay in order on one partition. One producer
 * per pipeline (docs/semantics.md#one-producer-per-pipeline).
 */
import type { Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Alert, AlertSink } from '../types.js';
import type { ConnectionStatus } from '../../core/connection.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers } from '../../connectors/kafka-client.js';
import type { KafkaConnection } from '../../connectors/kafka-client.js';
import { alertKeyJson, kafkaAlertJson } from './kafka-message.js';

/** The `kafka` alert sink's options */
export interface KafkaAlertOptions extends KafkaConnection {
  topic: string;
}

export class KafkaAlertSink implements AlertSink {
  readonly description: string;
  private producer: Producer | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = '';
  sent = 0;

  constructor(
    private readonly cfg: KafkaAlertOptions,
    private readonly opts: { warn(m: string): void },
  ) {
    this.description = `alerts to kafka topic ${cfg.topic} (brokers ${cfg.brokers.join(',')})`;
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
      this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
      await this.producer.connect();
    } catch (e) {
      this.state = 'down';
      this.detail = kafkaCause(e);
      throw kafkaConnectError(cfg.brokers, { topic: cfg.topic, for: 'alerts' }, e);
    }
    this.state = 'ok';
  }

  async send(a: Alert): Promise<void> {
    const key = a.key === null ? null : alertKeyJson(a);
    try {
      await this.producer!.send({ topic: this.cfg.topic, acks: -1, messages: [{ key, value: kafkaAlertJson(a) }] });
    } catch (e) {
      this.state = 'retrying';
      this.detail = kafkaCause(e);
      throw new Error(`kafka alert sink: sending to topic ${this.cfg.topic} failed: ${kafkaCause(e)}`);
    }
    this.state = 'ok';
    this.sent++;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.state = 'down';
    this.detail = 'closed';
  }
}
