// The workbench API (main/api/handlers.ts) under plain Node against the real engine: no Electron, no browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers } from '../../../main/api/handlers.js';
import { EVENT_NAMES, HANDLER_NAMES, type Events } from '../../../main/api/contract.js';

const root = path.resolve(import.meta.dirname, '../../..');

type Got = { [E in keyof Events]: Events[E][] };

function setup() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-api-'));
  const dir = path.join(tmp, 'sensors');
  fs.cpSync(path.join(root, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  const got = Object.fromEntries(EVENT_NAMES.map((e) => [e, []])) as unknown as Got;
  let onEvent: (() => void) | undefined;
  const h = createHandlers({
    mode: 'web',
    samplesDir: path.join(root, 'samples'),
    stateDir: path.join(tmp, 'state'),
    projectsHome: path.join(tmp, 'projects'),
    pickRoots: [tmp],
    emit: (e, p) => {
      (got[e] as unknown[]).push(p);
      onEvent?.();
    },
  });
  const until = (pred: () => boolean, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      if (pred()) return resolve();
      const t = setTimeout(() => reject(new Error('timed out waiting for events')), ms);
      onEvent = () => {
        if (pred()) {
          clearTimeout(t);
          onEvent = undefined;
          resolve();
        }
      };
    });
  const reset = () => {
    for (const e of EVENT_NAMES) (got[e] as unknown[]).length = 0;
  };
  /** what the UI does first: open the project; and the user trusts it (runs are off in restricted mode) */
  const openTrusted = async (d = dir) => {
    await h['project.open']({ dir: d });
    await h['trust.set']({ dir: d, trusted: true });
  };
  return { tmp, dir, h, got, until, reset, openTrusted };
}

