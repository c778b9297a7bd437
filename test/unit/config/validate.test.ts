// Up-front validation of the whole config (docs/semantics.md#validate-everything-first) with positioned diagnostics (docs/semantics.md#config).
import { describe, expect, it } from 'vitest';
import { lineCol, lineStartsOf } from '../../../engine/options/json.js';
import { parseDataStructure } from '../../../engine/config/validate.js';
import { formatDiagnostic, type Diagnostic } from '../../../engine/core/errors.js';
import { FLOW_SPEC, makeConfig, planOf, positionOf, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC, structure, type ConfigParts } from '../helpers.js';

const sensor = (over: Partial<ConfigParts> = {}) => makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, ...over });

async function diag(config: unknown, spec: Parameters<typeof planOf>[1] = SENSOR_SPEC, files: Record<string, string> = {}) {
  const r = await planOf(config, spec, files);
  return { ...r, warnings: r.diagnostics.filter((d) => d.severity === 'warning') };
}

function only(errors: Diagnostic[]): Diagnostic {
  expect(errors.map((e) => `${e.path}: ${e.errorClass}: ${e.message}`)).toHaveLength(1);
  return errors[0]!;
}

/** The diagnostic points at the first occurrence of `needle` (searched after `after`) in the config text. */
function expectAt(d: Diagnostic, text: string, needle: string, after?: string): void {
  const p = positionOf(text, needle, after);
  expect({ line: d.line, column: d.column }).toEqual(p);
}

describe('a valid config compiles', () => {
  it('Section 14 config: summary of the plan', async () => {
    const { plan, diagnostics } = await diag(sensor());
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plan!.aggregation.keys.map((k) => k.name)).toEqual(['sensor_id', 'sensor_type']);
    // name → position among non-key columns (docs/semantics.md#aggregation): {counter: 0, rpm_min: 1, rpm_max: 2, rpm_sum: 3, speed_lt: 4, speed_gt: 5}
    expect(plan!.aggregation.values.map((v) => v.name)).toEqual(['counter', 'rpm_min', 'rpm_max', 'rpm_sum', 'speed_lt', 'speed_gt']);
    expect(plan!.aggregation.values.map((v) => v.type)).toEqual(['IntegerType', 'DoubleType', 'DoubleType', 'DoubleType', 'IntegerType', 'IntegerType']);
    expect(plan!.config.input.sep).toBe(',');
    expect(plan!.config.input.batchDurationSec).toBe(0);
  });
});

describe('D-01: every problem at once, each at its JSON path and position', () => {
  it('several sections wrong in one config', async () => {
    const cfg = sensor({
      outputs: [{ method: 'bogus' }],
      transformation: ['counter: one(nope)', ...SECTION14_TRANSFORMATION.slice(1)],
      analysis: { alert: { method: 'pigeon' }, accuracy: 1, historical: { method: 'x' }, rule: [] },
    });
    const { errors, text } = await diag(cfg);
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.errorClass]));
    expect(byPath).toEqual({
      'outputs[0].method': 'UnsupportedOutputFormat',
      'analysis.historical.method': 'ConfigError',
      'analysis.alert.method': 'ConfigError',
      'processing.transformation[0]': 'FieldNotExists',
    });
    // transformations are compiled in the same pass, so every error is reported at once
    expectAt(errors.find((e) => e.path === 'processing.transformation[0]')!, text, 'nope');
    const bogus = errors.find((e) => e.path === 'outputs[0].method')!;
    expect(bogus.message).toContain('Format bogus not supported');
    expectAt(bogus, text, '"bogus"');
    expectAt(errors.find((e) => e.path === 'analysis.historical.method')!, text, '"x"');
  });
  it('formatDiagnostic renders <file>:<line>:<col>: <ErrorClass>: <message>', () => {
    const d: Diagnostic = {
      file: 'c.json',
      line: 3,
      column: 7,
      endLine: 3,
      endColumn: 9,
      path: 'a.b',
      errorClass: 'InputError',
      message: 'a.b: bad',
      severity: 'error',
    };
    expect(formatDiagnostic(d)).toBe('c.json:3:7: InputError: a.b: bad');
    expect(formatDiagnostic({ ...d, severity: 'warning' })).toBe('warning: c.json:3:7: a.b: bad');
  });
  it('the config must be a JSON object; invalid JSON is one positioned diagnostic', async () => {
    expect(only((await diag('[1, 2]')).errors).message).toContain('the config must be a JSON object, got an array');
    const bad = only((await diag('{\n  "input": {,\n}')).errors);
    expect(bad.errorClass).toBe('ConfigError');
    expect(bad.message).toContain('invalid JSON');
    expect([bad.line, bad.column]).toEqual([2, 13]);
  });
});

