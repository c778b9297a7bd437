// Dead letters keep the raw bytes of a bad row exactly (engine/pipeline/dead-letters.ts): text when it is valid UTF-8,
// else base64 with raw_encoding "base64", in the dead_letters table and in the --dead-letter JSONL file.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { rawOf, storedRaw } from '../../../engine/pipeline/dead-letters.js';
import { buildBatch } from '../../../engine/components/sources/kafka/framing.js';
import { cli, SECTION14_ROWS, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-dead-');

/** bad rows: invalid UTF-8 (a Latin-1 é, a lone continuation byte), a NUL and a valid UTF-8 é */
const LATIN1 = Buffer.from([0x31, 0x35, 0x32, 0x33, 0x2c, 0xe9, 0x2c, 0x78]); // "1523,\xe9,x"
const BINARY = Buffer.from([0x00, 0x80, 0xff, 0xfe, 0x2c, 0x01]);
const UTF8 = Buffer.from('1523800009,é,seal.t1', 'utf8');

function project(outputs: unknown[]): string {
  const dir = tmp();
  writeFiles(dir, {
    'config.json': {
      input: { input_type: 'csv', data_structure: 'ds.json', options: { path: 'rows.csv' } },
      outputs,
      processing: { transformation: SECTION14_TRANSFORMATION, aggregations: { operation_type: 'reduceByKey', rule: SECTION14_RULE } },
      databases: {},
    },
    'ds.json': structure(SENSOR_SPEC),
  });
  const nl = Buffer.from('\n');
  fs.writeFileSync(path.join(dir, 'rows.csv'), Buffer.concat([Buffer.from(SECTION14_ROWS.join('\n') + '\n'), LATIN1, nl, BINARY, nl, UTF8, nl]));
  return dir;
}

const decode = (raw: string, encoding: string) => (encoding === 'base64' ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'));

describe('the raw row of a dead letter', () => {
  it('rawOf keeps bytes only when they are not valid UTF-8; storedRaw writes base64 for them', () => {
    expect(rawOf(UTF8, () => 'x')).toEqual({ raw: 'x' });
    const d = { position: { source: 's' }, reason: 'r', message: 'm', ...rawOf(BINARY, () => BINARY.toString('utf8')) };
    expect(d.raw).toContain('\uFFFD');
    expect(storedRaw(d)).toEqual({ raw: BINARY.toString('base64'), encoding: 'base64' });
  });

  for (const workers of ['1', '2']) {
    it(`the dead_letters table keeps every byte (--workers ${workers})`, () => {
      const dir = project([{ method: 'sqlite', options: { path: 'store.db' } }]);
      const r = cli(['run', 'config.json', '--workers', workers], { cwd: dir });
      expect(r.status).toBe(0);
      const db = new Database(path.join(dir, 'store.db'), { readonly: true });
      const rows = db.prepare('SELECT line, raw, raw_encoding FROM dead_letters ORDER BY line').all() as { line: number; raw: string; raw_encoding: string }[];
      db.close();
      expect(rows.map((x) => [x.line, x.raw_encoding])).toEqual([
        [4, 'base64'],
        [5, 'base64'],
        [6, 'utf8'],
      ]);
      expect(rows.map((x) => decode(x.raw, x.raw_encoding))).toEqual([LATIN1, BINARY, UTF8]);
    });
  }

  it('the --dead-letter JSONL file: raw_encoding "base64" marks the rows that are not UTF-8 text', () => {
    const dir = project([{ method: 'stdout' }]);
    const r = cli(['run', 'config.json', '--dead-letter', 'dead.jsonl'], { cwd: dir });
    expect(r.status).toBe(0);
    const letters = fs
      .readFileSync(path.join(dir, 'dead.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; raw: string; raw_encoding?: string });
    expect(letters.map((x) => [x.line, x.raw_encoding])).toEqual([
      [4, 'base64'],
      [5, 'base64'],
      [6, undefined],
    ]);
    expect(letters.map((x) => decode(x.raw, x.raw_encoding ?? 'utf8'))).toEqual([LATIN1, BINARY, UTF8]);
  });

  it('Kafka batches hand out the exact bytes of each line too', () => {
    const msgs = [LATIN1, UTF8].map((value, i) => ({ offset: String(i), value }) as unknown as KafkaMessage);
    const b = buildBatch('t', [{ partition: 0, msgs, start: 0, end: 2 }]);
    expect(b.count).toBe(2);
    expect(Buffer.from(b.bytes!(0))).toEqual(LATIN1);
    expect(Buffer.from(b.bytes!(1))).toEqual(UTF8);
  });
});
