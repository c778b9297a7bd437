// What a module exports, read without running it (a folder that is not trusted, docs/sandbox.md): literal entries
// of transformFunctions / aggregateFunctions, exported analysis classes; lists built by code make it incomplete.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticShape } from '../../../engine/extensions/static-shape.js';
import { check, listFunctions } from '../../../engine/index.js';
import { makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

async function shapeOf(source: string, name = 'm.ts') {
  const dir = tmp();
  writeFiles(dir, { [name]: source });
  return staticShape(path.join(dir, name));
}

describe('reading a module without running it', () => {
  it('takes names, arity, signatures and docs of literal entries, whatever the functions look like', async () => {
    const shape = await shapeOf(`
      import { helper } from './helper';
      const PI = 3.14; // not a literal entry field: fine
      /* comments, 'quotes', /regex/ and templates do not confuse it */
      const re = /[}\\]]+/g; const t = \`a \${ '}' } b\`;
      export const transformFunctions: TransformFunction[] = [
        { name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'] as const, returns: 'promote', doc: 'Clamp x to [lo, hi].',
          apply(x: number, lo: number, hi: number) { return x < lo ? lo : x > hi ? hi : x; } },
        { name: "shout", arity: 1, resultType: (t: string[]) => t[0], apply: async function (s: string) { return s + '}'; } },
        { 'name': 'neg', arity: 1, params: ['numeric'], returns: 'arg0', apply: (x) => -x },
      ];
      export const aggregateFunctions = [{ name: 'bitor', accepts: ['LongType', 'IntegerType'], combine: (a, b) => a | b }];
      export class Watch { constructor(o) {} async analysis(h, a) { return helper(re, t, PI); } }
      class Other { analysis() {} }
      export { Other as Renamed };
      export default class { notAnalysis() {} }
    `);
    expect(shape).toEqual({
      complete: true,
      transform: [
        {
          name: 'clamp',
          arity: 3,
          params: ['numeric', 'numeric', 'numeric'],
          returns: 'promote',
          doc: 'Clamp x to [lo, hi].',
          hasResultType: false,
          hasApply: true,
        },
        { name: 'shout', arity: 1, params: undefined, returns: undefined, doc: undefined, hasResultType: true, hasApply: true },
        { name: 'neg', arity: 1, params: ['numeric'], returns: 'arg0', doc: undefined, hasResultType: false, hasApply: true },
      ],
      aggregate: [{ name: 'bitor', accepts: ['LongType', 'IntegerType'], doc: undefined, hasCombine: true, resultTypes: undefined }],
      exports: { Watch: true, Renamed: true, default: false, transformFunctions: false, aggregateFunctions: false },
      analyses: {},
    });
  });

  it('says when a list is built by code, so that unknown names are warnings and not errors', async () => {
    const built = await shapeOf(`const make = (n) => ({ name: n, arity: 1, returns: 'arg0', apply: (x) => x });
      export const transformFunctions = [make('a'), { name: 'b', arity: 1, returns: 'arg0', apply: (x) => x }, ...others];`);
    expect(built).toMatchObject({ complete: false, transform: [{ name: 'b', arity: 1 }] });
    const computed = await shapeOf(`export const transformFunctions = ['a', 'b'].map((n) => ({ name: n }));`);
    expect(computed).toMatchObject({ complete: false, transform: [] });
    expect(await shapeOf('export const transformFunctions = [;', 'bad.mjs')).toEqual({ error: expect.stringMatching(/bad\.mjs:1:\d+: Unexpected ";"$/) });
  });
});

describe('check of a folder that is not trusted', () => {
  it('lists the functions it parsed for completion, also when the config does not compile', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'ops.mjs':
        "throw new Error('never run');\nexport const transformFunctions = [{ name: 'twice', arity: 1, params: ['numeric'], returns: 'promote', doc: 'Doubles.', apply: (x) => 2 * x }];",
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': '',
      'config.json': makeConfig({ transformation: ['sensor_id', 'r: twice(nope)'], rule: ['key: sensor_id', 'sum(r)'], extensions: ['./ops.mjs'] }),
    });
    const r = await check(path.join(dir, 'config.json'), undefined, undefined, { userModules: 'skip' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.errorClass)).toEqual(['FieldNotExists']);
    const twice = listFunctions(r.extensions).transform.find((f) => f.name === 'twice');
    expect(twice).toEqual({ name: 'twice', arity: 1, signature: 'twice(numeric) → promote', doc: 'Doubles.' });
  });

  it('gives a plan that type-checks but cannot run or preview: nothing of the folder runs until it is trusted', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'ops.mjs': "export const transformFunctions = [{ name: 'twice', arity: 1, params: ['numeric'], returns: 'promote', apply: (x) => 2 * x }];",
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': '0,1,a,0,0,5,0\n',
      'config.json': makeConfig({ transformation: ['sensor_id', 'r: twice(rotation_speed)'], rule: ['key: sensor_id', 'sum(r)'], extensions: ['./ops.mjs'] }),
    });
    const untrusted = await check(path.join(dir, 'config.json'), undefined, undefined, { userModules: 'skip' });
    expect(untrusted.ok).toBe(true);
    expect(untrusted.summary!.transformed).toEqual([
      { name: 'sensor_id', type: 'LongType' },
      { name: 'r', type: 'DoubleType' },
    ]);
    expect(untrusted.plan!.untrusted).toBe('rows');
    const { Runner, preview } = await import('../../../engine/index.js');
    expect(() => new Runner(untrusted.plan!)).toThrow('this config uses user code of a folder that is not trusted; trust the folder to run it');
    await expect(preview(untrusted.plan!)).rejects.toThrow('trust the folder to preview it');
    // trusted: the same config previews through the sandbox
    const trusted = await check(path.join(dir, 'config.json'));
    const p = await preview(trusted.plan!);
    expect(p.rows).toEqual([[1, 10]]);
    expect(p.windows.map((w) => w.rows)).toEqual([[{ key: { sensor_id: 1 }, values: { r: 10 } }]]);
  });
});