describe('input (2.1, D-31, D-32, 15.1)', () => {
  it('missing input section: InputError with the reference phrase', async () => {
    const cfg = sensor();
    delete cfg.input;
    const e = only((await diag(cfg)).errors);
    expect(e.errorClass).toBe('InputError');
    expect(e.message).toContain('Error: Some option was miss in config file. ReadFactory cannot create Executable');
  });
  it('unsupported input_type: InputError "unsuported input format" at the value', async () => {
    const { errors, text } = await diag(sensor({ inputType: 'mqtt' }));
    const e = errors.find((x) => x.path === 'input.input_type')!;
    expect(e.errorClass).toBe('InputError');
    expect(e.message).toContain('unsuported input format');
    expectAt(e, text, '"mqtt"');
  });
  it('csv input is supported (D-32) and needs a path', async () => {
    const e = only((await diag(sensor({ options: {} }))).errors);
    expect(e.path).toBe('input.options.path');
    expect(e.message).toContain("missing required key 'path'");
  });
  it('kafka with server + port is accepted as one broker, with a warning (D-31)', async () => {
    const r = await diag(
      sensor({ inputType: 'kafka', options: { server: 'zookeeper', port: 32181, consumer_group: 'g', topic: 't', batchDuration: 10, sep: ',' } }),
    );
    expect(r.errors).toEqual([]);
    const src = r.plan!.config.input.source;
    expect(src.type === 'kafka' && src.brokers).toEqual(['zookeeper:32181']);
    expect(r.warnings.some((w) => w.path === 'input.options.server' && w.message.includes('single Kafka broker'))).toBe(true);
  });
  it('kafka needs brokers (or server + port), topic, consumer_group and batchDuration > 0', async () => {
    const { errors } = await diag(sensor({ inputType: 'kafka', options: { batchDuration: 0 } }));
    expect(errors.map((e) => e.path).sort()).toEqual([
      'input.options.batchDuration',
      'input.options.brokers',
      'input.options.consumer_group',
      'input.options.topic',
    ]);
    const bad = await diag(sensor({ inputType: 'kafka', options: { brokers: ['nohost'], topic: 't', consumer_group: 'g', batchDuration: 1 } }));
    expect(only(bad.errors).message).toContain('"host:port"');
  });
  it('unknown input.options keys are kept with a warning (15.3)', async () => {
    const r = await diag(sensor({ options: { path: 'data.csv', flavour: 'x' } }));
    expect(r.errors).toEqual([]);
    const w = r.warnings.find((x) => x.path === 'input.options.flavour')!;
    expect(w.message).toContain("config('input.options.flavour') can read it");
    expect(r.plan!.config.input.rawOptions.flavour).toBe('x');
    expect(formatDiagnostic(w)).toMatch(/^warning: /);
  });
  it('sep is honoured (D-12)', async () => {
    const r = await diag(sensor({ options: { path: 'data.csv', sep: ';' } }));
    expect(r.plan!.config.input.sep).toBe(';');
    expect(only((await diag(sensor({ options: { path: 'data.csv', sep: '' } }))).errors).path).toBe('input.options.sep');
  });
  it('event time: time_field must be a numeric data-structure field and needs batchDuration > 0', async () => {
    let e = only((await diag(sensor({ options: { path: 'd.csv', time_field: 'nope', batchDuration: 10 } }))).errors);
    expect(e.errorClass).toBe('FieldNotExists');
    expect(e.path).toBe('input.options.time_field');
    e = only((await diag(sensor({ options: { path: 'd.csv', time_field: 'sensor_type', batchDuration: 10 } }))).errors);
    expect(e.message).toContain('must be numeric');
    e = only((await diag(sensor({ options: { path: 'd.csv', time_field: 'timestamp' } }))).errors);
    expect(e.path).toBe('input.options.batchDuration');
    e = only((await diag(sensor({ options: { path: 'd.csv', time_field: 'timestamp', batchDuration: 10, time_unit: 'h' } }))).errors);
    expect(e.message).toContain('"s", "ms", "us", "ns"');
  });
  it('max_error_rate is 0–1, allowed_lateness ≥ 0', async () => {
    expect(only((await diag(sensor({ options: { path: 'd.csv', max_error_rate: 1.5 } }))).errors).message).toContain('at most 1');
    expect(only((await diag(sensor({ options: { path: 'd.csv', allowed_lateness: -1 } }))).errors).message).toContain('at least 0');
  });
});

