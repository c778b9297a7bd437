// Deterministic replay (docs/semantics.md#windows, docs/semantics.md#the-store, docs/semantics.md#one-timestamp-per-window): the sensor sample under event time gives byte-identical JSONL output and
// the same alerts on every run, and a second run into the same SQLite file leaves the same rows (no duplicates).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliAsync, ROOT, useTmpDir } from '../helpers.js';

const tmp = useTmpDir();
const SAMPLE = path.join(ROOT, 'samples/sensors');

/** A copy of the sensor sample whose stdout output prints JSON lines and whose store lives in the copy. */
function sampleCopy(): string {
  const dir = tmp();
  const config = JSON.parse(fs.readFileSync(path.join(SAMPLE, 'config.json'), 'utf8'));
  expect(config.input.options.time_field).toBe('timestamp');
  config.outputs = config.outputs.map((o: { method: string; options?: Record<string, unknown> }) =>
    o.method === 'stdout'
      ? { ...o, options: { ...(o.options ?? {}), format: 'jsonl' } }
      : o.method === 'sqlite'
        ? { ...o, options: { ...o.options, path: 'store/sensors.db' } }
        : o,
  );
  config.input.options.path = path.join(SAMPLE, config.input.options.path);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  fs.copyFileSync(path.join(SAMPLE, config.input.data_structure), path.join(dir, config.input.data_structure));
  return dir;
}

function dump(dir: string): { count: number; rows: unknown[] } {
  const db = new Database(path.join(dir, 'store/sensors.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM points ORDER BY window_end, sensor_id, sensor_type').all();
    const count = (db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
    return { count, rows };
  } finally {
    db.close();
  }
}

const split = (stdout: string) => {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  return { jsonl: lines.filter((l) => l.startsWith('{')), alerts: lines.filter((l) => !l.startsWith('{')) };
};

describe('deterministic replay of samples/sensors (event time)', () => {
  it('two runs give byte-identical output and alerts; a re-run into the same SQLite file adds no rows', async () => {
    const a = sampleCopy();
    const b = sampleCopy();
    const [a1, b1] = await Promise.all([
      cliAsync(['run', 'config.json'], { cwd: a, timeoutMs: 60_000 }),
      cliAsync(['run', 'config.json'], { cwd: b, timeoutMs: 60_000 }),
    ]);
    expect([a1.status, b1.status]).toEqual([0, 0]);
    expect(a1.stdout.length).toBeGreaterThan(0);
    expect(b1.stdout).toBe(a1.stdout);

    const out = split(a1.stdout);
    const input = fs.readFileSync(path.join(SAMPLE, 'data/sensors.csv'), 'utf8').trim().split('\n');
    const summary = /finished: ([\d,]+) rows read .*, ([\d,]+) windows closed, ([\d,]+) aggregate rows/.exec(a1.stderr);
    expect(summary).not.toBeNull();
    expect(Number(summary![1]!.replace(/,/g, ''))).toBe(input.length);
    expect(out.jsonl).toHaveLength(Number(summary![3]!.replace(/,/g, '')));
    // every JSON line parses; windows come in time order, keys sorted within a window
    const parsed = out.jsonl.map((l) => JSON.parse(l) as { window_end: string; key: { sensor_id: number; sensor_type: string } });
    for (let i = 1; i < parsed.length; i++) {
      const p = parsed[i - 1]!;
      const c = parsed[i]!;
      expect(p.window_end < c.window_end || (p.window_end === c.window_end && p.key.sensor_id < c.key.sensor_id)).toBe(true);
    }
    expect(out.alerts.length).toBeGreaterThan(0);
    for (const l of out.alerts)
      expect(l).toMatch(
        /^(Simple1|Avg6): Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\. Parameter '(rpm_max|rpm_sum)' for key=\(\d+, '[\w.]+'\) out of range \[[-\d.e+]+,[-\d.e+]+\] and equal [-\d.e+]+$/,
      );
    expect(out.alerts).toEqual(split(b1.stdout).alerts);
    expect(/analysis: [\d,]+ records, [\d,]+ history lookups, ([\d,]+) alerts/.exec(a1.stderr)?.[1]).toBe(String(out.alerts.length));

    const first = dump(a);
    expect(first.count).toBe(out.jsonl.length);
    expect(dump(b)).toEqual(first);

    // a second run into the same store: same output, same alerts, same rows, no duplicates
    const a2 = await cliAsync(['run', 'config.json'], { cwd: a, timeoutMs: 60_000 });
    expect(a2.status).toBe(0);
    expect(a2.stdout).toBe(a1.stdout);
    expect(dump(a)).toEqual(first);
  }, 60_000);

  it('a multi-core replay (--workers 2) gives the same bytes as a one-worker run', async () => {
    const a = sampleCopy();
    const b = sampleCopy();
    const [one, two] = await Promise.all([
      cliAsync(['run', 'config.json'], { cwd: a, timeoutMs: 60_000 }),
      cliAsync(['run', 'config.json', '--workers', '2'], { cwd: b, timeoutMs: 60_000 }),
    ]);
    expect([one.status, two.status]).toEqual([0, 0]);
    expect(two.stdout).toBe(one.stdout);
    expect(dump(b)).toEqual(dump(a));
  }, 60_000);
});