describe('workbench API handlers', () => {
  const t = setup();
  const { h, dir, got } = t;
  beforeAll(() => t.openTrusted());
  afterAll(async () => {
    await h.dispose();
    fs.rmSync(t.tmp, { recursive: true, force: true });
  });

  it('implements every handler name of the contract', () => {
    for (const n of HANDLER_NAMES) expect(typeof (h as unknown as Record<string, unknown>)[n]).toBe('function');
  });

  it('app.info lists the samples; schema.get and functions.list give editor data', async () => {
    const info = await h['app.info']({});
    expect(info.mode).toBe('web');
    expect(info.samples.map((s) => s.name)).toEqual(expect.arrayContaining(['sensors', 'netflow']));
    const schema = await h['schema.get']({});
    expect(JSON.stringify(schema.config)).toContain('transformation');
    expect(JSON.stringify(schema.dataStructure)).toContain('LongType');
    const fns = await h['functions.list']({});
    expect(fns.transform.map((f) => f.name)).toEqual(expect.arrayContaining(['add', 'mul', 'one', 'concat']));
    expect(fns.aggregate.map((f) => f.name)).toEqual(expect.arrayContaining(['sum', 'min', 'max']));
  });

  it('project.open finds the config, its data structure and data file, and remembers the project', async () => {
    const p = await h['project.open']({ dir });
    expect(p.configFile).toBe('config.json');
    expect(p.dataStructureFile).toBe('data_structure.json');
    expect(p.dataFile).toBe('data/sensors.csv');
    expect(p.files.map((f) => [f.path, f.kind])).toEqual(
      expect.arrayContaining([
        ['config.json', 'config'],
        ['data_structure.json', 'data-structure'],
        ['data/sensors.csv', 'data'],
      ]),
    );
    expect(p.trust).toEqual({ trusted: true, via: dir, userCode: [] });
    expect(await h['project.recent']({})).toEqual([dir]);
    await expect(h['project.open']({ dir: path.join(t.tmp, 'nope') })).rejects.toThrow(/not a folder/);
  });

  it('project.fromSample copies a sample (without store files) into a new folder', async () => {
    const dest = path.join(t.tmp, 'projects', 'net');
    const p = await h['project.fromSample']({ sample: 'netflow', dir: dest });
    expect(p.dir).toBe(dest);
    expect(fs.existsSync(path.join(dest, 'config.json'))).toBe(true);
    expect(fs.readdirSync(path.join(dest, 'data')).some((f) => f.endsWith('.db'))).toBe(false);
    // the app wrote every file of it: trusted
    expect(p.trust).toEqual({ trusted: true, via: dest, userCode: [] });
    await expect(h['project.fromSample']({ sample: 'netflow', dir: dest })).rejects.toThrow(/not empty/);
    await expect(h['project.fromSample']({ sample: '../etc', dir: path.join(t.tmp, 'x') })).rejects.toThrow(/unknown sample/);
  });

  it('file.read / file.write stay inside the project', async () => {
    const f = await h['file.read']({ dir, path: 'config.json' });
    expect(f.text).toContain('"input"');
    await h['file.write']({ dir, path: 'notes/a.txt', text: 'hello' });
    expect(fs.readFileSync(path.join(dir, 'notes/a.txt'), 'utf8')).toBe('hello');
    await expect(h['file.read']({ dir, path: '../../etc/passwd' })).rejects.toThrow(/outside the project/);
    await expect(h['file.write']({ dir, path: '/tmp/evil.txt', text: 'x' })).rejects.toThrow(/outside the project/);
  });

  it('fs.listDir lists the folders inside a folder (not its files) for the folder picker', async () => {
    const l = await h['fs.listDir']({ path: dir });
    expect(l.entries).toContainEqual({ name: 'data', dir: true });
    expect(l.entries.map((e) => e.name)).not.toContain('config.json');
    expect(l.parent).toBe(path.dirname(dir));
    const up = await h['fs.listDir']({ path: t.tmp });
    expect(up.entries).toContainEqual({ name: 'sensors', dir: true, project: true });
    // the top of what the picker may browse
    expect(up.parent).toBeNull();
  });

  it('config.check sees unsaved buffers: diagnostics carry the project-relative file, line and column', async () => {
    const ok = await h['config.check']({ dir });
    expect(ok.ok).toBe(true);
    expect(ok.summary?.aggregated.map((a) => a.name)).toEqual(['counter', 'rpm_min', 'rpm_max', 'rpm_sum', 'speed_lt', 'speed_gt']);

    const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('rpm_max: rotation_speed')) + 1;
    const bad = await h['config.check']({ dir, overlay: { 'config.json': text.replace('rpm_max: rotation_speed', 'rpm_max: rotation_sped') } });
    expect(bad.ok).toBe(false);
    const d = bad.diagnostics.find((x) => x.severity === 'error')!;
    expect(d).toMatchObject({ file: 'config.json', line, errorClass: 'FieldNotExists' });
    expect(d.message).toContain('rotation_sped');
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(text);

    // an unsaved data-structure edit is checked too, and reported in that file
    const ds = fs.readFileSync(path.join(dir, 'data_structure.json'), 'utf8');
    const r = await h['config.check']({ dir, overlay: { 'data_structure.json': ds.replace('"DoubleType" }\n}', '"TimestampType" }\n}') } });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.some((x) => x.file === 'data_structure.json' && x.severity === 'error')).toBe(true);
  });

  it('config.preview runs the first 1000 rows with outputs off, well under a second', async () => {
    await h['config.preview']({ dir }); // warm up
    const r = await h['config.preview']({ dir, maxRows: 1000 });
    expect(r.check.ok).toBe(true);
    expect(r.preview!.rowsRead).toBe(1000);
    expect(r.preview!.rows).toHaveLength(1000);
    expect(r.preview!.windows).toHaveLength(5);
    expect(r.preview!.windows[0]!.rows[0]!.key).toEqual({ sensor_id: 1, sensor_type: 'compressor.t2' });
    expect(r.elapsedMs).toBeLessThan(500);
    expect(fs.existsSync(path.join(dir, 'data/sensors.db'))).toBe(false);
    const broken = await h['config.preview']({ dir, overlay: { 'config.json': '{ "input": ' } });
    expect(broken.preview).toBeUndefined();
    expect(broken.check.diagnostics[0]!.message).toContain('invalid JSON');
  });

  it('run.start replays the CSV: batched windows, alerts and progress events, then run.finished', async () => {
    t.reset();
    const { runId, summary } = await h['run.start']({ dir, speed: 0 });
    expect(summary.keyFields).toEqual(['sensor_id', 'sensor_type']);
    await expect(h['run.start']({ dir })).rejects.toThrow(/already in progress/);
    await t.until(() => got['run.finished'].length > 0);
    const fin = got['run.finished'][0]!;
    expect(fin).toMatchObject({ runId, state: 'finished' });
    expect(fin.progress).toMatchObject({ rowsRead: 18000, windowsClosed: 90, rowErrors: 0, fraction: 1 });
    // the latest windows (at most 30 a batch, for the table) and how many closed; the charts get the summary
    const batches = got['run.windows'];
    expect(batches.at(-1)!.total).toBe(90);
    expect(batches.every((b) => b.windows.length > 0 && b.windows.length <= 30)).toBe(true);
    // each batch holds the latest windows in order, without gaps; which ones depends on how many closed between two
    // batches (more than 30 in 500 ms on a busy machine), so only the order and the last one are certain
    for (const b of batches) {
      const ends = b.windows.map((w) => w.windowEnd);
      expect(ends).toEqual(ends.map((_, i) => ends[0]! + i * 10_000));
    }
    const windows = batches.flatMap((b) => b.windows);
    expect(windows.every((w, i) => i === 0 || w.windowEnd > windows[i - 1]!.windowEnd)).toBe(true);
    expect(windows[0]!.rows).toHaveLength(20);
    const views = got['run.chart'].map((c) => c.view);
    expect(views[0]!.from).toBe(0);
    expect(views.at(-1)!.windows).toBe(90);
    expect(views.at(-1)!.keyCount).toBe(20);
    const alerts = got['run.alerts'].flatMap((b) => b.alerts);
    expect(alerts.length).toBe(73);
    expect(alerts[0]).toMatchObject({ module: 'Simple1', field: 'rpm_max', keyFields: ['sensor_id', 'sensor_type'] });
    expect(got['run.progress'].length).toBeGreaterThan(0);
    expect(got['run.progress'].every((p) => p.runId === runId)).toBe(true);
    expect(await h['run.status']({})).toMatchObject({ runId, state: 'finished' });
  });

  it('history.load reads the windows and the alerts the run stored', async () => {
    const hist = await h['history.load']({ dir });
    expect(hist.source).toBe('data/sensors.db (points)');
    expect(hist.windows).toHaveLength(90);
    expect(hist.windows[0]!.rows).toHaveLength(20);
    expect(hist.windows[0]!.rows[0]!.values).toHaveProperty('rpm_max');
    expect(hist.alerts).toHaveLength(73);
    const some = await h['history.load']({ dir, maxWindows: 10 });
    expect(some.windows).toHaveLength(10);
    expect(some.truncated).toBe(true);
    expect(some.windows[9]!.windowEnd).toBe(hist.windows[89]!.windowEnd);
    // the run's last window went out in its last batch
    expect(got['run.windows'].at(-1)!.windows.at(-1)!.windowEnd).toBe(hist.windows[89]!.windowEnd);
  });

  it('store.alerts, store.episodes, store.windows, store.rowErrors page what the run stored, filtered and counted', async () => {
    const alerts = await h['store.alerts']({ dir, offset: 0, limit: 10 });
    expect(alerts).toMatchObject({ total: 73, all: 73, source: 'data/sensors.db (alerts)' });
    expect(alerts.rows).toHaveLength(10);
    const last = await h['store.alerts']({ dir, offset: 70, limit: 10 });
    expect(last.rows).toHaveLength(3);
    expect(last.rows[2]!.time).toBeLessThanOrEqual(alerts.rows[0]!.time);
    const avg = await h['store.alerts']({ dir, offset: 0, limit: 100, filters: { rule: 'Avg6', state: 'firing' } });
    expect(avg.total).toBeGreaterThan(0);
    expect(avg.total).toBeLessThan(73);
    expect(avg.rows.every((a) => a.rule === 'Avg6')).toBe(true);
    const episodes = await h['store.episodes']({ dir, offset: 0, limit: 1000 });
    // rules without lifecycle options: one episode per alert
    expect(episodes.total).toBe(73);
    const windows = await h['store.windows']({ dir, offset: 0, limit: 20, filters: { key: 'gear' } });
    expect(windows.source).toBe('data/sensors.db (points)');
    expect(windows.rows.every((r) => String(r.key!.sensor_type).includes('gear'))).toBe(true);
    expect((await h['store.windows']({ dir, offset: 0, limit: 1 })).total).toBe(90 * 20);
    const bad = await h['store.rowErrors']({ dir, offset: 0, limit: 10 });
    expect(bad).toMatchObject({ total: 0, rows: [], source: 'data/sensors.db (dead_letters)' });
    await expect(h['store.alerts']({ dir: t.tmp, offset: 0, limit: 1 })).rejects.toThrow(/not an open project/);
  });

  it('run controls: start paused, step exactly one window, stop', async () => {
    t.reset();
    const { runId } = await h['run.start']({ dir, speed: 0, startPaused: true });
    await t.until(() => got['run.progress'].some((p) => p.state === 'paused'));
    expect(got['run.windows']).toHaveLength(0);
    await h['run.step']({});
    await t.until(() => got['run.windows'].flatMap((b) => b.windows).length >= 1 && got['run.progress'].at(-1)?.state === 'paused');
    await new Promise((r) => setTimeout(r, 300));
    expect(got['run.windows'].flatMap((b) => b.windows)).toHaveLength(1);
    await h['run.setSpeed']({ speed: 10 });
    await expect(h['run.setSpeed']({ speed: -1 })).rejects.toThrow();
    await h['run.stop']({});
    const fin = got['run.finished'].at(-1)!;
    expect(fin).toMatchObject({ runId, state: 'stopped', progress: { state: 'stopped' } });
    // stopping flushes open windows; far fewer than the whole file, and the bar says so
    expect(fin.progress.rowsRead).toBeLessThan(18000);
    expect(fin.progress.fraction).toBeCloseTo(fin.progress.rowsRead / 18000, 2);
    await expect(h['run.pause']({})).rejects.toThrow(/no run in progress/);
  });

  it("run.history lists the project's past runs, newest first, with how each ended", async () => {
    const runs = await h['run.history']({ dir });
    expect(runs.map((r) => r.state)).toEqual(['stopped', 'finished']);
    const [stopped, finished] = runs;
    expect(finished).toMatchObject({ configFile: 'config.json', speed: 0, rowsRead: 18000, windowsClosed: 90, alerts: 73, rowErrors: 0, fraction: 1 });
    expect(stopped!.rowsRead).toBeLessThan(18000);
    expect(stopped!.fraction).toBeLessThan(1);
    expect(Date.parse(stopped!.startedAt)).toBeGreaterThanOrEqual(Date.parse(finished!.endedAt));
    expect(got['run.finished'].at(-1)!.record).toEqual(stopped);
    // kept in the state folder, not in the project
    expect(fs.readdirSync(path.join(t.tmp, 'state', 'runs'))).toHaveLength(1);
    await expect(h['run.history']({ dir: path.join(t.tmp, 'elsewhere') })).rejects.toThrow();
  });

  it('run.start refuses an invalid config on disk', async () => {
    const file = path.join(dir, 'config.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('rpm_max: rotation_speed', 'rpm_max: nope'));
    try {
      await expect(h['run.start']({ dir })).rejects.toThrow(/invalid.*config\.json:\d+:\d+/);
      await expect(h['export.write']({ dir, outDir: path.join(t.tmp, 'exp-bad') })).rejects.toThrow(/invalid/);
    } finally {
      fs.writeFileSync(file, text);
    }
  });

  it('export.write writes the reference config into a folder', async () => {
    const out = path.join(t.tmp, 'exported');
    const r = await h['export.write']({ dir, outDir: out });
    expect(r.files).toEqual(['config.json', 'data_structure.json']);
    expect(r.dropped).toEqual(expect.arrayContaining(['input.options.time_field', 'input.options.time_unit', 'outputs[0]']));
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.outputs).toEqual([{ method: 'stdout' }]);
  });

  it('export.targets, export.plan and export.write with a target: the change list first, refusals, the bundle', async () => {
    expect((await h['export.targets']({})).map((x) => x.name)).toEqual(['ts-engine', 'flink', 'reference']);

    const reference = await h['export.plan']({ dir, target: 'reference' });
    expect(reference.changes).toContainEqual({
      kind: 'lossy',
      path: 'input.options.time_field',
      message: expect.stringContaining('event-time windows become processing-time windows'),
    });
    expect(reference.refusal?.reason).toBe('lossy');
    const refusedOut = path.join(t.tmp, 'exp-refused');
    await expect(h['export.write']({ dir, outDir: refusedOut, target: 'reference' })).rejects.toThrow(/refused.*--allow-lossy/);
    expect(fs.existsSync(refusedOut)).toBe(false);
    const lossy = await h['export.write']({ dir, outDir: refusedOut, target: 'reference', allowLossy: true });
    expect(lossy.files).toContain('config.json');

    const bundle = await h['export.plan']({ dir, target: 'ts-engine' });
    expect(bundle.refusal).toBeUndefined();
    expect(bundle.changes.every((c) => c.kind === 'note')).toBe(true);
    const out = path.join(t.tmp, 'exp-bundle');
    const r = await h['export.write']({ dir, outDir: out, target: 'ts-engine' });
    expect(r.target).toBe('ts-engine');
    expect(r.files).toEqual(expect.arrayContaining(['config.json', 'data_structure.json', '.env.example', 'README.md', 'ts-engine-sensors.service']));

    const flink = await h['export.plan']({ dir, target: 'flink' });
    expect(flink.refusal?.reason).toBe('lossy');
    await expect(h['export.plan']({ dir, target: 'spark' as never })).rejects.toThrow(/unknown export target 'spark'/);
  });

  it('export.verify answers why it cannot compare (no exported job here); the comparison itself runs in test/integration/export', async () => {
    const notAJob = path.join(t.tmp, 'exp-bundle');
    const r = await h['export.verify']({ dir, exportDir: notAJob });
    expect(r).toMatchObject({ status: 'failed', detail: expect.stringContaining('holds no exported Flink job') });
    await expect(h['export.verify']({ dir, exportDir: '/etc' })).rejects.toThrow(/outside/);
  });
});

