// `ts-engine backtest` (docs/backtest.md): episodes of each rule scored against a labels file, sweeps, text and JSON reports, exit codes.
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, ROOT, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

/**
 * Keys A, B, C send one row per 10 s window, value 100, for windows 0..9. A jumps to 300 in window 3, C in window 6,
 * B in window 7. With SimpleAnalysis at 50 % against the previous window, the jump and the fall back both deviate:
 * episodes A [30, 50), C [60, 80), B [70, 90) (seconds).
 */
function dataCsv(): string {
  const spike: Record<string, number> = { A: 3, B: 7, C: 6 };
  const lines: string[] = [];
  for (let w = 0; w < 10; w++) for (const k of ['A', 'B', 'C']) lines.push(`${w * 10 + 1},${k},${spike[k] === w ? 300 : 100}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A 32..38: inside A's first window → TP, delay 0. A 45..60: overlaps A's episode (a label counts on its own) → TP, delay 0.
 * A 95..99: no episode → FN. B 10..20: nothing there → FN. C 45..65: starts two windows before C fires → TP, delay 2.
 * B's episode overlaps no label → FP. So TP 3, FP 1, FN 2.
 */
const LABELS = [
  'k,start,end,label',
  '# comments and blank lines are skipped',
  '',
  'A,32,38,jump',
  'A,1970-01-01T00:00:45Z,1970-01-01T00:01:00Z,after',
  'A,95,99,',
  'B,10,20,missed',
  'C,45,65,early',
].join('\n');

const JUMP = {
  alert: { method: 'stdout' },
  accuracy: 2,
  rule: [{ module: 'SimpleAnalysis', name: 'Jump', options: { deviation: { vmax: 50 }, batch_number: 1 } }],
};

function project(analysis: unknown = JUMP) {
  const dir = tmp();
  const config = makeConfig({
    options: { path: 'data.csv', sep: ',', batchDuration: 10, time_field: 't', time_unit: 's' },
    // outputs are off in a backtest: the store is never created
    outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db', table: 'points' } }],
    transformation: ['k', 'vmax: v'],
    rule: ['key: k', 'max(vmax)'],
    ...(analysis !== null ? { analysis } : {}),
  });
  writeFiles(dir, {
    'config.json': config,
    'ds.json': structure({ t: [0, 'LongType'], k: [1, 'StringType'], v: [2, 'DoubleType'] }),
    'data.csv': dataCsv(),
    'labels.csv': LABELS,
  });
  return dir;
}

describe('ts-engine backtest', () => {
  it('scores episodes against labels: overlap of the same key is a hit, a label counts once, delays in windows', () => {
    const dir = project();
    const r = cli(['backtest', 'config.json', '--labels', 'labels.csv', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toMatch(/^finished: 30 rows, 10 windows of 10 s, 0 row errors, 5 labels, in /m);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sweep).toBeNull();
    expect(out.rules).toHaveLength(1);
    const rule = out.rules[0];
    expect(rule).toMatchObject({ name: 'Jump', module: 'SimpleAnalysis', tp: 3, fp: 1, fn: 2, episodes: 3 });
    expect(rule.precision).toBeCloseTo(0.75, 12);
    expect(rule.recall).toBeCloseTo(0.6, 12);
    expect(rule.f1).toBeCloseTo(2 / 3, 12);
    expect(rule.mean_delay_windows).toBeCloseTo(2 / 3, 12);
    // the documented keys come first
    expect(Object.keys(rule).slice(0, 8)).toEqual(['name', 'precision', 'recall', 'f1', 'tp', 'fp', 'fn', 'mean_delay_windows']);
    expect(rule.true_positives.map((t: { line: number; delay_windows: number }) => [t.line, t.delay_windows])).toEqual([
      [4, 0],
      [5, 0],
      [8, 2],
    ]);
    expect(rule.true_positives[0].episodes).toEqual(["Jump/('A',)/vmax/1970-01-01T00:00:30.000Z"]);
    expect(rule.true_positives[1].episodes).toEqual(rule.true_positives[0].episodes);
    expect(rule.false_positives).toEqual([
      {
        id: "Jump/('B',)/vmax/1970-01-01T00:01:10.000Z",
        key: "('B',)",
        field: 'vmax',
        window_start: '1970-01-01T00:01:10Z',
        window_end: '1970-01-01T00:01:30Z',
        windows: 2,
        alerts: 2,
      },
    ]);
    expect(rule.false_negatives.map((l: { line: number; label: string | null }) => [l.line, l.label])).toEqual([
      [7, 'missed'],
      [6, null],
    ]);
    expect(out).toMatchObject({ labels: 5, rows: 30, windows: 10, batch_duration_sec: 10, stopped: false, warnings: [] });
  });

  it('text: one table line per rule, --details lists false negatives and false positives', () => {
    const dir = project();
    const r = cli(['backtest', 'config.json', '--labels', 'labels.csv', '--details'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'backtest of data.csv against labels.csv (5 labels, 10 windows of 10 s)',
        'rule  module          episodes  TP  FP  FN  precision  recall     F1  delay (windows)',
        'Jump  SimpleAnalysis         3   3   1   2      0.750   0.600  0.667             0.67',
        'Jump false negatives (labels no episode overlaps):',
        "  ('B',) 1970-01-01T00:00:10Z..1970-01-01T00:00:20Z missed (labels line 7)",
        "  ('A',) 1970-01-01T00:01:35Z..1970-01-01T00:01:39Z (labels line 6)",
        'Jump false positives (episodes overlapping no label):',
        "  ('B',) vmax 1970-01-01T00:01:10Z..1970-01-01T00:01:30Z (2 windows, 2 alerts)",
        '',
      ].join('\n'),
    );
  });

  it('--sweep scores every grid value in one pass and names the best F1; refused values are listed', () => {
    const dir = project();
    const r = cli(['backtest', 'config.json', '--labels', 'labels.csv', '--sweep', 'Jump.deviation.vmax=-75..225:100'], { cwd: dir });
    expect(r.status).toBe(0);
    const sweep = r.stdout.slice(r.stdout.indexOf('\nsweep'));
    // 25 %: jump and fall both deviate (as at 50 %); 125 %: only the jump, so A's second label is missed; 225 %: nothing
    expect(sweep).toMatch(/^\nsweep Jump\.deviation\.vmax = -75\.\.225:100\n/);
    const rows = sweep.split('\n').slice(2, 6);
    expect(rows[0]).toMatch(/^deviation\.vmax\s+episodes\s+TP\s+FP\s+FN\s+precision\s+recall\s+F1\s+delay \(windows\)$/);
    expect(rows.slice(1).map((l) => l.trim().split(/\s+/))).toEqual([
      ['25', '3', '3', '1', '2', '0.750', '0.600', '0.667', '0.67'],
      ['125', '3', '2', '1', '3', '0.667', '0.400', '0.500', '1.00'],
      ['225', '0', '0', '0', '5', '-', '0.000', '0.000', '-'],
    ]);
    expect(sweep).toMatch(/\ndeviation\.vmax = -75 refused: analysis\.rule\[0\]\.options\.deviation\.vmax: .+\n/);
    expect(sweep.endsWith('best F1 0.667 at deviation.vmax = 25\n')).toBe(true);

    const json = JSON.parse(
      cli(['backtest', 'config.json', '--labels', 'labels.csv', '--sweep', 'Jump.deviation.vmax=25..225:100', '--format', 'json'], { cwd: dir }).stdout,
    );
    expect(json.rows).toBe(30);
    expect(json.sweep).toMatchObject({ rule: 'Jump', option: 'deviation.vmax', from: 25, to: 225, step: 100, best: { value: 25 } });
    expect(json.sweep.points.map((p: { value: number; tp: number; fp: number; fn: number }) => [p.value, p.tp, p.fp, p.fn])).toEqual([
      [25, 3, 1, 2],
      [125, 2, 1, 3],
      [225, 0, 0, 5],
    ]);
  });

  it('the sample scores with its shipped labels', () => {
    const r = cli(
      ['backtest', 'samples/sensors/config.json', '--labels', 'samples/sensors/data/labels.csv', '--sweep', 'Avg6.num_average=2..10:4', '--format', 'json'],
      {
        cwd: ROOT,
      },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(18000);
    expect(out.labels).toBe(13);
    expect(out.rules.map((x: Record<string, unknown>) => [x.name, x.episodes, x.tp, x.fp, x.fn])).toEqual([
      ['Simple1', 18, 12, 5, 1],
      ['Avg6', 17, 13, 4, 0],
    ]);
    expect(out.sweep.points.map((p: Record<string, unknown>) => [p.value, p.episodes, p.tp, p.fp, p.fn])).toEqual([
      [2, 22, 12, 9, 1],
      [6, 17, 13, 4, 0],
      [10, 14, 13, 1, 0],
    ]);
    expect(out.sweep.best).toEqual({ value: 10, f1: 26 / 27 });
  });

  it('exit 2 for a labels file with errors, each at its line and column', () => {
    const dir = project();
    writeFiles(dir, { 'labels.csv': 'k,start,end\nA,10,5\nB,x,20\n' });
    const r = cli(['backtest', 'config.json', '--labels', 'labels.csv'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'labels.csv:2:6: InputError: end 5 is before start 10',
      'labels.csv:3:3: InputError: start "x" is neither an epoch time in s nor an ISO 8601 time',
    ]);
  });

  it('exit 2 for a missing labels file, an invalid config and a config without analysis', () => {
    const dir = project();
    let r = cli(['backtest', 'config.json', '--labels', 'none.csv'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^backtest: cannot read the labels file none\.csv: no such file$/m);
    const bare = project(null);
    r = cli(['backtest', 'config.json', '--labels', 'labels.csv'], { cwd: bare });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('backtest: nothing to backtest: the config has no analysis section\n');
    writeFiles(dir, { 'config.json': '{"input": 1}' });
    r = cli(['backtest', 'config.json', '--labels', 'labels.csv'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^config\.json:1:11: InputError: input must be an object, got a number$/m);
  });

  it('exit 1 for usage errors: no --labels, an unreadable or unknown --sweep', () => {
    const dir = project();
    let r = cli(['backtest', 'config.json'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^backtest needs --labels <labels\.csv>\nUsage:/);
    r = cli(['backtest', 'config.json', '--labels', 'labels.csv', '--sweep', 'Jump.deviation.vmax=1..5'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^backtest: --sweep must be <rule>\.<option>=<from>\.\.<to>:<step>/);
    r = cli(['backtest', 'config.json', '--labels', 'labels.csv', '--sweep', 'Nope.x=1..5:1'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^backtest: --sweep "Nope\.x" names no rule of the config \(rules: Jump\)/);
  });
});
