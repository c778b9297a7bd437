// Starting from a blank page in the workbench state (renderer/src/state/authoring.svelte.ts) through the real handlers
// served in-process: a new project from a template, new files (inferred structure, modules), the active config picker,
// rename and delete keeping the open documents in step, and a reload reopening the project that was open.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memorySettings } from '../../../../renderer/src/state/deps.js';
import { AppState } from '../../../../renderer/src/state/app.js';
import { type TestApp, testApp } from '../helpers.js';

describe('Authoring state', () => {
  let t: TestApp;
  afterEach(() => t.dispose());
  /** a copy of the sensors sample, opened and trusted; its folder */
  const openSensors = async () => {
    t = testApp();
    const dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.wb.trust('folder');
    await t.transport.idle();
    return dir;
  };

  it('a new CSV project opens trusted and green; a data structure inferred from its CSV opens with its notes', async () => {
    t = testApp();
    const { wb, authoring } = t.app;
    await wb.init();
    expect(wb.app?.templates.map((x) => x.id)).toContain('csv');
    const dir = path.join(t.tmp, 'projects', 'fresh');
    expect(await authoring.createProject('csv', dir)).toBe(true);
    await t.transport.idle();
    expect(wb.project?.trust.trusted).toBe(true);
    expect(wb.tabs.map((x) => x.path)).toEqual(['data_structure.json', 'config.json']);
    expect(wb.check?.ok).toBe(true);
    expect(wb.preview?.rows.length).toBe(4);
    expect(authoring.csvFiles).toEqual(['data/data.csv']);

    expect(await authoring.newFile('data-structure', 'inferred.json', 'data/data.csv')).toBe(true);
    expect(wb.active).toBe('inferred.json');
    expect(JSON.parse(wb.model('inferred.json')!.getValue())).toEqual({
      time: { index: 0, type: 'LongType' },
      device: { index: 1, type: 'StringType' },
      temperature: { index: 2, type: 'DoubleType' },
      humidity: { index: 3, type: 'IntegerType' },
    });
    expect(authoring.notes[0]).toMatch(/header line.*event time: time \(epoch s\)/);
    expect(wb.project?.files.some((f) => f.path === 'inferred.json')).toBe(true);
    // the same name again is refused with a toast, nothing overwritten
    expect(await authoring.newFile('data-structure', 'inferred.json', 'data/data.csv')).toBe(false);
    expect(wb.toast?.text).toMatch(/exists already/);
  });

  it('several configs: the picker saves edits and reopens on the other config; rename and delete follow the open tabs', async () => {
    const dir = await openSensors();
    const { wb, authoring } = t.app;
    expect(wb.project?.configs).toEqual(['config.json', 'config-influx.json', 'config-kafka.json']);
    wb.setAutosave(false);
    const edited = wb.model('config.json')!.getValue().replace('"batchDuration": 10', '"batchDuration": 20');
    wb.model('config.json')!.setValue(edited);
    expect(await authoring.setActiveConfig('config-kafka.json')).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(edited);
    expect(wb.project?.configFile).toBe('config-kafka.json');
    expect(wb.active).toBe('config-kafka.json');
    expect(t.editor.schemasFor?.configFile).toBe('config-kafka.json');
    await t.transport.idle();
    expect(wb.check?.ok).toBe(true);

    await authoring.newFile('extension-module', 'ext/ops.ts');
    expect(wb.active).toBe('ext/ops.ts');
    wb.model('ext/ops.ts')!.setValue(`${wb.model('ext/ops.ts')!.getValue()}\n// edited\n`);
    expect(await authoring.rename('ext/ops.ts', 'ext/my-ops.ts')).toBe(true);
    expect(wb.tabs.map((x) => x.path)).toContain('ext/my-ops.ts');
    expect(wb.tabs.map((x) => x.path)).not.toContain('ext/ops.ts');
    expect(wb.model('ext/my-ops.ts')!.getValue()).toMatch(/\/\/ edited\n$/);
    expect(await authoring.remove('ext/my-ops.ts')).toBe(true);
    expect(wb.tabs.map((x) => x.path)).not.toContain('ext/my-ops.ts');
    expect(fs.existsSync(path.join(dir, 'ext/my-ops.ts'))).toBe(false);

    // deleting the active config falls back to config.json
    expect(await authoring.remove('config-kafka.json')).toBe(true);
    expect(wb.project?.configFile).toBe('config.json');
    expect(wb.active).toBe('config.json');
  });

  it('new extension functions are offered to completion with the check that sees them, before any save', async () => {
    const dir = await openSensors();
    const { wb, authoring } = t.app;
    wb.setAutosave(false);
    await authoring.newFile('extension-module', 'extensions/fx.mjs');
    const model = wb.model('config.json')!;
    model.setValue(model.getValue().replace('"databases": {}', '"extensions": ["./extensions/fx.mjs"],\n  "databases": {}'));
    await wb.runPreview();
    expect(wb.check?.ok).toBe(true);
    expect(t.editor.completion.functions?.transform.map((f) => f.name)).toContain('fx_clamp');
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toContain('extensions');
  });

  it('a reload reopens the project that was open, not the one the app started on', async () => {
    t = testApp();
    const settings = memorySettings();
    const a = t.sample('sensors');
    const b = t.sample('netflow');
    const first = new AppState({ transport: t.transport, scheduler: t.clock, settings, editor: t.editor });
    await first.wb.init();
    await first.wb.openProject(a);
    await first.wb.openProject(b);
    await t.transport.idle();
    const reloaded = new AppState({ transport: t.transport, scheduler: t.clock, settings, editor: t.editor });
    await reloaded.wb.init();
    expect(reloaded.wb.project?.dir).toBe(fs.realpathSync(b));
    reloaded.wb.closeProject();
    const afterClose = new AppState({ transport: t.transport, scheduler: t.clock, settings, editor: t.editor });
    await afterClose.wb.init();
    expect(afterClose.wb.project).toBeNull();
    await t.transport.idle();
  });
});