describe('row errors reach the UI with their line and reason', () => {
  const t = setup();
  beforeAll(async () => {
    const csv = path.join(t.dir, 'data/sensors.csv');
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    lines[2] = '1700000000,3,seal.t1,255.75,73.6,x,458.47';
    fs.writeFileSync(csv, lines.join('\n'));
    await t.openTrusted();
  });
  afterAll(async () => {
    await t.h.dispose();
    fs.rmSync(t.tmp, { recursive: true, force: true });
  });

  it('in the preview and in a run', async () => {
    const p = await t.h['config.preview']({ dir: t.dir });
    expect(p.preview!.rowErrors).toHaveLength(1);
    expect(p.preview!.rowErrors[0]).toMatchObject({ line: 3 });
    await t.h['run.start']({ dir: t.dir, speed: 0 });
    await t.until(() => t.got['run.finished'].length > 0);
    const errs = t.got['run.rowErrors'].flatMap((b) => b.errors);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: 3, raw: '1700000000,3,seal.t1,255.75,73.6,x,458.47' });
    expect(errs[0]!.reason).toMatch(/DoubleType|rotation_speed/);
    expect(t.got['run.finished'][0]!.progress.rowErrors).toBe(1);
  });
});

describe('the netflow sample (reduce: no key)', () => {
  const t = setup();
  afterAll(async () => {
    await t.h.dispose();
    fs.rmSync(t.tmp, { recursive: true, force: true });
  });

  it('previews and replays', async () => {
    const dir = path.join(t.tmp, 'net');
    await t.h['project.fromSample']({ sample: 'netflow', dir });
    const p = await t.h['config.preview']({ dir });
    expect(p.check.ok).toBe(true);
    expect(p.check.summary!.operation).toBe('reduce');
    expect(p.preview!.windows.length).toBeGreaterThan(0);
    expect(p.preview!.windows[0]!.rows[0]!.key).toBeNull();
    await t.h['run.start']({ dir, speed: 0 });
    await t.until(() => t.got['run.finished'].length > 0);
    expect(t.got['run.finished'][0]!.state).toBe('finished');
    const hist = await t.h['history.load']({ dir });
    expect(hist.windows.length).toBe(t.got['run.windows'].flatMap((b) => b.windows).length);
    expect(hist.windows[0]!.rows[0]!.key).toBeNull();
  });
});
