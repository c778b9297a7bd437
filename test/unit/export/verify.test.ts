// Verify's comparison and its answers when it cannot run (engine/export/verify.ts); the Flink runs are in test/integration/export.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLineDifferences, sameJsonLine, verifyFlinkExport } from '../../../engine/export/verify.js';
import { ROOT } from '../helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-verify-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('JSON line comparison', () => {
  it('integers and strings exact, doubles within 1e-9 relative', () => {
    expect(sameJsonLine('{"a": 1.0000000000001, "k": "x"}', '{"a": 1.0000000000002, "k": "x"}')).toBe(true);
    expect(sameJsonLine('{"a": 1.0001}', '{"a": 1.0002}')).toBe(false);
    expect(sameJsonLine('{"n": 9007199254740993}', '{"n": 9007199254740992}')).toBe(false);
    expect(sameJsonLine('{"k": "a"}', '{"k": "b"}')).toBe(false);
    expect(sameJsonLine('{"a": 1}', '{"a": 1.0}')).toBe(false);
  });

  it('lists differing and missing lines in order, at most max', () => {
    expect(jsonLineDifferences(['{"a": 1}', '{"a": 2}', '{"a": 3}'], ['{"a": 1}', '{"a": 5}'])).toEqual([
      'line 2: expected {"a": 2}\n  got      {"a": 5}',
      'line 3: expected {"a": 3}\n  got      (no line) (3 vs 2 lines)',
    ]);
    expect(jsonLineDifferences(['1', '2'], ['3', '4'], 1)).toHaveLength(1);
  });
});

describe('verifyFlinkExport when it cannot run', () => {
  const config = path.join(ROOT, 'samples/sensors/config.json');

  it('needs an exported job', async () => {
    const r = await verifyFlinkExport({ configPath: config, exportDir: tmp });
    expect(r.status).toBe('failed');
    expect(r.detail).toContain('holds no exported Flink job');
  });

  it('says how to get Python with apache-flink when none is found', async () => {
    fs.writeFileSync(path.join(tmp, 'job.py'), '');
    const r = await verifyFlinkExport({ configPath: config, exportDir: tmp, python: path.join(tmp, 'no-such-python') });
    expect(r.status).toBe('unavailable');
    expect(r.detail).toContain('no Python with apache-flink found');
    expect(r.detail).toContain('pip install -r requirements.txt');
  });

  it('needs a CSV for a Kafka config', async () => {
    const r = await verifyFlinkExport({ configPath: path.join(ROOT, 'samples/sensors/config-kafka.json'), exportDir: tmp });
    expect(r.status).toBe('unavailable');
    expect(r.detail).toContain('name a recorded CSV');
  });
});
