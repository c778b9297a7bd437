// The Export dialog's state (renderer/src/state/export.svelte.ts) through the real handlers in-process: the targets with
// their descriptions, the change list of the chosen target before anything is written, writing only on confirm (lossy
// changes need "allow lossy", blockers forbid writing), and Verify offered after a Flink export.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers.js';

describe('Export state', () => {
  let t: TestApp;
  let dir: string;
  beforeEach(async () => {
    t = testApp();
    dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.wb.trust('folder');
    await t.transport.idle();
  });
  afterEach(() => t.dispose());

  it('offers the targets, ts-engine first, and lists its changes before writing; writing is the confirmation', async () => {
    const ex = t.app.exports;
    await ex.open();
    expect(ex.targets.map((x) => x.name)).toEqual(['ts-engine', 'flink', 'reference']);
    expect(ex.targets.every((x) => x.description.length > 20)).toBe(true);
    expect(ex.target).toBe('ts-engine');
    const root = fs.realpathSync(dir);
    expect(ex.outDir).toBe(`${root}-ts-engine`);
    expect(ex.plan?.target).toBe('ts-engine');
    // the bundle replays the project's file by its absolute path: a note, not a refusal
    expect(ex.plan?.changes).toContainEqual(expect.objectContaining({ kind: 'note', path: 'input.options.path' }));
    expect(ex.plan?.refusal).toBeUndefined();
    expect(ex.lossy).toBe(false);
    expect(ex.cannotWrite).toBeNull();
    expect(fs.existsSync(ex.outDir)).toBe(false);

    const written = await ex.write();
    expect(written?.target).toBe('ts-engine');
    expect(written?.files).toEqual(expect.arrayContaining(['config.json', 'data_structure.json', '.env.example', 'README.md']));
    expect(fs.existsSync(path.join(root + '-ts-engine', 'config.json'))).toBe(true);
    expect(ex.canVerify).toBe(false);
  });

  it('a lossy target is written only once "allow lossy" is ticked', async () => {
    const ex = t.app.exports;
    await ex.open();
    await ex.choose('reference');
    const root = fs.realpathSync(dir);
    expect(ex.outDir).toBe(`${root}-reference`);
    expect(ex.plan?.changes).toContainEqual(expect.objectContaining({ kind: 'lossy', path: 'input.options.time_field' }));
    expect(ex.plan?.refusal?.reason).toBe('lossy');
    expect(ex.lossy).toBe(true);
    expect(ex.cannotWrite).toMatch(/Allow lossy changes/);
    expect(await ex.write()).toBeUndefined();
    expect(fs.existsSync(ex.outDir)).toBe(false);

    ex.allowLossy = true;
    expect(ex.cannotWrite).toBeNull();
    const written = await ex.write();
    expect(written?.target).toBe('reference');
    expect(JSON.parse(fs.readFileSync(path.join(ex.outDir, 'config.json'), 'utf8')).input.options.time_field).toBeUndefined();
  });

  it('choosing another target resets "allow lossy" and keeps a folder the user typed', async () => {
    const ex = t.app.exports;
    await ex.open();
    await ex.choose('reference');
    ex.allowLossy = true;
    ex.outDir = path.join(t.tmp, 'mine');
    await ex.choose('flink');
    expect(ex.allowLossy).toBe(false);
    expect(ex.outDir).toBe(path.join(t.tmp, 'mine'));
    // the sample's sqlite output has no Flink form that stores the same
    expect(ex.plan?.changes).toContainEqual(expect.objectContaining({ kind: 'lossy', path: 'outputs[0]' }));
  });

  it('a blocker forbids writing whatever the flags', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(
      path.join(dir, 'ext.mjs'),
      'export const transformFunctions = [{ name: "twice", arity: 1, returns: "DoubleType", apply: (x) => 2 * x }];\n',
    );
    cfg.extensions = ['./ext.mjs'];
    cfg.processing.transformation[5] = 'rpm_sum: twice(rotation_speed)';
    // edited in the editor: the plan is of the saved text (the state saves before planning)
    t.app.wb.model('config.json')!.setValue(JSON.stringify(cfg, null, 2));
    const ex = t.app.exports;
    await ex.open();
    await ex.choose('flink');
    expect(ex.plan?.changes).toContainEqual(expect.objectContaining({ kind: 'blocker', path: 'extensions[0]' }));
    expect(ex.blocked).toBe(true);
    ex.allowLossy = true;
    expect(ex.cannotWrite).toMatch(/no form in this target/);
    expect(await ex.write()).toBeUndefined();
    expect(fs.existsSync(ex.outDir)).toBe(false);
  });

  it('after a Flink export, Verify answers — here that there is no CSV to replay', async () => {
    const ex = t.app.exports;
    await ex.open();
    await ex.choose('flink');
    ex.allowLossy = true;
    const written = await ex.write();
    expect(written?.files).toEqual(expect.arrayContaining(['job.py', 'tsengine_job/generated.py', 'README.md']));
    expect(ex.canVerify).toBe(true);
    fs.rmSync(path.join(dir, 'data/sensors.csv'));
    const v = await ex.verify();
    expect(v?.status).toBe('unavailable');
    expect(ex.verification?.detail).toMatch(/sensors\.csv does not exist/);
    expect(ex.verifying).toBe(false);
  });
});
