/**
 * Issue 9 in the workbench, as a person tunes a rule: the Backtest panel scores the sample's rules against its labels
 * (the counts `ts-engine backtest` prints, docs/backtest.md), sweeps an option and marks the best F1, and a false
 * positive jumps the chart to its window with the labels shaded; a rule with lifecycle options is drawn as episode bands
 * and listed with its states; the config tests run on save and fail in the Problems panel; compare lists what an edit
 * changes. At the smallest supported window, 1000×700.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, shot, test } from './fixtures.js';

test.use({ viewport: { width: 1000, height: 700 } });

async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json' })).toBeVisible();
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
}

async function replay(page: Page): Promise<void> {
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
}

const cells = async (page: Page, rule: string) =>
  (await page.locator(`[data-testid="backtest-row"][data-rule="${rule}"] td`).allTextContents()).map((c) => c.trim());

test('Backtest panel: the scores the CLI prints, a sweep with its best F1, a false positive jumps the chart to its window', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  await replay(page);
  await page.getByTestId('tab-backtest').click();
  await expect(page.getByTestId('backtest-labels')).toHaveValue('data/labels.csv');
  await page.getByTestId('backtest-run').click();
  await expect(page.getByTestId('backtest-table')).toBeVisible({ timeout: 60_000 });
  // `ts-engine backtest samples/sensors/config.json --labels samples/sensors/data/labels.csv` (docs/backtest.md)
  expect(await cells(page, 'Simple1')).toEqual(['Simple1', '18', '12', '5', '1', '0.706', '0.923', '0.800', '0.08']);
  expect(await cells(page, 'Avg6')).toEqual(['Avg6', '17', '13', '4', '0', '0.765', '1.000', '0.867', '0.23']);
  await expect(page.getByTestId('backtest-summary')).toContainText('13 labels, 90 windows of 10 s, 18,000 rows');
  await expect(page.getByTestId('backtest-fp')).toHaveCount(9);
  await expect(page.getByTestId('backtest-fn')).toHaveCount(1);
  await shot(page, '30-backtest');

  await page.getByTestId('backtest-sweep-rule').selectOption('Avg6');
  await page.getByTestId('backtest-sweep-option').fill('num_average');
  await page.getByTestId('backtest-sweep-from').fill('2');
  await page.getByTestId('backtest-sweep-to').fill('10');
  await page.getByTestId('backtest-sweep-step').fill('4');
  await page.getByTestId('backtest-run').click();
  await expect(page.getByTestId('sweep-table')).toBeVisible({ timeout: 60_000 });
  const sweep = await page.getByTestId('sweep-row').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent!.trim())));
  expect(sweep).toEqual([
    ['2', '22', '12', '9', '1', '0.571', '0.923', '0.706', '0.25'],
    ['6', '17', '13', '4', '0', '0.765', '1.000', '0.867', '0.23'],
    ['10', '14', '13', '1', '0', '0.929', '1.000', '0.963', '0.23'],
  ]);
  await expect(page.getByTestId('sweep-best')).toHaveText('Best F1 0.963 at num_average = 10');
  await expect(page.getByTestId('sweep-plot')).toHaveAttribute('data-best', '10');
  await expect(page.getByTestId('sweep-plot').locator('canvas')).toBeVisible();
  await page.getByTestId('sweep-plot').scrollIntoViewIfNeeded();
  await shot(page, '31-backtest-sweep');

  // the first false positive of Simple1: the chart zooms onto its window, the labels shaded
  const fp = page.locator('[data-testid="backtest-misses"][data-rule="Simple1"] [data-testid="backtest-fp"]').first();
  const start = Number(await fp.getAttribute('data-start')) / 1000;
  const end = Number(await fp.getAttribute('data-end')) / 1000;
  await fp.click();
  const chart = page.locator('[data-testid="chart"][data-column="rpm_max"]');
  await expect(chart).toBeVisible();
  await expect(chart).toHaveAttribute('data-labels', '13');
  await expect(page.getByTestId('charts')).toContainText('13 labels shaded');
  // the x axis spans the window with a few windows around it, not the 15 minutes of the replay
  const xMin = Number(await chart.getAttribute('data-x-min'));
  const xMax = Number(await chart.getAttribute('data-x-max'));
  expect(xMin).toBeLessThan(start);
  expect(xMax).toBeGreaterThan(end);
  expect(xMax - xMin).toBeLessThan(200);
  await shot(page, '32-backtest-jump-to-false-positive');
});

test('a rule with lifecycle options: episode bands on its chart, markers binned for the rule without, states in the alerts list', async ({
  page,
  wb,
  errors,
}) => {
  void errors;
  const file = path.join(wb.project, 'config.json');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"num_average": 6 }', '"num_average": 6 }, "for": 1, "keep_firing_for": 1'));
  await openWorkbench(page, wb.url);
  await replay(page);
  const sum = page.locator('[data-testid="chart"][data-column="rpm_sum"]');
  const max = page.locator('[data-testid="chart"][data-column="rpm_max"]');
  // Avg6 (on rpm_sum) has a lifecycle: 12 episodes, 12 bands; Simple1 (on rpm_max) has none: one marker per pixel column
  await expect(sum).toHaveAttribute('data-episodes', '12');
  await expect(sum).toHaveAttribute('data-markers', '0');
  await expect(max).toHaveAttribute('data-episodes', '0');
  // Simple1 raised 18 alerts (the 18 episodes `ts-engine backtest` counts for it)
  await expect(max).toHaveAttribute('data-marker-alerts', '18');
  const markers = Number(await max.getAttribute('data-markers'));
  expect(markers).toBeGreaterThan(0);
  expect(markers).toBeLessThanOrEqual(18);
  await sum.scrollIntoViewIfNeeded();
  await shot(page, '33-episode-bands');

  await page.getByTestId('tab-alerts').click();
  await expect(page.getByTestId('alerts-filter-resolved')).toHaveText('resolved 11');
  await page.getByTestId('alerts-filter-resolved').click();
  await expect(page.getByTestId('alert-row')).toHaveCount(11);
  expect(new Set(await page.getByTestId('alert-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))))).toEqual(new Set(['resolved']));
  await page.getByTestId('alerts-view-episodes').click();
  await expect(page.getByTestId('episode-row')).toHaveCount(11);
  await page.getByTestId('alerts-filter-all').click();
  // 12 of Avg6 (one still firing when the input ended) and 18 of Simple1
  await expect(page.getByTestId('episodes-list')).toHaveAttribute('data-total', '30');
  await expect(page.getByTestId('alerts-filter-firing')).toHaveText('firing 19');
  await shot(page, '34-alert-episodes');
});

/**
 * Replaces the first `length` characters of the first `find` of the active editor with `to` (text without quotes or
 * brackets, which the editor would close): Monaco's find selects the match, Esc keeps the selection, the arrows narrow it.
 */
