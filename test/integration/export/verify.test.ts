/**
 * Verify of a Flink export (engine/export/verify.ts), in Flink local mode: the exported sensors job
 * replays a recorded CSV and is compared with ts-engine on the same file — identical; then a job
 * whose output was tampered with is reported different, with its first differing window lines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFlinkExport } from '../../../engine/export/verify.js';
import { exportFlink, flinkVenv, REPO } from '../targets/flink/flink-helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-verify-it-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let python: string;
const project = path.join(tmp, 'sensors');
const csv = path.join(tmp, 'recorded.csv');
const job = path.join(tmp, 'sensors-flink');

beforeAll(() => {
  python = path.join(flinkVenv(), 'bin/python');
  fs.cpSync(path.join(REPO, 'samples/sensors'), project, { recursive: true, filter: (src) => !src.endsWith('.db') });
  // 3000 rows: several windows per key and alerts from both analyses, in a short Flink run
  fs.writeFileSync(csv, fs.readFileSync(path.join(project, 'data/sensors.csv'), 'utf8').split('\n').slice(0, 3000).join('\n') + '\n');
  exportFlink(path.join(project, 'config.json'), job);
});

describe('verify a Flink export', () => {
  it('answers identical for the exported sensors job, without touching the project data', async () => {
    const r = await verifyFlinkExport({ configPath: path.join(project, 'config.json'), exportDir: job, csv, python });
    expect(r.detail).toMatch(/^identical: \d+ window line\(s\) and \d+ alert\(s\) of recorded\.csv$/);
    expect(r.status).toBe('identical');
    expect(r.windows).toBeGreaterThan(10);
    expect(r.alerts).toBeGreaterThan(0);
    expect(r.differences).toEqual([]);
    expect(fs.existsSync(path.join(project, 'data/sensors.db'))).toBe(false);
  });

  it('lists the first differing windows of a job that computes something else', async () => {
    const tampered = path.join(tmp, 'tampered');
    fs.cpSync(job, tampered, { recursive: true });
    const gen = path.join(tampered, 'tsengine_job/generated.py');
    fs.writeFileSync(
      gen,
      fs.readFileSync(gen, 'utf8').replace(/^VALUE_NAMES = .*$/m, (l) => l.replace('rpm_max', 'rpm_top')),
    );
    const r = await verifyFlinkExport({ configPath: path.join(project, 'config.json'), exportDir: tampered, csv, python, maxDifferences: 3 });
    expect(r.status).toBe('different');
    expect(r.differences).toHaveLength(3);
    expect(r.differences[0]).toMatch(/^windows line 1: expected \{"window_start".*"rpm_max".*\n {2}got {6}\{"window_start".*"rpm_top"/);
  });
});