describe('data structure (Section 3, D-13, D-14)', () => {
  it('sorted by index; gaps and duplicate indexes are allowed (D-13)', () => {
    const { fields } = parseDataStructure(
      JSON.stringify({ b: { index: 4, type: 'LongType' }, a: { index: 0, type: 'StringType' }, a2: { index: 0, type: 'StringType' } }),
      'ds.json',
    );
    expect(fields).toEqual([
      { name: 'a', index: 0, type: 'StringType' },
      { name: 'a2', index: 0, type: 'StringType' },
      { name: 'b', index: 4, type: 'LongType' },
    ]);
  });
  it('only the six parseable types (D-14); unknown names are rejected with a position', () => {
    const text =
      '{\n  "t": { "index": 0, "type": "TimestampType" },\n  "u": { "index": 1, "type": "float64" },\n  "v": { "index": -1, "type": "LongType" },\n  "w": { "type": "LongType" }\n}';
    const { fields, sink } = parseDataStructure(text, 'ds.json');
    expect(fields).toBeUndefined();
    const msgs = sink.diagnostics.map((d) => [d.path, { line: d.line, column: d.column }, d.message]);
    expect(msgs).toEqual([
      ['t.type', positionOf(text, '"TimestampType"'), expect.stringContaining("type TimestampType of field 't' cannot be parsed from text")],
      [
        'u.type',
        positionOf(text, '"float64"'),
        expect.stringContaining('unknown type "float64" for field \'u\'; use one of StringType, IntegerType, LongType, FloatType, DoubleType, BooleanType'),
      ],
      ['v.index', positionOf(text, '-1'), expect.stringContaining('non-negative integer')],
      ['w', positionOf(text, '{ "type"'), expect.stringContaining('has no "index"')],
    ]);
    expect(msgs.map((m) => m[1])).toEqual([
      { line: 2, column: 30 },
      { line: 3, column: 30 },
      { line: 4, column: 19 },
      { line: 5, column: 8 },
    ]);
  });
  it('errors of the data-structure file are reported in that file', async () => {
    const r = await diag(sensor(), { ...structure(SENSOR_SPEC), torque: { index: 6, type: 'ShortType' } });
    const e = only(r.errors);
    expect(e.file).toMatch(/ds\.json$/);
    expect(e.path).toBe('torque.type');
  });
  it('an unreadable data-structure file', async () => {
    const cfg = sensor();
    (cfg.input as Record<string, unknown>).data_structure = 'missing.json';
    const e = only((await diag(cfg)).errors);
    expect(e.path).toBe('input.data_structure');
    expect(e.message).toContain('cannot read data structure file');
  });
});

