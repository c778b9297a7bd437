// `ts-engine diff` (docs/backtest.md#diff): two configs on the same data, differing windows, values and alerts; exit 0 equal, 1 different, 2 invalid.
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

/** keys A, B, C, one row per 10 s window at 100; A jumps to 300 in window 3, C in window 6, B in window 7; A has a second row (50) in window 0 */
function dataCsv(): string {
  const spike: Record<string, number> = { A: 3, B: 7, C: 6 };
  const lines = ['2,A,50'];
  for (let w = 0; w < 10; w++) for (const k of ['A', 'B', 'C']) lines.push(`${w * 10 + 1},${k},${spike[k] === w ? 300 : 100}`);
  return `${lines.join('\n')}\n`;
}

function config(opts: { pct?: number; aggregate?: string } = {}) {
  return makeConfig({
    options: { path: 'data.csv', sep: ',', batchDuration: 10, time_field: 't', time_unit: 's' },
    outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db', table: 'points' } }],
    transformation: ['k', 'vmax: v'],
    rule: ['key: k', `${opts.aggregate ?? 'max'}(vmax)`],
    analysis: {
      alert: { method: 'stdout' },
      accuracy: 2,
      rule: [{ module: 'SimpleAnalysis', name: 'Jump', options: { deviation: { vmax: opts.pct ?? 50 }, batch_number: 1 } }],
    },
  });
}

function project(b: object) {
  const dir = tmp();
  writeFiles(dir, {
    'a.json': config(),
    'b.json': b,
    'ds.json': structure({ t: [0, 'LongType'], k: [1, 'StringType'], v: [2, 'DoubleType'] }),
    'data.csv': dataCsv(),
  });
  return dir;
}

describe('ts-engine diff', () => {
  it('exit 0 and says so when both configs give the same windows and alerts', () => {
    const dir = project(config());
    const r = cli(['diff', 'a.json', 'b.json'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a = a.json, b = b.json, both on data.csv (10 and 10 windows)\nno difference: the same windows, keys, values and alerts\n');
  });

  it('another threshold: the alerts only a raises and those whose bounds changed, exit 1', () => {
    const dir = project(config({ pct: 125 }));
    const r = cli(['diff', 'a.json', 'b.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      [
        'a = a.json, b = b.json, both on data.csv (10 and 10 windows)',
        '0 windows differ; alerts: 3 only in a, 0 only in b, 3 changed',
        'alerts only in a:',
        "  Jump ('A',) vmax at 1970-01-01T00:00:50Z: 100 outside [150, 450]",
        "  Jump ('C',) vmax at 1970-01-01T00:01:20Z: 100 outside [150, 450]",
        "  Jump ('B',) vmax at 1970-01-01T00:01:30Z: 100 outside [150, 450]",
        'alerts in both with other values:',
        "  Jump ('A',) vmax at 1970-01-01T00:00:40Z: 300 outside [50, 150]; b: 300 outside [-25, 225]",
        "  Jump ('C',) vmax at 1970-01-01T00:01:10Z: 300 outside [50, 150]; b: 300 outside [-25, 225]",
        "  Jump ('B',) vmax at 1970-01-01T00:01:20Z: 300 outside [50, 150]; b: 300 outside [-25, 225]",
        '',
      ].join('\n'),
    );
  });

  it('another aggregate: the window and value that differ with both values; JSON for the workbench', () => {
    const dir = project(config({ aggregate: 'sum' }));
    const r = cli(['diff', 'a.json', 'b.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n').slice(1, 4)).toEqual([
      '1 windows differ; alerts: 0 only in a, 0 only in b, 0 changed',
      'window 1970-01-01T00:00:00Z..1970-01-01T00:00:10Z',
      "  ~ ('A',).vmax: a 100, b 150",
    ]);
    const json = JSON.parse(cli(['diff', 'a.json', 'b.json', '--format', 'json'], { cwd: dir }).stdout);
    expect(json).toMatchObject({ ok: true, equal: false, windowsA: 10, windowsB: 10, windowsDiffering: 1, alertCounts: { added: 0, removed: 0, changed: 0 } });
    expect(json.windows).toEqual([
      { start: 0, end: 10_000, added: [], removed: [], changed: [{ key: { k: 'A' }, keyText: "('A',)", columns: [{ name: 'vmax', a: 100, b: 150 }] }] },
    ]);
  });

  it('exit 2 for an invalid config, positioned', () => {
    const dir = project(config());
    writeFiles(dir, { 'b.json': '{"input": 1}' });
    const r = cli(['diff', 'a.json', 'b.json'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^b\.json:1:11: InputError: input must be an object, got a number$/m);
  });
});
