/**
 * Alerts to a Kafka topic (10.6): one message per alert, the value being what
 * the reference sends — Python `json.dumps` of
 * `{AnalysisModule, timestamp, param: {key, field, lower_bound, upper_bound, value}}`
 * (", " and ": " separators, non-ASCII as \uXXXX, tuples as arrays) — with the
 * window end as timestamp (D-28, seconds). Unlike the reference the message is
 * keyed by the aggregation key (the JSON of `param.key`), so one key's alerts
 * stay in order on one partition. The producer is per pipeline (D-47).
 */
import type { Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { AlertSinkConfig } from '../../config/model.js';
import type { FieldType, Value } from '../../core/types.js';
import { isIntegerType } from '../../core/types.js';
import { pyFloat } from '../../values/python.js';
import type { Alert, AlertSink } from '../types.js';
import type { ConnectionStatus } from '../../core/connection.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers } from '../../connectors/kafka-client.js';

type KafkaAlerts = Extract<AlertSinkConfig, { method: 'kafka' }>;

/** Python json.dumps of a str (ensure_ascii) */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Python json.dumps of a number: floats as repr (`900.0`), ints plain; NaN/±inf as null (not JSON otherwise). */
function pyJsonNumber(x: number, float: boolean): string {
  if (!Number.isFinite(x)) return 'null';
  return float ? pyFloat(x) : String(x);
}

export function pyJsonValue(v: Value, type: FieldType | undefined): string {
  switch (typeof v) {
    case 'number':
      return pyJsonNumber(v, type !== undefined ? !isIntegerType(type) : !Number.isInteger(v));
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return pyJsonString(v);
    default:
      return 'null';
  }
}

export function alertKeyJson(a: Alert): string {
  return a.key === null ? 'null' : '[' + a.key.map((v, i) => pyJsonValue(v, a.keyTypes[i])).join(', ') + ']';
}

/** The message value, byte for byte what the reference's json.dumps(kwargs) gives. */
export function kafkaAlertJson(a: Alert): string {
  const param =
    `{"key": ${alertKeyJson(a)}, "field": ${pyJsonString(a.field)}, "lower_bound": ${pyJsonNumber(a.lowerBound, true)}, ` +
    `"upper_bound": ${pyJsonNumber(a.upperBound, true)}, "value": ${pyJsonValue(a.value, a.valueType)}}`;
  return `{"AnalysisModule": ${pyJsonString(a.module)}, "timestamp": ${pyFloat(a.timeMs / 1000)}, "param": ${param}}`;
}

export class KafkaAlertSink implements AlertSink {
  readonly description: string;
  private producer: Producer | undefined;
  private state: ConnectionStatus['status'] = 'connecting';
  private detail = '';
  sent = 0;

  constructor(
    private readonly cfg: KafkaAlerts,
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