describe('outputs (2.2, D-21, D-40)', () => {
  it("unknown method: UnsupportedOutputFormat 'Format <method> not supported'", async () => {
    const { errors, text } = await diag(sensor({ outputs: [{ method: 'stdout' }, { method: 'kafka' }] }));
    const e = only(errors);
    expect(e.errorClass).toBe('UnsupportedOutputFormat');
    expect(e.path).toBe('outputs[1].method');
    expect(e.message).toContain('Format kafka not supported');
    expectAt(e, text, '"kafka"');
  });
  it('a single object is shorthand for a one-element array (D-40)', async () => {
    const r = await diag(sensor({ outputs: { method: 'stdout', options: { format: 'jsonl' } } }));
    expect(r.errors).toEqual([]);
    expect(r.plan!.config.outputs).toEqual([{ method: 'stdout', main: false, format: 'jsonl', index: 0 }]);
  });
  it('several main outputs are legal but warned about (D-21)', async () => {
    const r = await diag(
      sensor({
        outputs: [
          { method: 'sqlite', main: true, options: { path: 'a.db' } },
          { method: 'sqlite', main: true, options: { path: 'b.db' } },
        ],
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings.some((w) => w.path === 'outputs[1].main' && w.message.includes('several outputs are marked main'))).toBe(true);
  });
  it('influx outputs need their connection keys; stdout format is reference|jsonl', async () => {
    const { errors } = await diag(
      sensor({
        outputs: [
          { method: 'influx', options: { influx: { host: 'h', port: 99999 } } },
          { method: 'stdout', options: { format: 'csv' } },
        ],
      }),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      'outputs[0].options.influx.database',
      'outputs[0].options.influx.measurement',
      'outputs[0].options.influx.port',
      'outputs[1].options.format',
    ]);
  });
  it('sqlite table must be an identifier', async () => {
    expect(only((await diag(sensor({ outputs: [{ method: 'sqlite', options: { path: 'a.db', table: 'my table' } }] }))).errors).path).toBe(
      'outputs[0].options.table',
    );
  });
});

describe('processing (2.3, D-19, D-41)', () => {
  it('transformation / rule given as a single string (D-41)', async () => {
    const { errors } = await diag(sensor({ transformation: 'counter: one(timestamp)', rule: 'sum(counter)' }));
    expect(errors.map((e) => [e.path, e.errorClass, e.message])).toEqual([
      ['processing.transformation', 'ConfigError', expect.stringContaining('must be an array of strings, got a string')],
      ['processing.aggregations.rule', 'NotValidAggregationExpression', expect.stringContaining('must be an array of strings, got a string')],
    ]);
  });
  it("operation_type: NotValidAggregationExpression \"The operation '…' don't support\"", async () => {
    const e = only((await diag(sensor({ operation: 'groupBy' }))).errors);
    expect(e.errorClass).toBe('NotValidAggregationExpression');
    expect(e.message).toContain("The operation 'groupBy' don't support");
  });
  it('duplicate output column names are a validation error (D-19)', async () => {
    const { errors, text } = await diag(makeConfig({ transformation: ['a: sensor_id', 'a: timestamp'], rule: ['sum(a)'], operation: 'reduce' }));
    const e = errors[0]!;
    expect(e.errorClass).toBe('ConfigError');
    expect(e.path).toBe('processing.transformation[1]');
    expect(e.message).toContain("duplicate output column 'a'");
    expectAt(e, text, 'a: timestamp');
  });
  it('on_error is skip|fail (D-09)', async () => {
    expect((await diag(sensor())).plan!.config.onError).toBe('skip');
    expect((await diag(sensor({ processingExtra: { on_error: 'fail' } }))).plan!.config.onError).toBe('fail');
    expect(only((await diag(sensor({ processingExtra: { on_error: 'ignore' } }))).errors).path).toBe('processing.on_error');
  });
});

describe('transformation and rule diagnostics point inside the string', () => {
  it('FieldNotExists at the unknown field name', async () => {
    const cfg = makeConfig({ transformation: ['sensor_id', 'x: add(rotation_speed, nope)'], rule: ['key: sensor_id', 'sum(x)'] });
    const { errors, text } = await diag(cfg);
    const e = only(errors);
    expect(e.errorClass).toBe('FieldNotExists');
    expect(e.path).toBe('processing.transformation[1]');
    expect(e.message).toBe("processing.transformation[1]: Field with name 'nope' does not exists");
    expectAt(e, text, 'nope');
    expect(e.endColumn - e.column).toBe(4);
  });
  it('positions stay right after JSON escapes in the entry', async () => {
    const text = `{"input": {"input_type": "csv", "data_structure": "ds.json", "options": {"path": "d.csv"}}, "outputs": [], "databases": {},
 "processing": {"transformation": ["x: concat('\\u00e9\\t', nope)"], "aggregations": {"operation_type": "reduce", "rule": []}}}`;
    const e = only((await diag(text)).errors);
    expect(e.errorClass).toBe('FieldNotExists');
    expect({ line: e.line, column: e.column }).toEqual(positionOf(text, 'nope'));
  });
  it('OperationNotSupportedError at the function name; arity at the call', async () => {
    const cfg = makeConfig({ transformation: ['sensor_id', 'x: ADD(1, 2)', 'y: add(1, 2, 3)'], rule: ['key: sensor_id', 'sum(x)', 'sum(y)'] });
    const { errors, text } = await diag(cfg);
    expect(errors.map((e) => e.errorClass)).toEqual(['OperationNotSupportedError', 'IncorrectArgumentsAmountForOperationError']);
    expectAt(errors[0]!, text, 'ADD');
    expectAt(errors[1]!, text, 'add(1, 2, 3)');
  });
  it('IncorrectExpression at the offending character (D-04)', async () => {
    const cfg = makeConfig({ transformation: ['sensor_id', 'x: add(rotation_speed,)'], rule: ['key: sensor_id', 'sum(x)'] });
    const { errors, text } = await diag(cfg);
    const e = only(errors);
    expect(e.errorClass).toBe('IncorrectExpression');
    expectAt(e, text, ')"', 'add(rotation_speed,');
  });
  it('aggregation-rule errors point at the rule string', async () => {
    const cfg = makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: [...SECTION14_RULE.slice(0, 6), 'count(speed_gt)'] });
    const { errors, text } = await diag(cfg);
    const e = only(errors);
    expect(e.errorClass).toBe('NotValidAggregationExpression');
    expect(e.path).toBe('processing.aggregations.rule[6]');
    expect(e.message).toContain("Unsupported function(s): {'count'}");
    expectAt(e, text, '"count(speed_gt)"');
  });
  it('the "every column must be used" rule reports at the rule list', async () => {
    const cfg = makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE.slice(0, 6) });
    const e = only((await diag(cfg)).errors);
    expect(e.path).toBe('processing.aggregations.rule');
    expect(e.message).toContain("transformed field(s) not used in aggregation: {'speed_gt'}");
  });
  it('transformed column names of the input schema may be reused (5.3): dst_ip: 13', async () => {
    const r = await diag(makeConfig({ transformation: ['dst_ip: 13', 'src_ip'], rule: ['key: src_ip', 'sum(dst_ip)'] }), FLOW_SPEC);
    expect(r.errors).toEqual([]);
  });
});

