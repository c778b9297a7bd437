// checkConfig's restricted mode (userModules: 'skip'): nothing from the project is imported (its
// modules are only parsed), what only running them could tell is reported as not checked, and every
// other check still runs. By default modules load in the sandbox, where they cannot reach the host.
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import { writeHostileProject } from '../main/hostile-project.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-plan-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("checkConfig with userModules: 'skip'", () => {
  it('imports no extension or analysis module and reports them as not checked (warnings, at their place)', async () => {
    const p = writeHostileProject(path.join(tmp, 'skip'));
    const r = await checkConfig(path.join(p.dir, 'config.json'), undefined, undefined, { userModules: 'skip' });
    expect(p.ran()).toBe(false);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.find((d) => d.path === 'extensions[0]')?.message).toMatch(/ext\.mjs: not checked in restricted mode/);
    const call = warnings.find((d) => d.path === 'processing.transformation[8]');
    expect(call?.message).toBe(
      "processing.transformation[8]: Operation 'twice' is an extension function (its module was parsed, not run); not checked in restricted mode: user modules are not loaded until the folder is trusted",
    );
    // the warning sits on the call inside the transformation string
    const line = fs
      .readFileSync(path.join(p.dir, 'config.json'), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('twice(rotation_speed)'));
    expect(call?.line).toBe(line + 1);
    // the parse gave the function's signature: the plan type-checks, but neither runs nor previews
    expect(r.plan?.untrusted).toBe('rows');
    expect(r.plan?.transform.columns.at(-1)).toEqual({ name: 'rpm_twice', type: 'DoubleType' });
  });

  it('still reports real errors of the config in restricted mode', async () => {
    const p = writeHostileProject(path.join(tmp, 'errors'));
    const file = path.join(p.dir, 'config.json');
    const text = fs.readFileSync(file, 'utf8').replace('rpm_max: rotation_speed', 'rpm_max: rotation_sped');
    const r = await checkConfig(file, text, undefined, { userModules: 'skip' });
    expect(p.ran()).toBe(false);
    expect(r.diagnostics.find((d) => d.severity === 'error')).toMatchObject({ errorClass: 'FieldNotExists', path: 'processing.transformation[4]' });
  });

  it('a config whose only user code is an analysis module compiles to a plan without importing it', async () => {
    const p = writeHostileProject(path.join(tmp, 'analysis-only'));
    const file = path.join(p.dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete cfg.extensions;
    cfg.processing.transformation.pop();
    cfg.processing.aggregations.rule.pop();
    const r = await checkConfig(file, JSON.stringify(cfg, null, 2), undefined, { userModules: 'skip' });
    expect(p.ran()).toBe(false);
    expect(r.plan?.untrusted).toBe('analyses');
    expect(r.diagnostics.find((d) => d.path === 'analysis.rule[2].module')).toMatchObject({ severity: 'warning' });
    expect(r.diagnostics.find((d) => d.path === 'analysis.rule[2].module')!.message).toMatch(/Notes\.js: not checked in restricted mode/);
  });

  it('an unknown function is still an error in restricted mode when the config has no extension module', async () => {
    const p = writeHostileProject(path.join(tmp, 'no-ext'));
    const file = path.join(p.dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete cfg.extensions;
    const r = await checkConfig(file, JSON.stringify(cfg, null, 2), undefined, { userModules: 'skip' });
    expect(r.diagnostics.find((d) => d.path === 'processing.transformation[8]')).toMatchObject({ severity: 'error', errorClass: 'OperationNotSupportedError' });
  });

  it("by default ('load') the modules are loaded and checked in the sandbox, where they cannot write files", async () => {
    const p = writeHostileProject(path.join(tmp, 'load'));
    const r = await checkConfig(path.join(p.dir, 'config.json'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plan?.untrusted).toBeUndefined();
    expect(r.plan?.userCode?.rows).toBeDefined();
    expect(r.plan?.userCode?.analyses.get(2)).toMatchObject({ exportName: 'default' });
    expect(p.ran()).toBe(false);
  });

  it('the marker code works where a module is imported into Node itself (so the tests above can fail)', async () => {
    const p = writeHostileProject(path.join(tmp, 'control'));
    await import(pathToFileURL(path.join(p.dir, 'ext.mjs')).href);
    expect(fs.existsSync(p.extMarker)).toBe(true);
  });
});
