/**
 * The workbench at its smallest supported size, 1000×700: every toolbar control and every
 * results tab is on screen and works, every dialog opens and Esc closes it (the top-most first),
 * and the start screen's dialogs too.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, shot, test } from './fixtures.js';

test.use({ viewport: { width: 1000, height: 700 } });

/** the element lies wholly inside the 1000×700 window */
async function onScreen(el: Locator): Promise<void> {
  await expect(el).toBeVisible();
  const box = (await el.boundingBox())!;
  const what = `${(await el.textContent())?.trim()} at ${JSON.stringify(box)}`;
  expect(box.x, what).toBeGreaterThanOrEqual(0);
  expect(box.y, what).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, what).toBeLessThanOrEqual(1000);
  expect(box.y + box.height, what).toBeLessThanOrEqual(700);
}

async function dialogCount(page: Page): Promise<number> {
  return page.getByRole('dialog').count();
}

test('at 1000×700 every control and tab is reachable and every dialog closes on Esc', async ({ page, wb, errors }) => {
  void errors;
  await page.goto(wb.url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');

  for (const id of ['project-name', 'trust-badge', 'save', 'preview', 'run-start', 'run-step', 'run-stop', 'run-speed', 'export-open'])
    await onScreen(page.getByTestId(id));
  await onScreen(page.getByTestId('editor'));
  await onScreen(page.getByTestId('new-file'));
  await onScreen(page.getByTestId('config-picker'));
  await onScreen(page.getByTestId('problems-summary'));
  await shot(page, '13-small-window');

  const tabs: [string, string][] = [
    ['tab-chart', 'charts'],
    ['tab-windows', 'windows-table'],
    ['tab-alerts', 'alerts-panel'],
    ['tab-errors', 'row-errors'],
    ['tab-runs', 'runs-panel'],
    ['tab-backtest', 'backtest-panel'],
    ['tab-compare', 'compare-panel'],
    ['tab-output', 'output-panel'],
    ['tab-connections', 'connections-panel'],
    ['tab-preview', 'preview-panel'],
  ];
  for (const [tab, panel] of tabs) {
    await onScreen(page.getByTestId(tab));
    await page.getByTestId(tab).click();
    await expect(page.getByTestId(panel).first()).toBeVisible();
  }

  // a run's controls at this size: the progress wraps under the controls, still on screen
  await page.getByTestId('run-speed').selectOption({ label: '1x' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  for (const id of ['run-pause', 'run-step', 'run-stop', 'run-state', 'rows-read', 'windows-closed']) await onScreen(page.getByTestId(id));
  await shot(page, '14-small-window-running');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('run-state')).toHaveText('stopped');

  // the export dialog, and the folder picker over it: Esc closes the top one first, and stops no run
  await page.getByTestId('export-open').click();
  await expect(page.getByRole('dialog', { name: 'Export for production' })).toBeVisible();
  await onScreen(page.getByTestId('export-run'));
  await page.getByRole('dialog').getByRole('button', { name: 'Browse…' }).click();
  await expect(page.getByRole('dialog', { name: 'Export into' })).toBeVisible();
  await shot(page, '15-small-window-dialogs');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Export into' })).toHaveCount(0);
  await expect(page.getByRole('dialog', { name: 'Export for production' })).toBeVisible();
  // Esc works wherever the focus is: on the page body too
  await page.locator('body').click({ position: { x: 2, y: 698 }, force: true });
  await page.keyboard.press('Escape');
  expect(await dialogCount(page)).toBe(0);

  // the new-file dialog fits and closes on Esc
  await page.getByTestId('new-file').click();
  await onScreen(page.getByTestId('new-create'));
  await page.keyboard.press('Escape');
  expect(await dialogCount(page)).toBe(0);

  // the trust banner's buttons fit too
  await page.getByTestId('trust-badge').click();
  await onScreen(page.getByTestId('trust-banner'));
  await page.getByTestId('trust-badge').click();

  // the start screen's folder pickers
  await page.getByRole('button', { name: 'close project' }).click();
  await expect(page.getByTestId('open-path')).toBeVisible();
  await page.getByRole('button', { name: 'Browse…' }).first().click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await onScreen(page.getByRole('dialog').getByRole('button', { name: 'Use this folder' }));
  await page.keyboard.press('Escape');
  expect(await dialogCount(page)).toBe(0);
  await page.getByTestId('sample-sensors').click();
  await page.getByRole('button', { name: 'Browse…' }).nth(1).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  expect(await dialogCount(page)).toBe(0);
  await shot(page, '16-small-window-start');
});
