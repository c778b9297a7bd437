/**
 * Issue 13, point 3: the Alerts, Windows and Bad rows lists page every row the store holds. A replay of the sensors
 * sample with tight deviations raises 2,513 alerts; the list scrolls to the last of them, a filter narrows the total,
 * a click jumps the chart to the row's window; 1,800 window rows and the planted bad rows list the same way.
 * At the smallest supported window, 1000×700.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, shot, test } from './fixtures.js';

test.use({ viewport: { width: 1000, height: 700 } });

const ALERTS = 2513;
const WINDOW_ROWS = 90 * 20;

/** Simple1 and Avg6 with deviations that alert on most windows, and three rows the data structure cannot read. */
function tighten(project: string): void {
  const config = path.join(project, 'config.json');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('"rpm_max": 50 }', '"rpm_max": 0.1 }').replace('"rpm_sum": 40 }', '"rpm_sum": 0.5 }'));
  const csv = path.join(project, 'data/sensors.csv');
  const lines = fs.readFileSync(csv, 'utf8').split('\n');
  for (const at of [100, 9000, 17000]) lines.splice(at, 0, `${lines[at]!.split(',')[0]},not-a-number,seal.t1,1,2,3,4`);
  lines.splice(5000, 0, `${lines[5000]!.split(',')[0]},7`);
  fs.writeFileSync(csv, lines.join('\n'));
}

async function replay(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json' })).toBeVisible();
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
}

const scrollToEnd = (list: Locator) => list.evaluate((el) => (el.scrollTop = el.scrollHeight));

/** the x axis of a chart spans `start`..`end` (epoch ms) with a few windows around it, not the whole replay */
async function expectChartOn(page: Page, start: number, end: number): Promise<void> {
  const chart = page.locator('[data-testid="chart"]').first();
  await expect(chart).toBeVisible();
  await expect
    .poll(async () => {
      const xMin = Number(await chart.getAttribute('data-x-min'));
      const xMax = Number(await chart.getAttribute('data-x-max'));
      return xMin <= start / 1000 && xMax >= end / 1000 && xMax - xMin < 300;
    })
    .toBe(true);
}

test('every alert, window row and bad row of the store: scrolled to the last, filtered, a click on the chart', async ({ page, wb, errors }) => {
  void errors;
  tighten(wb.project);
  await replay(page, wb.url);

  await page.getByTestId('tab-alerts').click();
  const alerts = page.getByTestId('alerts-list');
  await expect(alerts).toHaveAttribute('data-total', String(ALERTS));
  await expect(page.getByTestId('alerts-count')).toHaveText(String(ALERTS));
  await expect(page.getByTestId('alerts-summary')).toContainText(`${ALERTS.toLocaleString('en-US')} alerts in data/sensors.db (alerts), newest first`);
  // only the rows in view are in the page
  expect(await page.getByTestId('alert-row').count()).toBeLessThan(60);
  const newest = Number(await page.getByTestId('alert-row').first().getAttribute('data-time'));
  await scrollToEnd(alerts);
  const last = page.locator(`[data-testid="alert-row"][data-index="${ALERTS - 1}"]`);
  await expect(last).toBeVisible();
  // newest first: the last row is of the first window that alerted
  expect(Number(await last.getAttribute('data-time'))).toBeLessThan(newest);
  await shot(page, '40-alerts-list-scrolled-to-the-last');

  await page.getByTestId('alerts-filter-rule').selectOption('Avg6');
  await expect.poll(async () => Number(await alerts.getAttribute('data-total'))).toBeLessThan(ALERTS);
  const avg6 = Number(await alerts.getAttribute('data-total'));
  expect(avg6).toBeGreaterThan(0);
  await expect(page.getByTestId('alerts-summary')).toContainText(`${avg6.toLocaleString('en-US')} of ${ALERTS.toLocaleString('en-US')} alerts match`);
  await expect(page.getByTestId('alerts-filter-all')).toHaveText(`all ${avg6}`);
  await expect(page.getByTestId('alert-row').first()).toContainText('Avg6');
  expect(new Set(await page.getByTestId('alert-row').evaluateAll((rows) => rows.map((r) => r.children[2]!.textContent)))).toEqual(new Set(['Avg6']));
  await page.getByTestId('alerts-filter-key').fill('seal.t1');
  await expect.poll(async () => Number(await alerts.getAttribute('data-total'))).toBeLessThan(avg6);
  await expect(page.getByTestId('alert-row').first()).toContainText('seal.t1');
  await page.getByTestId('alerts-view-episodes').click();
  await expect(page.getByTestId('episodes-list')).toHaveAttribute('data-total', /^[1-9]\d*$/);
  await expect(page.getByTestId('episode-row').first()).toContainText('seal.t1');
  await shot(page, '41-alerts-list-filtered');

  // a click jumps the chart to the alert's window
  await page.getByTestId('alerts-view-events').click();
  const row = page.getByTestId('alert-row').nth(3);
  const time = Number(await row.getAttribute('data-time'));
  await row.click();
  await expectChartOn(page, time - 10_000, time);

  await page.getByTestId('tab-windows').click();
  const windows = page.getByTestId('windows-list');
  await expect(windows).toHaveAttribute('data-total', String(WINDOW_ROWS));
  await expect(page.getByTestId('windows-summary')).toContainText('1,800 aggregate rows in data/sensors.db (points)');
  await scrollToEnd(windows);
  const lastWindow = page.locator(`[data-testid="window-row"][data-index="${WINDOW_ROWS - 1}"]`);
  await expect(lastWindow).toBeVisible();
  await page.getByTestId('windows-filter-key').fill('gear.t3');
  await expect.poll(async () => Number(await windows.getAttribute('data-total'))).toBeLessThan(WINDOW_ROWS);
  await expect(page.getByTestId('windows-summary')).toContainText('match');
  const windowRow = page.getByTestId('window-row').nth(5);
  await expect(windowRow).toContainText('gear.t3');
  await shot(page, '42-windows-list-filtered');
  const end = Number(await windowRow.getAttribute('data-end'));
  await windowRow.click();
  await expectChartOn(page, end - 10_000, end);

  await page.getByTestId('tab-errors').click();
  const bad = page.getByTestId('row-errors-list');
  await expect(bad).toHaveAttribute('data-total', '4');
  await expect(page.getByTestId('row-errors-summary')).toContainText('4 bad rows of this run in data/sensors.db (dead_letters)');
  await expect(page.getByTestId('row-error')).toHaveCount(4);
  await page.getByTestId('row-errors-filter-reason').selectOption('too few columns');
  await expect(bad).toHaveAttribute('data-total', '1');
  await expect(page.getByTestId('row-error')).toContainText('too few columns');
  await page.getByTestId('row-errors-filter-reason').selectOption('');
  await expect(bad).toHaveAttribute('data-total', '4');
  await shot(page, '43-bad-rows-list');
});
