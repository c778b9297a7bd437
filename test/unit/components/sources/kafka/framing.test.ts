// Kafka messages as rows without a broker: messages → LineBatch (byte ranges, offsets, several lines
// per message), and the event-time reader of the partition merge.
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { buildBatch, eventTimeReader } from '../../../../../engine/components/sources/kafka/framing.js';

const msg = (value: Buffer, offset: number): KafkaMessage =>
  ({ key: null, value, offset: String(offset), timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

describe('buildBatch', () => {
  const lines = (b: ReturnType<typeof buildBatch>) => Array.from({ length: b.count }, (_, i) => [b.text(i), b.offsets![i]]);

  it('values that are views of one fetch buffer are used in place; positions are topic, partition, offset', () => {
    const fetch = Buffer.from('xx1,a\nyy2,b\r\nzz3,c');
    const msgs = [msg(fetch.subarray(2, 5), 10), msg(fetch.subarray(8, 13), 11), msg(fetch.subarray(15), 12)];
    const b = buildBatch('t', [{ partition: 3, msgs: msgs, start: 0, end: 3 }]);
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
    const b = buildBatch('t', [{ partition: 0, msgs: msgs, start: 1, end: 4 }]);
    expect(lines(b)).toEqual([
      ['', '6'],
      ['d,4', '7'],
      ['e,5', '8'],
    ]);
    const all = buildBatch('t', [{ partition: 0, msgs: msgs, start: 0, end: 4 }]);
    expect(lines(all)).toEqual([
      ['a,1', '5'],
      ['b,2', '5'],
      ['c,3', '5'],
      ['', '6'],
      ['d,4', '7'],
      ['e,5', '8'],
    ]);
  });

  it('runs of several partitions make one batch: rows in run order, each with its partition and offset', () => {
    const fetch = Buffer.from('1,a\n2,b\n3,c\n4,d\n');
    const view = (from: number) => fetch.subarray(from, from + 4);
    const p0 = [msg(view(0), 40), msg(view(8), 41)];
    const p2 = [msg(view(4), 7), msg(view(12), 8)];
    const b = buildBatch('t', [
      { partition: 0, msgs: p0, start: 0, end: 1 },
      { partition: 2, msgs: p2, start: 0, end: 1 },
      { partition: 0, msgs: p0, start: 1, end: 2 },
      { partition: 2, msgs: [...p2, msg(Buffer.from('5,e\n6,f'), 9)], start: 1, end: 3 }, // another buffer: copied
    ]);
    expect(lines(b)).toEqual([
      ['1,a', '40'],
      ['2,b', '7'],
      ['3,c', '41'],
      ['4,d', '8'],
      ['5,e', '9'],
      ['6,f', '9'],
    ]);
    expect(b.partition).toBeUndefined();
    expect([...b.partitions!.subarray(0, b.count)]).toEqual([0, 2, 0, 2, 2, 2]);
    expect(b.position(3)).toEqual({ source: 't', partition: 2, offset: '8' });
    // copied values: the newline search of a value without one must not run into values not copied yet
    const copied = buildBatch('t', [
      { partition: 0, msgs: [msg(Buffer.from('x,1'), 1)], start: 0, end: 1 },
      { partition: 1, msgs: [msg(Buffer.from('y,2\nz,3'), 2)], start: 0, end: 1 },
    ]);
    expect(lines(copied)).toEqual([
      ['x,1', '1'],
      ['y,2', '2'],
      ['z,3', '2'],
    ]);
  });

  it('many rows: the arrays grow', () => {
    const msgs = Array.from({ length: 50 }, (_, i) => msg(Buffer.from(`${i}\n${i}`), i));
    const b = buildBatch('t', [{ partition: 0, msgs: msgs, start: 0, end: 50 }]);
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