describe('databases (2.4)', () => {
  it('listed files must exist; a missing section is a warning', async () => {
    const cfg = sensor();
    cfg.databases = { country: './GeoLite2-Country.mmdb' };
    const e = only((await diag(cfg)).errors);
    expect(e.path).toBe('databases.country');
    expect(e.message).toContain('does not exist');
    expect((await diag(sensor(), SENSOR_SPEC, { 'GeoLite2-Country.mmdb': 'x' })).errors).toEqual([]);
    const noDb = sensor();
    delete noDb.databases;
    const r = await diag(noDb);
    expect(r.errors).toEqual([]);
    expect(r.warnings.some((w) => w.message.includes("missing 'databases' section"))).toBe(true);
  });
  it('unknown top-level keys are ignored with a warning', async () => {
    const r = await diag(sensor({ extra: { colour: 'blue' } }));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toContain("unknown top-level key 'colour' is ignored");
  });
});

describe('sandbox (docs/sandbox.md)', () => {
  it('limits default to 1000 ms per row or call, 5000 ms at start-up, 512 MB; analysis.timeout_ms defaults to sandbox.timeout_ms', async () => {
    const { plan } = await diag(sensor());
    expect(plan!.config.sandbox).toEqual({ timeoutMs: 1000, startupTimeoutMs: 5000, memoryMb: 512, files: [] });
    const analysis = {
      alert: { method: 'stdout' },
      accuracy: 1,
      rule: [{ module: 'SimpleAnalysis', name: 'S', options: { deviation: { rpm_max: 5 }, batch_number: 1 } }],
    };
    const outputs = [{ method: 'sqlite', main: true, options: { path: 'store.db' } }];
    const limited = await diag(sensor({ outputs, analysis, extra: { sandbox: { timeout_ms: 250, startup_timeout_ms: 900, memory_mb: 96 } } }));
    expect(limited.errors).toEqual([]);
    expect(limited.plan!.config.sandbox).toMatchObject({ timeoutMs: 250, startupTimeoutMs: 900, memoryMb: 96 });
    expect(limited.plan!.config.analysis!.timeoutMs).toBe(250);
    const own = await diag(sensor({ outputs, analysis: { ...analysis, timeout_ms: 40 }, extra: { sandbox: { timeout_ms: 250 } } }));
    expect(own.plan!.config.analysis!.timeoutMs).toBe(40);
  });

  it('bad limits and grants are errors at their place', async () => {
    const cfg = sensor({
      extra: { sandbox: { timeout_ms: 0, startup_timeout_ms: 1.5, memory_mb: 16, files: ['../secret.txt', 'missing.csv', 7, '/etc/passwd'], colour: 1 } },
    });
    const { errors, warnings, text } = await diag(cfg);
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      ['sandbox.timeout_ms', 'sandbox.timeout_ms must be at least 1, got 0'],
      ['sandbox.startup_timeout_ms', 'sandbox.startup_timeout_ms must be an integer, got 1.5'],
      ['sandbox.memory_mb', 'sandbox.memory_mb must be at least 64, got 16'],
      ['sandbox.files[0]', 'sandbox.files[0]: only files inside the project folder can be granted, not "../secret.txt"'],
      ['sandbox.files[1]', expect.stringMatching(/^sandbox\.files\[1\]: granted file .*missing\.csv does not exist$/)],
      ['sandbox.files[2]', 'sandbox.files[2] must be a file path relative to the config file, got a number'],
      ['sandbox.files[3]', 'sandbox.files[3]: only files inside the project folder can be granted, not "/etc/passwd"'],
    ]);
    expectAt(errors[0]!, text, '0', '"timeout_ms"');
    expectAt(errors[3]!, text, '"../secret.txt"');
    expect(warnings.map((w) => w.message)).toContain("sandbox.colour: unknown key 'colour' in sandbox is ignored");
    const notObject = await diag(sensor({ extra: { sandbox: [] } }));
    expect(notObject.errors.map((e) => [e.path, e.message])).toEqual([
      ['sandbox', 'sandbox must be an object {"timeout_ms", "startup_timeout_ms", "memory_mb", "files"}, got an array'],
    ]);
  });
});

