// User analysis modules (docs/semantics.md#user-code) run in the sandbox process with a time limit per call: a module that hangs
// or throws is reported, its alerts for that row are lost, and the run goes on.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../../engine/pipeline/runner.js';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import type { Alert } from '../../../engine/components/types.js';
import { Collect, makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles, rpmAnalysisPlan } from '../helpers.js';

const tmp = useTmpDir();

const WATCH = `
export class Watch {
  constructor(options, name) { this.name = name; this.limit = options.limit; }
  async analysis(history, alerts) {
    const cur = history.current();
    if (cur.rpm_max > 5000) { for (;;) {} }          // hangs
    if (cur.rpm_max < 0) throw new Error('negative rpm');
    const prev = await history.get(1);
    if (typeof prev.rpm_max === 'number' && cur.rpm_max > prev.rpm_max + this.limit) {
      await alerts.send({ module: this.name, timestamp: 0,
        param: { key: cur.key, field: 'rpm_max', lower_bound: 0, upper_bound: prev.rpm_max + this.limit, value: cur.rpm_max } });
    }
  }
}`;

// the reference's keyword form: send_message(AnalysisModule=…, timestamp=…, param={…})
const KEYWORD = `
export default class {
  constructor(options, name) { this.name = name; }
  analysis(history, alert_sender) {
    const cur = history.current();
    if (cur.rpm_max === 1050) alert_sender.send_message({ AnalysisModule: this.name, timestamp: 1,
      param: { key: cur.key, field: 'rpm_max', lower_bound: 1, upper_bound: 2, value: cur.rpm_max } });
  }
}`;

