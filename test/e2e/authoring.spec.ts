/**
 * From a blank page (docs/workbench.md#new-projects-and-files): a new project from a template, a
 * data structure inferred from a CSV, the active config picker, rename and delete with Esc closing
 * their dialogs, module completion of `history.` from the module contract, a module syntax error
 * marked in the module file, and a reload reopening the project that was open.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, root, shot, startWorkbench, stopWorkbench, test } from './fixtures.js';

/** The text of the editor's visible lines (Monaco renders only what is on screen). */
const editorText = (page: Page) => page.getByTestId('editor').locator('.view-lines');

test('a new CSV project from a template opens trusted, checks green and previews; a reload reopens it', async ({ page, errors }) => {
  void errors;
  const w = await startWorkbench({ openProject: false });
  try {
    await page.goto(w.url);
    await page.getByTestId('template-csv').click();
    const dir = path.join(w.tmp, 'projects', 'readings');
    await page.getByTestId('sample-dir').fill(dir);
    await shot(page, '30-new-project-templates');
    await page.getByTestId('create-from-sample').click();
    await expect(page.getByTestId('project-name')).toHaveText('readings');
    await expect(page.getByTestId('trust-badge')).toContainText('Trusted');
    await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
    await expect(page.getByTestId('preview-panel')).toContainText('device');
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'data', 'data_structure.json']);
    await shot(page, '31-new-csv-project');
    await page.reload();
    await expect(page.getByTestId('project-name')).toHaveText('readings');
  } finally {
    await stopWorkbench(w, page);
  }
});

test('a data structure inferred from a CSV, a second config made active, rename and delete with confirmation', async ({ page, wb, errors }) => {
  void errors;
  await page.goto(wb.url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('new-file').click();
  await page.getByTestId('new-kind-data-structure').check();
  await expect(page.getByTestId('new-csv')).toHaveValue('data/sensors.csv');
  await page.getByTestId('new-path').fill('inferred.json');
  await shot(page, '32-new-file-dialog');
  await page.getByTestId('new-create').click();
  await expect(page.getByTestId('new-file-dialog')).toHaveCount(0);
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'inferred.json' })).toBeVisible();
  await expect(editorText(page)).toContainText('"col5": { "index": 5, "type": "DoubleType" }');
  const ds = JSON.parse(fs.readFileSync(path.join(wb.project, 'inferred.json'), 'utf8'));
  expect(ds.col0).toEqual({ index: 0, type: 'LongType' });
  expect(ds.col2).toEqual({ index: 2, type: 'StringType' });
  await shot(page, '33-inferred-structure');

  // several configs: the picker makes another one active
  await page.getByTestId('config-picker').selectOption('config-kafka.json');
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config-kafka.json' })).toHaveClass(/on/);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');

  // rename: Esc cancels, Enter renames
  const file = page.getByTestId('file-inferred.json');
  await file.hover();
  await page.getByRole('button', { name: 'rename inferred.json' }).click();
  await expect(page.getByTestId('ask-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('ask-dialog')).toHaveCount(0);
  await file.hover();
  await page.getByRole('button', { name: 'rename inferred.json' }).click();
  await page.getByTestId('ask-input').fill('structures/sensors.json');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('file-structures/sensors.json')).toBeVisible();
  expect(fs.existsSync(path.join(wb.project, 'structures/sensors.json'))).toBe(true);

  // delete asks first
  await page.getByTestId('file-structures/sensors.json').hover();
  await page.getByRole('button', { name: 'delete structures/sensors.json' }).click();
  await expect(page.getByTestId('ask-dialog')).toContainText('cannot be undone');
  await shot(page, '34-delete-confirmation');
  await page.getByTestId('ask-ok').click();
  await expect(page.getByTestId('file-structures/sensors.json')).toHaveCount(0);
  expect(fs.existsSync(path.join(wb.project, 'structures/sensors.json'))).toBe(false);

  // the new-file dialog closes on Esc too
  await page.getByTestId('new-file').click();
  await expect(page.getByTestId('new-file-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('new-file-dialog')).toHaveCount(0);
});

test('an analysis module from its template: `history.` completes from the module contract and misuse is a type error', async ({ page, wb, errors }) => {
  void errors;
  await page.goto(wb.url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('new-file').click();
  await page.getByTestId('new-kind-analysis-module').check();
  await page.getByTestId('new-path').fill('analyses/spike.ts');
  await page.getByTestId('new-create').click();
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'analyses/spike.ts' })).toHaveClass(/on/);
  await expect(editorText(page)).toContainText('export default class Spike implements UserAnalysis');

  // a new line at the start of analysis(): type `history.` and ask for completion
  await page.getByTestId('editor').locator('.view-line', { hasText: 'const current = history.current();' }).click();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('history.');
  const suggest = page.locator('.suggest-widget');
  await expect(suggest).toBeVisible();
  await expect(suggest.locator('.monaco-list-row', { hasText: 'current' })).toBeVisible();
  await expect(suggest.locator('.monaco-list-row', { hasText: 'get' })).toBeVisible();
  await expect(suggest.locator('.monaco-list-row')).toHaveCount(2);
  await shot(page, '35-history-completion');
  await page.keyboard.press('Escape');

  // a wrong argument type is marked by the TypeScript service as you type
  await page.keyboard.type('get("one");');
  await expect(page.getByTestId('editor').locator('.squiggly-error')).toHaveCount(1, { timeout: 15_000 });
  // F8 shows the file's problem in place (a hover would depend on where the mouse lands); the
  // service re-checks after typing, so the marker of a half-typed line may come first: look again
  await expect(async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F8');
    await expect(page.getByTestId('editor').locator('.marker-widget')).toContainText(
      "Argument of type 'string' is not assignable to parameter of type 'number'",
      { timeout: 1000 },
    );
  }).toPass({ timeout: 15_000 });
  await shot(page, '36-module-type-error');
});

