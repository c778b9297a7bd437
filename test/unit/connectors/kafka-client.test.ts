// The KafkaConnectError (docs/semantics.md#error-classes): brokers, group, topic and the cause in one line.
import { describe, expect, it } from 'vitest';
import { kafkaConnectError } from '../../../engine/connectors/kafka-client.js';

describe('KafkaConnectError', () => {
  it('names the brokers, the group and topic, and the cause (Section 12, D-31)', () => {
    const e = kafkaConnectError(
      ['127.0.0.1:9', 'h:2'],
      { consumer_group: 'g', topic: 't', x: undefined },
      Object.assign(new Error('outer'), { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }),
    );
    expect(e.name).toBe('KafkaConnectError');
    expect(e.message).toBe('Kafka error: Connection refused: brokers=127.0.0.1:9,h:2 consumer_group=g topic=t (outer: connect ECONNREFUSED 127.0.0.1:9)');
  });
});
