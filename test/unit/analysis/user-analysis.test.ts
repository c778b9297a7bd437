// User analysis modules (docs/semantics.md#user-code) run off the main thread with a time limit per call: a module that hangs
// or throws is reported, its alerts for that row are lost, and the run goes on.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../../engine/pipeline/runner.js';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import type { Alert } from '../../../engine/components/types.js';
import { Collect, makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

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

describe('user analysis in a worker', () => {
  it('a module that hangs is cut off and reported, one that throws is reported, the run goes on', async () => {
    const dir = tmp();
    const T0 = 1523800000;
    const rpms = [1000, 9999, -5, 1000, 1050];
    writeFiles(dir, {
      'Watch.mjs': WATCH,
      'keyword.mjs': KEYWORD,
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': rpms.map((rpm, i) => `${T0 + 10 * i},1,a,0,0,${rpm},0`).join('\n') + '\n',
      'config.json': makeConfig({
        transformation: ['sensor_id', 'rpm_max: rotation_speed'],
        rule: ['key: sensor_id', 'max(rpm_max)'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          timeout_ms: 1000,
          rule: [
            { module: './Watch.mjs', name: 'W', options: { limit: 100 } },
            { module: './keyword.mjs', name: 'K', options: {} },
          ],
        },
      }),
    });
    const outcome = await checkConfig(path.join(dir, 'config.json'));
    expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const stdout = new Collect();
    const warnings: string[] = [];
    const alerts: Alert[] = [];
    const stats = await new Runner(outcome.plan!, { stdout, warn: (m) => warnings.push(m), onAlert: (a) => alerts.push(a) }).run();

    expect(stats.state).toBe('finished');
    expect(warnings).toEqual([
      expect.stringMatching(
        /^analysis W \(.*Watch\.mjs\) failed for window ending 2018-04-15T13:47:00\.000Z key=\(1,\): timed out after 1000 ms; the analysis worker was restarted; its alerts for this row are lost$/,
      ),
      expect.stringMatching(
        /^analysis W \(.*Watch\.mjs\) failed for window ending 2018-04-15T13:47:10\.000Z key=\(1,\): Error: negative rpm; its alerts for this row are lost$/,
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
});
