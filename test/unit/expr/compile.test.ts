// "__proto__" and other Object.prototype names as keys of a config and a data structure (engine/expr/compile.ts and the
// JSON parser): a field named __proto__ works end to end, an output column of that name is a positioned diagnostic,
// and nothing anywhere pollutes Object.prototype.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { compileTransformations } from '../../../engine/expr/compile.js';
import { BUILTIN_MAP, type FunctionDef } from '../../../engine/expr/functions.js';
import { runtime } from '../../../engine/expr/runtime.js';
import { toReferenceConfig } from '../../../engine/export/reference.js';
import { cli, fieldsOf, planOf, positionOf, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-proto-');

const STRUCTURE =
  '{"__proto__": {"index": 0, "type": "LongType"}, "constructor": {"index": 1, "type": "StringType"}, "toString": {"index": 2, "type": "DoubleType"}}';

/** keys named after Object.prototype's members everywhere a user can put one */
const CONFIG = `{
  "input": {"input_type": "csv", "data_structure": "ds.json",
            "options": {"path": "rows.csv", "__proto__": {"polluted": "input"}, "constructor": {"prototype": {"polluted": 7}}}},
  "outputs": [{"method": "stdout", "options": {"format": "jsonl"}}, {"method": "sqlite", "options": {"path": "store.db"}}],
  "processing": {"transformation": ["p: __proto__", "constructor", "hasOwnProperty: toString", "valueOf: config('input.options.constructor.prototype.polluted')"],
                 "aggregations": {"operation_type": "reduceByKey", "rule": ["key: (p, constructor)", "sum(hasOwnProperty)", "max(valueOf)"]}},
  "databases": {"__proto__": "ds.json"},
  "__proto__": {"polluted": "top"}
}`;

describe('keys named __proto__, constructor, toString, hasOwnProperty', () => {
  it('a data-structure field named __proto__ works end to end; such keys anywhere in a config pollute nothing', () => {
    const dir = tmp();
    writeFiles(dir, { 'config.json': CONFIG, 'ds.json': STRUCTURE, 'rows.csv': '1,a,1.5\n1,a,2.5\n2,b,3\n' });
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).values),
    ).toEqual([
      { hasOwnProperty: 4.0, valueOf: 7 },
      { hasOwnProperty: 3.0, valueOf: 7 },
    ]);
    expect(r.stdout).toContain('"key": {"constructor": "a", "p": 1}');
    const db = new Database(path.join(dir, 'store.db'), { readonly: true });
    expect(db.prepare('SELECT p, "constructor", "hasOwnProperty" FROM points ORDER BY p').raw(true).all()).toEqual([
      [1, 'a', 4],
      [2, 'b', 3],
    ]);
    db.close();
    const e = cli(['eval', '--structure', 'ds.json', '--row', '41,x,1', '--', 'add(__proto__, 1)'], { cwd: dir });
    expect([e.status, e.stdout]).toEqual([0, '42\tLongType\n']);
  });

  it('an output column named __proto__ is a positioned IncorrectExpression', async () => {
    // JSON.parse: an object literal's __proto__ would set the prototype instead of a key
    const r = compileTransformations(['__proto__', 'x: __proto__', '__proto__: add(1, 2)'], fieldsOf(JSON.parse('{"__proto__": [0, "LongType"]}')));
    expect(r.errors.map((e) => [e.index, e.error.errorClass, e.error.from, e.error.to])).toEqual([
      [0, 'IncorrectExpression', 0, 9],
      [2, 'IncorrectExpression', 0, 9],
    ]);
    expect(r.errors[0]!.error.message).toContain(`output column name '__proto__' is reserved`);
    const text = JSON.stringify(
      { ...JSON.parse(CONFIG), processing: { transformation: ['__proto__'], aggregations: { operation_type: 'reduce', rule: ['sum(__proto__)'] } } },
      null,
      2,
    );
    const { errors } = await planOf(text, JSON.parse(STRUCTURE));
    const at = positionOf(text, '"__proto__"', '"transformation"');
    expect(errors[0]).toMatchObject({ errorClass: 'IncorrectExpression', line: at.line, column: at.column + 1 });
  });

  it('check, export and the in-process compile leave Object.prototype alone', async () => {
    const dir = tmp();
    writeFiles(dir, { 'config.json': CONFIG, 'ds.json': STRUCTURE, 'rows.csv': '1,a,1.5\n' });
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const { plan } = await planOf(CONFIG, JSON.parse(STRUCTURE), { 'rows.csv': '' });
    expect(Object.hasOwn(plan!.config.databases, '__proto__')).toBe(true);
    const exported = toReferenceConfig(plan!.config.raw);
    expect(Object.hasOwn(exported.config, '__proto__')).toBe(true);
    expect(cli(['export', 'config.json', 'out'], { cwd: dir }).status).toBe(0);
    const options = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'config.json'), 'utf8')).input.options;
    expect(Object.getOwnPropertyDescriptor(options, '__proto__')?.value).toEqual({ polluted: 'input' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('the inline form of a transformation (pipeline/row-runs.ts)', () => {
  const fields = fieldsOf({ a: [0, 'LongType'], s: [1, 'StringType'], d: [2, 'DoubleType'] });

  it('is the same code with field reads as locals, text and odd numbers still read from the constants', () => {
    const r = compileTransformations(["t: concat(s, 'r[0] «1»')", 'x: add(a, d)', 'n: gt(d, -0.5)', 'z: mathdiv(d, a)'], fields);
    const { source, inline, run, consts } = r.transform!;
    expect(inline).toHaveLength(4);
    expect(source).toBe(inline!.map((code, column) => `o[${column}] = ${code.replace(/\br(\d+)/g, 'r[$1]')};`).join('\n'));
    expect(inline!.join(' ')).not.toMatch(/r\[|«/);
    expect(consts).toContain('r[0] «1»');
    // and it computes what run computes
    const rowValues = [3, 'q', 2.5];
    const o: unknown[] = [];
    run(rowValues, o as never);
    const inlineRun = new Function('h', 'k', 'r0', 'r1', 'r2', `"use strict"; return [${inline!.join(', ')}];`);
    expect(inlineRun(runtime, consts, ...rowValues)).toEqual(o);
  });

  it('is not made when an expression calls an extension function (its `x` is not in the inline code)', () => {
    const ext: FunctionDef = {
      name: 'twice',
      arity: 1,
      signature: 'twice(a) → LongType',
      doc: '',
      resultType: () => 'LongType',
      emit: (code) => `x[0](${code[0]})`,
    };
    const functions = new Map([...BUILTIN_MAP, ['twice', ext]]);
    const withExtension = compileTransformations(['y: twice(a)', 'a'], fields, { functions, extensionImpls: [(v: number) => v * 2] });
    expect(withExtension.transform!.inline).toBeUndefined();
    expect(compileTransformations(['a'], fields, { functions }).transform!.inline).toEqual(['r0']);
  });
});
