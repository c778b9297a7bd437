// The evaluation handlers of the contract (main/api/evaluate.ts through main/api/handlers.ts) against the real engine:
// backtest, config tests and diff of a project, what they refuse (restricted mode, files outside the project), and
// cancellation (on demand, and by a newer request of the same kind).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../../../main/api/contract.js';
import { createHandlers } from '../../../main/api/handlers.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('evaluation handlers', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-evaluate-'));
  const dir = path.join(tmp, 'sensors');
  const progress: Events['backtest.progress'][] = [];
  const h = createHandlers({
    mode: 'web',
    samplesDir: path.join(root, 'samples'),
    stateDir: path.join(tmp, 'state'),
    projectsHome: path.join(tmp, 'projects'),
    pickRoots: [tmp],
    emit: (e, p) => {
      if (e === 'backtest.progress') progress.push(p as Events['backtest.progress']);
    },
  });
  beforeAll(async () => {
    fs.cpSync(path.join(root, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
    await h['project.open']({ dir });
  });
  afterAll(async () => {
    await h.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('restricted mode: nothing is replayed before the folder is trusted', async () => {
    await expect(h['backtest.run']({ dir, labels: 'data/labels.csv' })).rejects.toThrow(/a backtest is off in restricted mode/);
    await expect(h['configTests.run']({ dir })).rejects.toThrow(/restricted mode/);
    await expect(h['diff.run']({ dir })).rejects.toThrow(/a comparison is off in restricted mode/);
    await h['trust.set']({ dir, trusted: true });
  });

  it('backtest.run scores the rules with project-relative names, and refuses a labels file outside the project', async () => {
    const r = await h['backtest.run']({ dir, labels: 'data/labels.csv' });
    expect(r).toMatchObject({ ok: true, input: 'data/sensors.csv', labelsFile: 'data/labels.csv', labels: 13, windows: 90 });
    expect(r.rules.map((x) => [x.name, x.tp, x.fp, x.fn])).toEqual([
      ['Simple1', 12, 5, 1],
      ['Avg6', 13, 4, 0],
    ]);
    expect(progress.length).toBeGreaterThan(0);
    fs.writeFileSync(path.join(tmp, 'outside.csv'), 'sensor_id,sensor_type,start,end\n');
    await expect(h['backtest.run']({ dir, labels: '../outside.csv' })).rejects.toThrow(/outside the project/);
  });

  it("the labels' unsaved text is scored, with its problems placed in the labels file", async () => {
    const r = await h['backtest.run']({
      dir,
      labels: 'data/labels.csv',
      overlay: { 'data/labels.csv': 'sensor_id,sensor_type,start,end\n20,gear.t3,not a time,1\n' },
    });
    expect(r.ok).toBe(false);
    expect(r.failedAt).toBe('labels');
    expect(r.diagnostics[0]).toMatchObject({ file: 'data/labels.csv', line: 2 });
  });

  it('evaluation.cancel stops a backtest: it answers with what it scored, marked stopped', async () => {
    const running = h['backtest.run']({ dir, labels: 'data/labels.csv' });
    expect(await h['evaluation.cancel']({ kind: 'backtest' })).toEqual({ cancelled: true });
    const r = await running;
    expect(r.ok).toBe(true);
    expect(r.stopped).toBe(true);
    expect(r.windows).toBeLessThan(90);
    expect(await h['evaluation.cancel']({ kind: 'backtest' })).toEqual({ cancelled: false });
  });

  it('a newer request of a kind aborts the one running; other kinds run on', async () => {
    const first = h['backtest.run']({ dir, labels: 'data/labels.csv' });
    const tests = h['configTests.run']({ dir });
    const second = h['backtest.run']({ dir, labels: 'data/labels.csv' });
    expect((await first).stopped).toBe(true);
    expect(await second).toMatchObject({ ok: true, stopped: false, windows: 90 });
    expect(await tests).toMatchObject({ ok: true, passed: 2, failed: 0, testsFile: 'config.tests.json' });
  });

  it('configTests.run reads the unsaved tests file; null when the config has no tests file', async () => {
    const text = fs.readFileSync(path.join(dir, 'config.tests.json'), 'utf8').replace('"rpm_max": 7137.4', '"rpm_max": 1');
    const r = (await h['configTests.run']({ dir, overlay: { 'config.tests.json': text } }))!;
    expect(r).toMatchObject({ passed: 1, failed: 1 });
    expect(r.cases[0]!.differences[0]).toMatchObject({ expected: 1, actual: 7137.4 });
    fs.renameSync(path.join(dir, 'config.tests.json'), path.join(dir, 'moved.json'));
    try {
      expect(await h['configTests.run']({ dir })).toBeNull();
    } finally {
      fs.renameSync(path.join(dir, 'moved.json'), path.join(dir, 'config.tests.json'));
    }
  });

  it('diff.run compares the edited config with the saved one, or with another config of the project (not outside it)', async () => {
    const saved = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    expect(await h['diff.run']({ dir })).toMatchObject({ ok: true, equal: true, windowsA: 90, windowsB: 90 });
    const edited = saved.replace('"rpm_max": 50', '"rpm_max": 20');
    const d = await h['diff.run']({ dir, overlay: { 'config.json': edited } });
    expect(d).toMatchObject({ ok: true, equal: false, windowsDiffering: 0, input: 'data/sensors.csv' });
    expect(d.alertCounts.added).toBeGreaterThan(0);
    expect(d.alertCounts.removed).toBe(0);
    fs.writeFileSync(path.join(dir, 'strict.json'), edited);
    const o = await h['diff.run']({ dir, against: 'strict.json' });
    // a = strict.json, b = config.json as saved: the same differences, the other way round
    expect(o.alertCounts).toEqual({ added: 0, removed: d.alertCounts.added, changed: d.alertCounts.changed });
    // an invalid other config: its diagnostics, placed in it
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "input": ');
    const b = await h['diff.run']({ dir, against: 'broken.json' });
    expect(b.ok).toBe(false);
    expect(b.diagnostics.some((x) => x.file === 'broken.json')).toBe(true);
    await expect(h['diff.run']({ dir, against: '../../etc/passwd' })).rejects.toThrow(/outside the project/);
  });
});
