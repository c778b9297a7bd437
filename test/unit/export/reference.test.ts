// Export for production (engine/export/reference.ts, `ts-engine export`): reference format, dropped keys, secrets.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envNameFor, exportProject, toReferenceConfig } from '../../../engine/export/reference.js';

const root = path.resolve(import.meta.dirname, '../../..');

const full = {
  input: {
    input_type: 'kafka',
    data_structure: 'ds.json',
    options: {
      brokers: ['kafka1:9092', 'kafka2:9092'],
      topic: 'flows',
      consumer_group: 'g',
      batchDuration: 60,
      sep: ',',
      time_field: 'timestamp',
      time_unit: 'ms',
      allowed_lateness: 5,
      speed: 10,
      max_error_rate: 0.1,
      sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' },
    },
  },
  outputs: [
    {
      method: 'influx',
      main: true,
      options: {
        influx: { host: 'db', port: 8086, username: 'root', password: 'secret', database: 'dev', measurement: 'points' },
        batch_size: 100,
        max_retries: 3,
      },
    },
    { method: 'sqlite', options: { path: 'x.db' } },
    { method: 'stdout', options: { format: 'jsonl' } },
  ],
  processing: { transformation: ['a'], aggregations: { operation_type: 'reduce', rule: ['sum(a)'] }, on_error: 'skip' },
  databases: {},
  extensions: ['./ext.js'],
  analysis: {
    alert: [{ method: 'stdout', format: 'jsonl', timezone: 'local' }, { method: 'sqlite' }],
    accuracy: 2,
    timeout_ms: 500,
    rule: [{ module: 'SimpleAnalysis', name: 'S', option: { deviation: { a: 5 }, batch_number: 1 }, for: 2, notify: 'every' }],
  },
};

describe('toReferenceConfig', () => {
  const r = toReferenceConfig(full);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const c = r.config as any;

  it('drops ts-engine-only keys and lists each dropped JSON path', () => {
    for (const k of ['time_field', 'time_unit', 'allowed_lateness', 'speed', 'max_error_rate', 'brokers']) {
      expect(c.input.options).not.toHaveProperty(k);
      expect(r.dropped).toContain(`input.options.${k}`);
    }
    expect(r.dropped).toEqual(
      expect.arrayContaining([
        'outputs[1]',
        'outputs[2].options.format',
        'outputs[0].options.batch_size',
        'outputs[0].options.max_retries',
        'processing.on_error',
        'extensions',
        'analysis.timeout_ms',
        'analysis.alert[0].format',
        'analysis.alert[0].timezone',
        'analysis.alert[1]',
        'analysis.rule[0].for',
        'analysis.rule[0].notify',
      ]),
    );
    expect(c.outputs.map((o: { method: string }) => o.method)).toEqual(['influx', 'stdout']);
    expect(c.outputs[1]).toEqual({ method: 'stdout' });
    expect(c).not.toHaveProperty('extensions');
    expect(c.processing).not.toHaveProperty('on_error');
    expect(c.analysis).not.toHaveProperty('timeout_ms');
    for (const p of r.dropped) expect(r.warnings.some((w) => w.includes(p))).toBe(true);
  });

  it('turns brokers into server + port of the first broker and warns about the rest', () => {
    expect(c.input.options.server).toBe('kafka1');
    expect(c.input.options.port).toBe(9092);
    expect(r.warnings.join('\n')).toContain('kept only the first broker');
  });

  it('replaces secrets by ${ENV} placeholders named after their path', () => {
    expect(c.outputs[0].options.influx.password).toBe('${TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD}');
    expect(c.input.options.sasl.password).toBe('${TS_ENGINE_INPUT_SASL_PASSWORD}');
    expect(r.secrets).toEqual({
      'input.options.sasl.password': '${TS_ENGINE_INPUT_SASL_PASSWORD}',
      'outputs[0].options.influx.password': '${TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD}',
    });
    expect(JSON.stringify(c)).not.toContain('hunter2');
    expect(JSON.stringify(c)).not.toContain('secret');
  });

  it('writes the reference spellings: one alert object with "option", rules with "options", history from the main influx output', () => {
    expect(c.analysis.alert).toEqual({ method: 'stdout' });
    expect(c.analysis.rule[0]).toEqual({ module: 'SimpleAnalysis', name: 'S', options: { deviation: { a: 5 }, batch_number: 1 } });
    expect(c.analysis.historical).toEqual({
      method: 'influx',
      influx_options: { host: 'db', port: 8086, username: 'root', password: '${TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD}', database: 'dev', measurement: 'points' },
    });
  });

  it('keeps csv input with a warning, leaves the original untouched, adds databases', () => {
    const csv = {
      input: { input_type: 'csv', data_structure: 'd.json', options: { path: 'x.csv', header: true, batchDuration: 0 } },
      outputs: { method: 'stdout' },
      processing: {},
    };
    const before = JSON.stringify(csv);
    const e = toReferenceConfig(csv);
    expect(JSON.stringify(csv)).toBe(before);
    expect(e.warnings[0]).toContain('"csv"');
    expect(e.dropped).toContain('input.options.header');
    expect((e.config as any).outputs).toEqual([{ method: 'stdout' }]);
    expect((e.config as any).databases).toEqual({});
    expect(e.secrets).toEqual({});
  });

  it('drops a cassandra output and a cassandra history (ts-engine only): no password of theirs reaches the export', () => {
    const cassandra = { contact_points: ['c1:9042'], keyspace: 'ks', username: 'u', password: 'cass-secret' };
    const cfg = {
      ...full,
      outputs: [...full.outputs, { method: 'cassandra', options: cassandra }],
      analysis: { ...full.analysis, historical: { method: 'cassandra', cassandra_options: cassandra } },
    };
    const x = toReferenceConfig(cfg);
    expect(x.dropped).toEqual(expect.arrayContaining(['outputs[3]', 'analysis.historical']));
    expect(x.warnings.join('\n')).toMatch(/dropped outputs\[3\]: the reference has no Cassandra output/);
    expect(JSON.stringify(x.config)).not.toContain('cass-secret');
  });

  it('leaves placeholders that are already there alone', () => {
    const e = toReferenceConfig({ outputs: [{ method: 'influx', options: { influx: { password: '${MY_PW}', measurement: 'm' } } }] });
    expect((e.config as any).outputs[0].options.influx.password).toBe('${MY_PW}');
    expect(e.secrets).toEqual({});
  });

  it('derives environment names from JSON paths', () => {
    expect(envNameFor('outputs[0].options.influx.password')).toBe('TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD');
    expect(envNameFor('analysis.historical.influx_options.token')).toBe('TS_ENGINE_ANALYSIS_HISTORICAL_INFLUX_TOKEN');
    expect(envNameFor('analysis.alert.option.sasl.password')).toBe('TS_ENGINE_ANALYSIS_ALERT_SASL_PASSWORD');
  });
});

