/**
 * Charts that read at any size (docs/workbench.md#charts-at-any-size): the key picker (top N by
 * alerts or by a peak, search, pins) is the legend, the other keys are one band, the crosshair's
 * tooltip names the window end, the keys and their values, and a zoom is read again from the
 * store, on every chart at once.
 */
import { expect, shot, test } from './fixtures.js';

test('the key picker, the tooltip and a zoom read from the store', async ({ page, wb, errors }) => {
  void errors;
  await page.goto(wb.url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });
  const charts = page.getByTestId('chart');
  const rpm = page.locator('[data-testid="chart"][data-column="rpm_max"]');
  const legend = page.getByTestId('chart-legend');
  await expect(rpm).toHaveAttribute('data-lines', '10');
  await expect(rpm).toHaveAttribute('data-buckets', '90');

  // top 3 by the peak of rpm_max: three lines on every chart, the rest in the band
  await page.getByTestId('key-top').selectOption('3');
  await page.getByTestId('key-rank').selectOption('peak:rpm_max');
  for (const c of await charts.all()) await expect(c).toHaveAttribute('data-lines', '3');
  await expect(legend.locator('.chip')).toHaveCount(4);
  await expect(legend).toContainText('other keys (band)');

  // search and pin a key that is not among the three
  await page.getByTestId('key-picker-open').click();
  await page.getByTestId('key-search').fill('valve');
  const options = page.getByTestId('key-option');
  // the list narrows once the search has answered
  await expect.poll(async () => (await options.allTextContents()).map((t) => t.includes('valve'))).toEqual(expect.arrayContaining([true]));
  await expect.poll(async () => (await options.allTextContents()).every((t) => t.includes('valve'))).toBe(true);
  await expect(page.getByTestId('key-list')).toContainText(/\d+ keys?/);
  const pinned = ((await options.last().locator('.label').textContent()) ?? '').trim();
  await options.last().locator('input[type="checkbox"]').check();
  await expect(rpm).toHaveAttribute('data-lines', '4');
  await expect(legend.locator('.chip.pinned')).toHaveText(new RegExp(pinned.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await shot(page, '44-key-picker');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('key-list')).toHaveCount(0);

  // the crosshair: window end with its zone, the keys' values, the band
  await rpm.locator('.u-over').hover({ position: { x: 300, y: 80 } });
  const tip = rpm.getByTestId('chart-tooltip');
  await expect(tip).toContainText(/\d\d:\d\d:\d\dZ UTC/);
  await expect(tip).toContainText(pinned);
  await expect(tip).toContainText('other keys');
  await shot(page, '45-chart-tooltip');

  // a drag zooms every chart; the range is read from the store (every window again)
  const box = (await rpm.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + 50);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + 50, { steps: 5 });
  await page.mouse.up();
  for (const c of await charts.all()) await expect(c).toHaveAttribute('data-zoomed', 'true');
  const xMin = Number(await rpm.getAttribute('data-x-min'));
  const xMax = Number(await rpm.getAttribute('data-x-max'));
  expect(xMax - xMin).toBeLessThan(900 * 0.3);
  await expect(page.locator('[data-testid="chart"][data-column="counter"]')).toHaveAttribute('data-x-min', String(xMin));
  await shot(page, '46-chart-zoomed');
  await rpm.locator('.u-over').dblclick();
  for (const c of await charts.all()) await expect(c).toHaveAttribute('data-zoomed', 'false');

  // the choice outlives a reload (and the project's history draws the same keys)
  await page.reload();
  await page.getByTestId('tab-chart').click();
  await expect(rpm).toHaveAttribute('data-lines', '4');
  await expect(legend.locator('.chip.pinned')).toContainText(pinned);
});
