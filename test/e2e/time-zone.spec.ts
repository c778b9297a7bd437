/**
 * One time zone for every time shown (docs/workbench.md#time-zone): UTC by default, marked on the
 * chart axis and in the tables; the machine's zone when chosen, everywhere at once, and kept
 * across a reload. The browser runs in Asia/Kolkata (+05:30), so no machine's own zone can make
 * local and UTC look alike.
 */
import { expect, shot, test } from './fixtures.js';

test.use({ timezoneId: 'Asia/Kolkata' });

/** `2018-04-15 13:46:40Z` or `2018-04-15 19:16:40+05:30` → epoch ms */
const instant = (text: string) => Date.parse(text.replace(' ', 'T'));

test('times in UTC or in local time, the same choice in the chart, the tables and the alerts, kept across a reload', async ({ page, wb, errors }) => {
  void errors;
  await page.goto(wb.url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('run-speed').selectOption({ label: 'max' });
  await page.getByTestId('run-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('finished', { timeout: 60_000 });

  const chart = page.locator('[data-testid="chart"][data-column="rpm_max"]');
  const firstWindow = page.getByTestId('windows-table').locator('tbody tr').first().locator('td').first();
  await expect(page.getByTestId('time-zone')).toHaveValue('utc');
  await expect(chart).toHaveAttribute('data-axis-label', 'UTC');
  await chart.locator('.u-over').hover();
  await expect(chart.getByTestId('chart-tooltip')).toContainText(/\d\d:\d\d:\d\dZ UTC/);
  await page.getByTestId('tab-windows').click();
  const utcText = (await firstWindow.textContent())!.split(' → ')[0]!;
  expect(utcText).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);

  await page.getByTestId('time-zone').selectOption('local');
  const localText = (await firstWindow.textContent())!.split(' → ')[0]!;
  expect(localText).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+05:30$/);
  expect(instant(localText)).toBe(instant(utcText));
  await page.getByTestId('tab-alerts').click();
  await expect(page.getByTestId('alerts-panel').locator('thead')).toContainText('(UTC+05:30)');
  await page.getByTestId('tab-chart').click();
  await expect(chart).toHaveAttribute('data-axis-label', /^Asia\/(Kolkata|Calcutta) \(UTC\+05:30\)$/);
  await chart.locator('.u-over').hover({ position: { x: 200, y: 60 } });
  await expect(chart.getByTestId('chart-tooltip')).toContainText('(UTC+05:30)');
  await shot(page, '38-time-zone-local');

  await page.reload();
  await expect(page.getByTestId('time-zone')).toHaveValue('local');
  await page.getByTestId('tab-windows').click();
  await expect(firstWindow).toContainText('+05:30');
});
