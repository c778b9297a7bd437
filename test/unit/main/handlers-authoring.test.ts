// Starting from a blank page through the workbench API (main/api/handlers.ts, main/api/templates.ts): new projects from
// templates, new files from templates (a data structure inferred from a CSV, configs, modules), several configs with an
// active one, rename and delete confined to the project. Real engine checks, real files.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers } from '../../../main/api/handlers.js';

const root = path.resolve(import.meta.dirname, '../../..');
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ts-author-')));
const stateDir = path.join(tmp, 'state');
const make = () =>
  createHandlers({ mode: 'web', samplesDir: path.join(root, 'samples'), stateDir, projectsHome: path.join(tmp, 'projects'), pickRoots: [tmp], emit: () => {} });
const h = make();
const errorsOf = async (dir: string, overlay?: Record<string, string>) =>
  (await h['config.check']({ dir, overlay })).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line}: ${d.message}`);

afterAll(async () => {
  await h.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('new projects from templates', () => {
  it('lists the samples, a CSV project and a Kafka project', async () => {
    const ids = (await h['app.info']({})).templates.map((t) => t.id);
    expect(ids).toEqual(['sample:netflow', 'sample:sensors', 'csv', 'kafka']);
  });

  it.each(['csv', 'kafka', 'sample:sensors'] as const)(
    '%s: a trusted project whose config checks without errors',
    async (template) => {
      const dir = path.join(tmp, 'projects', template.replace(':', '-'));
      const p = await h['project.create']({ template, dir });
      expect(p.trust.trusted).toBe(true);
      expect(p.configFile).toBe('config.json');
      expect(p.configs).toContain('config.json');
      expect(p.dataStructureFile).toBe('data_structure.json');
      expect(await errorsOf(dir)).toEqual([]);
    },
    30_000,
  );

  it('refuses a folder that is not empty, outside the allowed folders, or an unknown template', async () => {
    const dir = path.join(tmp, 'projects', 'full');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
    await expect(h['project.create']({ template: 'csv', dir })).rejects.toThrow(/is not empty/);
    await expect(h['project.create']({ template: 'csv', dir: path.join(os.tmpdir(), 'elsewhere-ts-author') })).rejects.toThrow(/outside the folders/);
    await expect(h['project.create']({ template: 'nope' as 'csv', dir: path.join(tmp, 'projects', 'n') })).rejects.toThrow(/unknown project template/);
  });
});

describe('new files, several configs, rename and delete', () => {
  const dir = path.join(tmp, 'projects', 'authoring');

  it('infers a data structure from the sample CSV and writes it', async () => {
    await h['project.create']({ template: 'sample:sensors', dir });
    const r = await h['file.create']({ dir, path: 'inferred.json', kind: 'data-structure', csv: 'data/sensors.csv' });
    expect(r.path).toBe('inferred.json');
    expect(r.notes[0]).toMatch(/data\/sensors\.csv: no header, separator ",".*event time: col0 \(epoch s\)/);
    const ds = JSON.parse(fs.readFileSync(path.join(dir, 'inferred.json'), 'utf8'));
    expect(ds.col2).toEqual({ index: 2, type: 'StringType' });
    expect(ds.col5).toEqual({ index: 5, type: 'DoubleType' });
    expect(r.project.files.find((f) => f.path === 'inferred.json')).toBeDefined();
    await expect(h['file.create']({ dir, path: 'inferred.json', kind: 'data-structure', csv: 'data/sensors.csv' })).rejects.toThrow(/exists already/);
  });

  it('a config over a CSV (with its structure beside it) and one over the active input both check; the picker makes one active', async () => {
    const a = await h['file.create']({ dir, path: 'config-labels.json', kind: 'config', csv: 'data/labels.csv' });
    expect(a.notes[0]).toBe('wrote config-labels.structure.json');
    const b = await h['file.create']({ dir, path: 'config-copy.json', kind: 'config' });
    expect(b.project.configs).toEqual(['config.json', 'config-copy.json', 'config-influx.json', 'config-kafka.json', 'config-labels.json']);
    expect(b.project.files.filter((f) => f.kind === 'config').map((f) => f.path)[0]).toBe('config.json');
    const p = await h['project.setConfig']({ dir, configFile: 'config-labels.json' });
    expect(p.configFile).toBe('config-labels.json');
    expect(p.dataStructureFile).toBe('config-labels.structure.json');
    expect(p.files[0]!.path).toBe('config-labels.json');
    expect(await errorsOf(dir)).toEqual([]);
    const summary = (await h['config.check']({ dir })).summary!;
    expect(summary.inputFields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'sensor_id:IntegerType',
      'sensor_type:StringType',
      'start:LongType',
      'end:LongType',
      'label:StringType',
    ]);
    await h['project.setConfig']({ dir, configFile: 'config-copy.json' });
    expect(await errorsOf(dir)).toEqual([]);
    // the choice outlives the session (a new handler map over the same state folder)
    const again = make();
    expect((await again['project.open']({ dir })).configFile).toBe('config-copy.json');
    await again.dispose();
    await expect(h['project.setConfig']({ dir, configFile: 'data_structure.json' })).rejects.toThrow(/not a config of the project/);
    await expect(h['project.setConfig']({ dir, configFile: '../x.json' })).rejects.toThrow(/outside the project/);
    await h['project.setConfig']({ dir, configFile: 'config.json' });
  }, 30_000);

  it('analysis and extension modules from templates (TS and JS) load and check when the config names them', async () => {
    for (const f of ['checks/spike-check.ts', 'checks/ratio.mjs']) await h['file.create']({ dir, path: f, kind: 'analysis-module' });
    for (const f of ['ext/my-ops.ts', 'ext/more.mjs']) await h['file.create']({ dir, path: f, kind: 'extension-module' });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.extensions = ['./ext/my-ops.ts', './ext/more.mjs'];
    cfg.processing.transformation.push('clamped: my_ops_clamp(rotation_speed, 0, 5000)', 'c2: more_clamp(torque, 0, 10)');
    cfg.processing.aggregations.rule.push('my_ops_range(clamped)', 'max(c2)');
    cfg.analysis.rule.push(
      { module: './checks/spike-check.ts', name: 'Spike1', options: { field: 'rpm_max', factor: 2 } },
      { module: './checks/ratio.mjs', name: 'Ratio1', options: { field: 'rpm_max' } },
    );
    expect(await errorsOf(dir, { 'config.json': JSON.stringify(cfg) })).toEqual([]);
    const fns = await h['functions.list']({ dir, overlay: { 'config.json': JSON.stringify(cfg) } });
    expect(fns.transform.map((f) => f.name)).toEqual(expect.arrayContaining(['my_ops_clamp', 'more_clamp']));
    await expect(h['file.create']({ dir, path: 'x.txt', kind: 'extension-module' })).rejects.toThrow(/a module is a \.ts/);
    await expect(h['file.create']({ dir, path: 'sub/c.json', kind: 'config' })).rejects.toThrow(/top of the project folder/);
    await expect(h['file.create']({ dir, path: '.hidden.ts', kind: 'extension-module' })).rejects.toThrow(/hidden/);
  }, 60_000);

  it('a syntax error in a module (named by an unsaved config) is marked in the module file at its line, and in the config', async () => {
    fs.writeFileSync(path.join(dir, 'ext/broken.ts'), 'export const transformFunctions = [\n  { name: "x", arity: 1,, apply: (a) => a },\n];\n');
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.extensions = ['./ext/broken.ts'];
    const r = await h['config.preview']({ dir, overlay: { 'config.json': JSON.stringify(cfg, null, 2) } });
    const errors = r.check.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.file, d.line, d.column])).toEqual([
      ['config.json', expect.any(Number), expect.any(Number)],
      ['ext/broken.ts', 2, 25],
    ]);
    expect(errors[1]!.message).toBe('Expected identifier but found ","');
    expect(r.functions?.transform.some((f) => f.name === 'my_ops_clamp')).toBe(false);
  }, 30_000);

  it('checks see unsaved module buffers: a new function in the buffer completes, a syntax error in it is marked, the disk is untouched', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.extensions = ['./ext/more.mjs'];
    cfg.processing.transformation.push('t: more_twice(torque)');
    cfg.processing.aggregations.rule.push('max(t)');
    const onDisk = fs.readFileSync(path.join(dir, 'ext/more.mjs'), 'utf8');
    const added = onDisk.replace(
      'export const transformFunctions = [',
      "export const transformFunctions = [\n  { name: 'more_twice', arity: 1, params: ['numeric'], returns: 'promote', apply: (x) => 2 * x },",
    );
    for (const trusted of [true, false]) {
      await h['trust.set']({ dir, trusted });
      const ok = await h['config.preview']({ dir, overlay: { 'config.json': JSON.stringify(cfg), 'ext/more.mjs': added } });
      expect(ok.check.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(ok.functions?.transform.map((f) => f.name)).toContain('more_twice');
      const broken = await h['config.check']({ dir, overlay: { 'config.json': JSON.stringify(cfg), 'ext/more.mjs': `${added}\nexport const x = (;\n` } });
      const inModule = broken.diagnostics.filter((d) => d.file === 'ext/more.mjs');
      expect(inModule.map((d) => [d.line, d.severity])).toEqual([[added.split('\n').length + 1, 'error']]);
    }
    await h['trust.set']({ dir, trusted: true });
    expect(fs.readFileSync(path.join(dir, 'ext/more.mjs'), 'utf8')).toBe(onDisk);
    // the disk version again: the function is not there
    expect((await h['config.check']({ dir, overlay: { 'config.json': JSON.stringify(cfg) } })).ok).toBe(false);
  }, 60_000);

  it('renames and deletes inside the project only; the active config follows a rename; the only config is kept', async () => {
    await h['project.setConfig']({ dir, configFile: 'config-copy.json' });
    let p = await h['file.rename']({ dir, from: 'config-copy.json', to: 'config-renamed.json' });
    expect(p.configFile).toBe('config-renamed.json');
    await expect(h['file.rename']({ dir, from: 'config.json', to: '../escaped.json' })).rejects.toThrow(/outside the project/);
    await expect(h['file.rename']({ dir, from: 'config.json', to: 'config-kafka.json' })).rejects.toThrow(/exists already/);
    await expect(h['file.delete']({ dir, path: '../state/recent-projects.json' })).rejects.toThrow(/outside the project/);
    p = await h['file.delete']({ dir, path: 'config-renamed.json' });
    expect(p.configFile).toBe('config.json');
    expect(fs.existsSync(path.join(dir, 'config-renamed.json'))).toBe(false);
    for (const c of ['config-influx.json', 'config-kafka.json', 'config-labels.json']) p = await h['file.delete']({ dir, path: c });
    expect(p.configs).toEqual(['config.json']);
    await expect(h['file.delete']({ dir, path: 'config.json' })).rejects.toThrow(/only config/);
  });
});

describe('errors in sight during a run', () => {
  it('stdout output text and runtime failures of user code reach the UI as events, counted', async () => {
    const events: { event: string; payload: any }[] = [];
    let finished: () => void = () => {};
    const done = new Promise<void>((r) => (finished = r));
    const hr = createHandlers({
      mode: 'web',
      samplesDir: path.join(root, 'samples'),
      stateDir: path.join(tmp, 'state-run'),
      pickRoots: [tmp],
      emit: (event, payload) => {
        events.push({ event, payload });
        if (event === 'run.finished') finished();
      },
    });
    const dir = path.join(tmp, 'projects', 'failing');
    await hr['project.create']({ template: 'sample:sensors', dir });
    fs.writeFileSync(
      path.join(dir, 'boom.mjs'),
      "export const transformFunctions = [{ name: 'boom', arity: 1, params: ['numeric'], returns: 'DoubleType', apply: (x) => { if (x > 4000) throw new Error('too fast'); return x; } }];\n" +
        'export default class Fails { analysis() { throw new Error("analysis broke"); } }\n',
    );
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.extensions = ['./boom.mjs'];
    cfg.processing.transformation.push('b: boom(rotation_speed)');
    cfg.processing.aggregations.rule.push('max(b)');
    cfg.analysis.rule = [{ module: './boom.mjs', name: 'F', options: {} }];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    await hr['run.start']({ dir, speed: 0 });
    await done;
    await hr.dispose();
    const output = events.filter((e) => e.event === 'run.output').map((e) => e.payload.text as string);
    expect(output.join('')).toMatch(/^-{10,}\n\(\(1, '/);
    const problems = events.filter((e) => e.event === 'run.problems').map((e) => e.payload);
    const last = problems.at(-1)!;
    const rowErrors = events.find((e) => e.event === 'run.finished')!.payload.progress.rowErrors as number;
    expect(rowErrors).toBeGreaterThan(0);
    expect(last.userCode).toBeGreaterThan(rowErrors);
    expect(last.outputs).toBe(0);
    const latest = problems.flatMap((p) => p.latest);
    expect(latest.some((p) => p.kind === 'user-code' && /too fast/.test(p.message))).toBe(true);
    expect(latest.some((p) => p.kind === 'user-code' && /analysis F \(.*boom\.mjs\) failed.*analysis broke/.test(p.message))).toBe(true);
  }, 60_000);

  it('problemKind tells user-code failures and output failures from other warnings', async () => {
    const { problemKind } = await import('../../../main/api/runs.js');
    expect(problemKind('analysis F (./x.mjs) failed for window ending 2023-01-01T00:00:00.000Z: boom; its alerts for this row are lost')).toBe('user-code');
    expect(problemKind('influx output: http://127.0.0.1:1 does not answer (ECONNREFUSED); retrying')).toBe('output');
    expect(problemKind('influx output: http://127.0.0.1:1 answers again')).toBeUndefined();
    expect(problemKind('rate is ignored under event time')).toBeUndefined();
  });
});
