// `ts-engine check` (docs/semantics.md#cli): exit 0 + "OK", or exit 2 with `<file>:<line>:<col>: <ErrorClass>: <message>` per line on
// stderr, line/column of the offending JSON value. Every error class (docs/semantics.md#error-classes) that check can produce appears here.
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, positionOf, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();
const DIAG = /^(?<file>[^:\s]+):(?<line>\d+):(?<col>\d+): (?<cls>[A-Za-z]+): (?<msg>.+)$/;

interface Diag {
  file: string;
  line: number;
  col: number;
  cls: string;
  msg: string;
}

/** Writes config.json (text as given) + ds.json and runs `check config.json` in that dir. */
function check(
  config: string | object,
  extra: Record<string, string | object> = {},
): { status: number | null; stdout: string; diags: Diag[]; warnings: string[]; text: string } {
  const dir = tmp();
  const text = typeof config === 'string' ? config : JSON.stringify(config, null, 2) + '\n';
  writeFiles(dir, { 'config.json': text, 'ds.json': structure(SENSOR_SPEC), 'data.csv': '', ...extra });
  const r = cli(['check', 'config.json'], { cwd: dir });
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  const warnings = lines.filter((l) => l.startsWith('warning: '));
  const diags = lines
    .filter((l) => !l.startsWith('warning: '))
    .map((l) => {
      const m = DIAG.exec(l);
      expect(m, `not a diagnostic line: ${l}`).not.toBeNull();
      const g = m!.groups!;
      return { file: g.file!, line: Number(g.line), col: Number(g.col), cls: g.cls!, msg: g.msg! };
    });
  return { status: r.status, stdout: r.stdout, diags, warnings, text };
}

const at = (text: string, needle: string, after?: string) => {
  const p = positionOf(text, needle, after);
  return { line: p.line, col: p.column };
};
const pos = (d: Diag) => ({ line: d.line, col: d.col });

const valid = () => makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE, options: { path: 'data.csv' } });

