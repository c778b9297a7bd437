// The workbench state (renderer/src/state/workbench.svelte.ts) through the real handlers served in-process:
// opening a project, trust, check and preview on edit (debounced on the virtual clock), autosave.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers.js';

describe('Workbench state', () => {
  let t: TestApp;
  let dir: string;
  beforeEach(async () => {
    t = testApp();
    dir = t.sample('sensors');
    await t.app.wb.init();
  });
  afterEach(() => t.dispose());

  it('opens a project: documents, schemas, completion data, the first check and preview, no runs yet', async () => {
    const { wb, run } = t.app;
    expect(wb.app?.mode).toBe('web');
    expect(t.editor.completion.functions?.transform.length).toBeGreaterThan(10);
    await wb.openProject(dir);
    await t.transport.idle();
    expect(wb.project).toMatchObject({ dir: fs.realpathSync(dir), configFile: 'config.json', dataStructureFile: 'data_structure.json' });
    expect(wb.tabs.map((x) => x.path)).toEqual(['data_structure.json', 'config.json']);
    expect(wb.active).toBe('config.json');
    expect(t.editor.schemasFor).toEqual({ configFile: 'config.json', dataStructureFile: 'data_structure.json' });
    expect(wb.model('config.json')!.getValue()).toBe(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(wb.check?.ok).toBe(true);
    expect(wb.preview?.rows.length).toBeGreaterThan(0);
    expect(t.editor.completion.summary).toBeDefined();
    expect(run.history).toEqual([]);
    expect(run.historyNote).toMatch(/no history yet/);
  });

  it('an untrusted folder opens restricted with the banner; trusting it lifts both', async () => {
    const { wb } = t.app;
    await wb.openProject(dir);
    expect(wb.restricted).toBe(true);
    expect(wb.trustBanner).toBe(true);
    await wb.trust('folder');
    await t.transport.idle();
    expect(wb.restricted).toBe(false);
    expect(wb.trustBanner).toBe(false);
    await wb.loadTrustedFolders();
    expect(wb.trustedFolders.map((f) => f.path)).toEqual([fs.realpathSync(dir)]);
    await wb.forgetTrust(fs.realpathSync(dir));
    expect(wb.trustedFolders).toEqual([]);
  });

  it('an edit marks the tab dirty and checks the unsaved text once the typing pauses; an undo makes it clean again', async () => {
    const { wb } = t.app;
    await wb.openProject(dir);
    await t.transport.idle();
    wb.setAutosave(false);
    const model = wb.model('config.json')!;
    const saved = model.getValue();
    model.setValue(saved.replace('"transformation"', '"transformations_typo"'));
    expect(wb.tabs.find((x) => x.path === 'config.json')?.dirty).toBe(true);
    // debounced: nothing checked before the pause
    await t.clock.advance(100);
    await t.transport.idle();
    expect(wb.check?.ok).toBe(true);
    await t.clock.advance(200);
    await t.transport.idle();
    expect(wb.check?.ok).toBe(false);
    expect(wb.errorCount).toBeGreaterThan(0);
    expect(model.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    expect(wb.previewStale).toBe(true);
    // the disk still holds the saved text
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(saved);
    model.undo();
    expect(wb.dirtyCount).toBe(0);
    await t.clock.advance(300);
    await t.transport.idle();
    expect(wb.check?.ok).toBe(true);
    expect(wb.previewStale).toBe(false);
  });

  it('autosave writes an edit to disk after its delay; the setting is remembered', async () => {
    const { wb } = t.app;
    await wb.openProject(dir);
    await t.transport.idle();
    expect(wb.autosave).toBe(true);
    const model = wb.model('config.json')!;
    const edited = model.getValue().replace(/\n$/, '\n\n');
    model.setValue(edited);
    await t.clock.advance(1000);
    await t.transport.idle();
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toBe(edited);
    await t.clock.advance(600);
    await t.transport.idle();
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(edited);
    expect(wb.dirtyCount).toBe(0);
    wb.setAutosave(false);
    const again = testApp({ settings: { 'ts-engine-autosave': 'off' } });
    expect(again.app.wb.autosave).toBe(false);
    await again.dispose();
  });

  it('closing the project tells the other state classes', async () => {
    const { wb, run, connections } = t.app;
    await wb.openProject(dir);
    await t.transport.idle();
    await connections.load();
    expect(connections.defaults).not.toBeNull();
    const models = wb.tabs.map((x) => wb.model(x.path)!);
    wb.closeProject();
    await t.transport.idle();
    expect(wb.project).toBeNull();
    expect(models.every((m) => (m as { disposed?: boolean }).disposed)).toBe(true);
    expect(connections.defaults).toBeNull();
    expect(run.history).toEqual([]);
  });
});
