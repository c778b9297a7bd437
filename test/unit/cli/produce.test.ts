// `ts-engine produce` argument checking (no broker needed; sending is tested against a real
// broker in test/integration/kafka-live.test.ts).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';

const CSV = path.join(ROOT, 'samples/sensors/data/sensors.csv');

describe('ts-engine produce: usage errors exit 1 with a message and the usage', () => {
  it.each([
    [['produce', CSV, '--topic', 't'], /produce needs --brokers/],
    [['produce', CSV, '--brokers', 'localhost:9092'], /produce needs --topic/],
    [['produce', CSV, '--brokers', 'localhost', '--topic', 't'], /--brokers: 'localhost' is not host:port/],
    [['produce', '--brokers', 'h:1', '--topic', 't'], /produce takes exactly one CSV file/],
    [['produce', CSV, '--brokers', 'h:1', '--topic', 't', '--rate', '0'], /--rate must be a number/],
    [['produce', CSV, '--brokers', 'h:1', '--topic', 't', '--acks', '2'], /--acks must be all, 1 or 0/],
    [['produce', CSV, '--brokers', 'h:1', '--topic', 't', '--key-field', 'sensor_id'], /a field name needs --structure/],
    [
      ['produce', CSV, '--brokers', 'h:1', '--topic', 't', '--key-field', 'nope', '--structure', path.join(ROOT, 'samples/sensors/data_structure.json')],
      /--key-field nope is not a field of .* \(timestamp, sensor_id, sensor_type/,
    ],
    [['produce', '/no/such.csv', '--brokers', 'h:1', '--topic', 't'], /no such file: \/no\/such\.csv/],
  ])('%j', (args, message) => {
    const r = cli(args as string[]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('ts-engine produce <file.csv | ->');
  });
});