async function replaceInEditor(page: Page, find: string, to: string, length = find.length): Promise<void> {
  await page.getByTestId('editor').locator('.view-line').first().click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Control+f');
  await page.keyboard.type(find);
  await page.keyboard.press('Escape');
  await page.keyboard.press('ArrowLeft');
  for (let i = 0; i < length; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.type(to);
}

test('config tests run on save and fail in the Problems panel; compare with the saved version lists the alerts an edit adds', async ({ page, wb, errors }) => {
  void errors;
  await openWorkbench(page, wb.url);
  await expect(page.getByTestId('tests-summary')).toContainText('2 passed, 0 failed', { timeout: 30_000 });
  await page
    .getByTestId('file-tree')
    .getByRole('button', { name: /config\.tests\.json/ })
    .click();
  await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.tests.json' })).toBeVisible();
  await replaceInEditor(page, '7137.4', '7137.5');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('tests-summary')).toContainText('1 passed, 1 failed', { timeout: 30_000 });
  const problem = page.getByTestId('test-problem').first();
  await expect(problem).toContainText('expected 7137.5, actual 7137.4');
  await expect(problem).toContainText('tests[0].expect.windows[1].rows[0].values.rpm_max');
  await shot(page, '35-config-test-failure');

  // an edit not saved yet, compared with the saved version
  await page.getByRole('checkbox', { name: 'auto-save' }).uncheck();
  await page.getByTestId('editor-tab').filter({ hasText: 'config.json' }).first().click();
  await replaceInEditor(page, '40 }, "num_average"', '20', 2);
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-saved').click();
  await expect(page.getByTestId('compare-summary')).toContainText('0 of 90 windows differ', { timeout: 60_000 });
  await expect(page.getByTestId('compare-summary')).toContainText('0 only in a');
  expect(await page.getByTestId('compare-alert').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('compare-alerts')).toContainText('Avg6');
  await shot(page, '36-compare-with-saved');
});
