// Kafka pieces without a broker: messages → LineBatch (byte ranges, offsets, several lines per
// message), the event-time reader of the partition merge, and the alert message JSON (10.6).
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { buildBatch, eventTimeReader } from '../../../../engine/components/sources/kafka/source.js';
import { kafkaAlertJson, pyJsonString, alertKeyJson } from '../../../../engine/components/alerts/kafka-message.js';
import { kafkaConnectError } from '../../../../engine/connectors/kafka-client.js';
import type { Alert } from '../../../../engine/components/types.js';

const msg = (value: Buffer, offset: number): KafkaMessage =>
  ({ key: null, value, offset: String(offset), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

describe('buildBatch', () => {
  const lines = (b: ReturnType<typeof buildBatch>) => Array.from({ length: b.count }, (_, i) => [b.text(i), b.offsets![i]]);

  it('values that are views of one fetch buffer are used in place; positions are topic, partition, offset', () => {
    const fetch = Buffer.from('xx1,a\nyy2,b\r\nzz3,c');
    const msgs = [msg(fetch.subarray(2, 5), 10), msg(fetch.subarray(8, 13), 11), msg(fetch.subarray(15), 12)];
    const b = buildBatch('t', 3, msgs, 0, 3);
    expect(b.buf!.buffer).toBe(fetch.buffer);
    expect(lines(b)).toEqual([
      ['1,a', '10'],
      ['2,b', '11'],
      ['3,c', '12'],
    ]);
    expect(b.partition).toBe(3);
    expect(b.position(1)).toEqual({ source: 't', partition: 3, offset: '11' });
  });

  it('values from different buffers are copied into one; a message with several lines gives several rows with its offset; blank inner lines are skipped, an empty message is one empty row', () => {
    const msgs = [msg(Buffer.from('a,1\nb,2\n\nc,3\n'), 5), msg(Buffer.from(''), 6), msg(Buffer.from('d,4\r\n'), 7), msg(Buffer.from('e,5'), 8)];
    const b = buildBatch('t', 0, msgs, 1, 4);
    expect(lines(b)).toEqual([
      ['', '6'],
      ['d,4', '7'],
      ['e,5', '8'],
    ]);
    const all = buildBatch('t', 0, msgs, 0, 4);
    expect(lines(all)).toEqual([
      ['a,1', '5'],
      ['b,2', '5'],
      ['c,3', '5'],
      ['', '6'],
      ['d,4', '7'],
      ['e,5', '8'],
    ]);
  });

  it('many rows: the arrays grow', () => {
    const msgs = Array.from({ length: 50 }, (_, i) => msg(Buffer.from(`${i}\n${i}`), i));
    const b = buildBatch('t', 0, msgs, 0, 50);
    expect(b.count).toBe(100);
    expect(b.text(99)).toBe('49');
    expect(b.offsets![99]).toBe('49');
  });
});

describe('eventTimeReader', () => {
  const bytes = (s: string) => Buffer.from(s);
  it('reads the time field in its unit as epoch ms; unreadable → -Infinity (handed on first, a row error later)', () => {
    const s = eventTimeReader(0, ',', 's');
    const read = (f: typeof s, text: string) => f(bytes(text), 0, Buffer.byteLength(text));
    expect(read(s, '1700000000,5,x')).toBe(1_700_000_000_000);
    expect(read(s, '1700000000.25,5,x')).toBe(1_700_000_000_250);
    expect(read(s, '-1.5,5')).toBe(-1500);
    expect(read(s, '1.7e9,5')).toBe(1.7e12);
    expect(read(s, 'x,5')).toBe(-Infinity);
    expect(read(s, ',5')).toBe(-Infinity);
    expect(read(eventTimeReader(2, ',', 'ms'), 'a,b,1700000000123')).toBe(1_700_000_000_123);
    expect(read(eventTimeReader(2, ',', 'ms'), 'a,b')).toBe(-Infinity);
    expect(read(eventTimeReader(1, ';', 'us'), 'a;1700000000123456\n')).toBe(1_700_000_000_123.456);
    expect(read(eventTimeReader(1, '::', 'ns'), 'a::1700000000123456789')).toBeCloseTo(1_700_000_000_123.4568, 3);
  });
});

describe('Kafka alert messages (10.6)', () => {
  const alert = (over: Partial<Alert> = {}): Alert => ({
    module: 'Simple1',
    timeMs: 1523800000123,
    key: [1, 't1'],
    keyFields: ['sid', 'stype'],
    keyTypes: ['LongType', 'StringType'],
    field: 'rsum',
    value: 1300,
    valueType: 'DoubleType',
    lowerBound: 900,
    upperBound: 1100,
    ...over,
  });

  it('is the reference json.dumps of the keyword arguments, with the window end as timestamp', () => {
    expect(kafkaAlertJson(alert())).toBe(
      '{"AnalysisModule": "Simple1", "timestamp": 1523800000.123, "param": {"key": [1, "t1"], "field": "rsum", "lower_bound": 900.0, "upper_bound": 1100.0, "value": 1300.0}}',
    );
    expect(alertKeyJson(alert())).toBe('[1, "t1"]');
  });

  it('unkeyed (reduce), integer values, non-ASCII escaped like ensure_ascii, non-finite bounds as null', () => {
    expect(
      kafkaAlertJson(
        alert({
          key: null,
          keyFields: [],
          keyTypes: [],
          value: 3,
          valueType: 'LongType',
          timeMs: 0,
          lowerBound: -1.5,
          upperBound: Infinity,
          module: 'Ünï "q"',
        }),
      ),
    ).toBe(
      '{"AnalysisModule": "\\u00dcn\\u00ef \\"q\\"", "timestamp": 0.0, "param": {"key": null, "field": "rsum", "lower_bound": -1.5, "upper_bound": null, "value": 3}}',
    );
    expect(pyJsonString('a\n\t\u0001😀')).toBe('"a\\n\\t\\u0001\\ud83d\\ude00"');
    expect(alertKeyJson(alert({ key: [2n ** 64n, true, null, 2.5], keyTypes: ['LongType', 'BooleanType', 'StringType', 'DoubleType'] }))).toBe(
      '[18446744073709551616, true, null, 2.5]',
    );
  });
});

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
