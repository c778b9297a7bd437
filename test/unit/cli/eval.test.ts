// `ts-engine eval` (docs/semantics.md#cli): `<repr>\t<TypeName>`, exit 2 on a validation error, 3 on a row error; option forms.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();
const dir = (() => {
  let d: string | undefined;
  return () => {
    if (!d) {
      d = tmp();
      writeFiles(d, {
        'ds.json': structure(SENSOR_SPEC),
        'config.json': { input: { options: { port: 29092, name: 'kafka', rate: 2.5 } } },
      });
    }
    return d;
  };
})();

const ROW = '1523800000,5,seal.t1,250,516,2500,500';

describe('ts-engine eval', () => {
  it('prints <repr>\t<TypeName> and exits 0 (15.3 examples, Section 8 rendering)', async () => {
    const cases: [string[], string][] = [
      [['floordiv(-7, 2)'], '-4\tLongType'],
      [['pydiv(-7, 2)'], '-3.5\tDoubleType'],
      [["concat('a', 1)"], "'a1'\tStringType"],
      [['--', '-13'], '-13\tLongType'],
      [["concat(2E+2, concat('6', 74))"], "'200.0674'\tStringType"],
      [['mathdiv(1e16, 1)'], '1e+16\tDoubleType'],
      [['mul(-1.0, 0.0)'], '-0.0\tFloatType'],
      [["concat('it', \"'s\")"], `"it's"\tStringType`],
    ];
    const results = await Promise.all(cases.map(([args]) => cliAsync(['eval', ...args])));
    expect(results.map((r) => [r.status, r.stdout, r.stderr])).toEqual(cases.map(([, out]) => [0, out + '\n', '']));
  });

  it('reads fields from --row with --structure; --opt=value and --sep work', () => {
    const d = dir();
    let r = cli(['eval', '--structure', 'ds.json', '--row', ROW, "concat('6 - ', sensor_id)"], { cwd: d });
    expect([r.status, r.stdout]).toEqual([0, "'6 - 5'\tStringType\n"]);
    r = cli(['eval', '--structure=ds.json', `--row=${ROW.replace(/,/g, ';')}`, '--sep=;', 'lt(rotation_speed, 1000)'], { cwd: d });
    expect([r.status, r.stdout]).toEqual([0, 'False\tBooleanType\n']);
    r = cli(['eval', '--structure', path.join(d, 'ds.json'), '--row', '-1,5,x,0,0,0,0', '--', 'timestamp'], { cwd: d });
    expect([r.status, r.stdout]).toEqual([0, '-1\tLongType\n']);
  });

  it('config() reads the file named by --config, typed from the JSON value', () => {
    const d = dir();
    let r = cli(['eval', '--config', 'config.json', "add(10, int(config('input.options.port')))"], { cwd: d });
    expect([r.status, r.stdout]).toEqual([0, '29102\tLongType\n']);
    r = cli(['eval', '--config', 'config.json', "concat('Port - ', concat(3, config('input.options.port')))"], { cwd: d });
    expect(r.stdout).toBe("'Port - 329092'\tStringType\n");
    r = cli(['eval', '--config', 'config.json', "config('input.options.nope')"], { cwd: d });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("ConfigError: config('input.options.nope'): no value at path 'input.options.nope' in the config file");
  });

  it('validation errors exit 2 with the error class and the column in the expression', () => {
    let r = cli(['eval', 'add(1, nope)']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("FieldNotExists: Field with name 'nope' does not exists (column 8)\n");
    r = cli(['eval', 'ADD(1, 2)']);
    expect([r.status, r.stderr]).toEqual([2, "OperationNotSupportedError: Operation 'ADD' is not supported. (column 1)\n"]);
    r = cli(['eval', '0x1F']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^IncorrectExpression: Incorrect expression: '0x1F' is not a valid number/);
  });

  it('row errors exit 3: evaluation failures and unparsable --row', () => {
    let r = cli(['eval', 'pydiv(1, 0)']);
    expect([r.status, r.stdout, r.stderr]).toEqual([3, '', 'RowError: pydiv: division by zero\n']);
    const d = dir();
    r = cli(['eval', '--structure', 'ds.json', '--row', '1,x,a', 'sensor_id'], { cwd: d });
    expect([r.status, r.stderr]).toEqual([3, "RowError: field 'sensor_id' (column 2): 'x' is not a valid LongType\n"]);
    r = cli(['eval', '--structure', 'ds.json', 'sensor_id'], { cwd: d });
    expect([r.status, r.stderr]).toEqual([3, 'RowError: the expression reads sensor_id; pass a row with --row\n']);
  });

  it('usage errors exit 1', () => {
    let r = cli(['eval']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('eval takes exactly one expression');
    r = cli(['eval', '--bogus', '1', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown option --bogus');
    // only "--name" is an option: a lone "-13" is already the expression
    r = cli(['eval', '-13']);
    expect([r.status, r.stdout]).toEqual([0, '-13\tLongType\n']);
  });
  it('a --structure that is a device or a directory is refused before it is read (no hang on /dev/zero)', () => {
    let r = cli(['eval', '--structure', '/dev/zero', 'add(1, 2)'], { timeoutMs: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^cannot read data structure \/dev\/zero: it is a device, not a file\n/);
    r = cli(['eval', '--config', '/', 'add(1, 2)'], { timeoutMs: 10_000 });
    expect(r.stderr).toMatch(/^cannot read config \/: it is a directory, not a file\n/);
  });
});