describe('user analysis in the sandbox', () => {
  it('a module that hangs is cut off and reported, one that throws is reported, the run goes on', async () => {
    const dir = tmp();
    const T0 = 1523800000;
    const rpms = [1000, 9999, -5, 1000, 1050];
    const plan = await rpmAnalysisPlan(dir, {
      files: { 'Watch.mjs': WATCH, 'keyword.mjs': KEYWORD },
      rows: rpms.map((rpm, i) => `${T0 + 10 * i},1,a,0,0,${rpm},0`),
      analysis: {
        alert: { method: 'stdout' },
        accuracy: 1,
        timeout_ms: 1000,
        rule: [
          { module: './Watch.mjs', name: 'W', options: { limit: 100 } },
          { module: './keyword.mjs', name: 'K', options: {} },
        ],
      },
    });
    const stdout = new Collect();
    const warnings: string[] = [];
    const alerts: Alert[] = [];
    const stats = await new Runner(plan, { stdout, warn: (m) => warnings.push(m), onAlert: (a) => alerts.push(a) }).run();

    expect(stats.state).toBe('finished');
    expect(warnings).toEqual([
      expect.stringMatching(
        /^analysis W \(.*Watch\.mjs\) failed for window ending 2018-04-15T13:47:00\.000Z key=\(1,\): timed out after 1000 ms; its alerts for this row are lost$/,
      ),
      expect.stringMatching(
        /^analysis W \(.*Watch\.mjs\) failed for window ending 2018-04-15T13:47:10\.000Z key=\(1,\): negative rpm; its alerts for this row are lost$/,
      ),
    ]);
    expect(stdout.text.split('\n')).toEqual([
      "W: Time: 2018-04-15 13:47:20. Parameter 'rpm_max' for key=(1,) out of range [0.0,95.0] and equal 1000.0",
      "K: Time: 2018-04-15 13:47:30. Parameter 'rpm_max' for key=(1,) out of range [1.0,2.0] and equal 1050.0",
      '',
    ]);
    expect(alerts.map((a) => [a.module, a.timeMs])).toEqual([
      ['W', (T0 + 40) * 1000],
      ['K', (T0 + 50) * 1000],
    ]);
    expect(stats.analysis).toMatchObject({ records: 5, failures: 2, alerts: 2 });
  }, 20_000);

  it('check reports a module without an analysis class as ImportError', async () => {
    const dir = tmp();
    writeFiles(dir, {
      'Empty.mjs': 'export const x = 1;\n',
      'Broken.mjs': 'export class Broken { analysis( {\n',
      'ds.json': structure(SENSOR_SPEC),
      'config.json': makeConfig({
        transformation: ['sensor_id', 'r: rotation_speed'],
        rule: ['key: sensor_id', 'max(r)'],
        outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [
            { module: './Empty.mjs', name: 'E', options: {} },
            { module: './Broken.mjs', name: 'B', options: {} },
          ],
        },
      }),
    });
    const outcome = await checkConfig(path.join(dir, 'config.json'));
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.errorClass, d.path])).toEqual([
      ['ImportError', 'analysis.rule[0].module'],
      ['ImportError', 'analysis.rule[1].module'],
    ]);
    expect(errors[0]!.message).toContain('exports no class with an analysis(history, alerts) method (export class Empty or a default export)');
    expect(errors[1]!.message).toContain('Missing required analysis module [');
  });

  /** A project with one user analysis module (its source), run over five windows of one key. */
  async function runAnalysis(module: string, sandbox: Record<string, unknown> = {}) {
    const dir = tmp();
    const T = 1523800000;
    const plan = await rpmAnalysisPlan(dir, {
      files: { 'Mod.mjs': module },
      rows: [100, 200, 300, 400, 500].map((rpm, i) => `${T + 10 * i},1,a,0,0,${rpm},0`),
      analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: './Mod.mjs', name: 'M', options: {} }] },
      sandbox,
    });
    const warnings: string[] = [];
    const stdout = new Collect();
    const runner = new Runner(plan, { stdout, warn: (m) => warnings.push(m) });
    const result = await runner.run().then(
      (stats) => ({ stats, error: undefined }),
      (e: Error) => ({ stats: runner.stats(), error: e.message }),
    );
    return { ...result, warnings, stdout: stdout.text };
  }

  it('a constructor that hangs is cut off at start-up (sandbox.startup_timeout_ms) and the run fails before reading a row', async () => {
    const r = await runAnalysis('export class Mod { constructor() { for (;;) {} } analysis() {} }', { startup_timeout_ms: 1000 });
    expect(r.error).toMatch(/^Missing required analysis module: starting Mod \(.*Mod\.mjs\) timed out after 1000 ms$/);
    expect(r.stats.rowsRead).toBe(0);
  });

  /** alerts when the value grew; `bad` is what it does on the record whose rpm_max is 300 */
  const growth = (bad: string) => `export class Mod {
    async analysis(history, alerts) {
      const cur = history.current();
      const prev = await history.get(1);
      if (cur.rpm_max === 300) { ${bad} }
      if (typeof prev.rpm_max === 'number')
        await alerts.send({ module: 'M', timestamp: 0, param: { key: cur.key, field: 'rpm_max', lower_bound: 0, upper_bound: prev.rpm_max, value: cur.rpm_max } });
    }
  }`;
  // the first record has no history and the third fails: the other three alert
  const alerted = ['[0.0,100.0] and equal 200.0', '[0.0,300.0] and equal 400.0', '[0.0,400.0] and equal 500.0'];
  const alertsOf = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => /out of range (.*)$/.exec(l)?.[1]);

  it("a call that hangs after awaiting history is that record's failure, and the run goes on", async () => {
    const r = await runAnalysis(growth('for (;;) {}'), { timeout_ms: 1000 });
    expect(r.error).toBeUndefined();
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^analysis M \(.*Mod\.mjs\) failed for window ending 2018-04-15T13:47:10\.000Z key=\(1,\): timed out after 1000 ms; its alerts for this row are lost$/,
      ),
    ]);
    expect(alertsOf(r.stdout)).toEqual(alerted);
  }, 30_000);

  it("a call that fills memory is that record's failure; the next call runs in a fresh sandbox", async () => {
    const r = await runAnalysis(growth('const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(1));'), { timeout_ms: 60_000, memory_mb: 128 });
    expect(r.error).toBeUndefined();
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^analysis M \(.*Mod\.mjs\) failed for window ending 2018-04-15T13:47:10\.000Z key=\(1,\): user code in Mod\.mjs exceeded the sandbox memory limit of 128 MB \(sandbox\.memory_mb\); the sandbox was stopped; its alerts for this row are lost$/,
      ),
    ]);
    expect(alertsOf(r.stdout)).toEqual(alerted);
  }, 60_000);
});
