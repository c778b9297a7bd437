/**
 * Alerts to a Kafka topic (docs/semantics.md#kafka-alerts): one message per alert, the value being
 * the reference's json.dumps of the alert (kafka-message.ts), keyed by the aggregation key. The
 * producer (kafka-sink.ts) and kafkajs load only when configured.
 */
import { str } from '../../options/spec.js';
import type { AlertSinkDescriptor } from '../descriptor.js';
import { kafkaOptions } from '../kafka-options.js';
import type { KafkaAlertOptions } from './kafka-sink.js';
import { checkConnection } from '../health.js';

const options = kafkaOptions(
  { topic: str().required().describe('Topic the alerts go to.') },
  'ts-engine-alerts',
  'kafka: brokers (or server + port) and topic.',
).map((o): KafkaAlertOptions => ({ brokers: o.brokers, topic: o.topic, clientId: o.clientId, sasl: o.sasl, ssl: o.ssl }));

export const kafkaAlerts: AlertSinkDescriptor<'kafka', KafkaAlertOptions> = {
  kind: 'alert',
  name: 'kafka',
  doc: 'One message per alert on a Kafka topic, the value being the reference json.dumps of the alert, keyed by the aggregation key.',
  options,
  describe: (o) => `alerts to kafka topic ${o.topic} (brokers ${o.brokers.join(',')})`,
  create: async (o, ctx) => new (await import('./kafka-sink.js')).KafkaAlertSink(o, { warn: ctx.warn }),
  connection: (o) => ({ kind: 'kafka', brokers: o.brokers, clientId: o.clientId, ssl: o.ssl, sasl: o.sasl, topic: o.topic }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
};
