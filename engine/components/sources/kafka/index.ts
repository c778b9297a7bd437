/**
 * `kafka` input (docs/semantics.md#kafka-brokers): a consumer group on one topic, offsets committed
 * only after every output confirmed the windows their rows went into. The consumer (source.ts) and
 * kafkajs load only when a config uses it.
 */
import { str } from '../../../options/spec.js';
import type { SourceDescriptor } from '../../descriptor.js';
import { fromBeginningSpec, kafkaOptions } from '../../kafka-options.js';
import type { KafkaInputConfig } from './source.js';
import { checkConnection } from '../../health.js';

const options = kafkaOptions(
  {
    topic: str().required().describe('Topic to consume.'),
    consumer_group: str().required().describe('Consumer group id.'),
    from_beginning: fromBeginningSpec,
  },
  'ts-engine',
  'kafka: the broker connection, topic and consumer group.',
).map(
  (o): KafkaInputConfig => ({
    type: 'kafka',
    brokers: o.brokers,
    topic: o.topic,
    consumerGroup: o.consumer_group,
    fromBeginning: o.from_beginning,
    clientId: o.clientId,
    sasl: o.sasl,
    ssl: o.ssl,
  }),
);

export const kafkaSource: SourceDescriptor<'kafka', KafkaInputConfig> = {
  kind: 'source',
  name: 'kafka',
  doc: 'A Kafka topic, read by a consumer group; windows in processing time unless time_field is set.',
  live: true,
  options,
  describe: (o) => `kafka topic ${o.topic} (group ${o.consumerGroup}, brokers ${o.brokers.join(',')})`,
  create: async (o, ctx) =>
    new (await import('./source.js')).KafkaSource(o, {
      warn: ctx.warn,
      pollMs: ctx.pollMs,
      input: ctx.input,
      clock: ctx.clock,
      stopping: ctx.stopping,
      untilEnd: ctx.untilEnd,
    }),
  position: (o) => o.topic,
  connection: (o) => ({ kind: 'kafka', brokers: o.brokers, clientId: o.clientId, ssl: o.ssl, sasl: o.sasl, topic: o.topic, consumerGroup: o.consumerGroup }),
  healthcheck(o, ctx) {
    return checkConnection(this.connection!(o)!, ctx);
  },
  export: {
    reference: {
      notes: (o, path) =>
        ['from_beginning', 'client_id', 'ssl', 'sasl']
          .filter((k) => o[k] !== undefined)
          .map((k) => `kept ${path}.${k}: no reference equivalent (the reference ignores it)`),
    },
  },
};
