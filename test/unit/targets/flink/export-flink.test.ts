/**
 * `ts-engine export … --target flink`: the listed changes of meaning, refusals
 * (exit 2, nothing written), Python twins, secrets, and the project's files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../../engine/pipeline/plan.js';
import { KAFKA_CLIENTS, KAFKA_CONNECTOR, planFlinkExport } from '../../../../engine/targets/flink/export-flink.js';
import { CLI, ROOT } from '../../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-flink-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function project(name: string, files: Record<string, string | object>): string {
  const dir = path.join(tmp, name);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), typeof content === 'string' ? content : JSON.stringify(content, null, 1));
  }
  return path.join(dir, 'config.json');
}

const STRUCTURE = { ts: { index: 0, type: 'LongType' }, key: { index: 1, type: 'StringType' }, x: { index: 2, type: 'DoubleType' } };

function config(extra: Record<string, unknown> = {}, transformation = ['key', 'm: x']): Record<string, unknown> {
  return {
    input: { input_type: 'csv', data_structure: 'structure.json', options: { path: 'data.csv', batchDuration: 10, time_field: 'ts' } },
    outputs: [{ method: 'stdout', options: { format: 'jsonl' } }],
    processing: { transformation, aggregations: { operation_type: 'reduceByKey', rule: ['key: key', 'max(m)'] } },
    databases: {},
    ...extra,
  };
}

const EXT_JS = `export const transformFunctions = [{ name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'], returns: 'DoubleType',
  apply: (x, lo, hi) => Math.min(Math.max(x, lo), hi) }];\n`;
const EXT_PY = `transform_functions = {'clamp': lambda x, lo, hi: min(max(x, lo), hi)}\n`;

function exportCli(cfg: string, out: string, ...flags: string[]) {
  return spawnSync(process.execPath, [CLI, 'export', cfg, out, '--target', 'flink', ...flags], { encoding: 'utf8' });
}

async function plan(cfg: string) {
  const outcome = await checkConfig(cfg);
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return planFlinkExport(outcome);
}

describe('export --target flink', () => {
  it('lists the sensor sample’s changes of meaning and refuses without --allow-lossy, writing nothing', () => {
    const out = path.join(tmp, 'sensors-refused');
    const r = exportCli(path.join(ROOT, 'samples/sensors/config.json'), out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('outputs[0]: [lossy] the sqlite output');
    expect(r.stderr).toContain('analysis.historical: [lossy] history comes from the job');
    expect(r.stderr).toContain('pass --allow-lossy');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('writes a self-contained project with --allow-lossy: job, package, requirements, README, the connector coordinates', () => {
    const out = path.join(tmp, 'sensors');
    const r = exportCli(path.join(ROOT, 'samples/sensors/config.json'), out, '--allow-lossy');
    expect(r.status).toBe(0);
    for (const f of [
      'job.py',
      'requirements.txt',
      'README.md',
      'pom.xml',
      'tsengine_job/generated.py',
      'tsengine_job/runtime.py',
      'tsengine_job/flink_ops.py',
    ]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'requirements.txt'), 'utf8')).toBe('apache-flink==2.3.0\n');
    const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('python job.py --replay');
    expect(readme).toContain('flink run -py job.py');
    expect(readme).toContain(`${KAFKA_CONNECTOR.group}:${KAFKA_CONNECTOR.artifact}:${KAFKA_CONNECTOR.version}`);
    expect(readme).toContain(`${KAFKA_CLIENTS.group}:${KAFKA_CLIENTS.artifact}:${KAFKA_CLIENTS.version}`);
    expect(readme).toContain('`outputs[0]` (lossy)');
    const pom = fs.readFileSync(path.join(out, 'pom.xml'), 'utf8');
    expect(pom).toContain(`<artifactId>${KAFKA_CONNECTOR.artifact}</artifactId><version>${KAFKA_CONNECTOR.version}</version>`);
    // the generated module compiles
    const py = spawnSync(
      'python3',
      ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import tsengine_job.generated as g; print(g.SETTINGS["mode"], g.KEY_NAMES)', out],
      {
        encoding: 'utf8',
      },
    );
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe("event ['sensor_id', 'sensor_type']");
  });

  it('keeps secrets out of every file: {"env": NAME} placeholders, listed in the README', () => {
    const out = path.join(tmp, 'influx');
    const r = exportCli(path.join(ROOT, 'samples/sensors/config-influx.json'), out);
    expect(r.status).toBe(0);
    for (const f of ['tsengine_job/generated.py', 'README.md']) {
      const text = fs.readFileSync(path.join(out, f), 'utf8');
      expect(text).not.toMatch(/"password":\s*"root"/);
    }
    const gen = fs.readFileSync(path.join(out, 'tsengine_job/generated.py'), 'utf8');
    expect(gen).toContain('{"env":"TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD"}');
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('`TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD`: outputs[0].options.influx.password');
    expect(r.stderr).toContain('analysis.alert: alert messages carry no Kafka message key');
  });

  it('says that a processing-time config becomes event time over ingestion timestamps', async () => {
    const cfg = project('processing', {
      'structure.json': STRUCTURE,
      'config.json': {
        ...config(),
        input: {
          input_type: 'kafka',
          data_structure: 'structure.json',
          options: { brokers: ['localhost:9092'], topic: 't', consumer_group: 'g', batchDuration: 10 },
        },
      },
    });
    const exp = await plan(cfg);
    expect(exp.changes).toContainEqual({
      kind: 'note',
      path: 'input.options.batchDuration',
      message: 'processing-time windows become event-time windows over ingestion timestamps (the time the job reads each row)',
    });
    expect(exp.changes.some((c) => c.kind !== 'note')).toBe(false);
  });

  it('lists a rule’s alert lifecycle as a lossy change: the job alerts once per deviating window', async () => {
    const rule = (extra: Record<string, unknown>) => ({ module: 'SimpleAnalysis', name: 'S', options: { deviation: { m: 1 }, batch_number: 1 }, ...extra });
    const cfg = project('lifecycle', {
      'structure.json': STRUCTURE,
      'config.json': {
        ...config(),
        outputs: [{ method: 'sqlite', main: true, options: { path: 'points.db', table: 'points' } }],
        analysis: {
          accuracy: 0,
          alert: [{ method: 'stdout', option: { format: 'jsonl' } }],
          rule: [rule({}), rule({ name: 'L', for: 2, no_data: 3 })],
        },
      },
    });
    const exp = await plan(cfg);
    const lifecycle = exp.changes.filter((c) => c.message.includes('alert lifecycle'));
    expect(lifecycle).toEqual([
      {
        kind: 'lossy',
        path: 'analysis.rule[1]',
        message:
          'the alert lifecycle (for 2, keep_firing_for 0, recovery_band 1, no_data 3, notify transitions) is not exported: the Flink job alerts once per deviating window, with no states, no_data or alert_id',
      },
    ]);
  });

  it('refuses JavaScript extension functions and analysis modules without a Python twin, naming each by JSON path', () => {
    const cfg = project('no-twin', {
      'structure.json': STRUCTURE,
      'ext.mjs': EXT_JS,
      'an.mjs': 'export default class An { analysis() {} }\n',
      'config.json': config(
        {
          extensions: ['./ext.mjs'],
          analysis: {
            historical: { method: 'sqlite', sqlite_options: { path: 'h.db' } },
            alert: { method: 'stdout' },
            accuracy: 1,
            rule: [{ module: './an.mjs' }],
          },
        },
        ['key', 'm: clamp(x, 0, 10)'],
      ),
    });
    const r = exportCli(cfg, path.join(tmp, 'no-twin-out'), '--allow-lossy');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('extensions[0]: [blocker] extension function clamp (used by processing.transformation[1]) is JavaScript');
    expect(r.stderr).toContain('analysis.rule[0].module: [blocker] analysis module');
    expect(r.stderr).toContain('no form in the flink target');
    expect(fs.existsSync(path.join(tmp, 'no-twin-out'))).toBe(false);
  });

  it('exports Python twins named beside the JS paths, and checks that they exist', async () => {
    const files = {
      'structure.json': STRUCTURE,
      'ext.mjs': EXT_JS,
      'ext_twin.py': EXT_PY,
      'an.mjs': 'export default class An { analysis() {} }\n',
      'an.py': 'class An:\n    def __init__(self, options, name):\n        pass\n\n    def analysis(self, history, alerts):\n        pass\n',
    };
    const cfg = project('twins', {
      ...files,
      'config.json': config(
        {
          extensions: [{ module: './ext.mjs', python: './ext_twin.py' }],
          analysis: {
            historical: { method: 'sqlite', sqlite_options: { path: 'h.db' } },
            alert: { method: 'stdout' },
            accuracy: 1,
            rule: [{ module: './an.mjs', python: './an.py#An' }],
          },
        },
        ['key', 'm: clamp(x, 0, 10)'],
      ),
    });
    const exp = await plan(cfg);
    expect(exp.changes.filter((c) => c.kind === 'blocker')).toEqual([]);
    const gen = (exp.files.get('tsengine_job/generated.py') as { text: string }).text;
    expect(gen).toContain("U_clamp = _twin0.transform_functions['clamp']");
    expect(gen).toContain("call_twin(U_clamp, 'clamp', 'DoubleType', r[2], 0, 10)");
    expect([...exp.files.keys()].filter((f) => f.startsWith('twins/')).sort()).toEqual(['twins/t0_an.py', 'twins/t1_ext_twin.py']);

    const missing = project('twin-missing', {
      ...files,
      'config.json': config({ extensions: [{ module: './ext.mjs', python: './nowhere.py' }] }, ['key', 'm: clamp(x, 0, 10)']),
    });
    const outcome = await checkConfig(missing);
    expect(outcome.diagnostics.map((d) => `${d.path}: ${d.errorClass}`)).toContain('extensions[0].python: ImportError');
  });
});
