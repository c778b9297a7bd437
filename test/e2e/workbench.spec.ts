/**
 * The workbench as a person uses it, in Chromium against web mode: open a
 * sample, break the config and see the marker at the right line, fix it,
 * replay the CSV and watch the chart and alerts, control the replay, reopen
 * and see history (the Export dialog: export.spec.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, lineOf, shot, startWorkbench, stopWorkbench, test } from './fixtures.js';

async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json' })).toBeVisible();
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
}

/** Puts the cursor at the end of the first editor line containing `text`. */
async function cursorAtEndOf(page: Page, text: string): Promise<void> {
  const line = page.getByTestId('editor').locator('.view-line', { hasText: text }).first();
  // click near the start of the text: a line element is as wide as the widest line
  await line.click({ position: { x: 4, y: 4 } });
  await page.keyboard.press('End');
}

/**
 * Moves the mouse onto `word` (plus `into` characters) of the editor line containing `lineText`.
 * Measured in one step in the page: Monaco re-renders lines at any time (markers, themes).
 */
async function hoverWord(page: Page, lineText: string, word: string, into: number): Promise<void> {
  const line = page.getByTestId('editor').locator('.view-line', { hasText: lineText }).first();
  const p = await line.evaluate(
    (el, [w, k]) => {
      // the rectangle of the very character, measured by a DOM range: right whatever font the machine falls back to
      const at = (el.textContent ?? '').indexOf(w as string) + (k as number);
      const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      let seen = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const length = node.textContent?.length ?? 0;
        if (at < seen + length) {
          const range = el.ownerDocument.createRange();
          range.setStart(node, at - seen);
          range.setEnd(node, at - seen + 1);
          const r = range.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }
        seen += length;
      }
      throw new Error(`no character ${at} in line ${el.textContent}`);
    },
    [word, into],
  );
  await page.mouse.move(p.x - 40, p.y - 60);
  await page.mouse.move(p.x, p.y, { steps: 8 });
}

test('open a sample from the start screen: preview tables fill', async ({ page, errors }) => {
  void errors;
  const w = await startWorkbench({ openProject: false });
  try {
    await page.goto(w.url);
    await expect(page.getByRole('heading', { name: 'ts-engine workbench' })).toBeVisible();
    await page.getByTestId('sample-sensors').click();
    const target = path.join(w.tmp, 'projects', 'my-sensors');
    await page.getByTestId('sample-dir').fill(target);
    await shot(page, '01-start-screen');
    await page.getByTestId('create-from-sample').click();
    await expect(page.getByTestId('project-name')).toHaveText('my-sensors');
    await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
    // preview: first 1000 rows through the config, outputs off
    await expect(page.getByTestId('preview-meta')).toContainText('First 1,000 rows');
    await expect(page.getByTestId('preview-aggregates').locator('tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('preview-rows').locator('thead')).toContainText('rpm_max');
    expect(fs.existsSync(path.join(target, 'config.json'))).toBe(true);
    expect(fs.existsSync(path.join(target, 'data', 'sensors.db')), 'preview writes no output').toBe(false);
    // the token left the address bar; the page keeps working
    expect(page.url()).not.toContain('token=');
    await shot(page, '02-preview');
  } finally {
    await stopWorkbench(w, page);
  }
});

test('an error shows as a marker at its line and in the problems list; fixing it clears both', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  const configFile = path.join(wb.project, 'config.json');
  const expectedLine = lineOf(configFile, 'rpm_max: rotation_speed');

  // "rpm_max: rotation_speed" → "rpm_max: rotation_spe"
  await cursorAtEndOf(page, 'rpm_max: rotation_speed');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');

  const problem = page.getByTestId('problem').filter({ hasText: 'rotation_spe' });
  await expect(problem).toContainText(`config.json:${expectedLine}:`);
  await expect(problem).toContainText('FieldNotExists');
  await expect(page.getByTestId('problems-summary')).toContainText('1 error');

  // the squiggle sits on that line of the editor
  const squiggle = page.getByTestId('editor').locator('.squiggly-error').first();
  await expect(squiggle).toBeVisible();
  const lineBox = await page.getByTestId('editor').locator('.view-line', { hasText: 'rpm_max: rotation_spe' }).first().boundingBox();
  const sqBox = await squiggle.boundingBox();
  expect(Math.abs(sqBox!.y + sqBox!.height / 2 - (lineBox!.y + lineBox!.height / 2))).toBeLessThan(lineBox!.height);
  await expect(page.getByTestId('preview-meta')).toContainText('showing the last valid preview');
  await shot(page, '03-error-marker');

  // the problems list jumps to the place
  await page.getByTestId('editor-tab').filter({ hasText: 'data_structure.json' }).locator('button').first().click();
  await problem.click();
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json' })).toHaveAttribute('aria-selected', 'true');

  // fix it: type the two letters back
  await cursorAtEndOf(page, 'rpm_max: rotation_spe');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.type('ed');
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await expect(page.getByTestId('editor').locator('.squiggly-error')).toHaveCount(0);
  await expect(page.getByTestId('preview-meta')).not.toContainText('last valid preview');

  // auto-save: the disk is the truth
  await expect.poll(() => fs.readFileSync(configFile, 'utf8').includes('"rpm_max: rotation_speed"'), { timeout: 10_000 }).toBe(true);
});

test('Ctrl+S saves, Ctrl+Enter previews (auto-save off)', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  await page.getByLabel('auto-save').uncheck();
  const configFile = path.join(wb.project, 'config.json');
  await cursorAtEndOf(page, '"batchDuration": 10');
  await page.keyboard.press('ArrowLeft'); // before the comma
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('20');
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json ●' })).toBeVisible();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('preview-meta')).toContainText('3 windows');
  expect(fs.readFileSync(configFile, 'utf8')).toContain('"batchDuration": 10');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json ●' })).toHaveCount(0);
  expect(fs.readFileSync(configFile, 'utf8')).toContain('"batchDuration": 20');
});

