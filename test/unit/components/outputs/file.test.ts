// The `file` output: exactly the stdout `jsonl` lines in a file, windows in closing order; a re-run
// rewrites the file (truncated at open) instead of appending; a file that cannot be opened fails
// the run naming it. Through the CLI, as a user runs it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../../helpers.js';

const tmp = useTmpDir();
const T0 = 1523800000;
const rows = [`${T0},5,seal.t1,250,516,2500,500`, `${T0 + 1},5,seal.t1,260,520,900,480`, `${T0 + 12},72,seal.t2,240,510,4100,510`, 'broken'];

function project(outputs: unknown[]): string {
  const dir = tmp();
  writeFiles(dir, {
    'config.json': makeConfig({
      transformation: ['sensor_id', 'n: one(timestamp)', 'rpm: rotation_speed'],
      rule: ['key: sensor_id', 'sum(n)', 'max(rpm)'],
      options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
      outputs,
    }),
    'ds.json': structure(SENSOR_SPEC),
    'data.csv': rows.join('\n') + '\n',
  });
  return dir;
}

describe('file output', () => {
  it('writes the stdout jsonl lines, and a re-run leaves the same file', () => {
    const dir = project([
      { method: 'file', options: { path: 'out/aggregates.jsonl' } },
      { method: 'stdout', options: { format: 'jsonl' } },
    ]);
    const r = cli(['run', path.join(dir, 'config.json'), '--no-progress']);
    expect(r.status).toBe(0);
    const file = path.join(dir, 'out/aggregates.jsonl');
    const written = fs.readFileSync(file, 'utf8');
    expect(written).toBe(r.stdout);
    expect(written.trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(written.split('\n')[0]!)).toEqual({
      window_start: '2018-04-15T13:46:40.000Z',
      window_end: '2018-04-15T13:46:50.000Z',
      key: { sensor_id: 5 },
      values: { n: 2, rpm: 2500 },
    });
    expect(cli(['run', path.join(dir, 'config.json'), '--no-progress']).status).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(written);
  });

  it('check names a missing path; a file that cannot be opened fails the run naming it', () => {
    const bad = project([{ method: 'file', options: {} }]);
    const c = cli(['check', path.join(bad, 'config.json')]);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain("outputs[0].options.path: missing required key 'path' in outputs[0].options");
    const dir = project([{ method: 'file', options: { path: 'taken' } }]);
    fs.mkdirSync(path.join(dir, 'taken'));
    const r = cli(['run', path.join(dir, 'config.json'), '--no-progress']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`file output: cannot open ${path.join(dir, 'taken')} for writing`);
  });
});