test('a syntax error in an extension module is marked in the module file at its line', async ({ page, errors }) => {
  void errors;
  const w = await startWorkbench({
    writeProject: (dir) => {
      fs.cpSync(path.join(root, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
      fs.mkdirSync(path.join(dir, 'ext'));
      fs.writeFileSync(path.join(dir, 'ext/ops.mjs'), "export const transformFunctions = [\n  { name: 'twice', arity: 1,, apply: (x) => 2 * x },\n];\n");
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      cfg.extensions = ['./ext/ops.mjs'];
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    },
  });
  try {
    await page.goto(w.url);
    await expect(page.getByTestId('problems-summary')).toContainText('2 errors');
    // the config's problem names the module's place in its message; this one is located in the module
    const inModule = page.getByTestId('problem').filter({ has: page.locator('.loc', { hasText: 'ext/ops.mjs:2:29' }) });
    await expect(inModule).toContainText('Expected identifier but found ","');
    await inModule.click();
    await expect(page.getByTestId('editor-tab').filter({ hasText: 'ext/ops.mjs' })).toHaveClass(/on/);
    // the check's marker sits in the module, where the problem is (the JavaScript service may mark the same place)
    // F8 goes to the next problem of the file and shows it in place: line 2, from the check
    await page.getByTestId('editor').locator('.view-line', { hasText: 'export const transformFunctions' }).click();
    await page.keyboard.press('F8');
    const widget = page.getByTestId('editor').locator('.marker-widget');
    await expect(widget).toContainText('Expected identifier but found ","');
    await expect(widget).toContainText('ts-engine check');
    await expect(page.getByTestId('editor').locator('.current-line ~ .line-numbers, .active-line-number').first()).toHaveText('2');
    await shot(page, '37-module-syntax-error');
  } finally {
    await stopWorkbench(w, page);
  }
});