test('replay: the chart draws, alerts appear, history is shown when the project is reopened', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toContainText('18,000 rows');
  await expect(page.getByTestId('windows-closed')).toHaveText('90 windows');

  // one chart per aggregated column, drawn
  const charts = page.getByTestId('chart');
  await expect(charts).toHaveCount(6);
  const chart = page.locator('[data-testid="chart"][data-column="rpm_max"]');
  // the key picker is the legend: the 10 keys with the most alerts, the others as one band
  await expect(page.getByTestId('chart-legend')).toContainText('gear.t3');
  await expect(page.getByTestId('chart-legend')).toContainText('other keys (band)');
  await expect(chart).toHaveAttribute('data-lines', '10');
  // count painted pixels (the root tsconfig has no DOM types: describe the canvas here)
  type Canvas = {
    width: number;
    height: number;
    getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  };
  const painted = await chart.locator('canvas').evaluate((el) => {
    const c = el as unknown as Canvas;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(2000);
  await expect(page.getByTestId('tab-alerts')).not.toContainText(/Alerts\s*0$/);
  await shot(page, '04-chart-after-replay');

  await page.getByTestId('tab-alerts').click();
  const rows = page.getByTestId('alert-row');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThan(10);
  await expect(page.getByTestId('alerts-panel')).toContainText('Simple1');
  await expect(page.getByTestId('alerts-panel')).toContainText('rpm_max');
  await shot(page, '05-alerts');

  await page.getByTestId('tab-windows').click();
  await expect(page.getByTestId('windows-table').locator('tbody tr').first()).toBeVisible();
  await shot(page, '06-windows');

  // the store holds the run: reopening shows it as history
  expect(fs.existsSync(path.join(wb.project, 'data', 'sensors.db'))).toBe(true);
  await page.goto(wb.url);
  await expect(page.getByTestId('run-progress')).toContainText('history from data/sensors.db (points): 90 windows');
  await page.getByTestId('tab-chart').click();
  await expect(page.getByTestId('chart')).toHaveCount(6);
  await expect(page.getByTestId('tab-alerts')).not.toContainText(/Alerts\s*0$/);
});

const count = async (page: Page, id: string) => parseInt(((await page.getByTestId(id).textContent()) ?? '0').replace(/,/g, ''), 10);

test('pause freezes the replay: resumed, it goes on from the rows it had read, at its pace', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  // 10x: the sensors file (a row every 50 ms of event time) is read at about 200 rows a second
  await page.getByTestId('run-speed').selectOption({ label: '10x' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await expect.poll(() => count(page, 'rows-read'), { timeout: 20_000 }).toBeGreaterThan(100);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  const atPause = await count(page, 'rows-read');
  const windowsAtPause = await count(page, 'windows-closed');
  // paused for 5 s: 1 000 rows' worth of replay time, which a resumed replay must not rush through
  await page.waitForTimeout(5000);
  expect(await count(page, 'rows-read'), 'nothing is read while paused').toBe(atPause);
  expect(await count(page, 'windows-closed')).toBe(windowsAtPause);
  await page.getByTestId('run-resume').click();
  await expect.poll(() => count(page, 'rows-read'), { timeout: 20_000 }).toBeGreaterThan(atPause);
  const afterResume = await count(page, 'rows-read');
  expect(afterResume - atPause, 'the first progress after resuming continues from the pause').toBeLessThan(500);
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await page.getByTestId('run-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
});

test('step from idle at 1x runs exactly one window and waits; Esc stops the run as stopped, kept in the run history', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  await page.getByTestId('run-speed').selectOption({ label: '1x' });
  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('run-state')).toHaveText('paused', { timeout: 20_000 });
  await expect(page.getByTestId('windows-closed')).toHaveText('1 windows');
  // it stays at one window: a step from idle is not a start
  await page.waitForTimeout(2000);
  await expect(page.getByTestId('windows-closed')).toHaveText('1 windows');
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  await page.getByTestId('run-step').click();
  await expect(page.getByTestId('windows-closed')).toHaveText('2 windows', { timeout: 20_000 });
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  const rows = await count(page, 'rows-read');
  expect(rows).toBeLessThan(18_000 / 10);
  // Esc (focus outside the editor) stops the run: stopped, not finished, the bar where the run was
  await page.locator('body').click({ position: { x: 5, y: 880 } });
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('run-state')).toHaveText('stopped', { timeout: 20_000 });
  await shot(page, '07-stopped-run');
  await page.getByTestId('tab-runs').click();
  const record = page.getByTestId('run-record').first();
  await expect(record).toHaveAttribute('data-state', 'stopped');
  await expect(record).toContainText('1x');
  await expect(page.getByTestId('tab-runs')).toContainText('1');
  // a full run afterwards is listed above it as finished
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
  await page.getByTestId('tab-runs').click();
  await expect(page.getByTestId('run-record')).toHaveCount(2);
  await expect(page.getByTestId('run-record').first()).toHaveAttribute('data-state', 'finished');
  await expect(page.getByTestId('run-record').first()).toContainText('18,000');
  await shot(page, '12-run-history');
  // the history outlives the page
  await openWorkbench(page, wb.url);
  await page.getByTestId('tab-runs').click();
  await expect(page.getByTestId('run-record')).toHaveCount(2);
});

