// User transform and aggregate functions from JS and TS modules (docs/semantics.md#user-code), validated exactly like built-ins.
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import { loadExtensions } from '../../../engine/extensions/load.js';
import { ModuleInspector } from '../../../engine/sandbox/inspect.js';
import { DEFAULT_LIMITS } from '../../../engine/sandbox/protocol.js';
import { Runner } from '../../../engine/pipeline/runner.js';
import { makeConfig, referenceText, runLinesInSandbox, SENSOR_SPEC, structure, useTmpDir, writeFiles, type ConfigParts } from '../helpers.js';

const tmp = useTmpDir();

const JS_MODULE = `
export const transformFunctions = [
  { name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'], returns: 'promote',
    apply: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x) },
  { name: 'greet', arity: 1, params: ['StringType'], returns: 'StringType', apply: (s) => 'hi ' + s },
  { name: 'strict_inv', arity: 1, params: ['numeric'], returns: 'DoubleType',
    apply: (x) => { if (x === 0) throw new Error('zero has no inverse'); return 1 / x; } },
  { name: 'liar', arity: 1, params: ['any'], returns: 'LongType', apply: () => 'not a number' },
  { name: 'square', arity: 1,
    resultType: (types) => { if (types[0] === 'StringType') throw new Error('square needs a number'); return types[0]; },
    apply: (x) => (typeof x === 'bigint' ? x * x : x * x) },
];
export const aggregateFunctions = [
  { name: 'bitor', accepts: ['LongType', 'IntegerType'], combine: (a, b) => Number(BigInt(a) | BigInt(b)) },
  { name: 'count_true', accepts: ['BooleanType'], resultType: () => 'LongType', combine: (a, b) => Number(a) + Number(b) },
];
`;

const TS_MODULE = `
type FieldType = 'BooleanType' | 'IntegerType' | 'LongType' | 'FloatType' | 'DoubleType' | 'StringType';
type Value = number | bigint | boolean | string | null;
interface AlertSender { send(m: { module: string; timestamp: number; param: Record<string, unknown> }): Promise<void> }
interface History { current(): Record<string, Value> & { key: Value[] | null }; get(n: number): Promise<Record<string, Value>> }

export const transformFunctions = [
  { name: 'double_it', arity: 1, params: ['numeric'] as const, returns: 'promote' as const,
    apply: (x: number): number => x * 2 },
  { name: 'shout', arity: 1, resultType: (t: FieldType[]): FieldType => (t[0] === 'StringType' ? 'StringType' : (() => { throw new Error('shout takes a string'); })()),
    apply: (s: string): string => s.toUpperCase() + '!' },
];
export const aggregateFunctions = [{ name: 'spread', accepts: ['DoubleType'] as FieldType[], combine: (a: number, b: number) => Math.max(a, b) - Math.min(a, b) + 0 * a }];

export const analyses = {
  Spike: class {
    constructor(private readonly options: { above: number }, readonly name: string) {}
    async analysis(history: History, alerts: AlertSender): Promise<void> {
      const cur = history.current();
      const v = cur.r as number;
      if (v > this.options.above)
        await alerts.send({ module: this.name, timestamp: 0, param: { key: cur.key, field: 'r', lower_bound: 0, upper_bound: this.options.above, value: v } });
    }
  },
};
`;

