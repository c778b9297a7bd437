/** Placeholder until the Kafka alert sink lands (issue 4). */
import type { AlertSinkConfig } from '../config/model.js';
import type { Alert, AlertSink } from './alert-sink.js';

export class KafkaAlertSink implements AlertSink {
  readonly description = 'kafka alerts';
  constructor(_cfg: Extract<AlertSinkConfig, { method: 'kafka' }>, _opts: { warn(m: string): void }) {}
  async open(): Promise<void> {
    throw new Error('the Kafka alert sink is not available in this build yet');
  }
  async send(_a: Alert): Promise<void> {}
  async close(): Promise<void> {}
}