describe('exportProject and `ts-engine export`', () => {
  it('writes config, data structure and user analysis modules into the folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-export-'));
    fs.mkdirSync(path.join(dir, 'analysis'));
    fs.writeFileSync(path.join(dir, 'ds.json'), '{"a": {"index": 0, "type": "LongType"}}');
    fs.writeFileSync(path.join(dir, 'analysis', 'Mine.js'), 'export class Mine { analysis() {} }');
    const cfg = {
      input: { input_type: 'csv', data_structure: 'ds.json', options: { path: 'in.csv', batchDuration: 10, time_field: 'a' } },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'x.db' } }, { method: 'stdout' }],
      processing: { transformation: ['a'], aggregations: { operation_type: 'reduce', rule: ['sum(a)'] } },
      databases: {},
      analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: './analysis/Mine.js', name: 'M' }] },
    };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    const out = path.join(dir, 'out');
    const r = exportProject(path.join(dir, 'config.json'), out);
    expect(r.files).toEqual(['config.json', 'ds.json', 'analysis/Mine.js']);
    expect(fs.readFileSync(path.join(out, 'analysis', 'Mine.js'), 'utf8')).toContain('class Mine');
    const written = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(written.analysis.rule[0].module).toBe('analysis/Mine.js');
    expect(written.input.options).toEqual({ path: 'in.csv', batchDuration: 10 });
    expect(r.warnings.join('\n')).toContain('port it to a Python class');
    expect(() => exportProject(path.join(dir, 'config.json'), dir)).toThrow(/must differ/);
  });

  it('the CLI refuses the sensors sample (event time would become processing time), exports it with --allow-lossy, refuses an invalid config', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-export-cli-'));
    const sample = path.join(root, 'samples/sensors/config.json');
    const refused = spawnSync(process.execPath, [path.join(root, 'bin/ts-engine.mjs'), 'export', sample, out, '--target', 'reference'], { encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('input.options.time_field: [lossy] dropped input.options.time_field');
    expect(refused.stderr).toContain('event-time windows become processing-time windows');
    expect(refused.stderr).toContain('pass --allow-lossy');
    expect(fs.readdirSync(out)).toEqual([]);
    const stdout = execFileSync(process.execPath, [path.join(root, 'bin/ts-engine.mjs'), 'export', sample, out, '--target', 'reference', '--allow-lossy'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(stdout).toContain('config.json');
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'data_structure.json']);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.outputs).toEqual([{ method: 'stdout' }]);

    const bad = path.join(out, 'bad.json');
    fs.writeFileSync(bad, '{"input": {}}');
    const r = spawnSync(process.execPath, [path.join(root, 'bin/ts-engine.mjs'), 'export', bad, path.join(out, 'x')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nothing written');
    expect(fs.existsSync(path.join(out, 'x'))).toBe(false);
  });
});
