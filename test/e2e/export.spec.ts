/**
 * The Export dialog as a person uses it, in Chromium against web mode: the targets with their descriptions, the
 * chosen target's changes of meaning listed before anything is written, a lossy export written only once allowed,
 * Esc closing the dialog; then a Flink export verified against ts-engine in real Flink local mode — identical, and
 * the first differing lines once the exported job is changed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, shot, test } from './fixtures.js';

async function openExportDialog(page: Page, url: string) {
  await page.goto(url);
  await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
  await page.getByTestId('export-open').click();
  const dialog = page.getByRole('dialog', { name: 'Export for production' });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** The web server's Verify finds the venv with apache-flink through TS_ENGINE_FLINK_VENV (engine/export/verify.ts); Java must run. */
function flinkAvailable(): boolean {
  const venv = process.env.TS_ENGINE_FLINK_VENV;
  if (!venv) return false;
  const python = path.join(venv, 'bin/python');
  return fs.existsSync(python) && spawnSync(python, ['-c', 'import pyflink']).status === 0 && spawnSync('java', ['-version']).status === 0;
}

test('lists each target’s changes before writing and writes a lossy export only once allowed; Esc closes', async ({ page, wb, errors }) => {
  void errors;
  const dialog = await openExportDialog(page, wb.url);
  await expect(dialog.getByTestId('export-target-ts-engine')).toContainText('A production bundle for `ts-engine run` as a service');
  await expect(dialog.getByTestId('export-target-flink')).toContainText('Apache Flink job');
  await expect(dialog.getByTestId('export-target-reference')).toContainText('2017 PySpark reference format');

  // ts-engine, the default: notes only, so it may be written as it is
  await expect(dialog.getByTestId('export-changes')).toContainText('input.options.path');
  await expect(dialog.getByTestId('export-run')).toBeEnabled();

  // the reference format drops event time: listed as lossy, and Export waits for "Allow lossy changes"
  await dialog.getByTestId('export-target-reference').click();
  const timeField = dialog.getByTestId('export-change').filter({ hasText: 'input.options.time_field' });
  await expect(timeField).toContainText('lossy');
  await expect(dialog.getByTestId('export-run')).toBeDisabled();
  const out = path.join(wb.tmp, 'reference-export');
  await dialog.getByTestId('export-dir').fill(out);
  await shot(page, 'export-1-changes-before-writing');
  expect(fs.existsSync(out)).toBe(false);
  await dialog.getByTestId('export-allow-lossy').check();
  await dialog.getByTestId('export-run').click();
  await expect(dialog.getByTestId('export-result')).toContainText('config.json');
  expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).input.options.time_field).toBeUndefined();
  await expect(dialog.getByTestId('export-verify')).toHaveCount(0);

  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Export for production' })).toHaveCount(0);
});

test('after a Flink export, Verify shows identical, then the first differing windows of a changed job', async ({ page, wb, errors }) => {
  test.skip(!flinkAvailable(), 'needs TS_ENGINE_FLINK_VENV with apache-flink and Java 17 (docs/flink.md#tests)');
  test.setTimeout(600_000);
  void errors;
  // a short recording keeps each Flink run short
  const csv = path.join(wb.project, 'data/sensors.csv');
  fs.writeFileSync(csv, `${fs.readFileSync(csv, 'utf8').split('\n').slice(0, 2000).join('\n')}\n`);
  const dialog = await openExportDialog(page, wb.url);
  await dialog.getByTestId('export-target-flink').click();
  await expect(dialog.getByTestId('export-change').filter({ hasText: 'outputs[0]' })).toContainText('lossy');
  const out = path.join(wb.tmp, 'sensors-flink');
  await dialog.getByTestId('export-dir').fill(out);
  await dialog.getByTestId('export-allow-lossy').check();
  await dialog.getByTestId('export-run').click();
  await expect(dialog.getByTestId('export-result')).toContainText('job.py');

  await dialog.getByTestId('export-verify').click();
  await expect(dialog.getByTestId('export-verify-result')).toContainText(/identical: \d+ window line\(s\) and \d+ alert\(s\) of sensors\.csv/, {
    timeout: 300_000,
  });
  await shot(page, 'export-2-verified-identical');

  // a job that computes something else: the first differing lines, expected beside got
  const generated = path.join(out, 'tsengine_job/generated.py');
  fs.writeFileSync(
    generated,
    fs.readFileSync(generated, 'utf8').replace(/^VALUE_NAMES = .*$/m, (l) => l.replace('rpm_max', 'rpm_top')),
  );
  await dialog.getByTestId('export-verify').click();
  await expect(dialog.getByTestId('export-verify-result')).toContainText('different', { timeout: 300_000 });
  await expect(dialog.getByTestId('export-verify-differences')).toContainText('rpm_top');
  await shot(page, 'export-3-verified-different');
});