async function compile(parts: ConfigParts, modules: Record<string, string>) {
  const dir = tmp();
  writeFiles(dir, {
    ...modules,
    'ds.json': structure(SENSOR_SPEC),
    'config.json': makeConfig({ extensions: Object.keys(modules).map((m) => './' + m), ...parts }),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  return { dir, plan: outcome.plan, errors: outcome.diagnostics.filter((d) => d.severity === 'error') };
}

describe('JS extension module', () => {
  it('functions and aggregates compute like built-ins', async () => {
    const ok = await compile(
      {
        transformation: [
          "g: greet('bob')",
          'c: clamp(rotation_speed, 0, 1000)',
          'sq: square(sensor_id)',
          'inv: strict_inv(torque)',
          'bits: sensor_id',
          'slow: lt(rotation_speed, 500)',
        ],
        rule: ['key: (g, sq)', 'max(c)', 'BITOR(bits)', 'sum(inv)', 'count_true(slow)'],
      },
      { 'ops.mjs': JS_MODULE },
    );
    expect(ok.errors).toEqual([]);
    const p = ok.plan!;
    expect(p.transform.columns.map((c) => [c.name, c.type])).toEqual([
      ['g', 'StringType'],
      ['c', 'DoubleType'],
      ['sq', 'LongType'],
      ['inv', 'DoubleType'],
      ['bits', 'LongType'],
      ['slow', 'BooleanType'],
    ]);
    expect(p.aggregation.values.map((v) => [v.name, v.fn.name, v.type])).toEqual([
      ['c', 'max', 'DoubleType'],
      ['inv', 'sum', 'DoubleType'],
      ['bits', 'bitor', 'LongType'],
      ['slow', 'count_true', 'LongType'],
    ]);
    const { windows, failures, processor } = await runLinesInSandbox(p, ['0,3,a,0,0,2500,4', '0,3,a,0,0,400,2', '0,5,a,0,0,100,0', '0,3,a,0,0,100,1']);
    // literals arrive unquoted ('bob'); a throwing user function is a row error (the row is dropped)
    expect(referenceText(p, windows)).toBe("---------------------------\n(('hi bob', 9), 1000.0, 1.75, 3, 2)\n");
    expect(processor.failed).toBe(1);
    expect(failures).toEqual([{ row: 2, reason: 'user function error', message: 'strict_inv: zero has no inverse' }]);
  });

  it('validation errors are the built-in ones', async () => {
    const { errors } = await compile(
      {
        transformation: ['a: greet(sensor_id)', 'b: clamp(1, 2)', 'c: nope(1)', "d: square('x')", 'e: Greet(sensor_type)'],
        rule: ['sum(a)'],
        operation: 'reduce',
      },
      { 'ops.mjs': JS_MODULE },
    );
    expect(errors.map((e) => [e.path, e.errorClass, e.message.replace(/^processing\.transformation\[\d\]: /, '')])).toEqual([
      ['processing.transformation[0]', 'IncorrectArgumentTypeForOperationError', 'greet: argument 1 must be StringType, got LongType'],
      ['processing.transformation[1]', 'IncorrectArgumentsAmountForOperationError', "Operation 'clamp' expects 3 arguments, got 2."],
      ['processing.transformation[2]', 'OperationNotSupportedError', "Operation 'nope' is not supported."],
      ['processing.transformation[3]', 'IncorrectArgumentTypeForOperationError', 'square: square needs a number'],
      ['processing.transformation[4]', 'OperationNotSupportedError', "Operation 'Greet' is not supported."],
    ]);
    const agg = await compile(
      { transformation: ['s: sensor_type', 'l: sensor_id'], rule: ['bitor(s)', 'sum(l)'], operation: 'reduce' },
      { 'ops.mjs': JS_MODULE },
    );
    expect(agg.errors.map((e) => e.message)).toEqual([expect.stringContaining('Incorrect type of field s for function bitor')]);
  });

  it('a result of the wrong type is a row error', async () => {
    const { plan } = await compile({ transformation: ['x: liar(sensor_id)'], rule: ['sum(x)'], operation: 'reduce' }, { 'ops.mjs': JS_MODULE });
    const { windows, failures } = await runLinesInSandbox(plan!, ['0,1,a,0,0,0,0']);
    expect(windows.map((w) => w.groups)).toEqual([[]]);
    expect(failures).toEqual([{ row: 0, reason: 'bad result', message: "liar returned 'not a number', which is not a LongType" }]);
  });

  it('bad modules and clashes are ImportError diagnostics at extensions[i]', async () => {
    const { errors } = await compile(
      { transformation: ['x: sensor_id'], rule: ['sum(x)'], operation: 'reduce' },
      {
        'a.mjs':
          "export const transformFunctions = [{ name: 'add', arity: 2, returns: 'LongType', apply: (a, b) => a + b }, { name: 'bad name', arity: 1, returns: 'LongType', apply: (a) => a }];\nexport const aggregateFunctions = [{ name: 'SUM', accepts: ['LongType'], combine: (a, b) => a }];",
        'b.mjs': 'syntax error here (',
        'c.mjs': "export const transformFunctions = [{ name: 'f', arity: 1, apply: (a) => a }];",
      },
    );
    expect(errors.map((e) => [e.path, e.errorClass])).toEqual([
      ['extensions[0]', 'ImportError'],
      ['extensions[0]', 'ImportError'],
      ['extensions[0]', 'ImportError'],
      ['extensions[1]', 'ImportError'],
      ['extensions[2]', 'ImportError'],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('transform function "add": clashes with the built-in function add'),
      expect.stringContaining('transform function "bad name": name must match'),
      expect.stringContaining('aggregate function "SUM": clashes with the built-in aggregate sum'),
      expect.stringContaining('cannot load extension module'),
      expect.stringContaining('needs either resultType(argTypes) or returns'),
    ]);
    const missing = await compile({ transformation: ['x: sensor_id'], rule: ['sum(x)'], operation: 'reduce', extensions: ['./nowhere.mjs'] }, {});
    expect(missing.errors.map((e) => [e.path, e.errorClass])).toEqual([['extensions[0]', 'ImportError']]);
  });
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('TS extension module', () => {
  it('is bundled and loaded; its functions, aggregates and analyses work by name', async () => {
    const { plan, errors } = await compile(
      {
        transformation: ['sensor_type', 'loud: shout(sensor_type)', 'r: double_it(rotation_speed)', 'sp: rotation_speed'],
        rule: ['key: (sensor_type, loud)', 'max(r)', 'spread(sp)'],
        options: { path: 'data.csv' },
        outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }, { method: 'stdout' }],
        analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: 'Spike', name: 'Spike1', options: { above: 1000 } }] },
      },
      { 'ops.ts': TS_MODULE },
    );
    expect(errors).toEqual([]);
    writeFiles(path.dirname(plan!.config.configPath), { 'data.csv': '0,1,a,0,0,400,0\n0,1,a,0,0,100,0\n0,2,b,0,0,700,0\n' });
    const stdout = new Collect();
    const warnings: string[] = [];
    await new Runner(plan!, { stdout, warn: (m) => warnings.push(m) }).run();
    expect(warnings).toEqual([]);
    const lines = stdout.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['---------------------------', "(('a', 'A!'), 800.0, 300.0)", "(('b', 'B!'), 1400.0, 700.0)"]);
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(
        /^Spike1: Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\. Parameter 'r' for key=\('b', 'B!'\) out of range \[0\.0,1000\.0\] and equal 1400\.0$/,
      ),
      '',
    ]);
  }, 20_000);

  it('a type error in a TS resultType rule is IncorrectArgumentTypeForOperationError', async () => {
    const { errors } = await compile({ transformation: ['x: shout(sensor_id)'], rule: ['key: x'] }, { 'ops.ts': TS_MODULE });
    expect(errors.map((e) => [e.errorClass, e.message])).toEqual([
      ['IncorrectArgumentTypeForOperationError', 'processing.transformation[0]: shout: shout takes a string'],
    ]);
  });

  it('loadExtensions reports every problem of a module and keeps the good functions', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'm.mjs':
        "export const transformFunctions = [{ name: 'ok', arity: 1, returns: 'arg0', apply: (a) => a }, { name: 'ok', arity: 1, returns: 'arg0', apply: (a) => a }];",
    });
    const inspector = new ModuleInspector(DEFAULT_LIMITS, {});
    const ext = await loadExtensions([path.join(dir, 'm.mjs')], inspector);
    await inspector.close();
    expect(ext.functions.has('ok')).toBe(true);
    expect(ext.functions.has('add')).toBe(true);
    expect(ext.errors.map((e) => e.message)).toEqual([expect.stringContaining('transform function "ok": defined twice')]);
  });
});
