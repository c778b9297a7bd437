// A data structure guessed from the start of a CSV file (engine/config/infer-structure.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferStructure, structureFileText } from '../../../engine/config/infer-structure.js';
import { validateConfig } from '../../../engine/config/validate.js';
import { nodeIO } from '../../../engine/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('inferStructure', () => {
  it('reads the header, guesses int, long, double, boolean, string and an epoch-ms time field', () => {
    const csv = [
      'event time,id,big,value,ok,name',
      '1700000000000,1,5000000000,1.5,true,a',
      '1700000001000,2,5000000001,2,false,b c',
      '1700000002000,3,-7,3e2,TRUE,"x, y"',
    ].join('\n');
    const s = inferStructure(`${csv}\n`);
    expect(s.header).toBe(true);
    expect(s.separator).toBe(',');
    expect(s.fields.map((f) => [f.name, f.index, f.type, f.guessed])).toEqual([
      ['event_time', 0, 'LongType', 'timestamp'],
      ['id', 1, 'IntegerType', 'int'],
      ['big', 2, 'LongType', 'long'],
      ['value', 3, 'DoubleType', 'double'],
      ['ok', 4, 'BooleanType', 'boolean'],
      ['name', 5, 'StringType', 'string'],
    ]);
    expect(s.time).toEqual({ field: 'event_time', unit: 'ms' });
    expect(s.rowsSampled).toBe(3);
    expect(s.raggedRows).toBe(0);
  });

  it('the sensors sample without header: columns named by position, the sorted epoch-seconds column is the time', () => {
    const text = fs.readFileSync(path.join(ROOT, 'samples/sensors/data/sensors.csv'), 'utf8').slice(0, 20_000);
    const s = inferStructure(text);
    expect(s.header).toBe(false);
    expect(s.fields.map((f) => [f.name, f.type])).toEqual([
      ['col0', 'LongType'],
      ['col1', 'IntegerType'],
      ['col2', 'StringType'],
      ['col3', 'DoubleType'],
      ['col4', 'DoubleType'],
      ['col5', 'DoubleType'],
      ['col6', 'DoubleType'],
    ]);
    expect(s.time).toEqual({ field: 'col0', unit: 's' });
  });

  it('guesses ; and tab separators, counts empty cells and ragged rows, ignores a cut last line', () => {
    const s = inferStructure('a;b;c\n1;;x\n2;3.5;y;extra\n3;4');
    expect(s.separator).toBe(';');
    expect(s.fields.map((f) => [f.name, f.type, f.empty])).toEqual([
      ['a', 'IntegerType', 0],
      ['b', 'DoubleType', 1],
      ['c', 'StringType', 0],
    ]);
    expect(s.raggedRows).toBe(1);
    expect(s.rowsSampled).toBe(2);
    expect(inferStructure('x\ty\n1\t2\n').separator).toBe('\t');
  });

  it('makes header names rule-safe and unique', () => {
    const s = inferStructure('1st col,a-b,a-b,,rpm (max)\n1,2,3,4,5\n');
    expect(s.fields.map((f) => f.name)).toEqual(['c_1st_col', 'a_b', 'a_b_2', 'col3', 'rpm_max']);
  });

  it('an empty file is an error, a header alone gives string fields', () => {
    expect(() => inferStructure('\n\n')).toThrow(/empty/);
    expect(inferStructure('a,b\n').fields.map((f) => f.type)).toEqual(['StringType', 'StringType']);
  });

  it('every guessed type parses every sampled value (property)', () => {
    const cell = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String),
      fc.stringMatching(/^[a-z]{1,6}$/),
      fc.constantFrom('true', 'false'),
    );
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 20 }), (rows) => {
        const s = inferStructure(`${['p', 'q', 'r'].join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`);
        for (const f of s.fields) {
          for (const r of rows) {
            const v = r[f.index]!;
            if (f.type === 'IntegerType') expect(Number.isInteger(Number(v))).toBe(true);
            if (f.type === 'DoubleType') expect(Number.isNaN(Number(v))).toBe(false);
            if (f.type === 'BooleanType') expect(['true', 'false']).toContain(v);
          }
        }
      }),
    );
  });

  it('the written file is a valid data structure for a config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infer-'));
    const s = inferStructure('time,id,v\n1700000000,1,2.5\n1700000010,2,3.5\n');
    fs.writeFileSync(path.join(dir, 'ds.json'), structureFileText(s));
    fs.writeFileSync(path.join(dir, 'd.csv'), 'time,id,v\n1700000000,1,2.5\n');
    const config = {
      input: { input_type: 'csv', data_structure: 'ds.json', options: { path: 'd.csv', header: true, time_field: 'time', time_unit: 's', batchDuration: 10 } },
      outputs: [{ method: 'stdout' }],
      processing: { transformation: ['id', 'v'], aggregations: { operation_type: 'reduceByKey', rule: ['key: id', 'max(v)'] } },
      databases: {},
    };
    const r = validateConfig(path.join(dir, 'config.json'), JSON.stringify(config), nodeIO);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