describe('ts-engine check', () => {
  it('a valid config: exit 0, OK on stdout, nothing on stderr', () => {
    const r = check(valid());
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('OK\n');
    expect(r.diags).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('warnings go to stderr prefixed "warning:" and do not change the exit code', () => {
    const cfg = valid();
    (cfg.input as { options: Record<string, unknown> }).options.flavour = 'x';
    const r = check(cfg);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('OK\n');
    expect(r.warnings).toHaveLength(1);
    const p = at(r.text, '"flavour"');
    expect(r.warnings[0]).toBe(
      `warning: config.json:${p.line}:${p.col}: unknown key 'flavour' in input.options is kept (config('input.options.flavour') can read it) but not used by the csv source`,
    );
  });

  it('transformation errors: FieldNotExists, OperationNotSupportedError, IncorrectArgumentsAmountForOperationError, IncorrectArgumentTypeForOperationError, IncorrectExpression', () => {
    const cfg = makeConfig({
      transformation: ['sensor_id', 'a: add(rotation_speed, nope)', 'b: ADD(1, 2)', 'c: add(1, 2, 3)', 'd: mul(sensor_type, 2)', 'e: add(1,)', 'f: add((1,2)'],
      rule: ['key: sensor_id', 'sum(a)', 'sum(b)', 'sum(c)', 'sum(d)', 'sum(e)', 'sum(f)'],
      options: { path: 'data.csv' },
    });
    const r = check(cfg);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.diags.map((d) => [d.file, d.cls, d.msg])).toEqual([
      ['config.json', 'FieldNotExists', "processing.transformation[1]: Field with name 'nope' does not exists"],
      ['config.json', 'OperationNotSupportedError', "processing.transformation[2]: Operation 'ADD' is not supported."],
      ['config.json', 'IncorrectArgumentsAmountForOperationError', "processing.transformation[3]: Operation 'add' expects 2 arguments, got 3."],
      [
        'config.json',
        'IncorrectArgumentTypeForOperationError',
        'processing.transformation[4]: StringType is not in list: mul expects numeric arguments, argument 1 is StringType',
      ],
      ['config.json', 'IncorrectExpression', "processing.transformation[5]: Incorrect expression: expected an argument after ',' but found ')'"],
      ['config.json', 'IncorrectExpression', 'processing.transformation[6]: Incorrect expression: 1 open brackets and 0 close brackets '],
    ]);
    // line/column point at the offending character inside the JSON string
    expect(r.diags.map(pos)).toEqual([
      at(r.text, 'nope'),
      at(r.text, 'ADD'),
      at(r.text, 'add(1, 2, 3)'),
      at(r.text, 'sensor_type, 2'),
      at(r.text, ')', 'e: add(1,'),
      at(r.text, 'add((1,2)'),
    ]);
  });

  it('aggregation errors: NotValidAggregationExpression at the rule', () => {
    const r = check(
      makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: [...SECTION14_RULE.slice(0, 6), 'count(speed_gt)'], options: { path: 'data.csv' } }),
    );
    expect(r.status).toBe(2);
    expect(r.diags).toEqual([
      {
        file: 'config.json',
        ...at(r.text, '"count(speed_gt)"'),
        cls: 'NotValidAggregationExpression',
        msg: "processing.aggregations.rule[6]: Unsupported function(s): {'count'}",
      },
    ]);
    const r2 = check(
      makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: ['sum(counter)', ...SECTION14_RULE.slice(2)], options: { path: 'data.csv' } }),
    );
    expect(r2.diags.map((d) => [d.cls, d.msg])).toEqual([['NotValidAggregationExpression', expect.stringContaining("don't contain key field")]]);
  });

  it('config-level errors: InputError, UnsupportedOutputFormat, ConfigError — all reported at once (D-01)', () => {
    const text = `{
  "input": { "input_type": "mqtt", "data_structure": "ds.json", "options": { "path": "data.csv" } },
  "outputs": [ { "method": "stdout" }, { "method": "carrier-pigeon" } ],
  "processing": { "transformation": ["sensor_id"], "aggregations": { "operation_type": "reduceByKey", "rule": ["key: sensor_id"] } },
  "databases": {},
  "analysis": { "historical": { "method": "sqlite", "sqlite_options": { "path": "h.db" } }, "alert": { "method": "stdout" }, "accuracy": "two", "rule": [] }
}
`;
    const r = check(text);
    expect(r.status).toBe(2);
    expect(r.diags).toEqual([
      {
        file: 'config.json',
        ...at(text, '"mqtt"'),
        cls: 'InputError',
        msg: 'input.input_type: Error: input_type "mqtt" unsuported input format (supported: "csv", "kafka"). ReadFactory cannot create Executable',
      },
      {
        file: 'config.json',
        ...at(text, '"carrier-pigeon"'),
        cls: 'UnsupportedOutputFormat',
        msg: 'outputs[1].method: Format carrier-pigeon not supported (use "stdout", "sqlite", "influx", "cassandra" or "file")',
      },
      { file: 'config.json', ...at(text, '"two"'), cls: 'ConfigError', msg: 'analysis.accuracy must be a number, got a string' },
    ]);
  });

  it('analysis errors: UnsupportedAnalysisFormat, ImportError', () => {
    const cfg = valid();
    cfg.outputs = [{ method: 'sqlite', main: true, options: { path: 'store.db' } }];
    cfg.analysis = {
      alert: { method: 'stdout' },
      accuracy: 1,
      rule: [
        { module: 'SimpleAnalysis', name: 'S', options: { deviation: { traffic: 5 }, batch_number: 1 } },
        { module: './missing/Thing.js', name: 'T', options: {} },
      ],
    };
    const r = check(cfg);
    expect(r.status).toBe(2);
    expect(r.diags.map((d) => [d.cls, d.msg.slice(0, 60)])).toEqual([
      ['ImportError', expect.stringContaining('analysis.rule[1].module: Missing required analysis m')],
    ]);
    expect(pos(r.diags[0]!)).toEqual(at(r.text, '"./missing/Thing.js"'));
    // with the module fixed, the unknown deviation column is reported
    (cfg.analysis as { rule: unknown[] }).rule.pop();
    const r2 = check(cfg);
    expect(r2.diags).toEqual([
      {
        file: 'config.json',
        ...at(r2.text, '5', '"traffic"'),
        cls: 'UnsupportedAnalysisFormat',
        msg: expect.stringContaining(
          "analysis.rule[0].options.deviation.traffic: An error in the analysis rule. The field {'traffic'} is not contained in set of fields after aggregation operation",
        ),
      },
    ]);
  });

  it('data-structure errors name the data-structure file', () => {
    const ds = '{\n  "timestamp": { "index": 0, "type": "TimestampType" }\n}\n';
    const r = check(valid(), { 'ds.json': ds });
    expect(r.status).toBe(2);
    expect(at(ds, '"TimestampType"')).toEqual({ line: 2, col: 38 });
    expect(r.diags).toEqual([
      {
        file: 'ds.json',
        line: 2,
        col: 38,
        cls: 'ConfigError',
        msg: expect.stringContaining("timestamp.type: type TimestampType of field 'timestamp' cannot be parsed from text"),
      },
    ]);
  });

  it('invalid JSON: one diagnostic at the syntax error', () => {
    const r = check('{\n  "input": {\n    "input_type": "csv",,\n  }\n}\n');
    expect(r.status).toBe(2);
    expect(r.diags).toEqual([{ file: 'config.json', line: 3, col: 25, cls: 'ConfigError', msg: expect.stringContaining('invalid JSON') }]);
  });

  it('usage errors exit 1', () => {
    const r = cli(['check']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('check takes exactly one argument: the config file');
    const missing = cli(['check', '/nonexistent/config.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^\/nonexistent\/config\.json:1:1: ConfigError: cannot read config file: /);
  });
});

describe('ts-engine check --connect', () => {
  const closedPort = async () => {
    const net = await import('node:net');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  };

  it('names each unreachable server on one line and exits 1; a config without servers is OK', async () => {
    const kafkaPort = await closedPort();
    const influxPort = await closedPort();
    const dir = tmp();
    writeFiles(dir, {
      'config.json': makeConfig({
        inputType: 'kafka',
        transformation: ['sensor_id', 'n: one(timestamp)'],
        rule: ['key: sensor_id', 'sum(n)'],
        options: { brokers: [`127.0.0.1:${kafkaPort}`], topic: 't', consumer_group: 'g', batchDuration: 10 },
        outputs: [{ method: 'stdout' }, { method: 'influx', options: { influx: { host: '127.0.0.1', port: influxPort, database: 'db', measurement: 'm' } } }],
      }),
      'ds.json': structure(SENSOR_SPEC),
    });
    const r = cli(['check', '--connect', '--timeout', '3', `${dir}/config.json`]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: input: kafka 127.0.0.1:${kafkaPort}: cannot connect to Kafka at 127.0.0.1:${kafkaPort}: connection refused`,
      `error: outputs[1]: influx http://127.0.0.1:${influxPort}: cannot reach InfluxDB at http://127.0.0.1:${influxPort}: connection refused`,
    ]);
    const csv = tmp();
    writeFiles(csv, {
      'config.json': makeConfig({ transformation: SECTION14_TRANSFORMATION, rule: SECTION14_RULE }),
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': '',
    });
    const ok = cli(['check', '--connect', `${csv}/config.json`]);
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, 'OK\n', 'no connections to check (no Kafka or InfluxDB in this config)\n']);
    expect(cli(['check', '--connect', '--timeout', '0', `${csv}/config.json`]).status).toBe(1);
  });
});
