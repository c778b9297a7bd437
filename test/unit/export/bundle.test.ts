/**
 * The ts-engine export target (engine/export/bundle.ts, the default of `ts-engine export`): the round trip
 * on the sensors sample (check on the bundle exits 0, run gives byte-identical JSONL), modules with their
 * local imports, secrets as ${ENV} placeholders with .env.example, and the missing-variable diagnostic.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { planBundle, serviceName } from '../../../engine/export/bundle.js';
import { CLI, ROOT } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-bundle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tsEngine(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The sensors sample in a folder of its own, printing windows and alerts as JSON lines, with an extension that imports a helper. */
function sensorsProject(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'samples/sensors/data/sensors.csv'), path.join(dir, 'data/sensors.csv'));
  fs.copyFileSync(path.join(ROOT, 'samples/sensors/data_structure.json'), path.join(dir, 'data_structure.json'));
  fs.writeFileSync(path.join(dir, 'lib/limits.mjs'), 'export const clampTo = (x, lo, hi) => Math.min(Math.max(x, lo), hi);\n');
  fs.writeFileSync(
    path.join(dir, 'ext.mjs'),
    "import { clampTo } from './lib/limits.mjs';\nexport const transformFunctions = [{ name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'], returns: 'DoubleType', apply: clampTo }];\n",
  );
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/sensors/config.json'), 'utf8'));
  cfg.outputs[1] = { method: 'stdout', options: { format: 'jsonl' } };
  cfg.analysis.alert = { method: 'stdout', format: 'jsonl' };
  cfg.extensions = ['./ext.mjs'];
  cfg.processing.transformation.push('rpm_clamped: clamp(rotation_speed, 500.0, 4500.0)');
  cfg.processing.aggregations.rule.push('max(rpm_clamped)');
  // "1.0" must stay a double: the bundle keeps the config's text, not a re-serialisation
  const text = JSON.stringify(cfg, null, 2).replace('"accuracy": 2', '"accuracy": 2.0');
  fs.writeFileSync(path.join(dir, 'config.json'), text);
  return path.join(dir, 'config.json');
}

describe('export --target ts-engine (the production bundle)', () => {
  it('round trip: check on the bundle exits 0, run gives byte-identical JSONL', () => {
    const config = sensorsProject('sensors');
    const out = path.join(tmp, 'sensors-bundle');
    const exported = tsEngine(['export', config, out]);
    expect(exported.stderr).toContain('export (ts-engine): changes of meaning:');
    expect(exported.stderr).not.toContain('[lossy]');
    expect(exported.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(
      ['.env.example', '.gitignore', 'README.md', 'config.json', 'data', 'data_structure.json', 'ext.mjs', 'lib', 'ts-engine-sensors.service'].sort(),
    );
    expect(fs.readFileSync(path.join(out, 'lib/limits.mjs'), 'utf8')).toContain('clampTo');
    expect(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).toContain('"accuracy": 2.0');

    expect(tsEngine(['check', path.join(out, 'config.json')]).status).toBe(0);
    const original = tsEngine(['run', config]);
    const bundled = tsEngine(['run', path.join(out, 'config.json')]);
    expect(original.status).toBe(0);
    expect(bundled.status).toBe(0);
    expect(original.stdout.split('\n').length).toBeGreaterThan(100);
    expect(original.stdout).toContain('{"module": "Avg6"');
    expect(bundled.stdout).toBe(original.stdout);
  });

  it('the unit and README give the exact command to run the bundle as a service', () => {
    const out = path.join(tmp, 'sensors-bundle');
    const unit = fs.readFileSync(path.join(out, 'ts-engine-sensors.service'), 'utf8');
    expect(unit).toContain(`WorkingDirectory=${out}\n`);
    expect(unit).toContain(`EnvironmentFile=${out}/.env\n`);
    expect(unit).toContain(`ExecStart=${process.execPath} ${CLI} run ${out}/config.json\n`);
    expect(unit).toContain('RestartPreventExitStatus=2');
    const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('sudo systemctl enable --now ts-engine-sensors');
    expect(readme).toContain(`${process.execPath} ${CLI} run config.json`);
  });

  it('writes each secret as a ${ENV} placeholder named in .env.example; check says which variable is missing, where', () => {
    const dir = path.join(tmp, 'influx');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'samples/sensors/data_structure.json'), path.join(dir, 'data_structure.json'));
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/sensors/config-influx.json'), 'utf8'));
    cfg.outputs[0].options.influx.password = 'hunter2';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    const out = path.join(tmp, 'influx-bundle');
    const exported = tsEngine(['export', path.join(dir, 'config.json'), out]);
    expect(exported.status).toBe(0);
    expect(exported.stderr).toContain(
      'outputs[0].options.influx.password: the secret is read from the environment variable TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD',
    );
    for (const f of fs.readdirSync(out)) {
      if (fs.statSync(path.join(out, f)).isFile()) expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toContain('hunter2');
    }
    const bundled = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(bundled.outputs[0].options.influx.password).toBe('${TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD}');
    expect(fs.readFileSync(path.join(out, '.env.example'), 'utf8')).toContain('# outputs[0].options.influx.password\nTS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD=\n');

    const missing = tsEngine(['check', path.join(out, 'config.json')]);
    expect(missing.status).toBe(2);
    const line =
      fs
        .readFileSync(path.join(out, 'config.json'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('"password"')) + 1;
    expect(missing.stderr).toMatch(
      new RegExp(
        `config\\.json:${line}:\\d+: ConfigError: outputs\\[0\\]\\.options\\.influx\\.password: missing environment variable TS_ENGINE_OUTPUTS_0_INFLUX_PASSWORD`,
      ),
    );
    const names = [...fs.readFileSync(path.join(out, '.env.example'), 'utf8').matchAll(/^([A-Z0-9_]+)=$/gm)].map((m) => m[1]!);
    expect(names).toContain('TS_ENGINE_ANALYSIS_HISTORICAL_INFLUX_PASSWORD');
    expect(tsEngine(['check', path.join(out, 'config.json')], Object.fromEntries(names.map((n) => [n, 'hunter2']))).status).toBe(0);
    // exporting the bundle again keeps its placeholders without needing their values
    const again = tsEngine(['export', path.join(out, 'config.json'), path.join(tmp, 'influx-bundle-2')]);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'influx-bundle-2/config.json'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  });

  it('refuses a module that imports a file outside the project, and names the unit after the config', () => {
    const dir = path.join(tmp, 'outside', 'project');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'outside', 'shared.mjs'), 'export const k = 1;\n');
    fs.writeFileSync(path.join(dir, 'ext.mjs'), "import { k } from '../shared.mjs';\nexport const transformFunctions = [];\n");
    fs.writeFileSync(path.join(dir, 'jobs.json'), JSON.stringify({ extensions: ['ext.mjs'] }));
    const plan = planBundle(path.join(dir, 'jobs.json'));
    expect(plan.changes).toEqual([
      { kind: 'blocker', path: 'extensions[0]', message: expect.stringContaining('imports ../shared.mjs, which is outside the project') },
    ]);
    expect(serviceName(plan)).toBe('ts-engine-jobs');
  });
});