describe('analysis (2.5, 10, D-21…D-23, D-35, D-45)', () => {
  const sqliteOut = [{ method: 'sqlite', main: true, options: { path: 'store.db' } }];
  const rule = (options: Record<string, unknown>, module = 'SimpleAnalysis') => ({ module, name: 'S1', options });

  it('history defaults to the main output (D-21)', async () => {
    const r = await diag(
      sensor({ outputs: sqliteOut, analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [rule({ deviation: { rpm_max: 10 }, batch_number: 1 })] } }),
    );
    expect(r.errors).toEqual([]);
    expect(r.plan!.config.analysis!.history).toEqual({ method: 'sqlite', path: expect.stringMatching(/store\.db$/), table: 'points' });
    expect(r.plan!.config.analysis!.alerts).toEqual([{ method: 'stdout', format: 'reference', timezone: 'utc' }]);
  });
  it('without historical and without a main output: an error naming the fix', async () => {
    const e = only((await diag(sensor({ analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [] } }))).errors);
    expect(e.path).toBe('analysis.historical');
    expect(e.message).toContain('"main": true');
  });
  it('unknown historical.method / alert.method are start-up errors (D-23)', async () => {
    const { errors, text } = await diag(
      sensor({ outputs: sqliteOut, analysis: { historical: { method: 'mongo' }, alert: { method: 'email' }, accuracy: 1, rule: [] } }),
    );
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      ['analysis.historical.method', expect.stringContaining('unknown history method "mongo"')],
      ['analysis.alert.method', expect.stringContaining('unknown alert method "email"')],
    ]);
    expectAt(errors[0]!, text, '"mongo"');
    expectAt(errors[1]!, text, '"email"');
  });
  it('alert.option and alert.options are both accepted; both at once is an error (D-22)', async () => {
    const base = { outputs: sqliteOut };
    const a = (alert: unknown) => sensor({ ...base, analysis: { alert, accuracy: 1, rule: [] } });
    expect((await diag(a({ method: 'kafka', option: { brokers: ['k:9092'], topic: 'alerts' } }))).errors).toEqual([]);
    expect((await diag(a({ method: 'kafka', options: { brokers: ['k:9092'], topic: 'alerts' } }))).errors).toEqual([]);
    const both = only((await diag(a({ method: 'kafka', option: { brokers: ['k:9092'], topic: 'a' }, options: { brokers: ['k:9092'], topic: 'a' } }))).errors);
    expect(both.message).toContain("has both 'option' and 'options'");
    // rule[].option (a sample's spelling) works like options
    const r = await diag(
      sensor({
        ...base,
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [{ module: 'SimpleAnalysis', name: 'S', option: { deviation: { rpm_max: 5 }, batch_number: 2 } }],
        },
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.plan!.config.analysis!.rules[0]!.options).toEqual({ deviation: { rpm_max: 5 }, batch_number: 2 });
  });
  it('accuracy ≥ batchDuration only warns (D-45)', async () => {
    const r = await diag(
      sensor({
        options: { path: 'd.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: sqliteOut,
        analysis: { alert: { method: 'stdout' }, accuracy: 10, rule: [] },
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings.some((w) => w.path === 'analysis.accuracy' && w.message.includes('Current accuracy 10 is more or equal batch duration 10'))).toBe(true);
  });
  it('UnsupportedAnalysisFormat for a deviation column that is not aggregated', async () => {
    const { errors, text } = await diag(
      sensor({
        outputs: sqliteOut,
        analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [rule({ deviation: { sensor_id: 10, nope: 5 }, batch_number: 1 })] },
      }),
    );
    expect(errors.map((e) => [e.errorClass, e.path])).toEqual([
      ['UnsupportedAnalysisFormat', 'analysis.rule[0].options.deviation.sensor_id'],
      ['UnsupportedAnalysisFormat', 'analysis.rule[0].options.deviation.nope'],
    ]);
    expect(errors[0]!.message).toContain(
      "An error in the analysis rule. The field {'sensor_id'} is not contained in set of fields after aggregation operation (it is a key field)",
    );
    expectAt(errors[1]!, text, '5', '"nope"');
  });
  it('built-in options: batch_number / num_average must be integers ≥ 1, deviation non-empty', async () => {
    const { errors } = await diag(
      sensor({
        outputs: sqliteOut,
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [rule({ deviation: {}, batch_number: 0 }), rule({ deviation: { rpm_sum: -1 } }, 'AverageAnalysis')],
        },
      }),
    );
    expect(errors.map((e) => e.path)).toEqual([
      'analysis.rule[0].options.deviation',
      'analysis.rule[0].options.batch_number',
      'analysis.rule[1].options.deviation.rpm_sum',
      'analysis.rule[1].options.num_average',
    ]);
  });
  it('ImportError: Missing required analysis module', async () => {
    const { errors } = await diag(
      sensor({
        outputs: sqliteOut,
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [
            { module: 'FancyAnalysis', name: 'F', options: {} },
            { module: './nope.js', name: 'N', options: {} },
          ],
        },
      }),
    );
    expect(errors.map((e) => [e.errorClass, e.path])).toEqual([['ImportError', 'analysis.rule[1].module']]);
    expect(errors[0]!.message).toContain('Missing required analysis module [./nope.js]');
    const named = await diag(
      sensor({ outputs: sqliteOut, analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: 'FancyAnalysis', name: 'F', options: {} }] } }),
    );
    const e = only(named.errors);
    expect(e.errorClass).toBe('ImportError');
    expect(e.message).toContain('Missing required analysis module [FancyAnalysis]');
  });
  it('legacy time_delta form becomes module "Analysis" (10.7, D-35); unknown columns are UnsupportedAnalysisFormat', async () => {
    const ok = await diag(sensor({ outputs: sqliteOut, analysis: { alert: { method: 'stdout' }, accuracy: 1, time_delta: 60, rule: { rpm_sum: 10 } } }));
    expect(ok.errors).toEqual([]);
    expect(ok.plan!.config.analysis!.rules).toEqual([
      { module: 'Analysis', builtin: true, name: 'Analysis', options: { deviation: { rpm_sum: 10 }, time_delta: 60 }, index: 0 },
    ]);
    const bad = only(
      (await diag(sensor({ outputs: sqliteOut, analysis: { alert: { method: 'stdout' }, accuracy: 1, time_delta: 60, rule: { traffic: 10 } } }))).errors,
    );
    expect(bad.errorClass).toBe('UnsupportedAnalysisFormat');
    expect(bad.message).toBe(
      "analysis.rule: An error in the analysis rule. The field {'traffic'} is not contained in set of fields after aggregation operation",
    );
  });
  it('positions of analysis diagnostics are line/column of the value', async () => {
    const { errors, text } = await diag(sensor({ outputs: sqliteOut, analysis: { alert: { method: 'stdout', format: 'xml' }, accuracy: -1, rule: [] } }));
    expect(errors.map((e) => e.path)).toEqual(['analysis.accuracy', 'analysis.alert.format']);
    expectAt(errors[0]!, text, '-1');
    expectAt(errors[1]!, text, '"xml"');
    const d = errors[0]!;
    const p = lineCol(lineStartsOf(text), text.indexOf('-1'));
    expect([d.line, d.column]).toEqual([p.line, p.column]);
    expect([d.endLine, d.endColumn]).toEqual([p.line, p.column + 2]);
  });
});