test('bad rows are listed with their line and reason', async ({ page, wb, errors }) => {
  void errors;
  const csv = path.join(wb.project, 'data', 'sensors.csv');
  const lines = fs.readFileSync(csv, 'utf8').split('\n');
  lines[4] = '1700000000,5,fan.t1,not-a-number,51.48,oops,440.52';
  lines[9] = '1700000000,10';
  fs.writeFileSync(csv, lines.join('\n'));
  await openWorkbench(page, wb.url);
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
  await expect(page.getByTestId('tab-errors')).toContainText('2');
  await page.getByTestId('tab-errors').click();
  const table = page.getByTestId('row-errors');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr').first()).toContainText('5');
  await expect(table.locator('tbody tr').nth(1)).toContainText('10');
  await shot(page, '08-bad-rows');
});

test('completion inside transformation strings offers fields and functions', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  // a new last entry after "speed_gt: …": the editor closes the quote itself
  await cursorAtEndOf(page, 'speed_gt: gt(rotation_speed, 4000)');
  await page.keyboard.type(', "x: mu');
  await page.keyboard.press('Control+Space');
  const suggest = page.locator('.suggest-widget');
  await expect(suggest).toBeVisible();
  await expect(suggest).toContainText('mul');
  await page.keyboard.press('Escape');
  await page.keyboard.type('l(torq');
  await page.keyboard.press('Control+Space');
  await expect(suggest).toContainText('torque');
  await shot(page, '10-completion');
});

test('hover docs for functions inside transformation strings; the dark theme follows the system', async ({ page, wb, errors }) => {
  void errors;
  await page.emulateMedia({ colorScheme: 'dark' });
  await openWorkbench(page, wb.url);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('editor').locator('.monaco-editor.vs-dark')).toBeVisible();
  const hover = page.locator('.monaco-hover').filter({ hasText: 'lt(' });
  await expect(async () => {
    await hoverWord(page, 'speed_lt: lt(rotation_speed, 1000)', 'lt(rotation', 1);
    await expect(hover.first()).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  await expect(hover.first()).toContainText('BooleanType');
  await shot(page, '11-dark-hover');

  // JSON Schema hover docs on config keys
  await expect(async () => {
    await hoverWord(page, '"batchDuration": 10', 'batchDuration', 3);
    await expect(page.locator('.monaco-hover').filter({ hasText: 'Window length in seconds' }).first()).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});
