/**
 * Workspace trust in Chromium against web mode: a project whose extension module and analysis
 * module write a marker file when loaded is opened. Nothing from it runs while the page works in
 * restricted mode (banner, disabled actions); "Trust folder" loads its modules — only then, and in
 * the sandbox (docs/sandbox.md), where they still cannot write their markers.
 */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, shot, startWorkbench, stopWorkbench, test } from './fixtures.js';
import { writeHostileProject, type HostileProject } from '../unit/main/hostile-project.js';

/** Opens the page and waits until everything it asks for at start has been answered. */
async function openIdle(page: Page, url: string): Promise<void> {
  const answered = ['project.open', 'config.preview', 'functions.list', 'history.load'].map((name) =>
    page.waitForResponse((r) => r.url().endsWith(`/api/${name}`)),
  );
  await page.goto(url);
  await Promise.all(answered);
  await page.waitForLoadState('networkidle');
}

test('restricted mode: nothing from an untrusted project runs until "Trust folder"; then its modules load', async ({ page, errors }) => {
  void errors;
  let hostile!: HostileProject;
  const w = await startWorkbench({ trust: false, writeProject: (dir) => (hostile = writeHostileProject(dir)) });
  try {
    await openIdle(page, w.url);
    const banner = page.getByTestId('trust-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('Restricted mode. Nothing from this folder has been loaded or run.');
    await expect(page.getByTestId('trust-user-code')).toHaveText('./ext.mjs, ./Notes.js');
    await expect(banner).toContainText('Runs are off, and so is the preview until you trust the folder');
    // editing and checks work: the config is open, diagnostics answered (the extension call is a warning)
    await expect(page.getByTestId('editor-tab').filter({ hasText: 'config.json' })).toBeVisible();
    await expect(page.getByTestId('problems-summary')).toContainText('0 errors');
    await expect(
      page
        .getByTestId('problem')
        .filter({ hasText: "Operation 'twice' is an extension function (its module was parsed, not run); not checked in restricted mode" }),
    ).toBeVisible();
    // actions that would run the project's code are off, saying why
    await expect(page.getByTestId('run-start')).toBeDisabled();
    await expect(page.getByTestId('run-start')).toHaveAttribute('title', /Restricted mode: runs are off until you trust this folder/);
    await expect(page.getByTestId('run-step')).toBeDisabled();
    await expect(page.getByTestId('preview')).toBeDisabled();
    await expect(page.getByTestId('preview')).toHaveAttribute('title', /the preview is off in restricted mode/);
    await expect(page.getByTestId('preview-restricted')).toContainText(
      'No preview in restricted mode. The config calls functions of its own modules (./ext.mjs, ./Notes.js), which are not loaded until you trust this folder.',
    );
    await expect(page.getByTestId('trust-badge')).toHaveText('Restricted mode');
    await expect(page.getByTestId('run-progress')).toHaveText('restricted mode: no history until the folder is trusted');
    await shot(page, '14-restricted-mode');
    expect(fs.existsSync(hostile.extMarker), 'the extension module ran before the folder was trusted').toBe(false);
    expect(fs.existsSync(hostile.notesMarker), 'the analysis module ran before the folder was trusted').toBe(false);

    // "Stay restricted": the banner goes, the badge stays and brings it back
    await page.getByTestId('stay-restricted').click();
    await expect(banner).toBeHidden();
    await page.getByTestId('trust-badge').click();
    await expect(banner).toBeVisible();
    expect(hostile.ran()).toBe(false);

    // trust it: the modules load in the sandbox, the preview shows the extension's column, runs are allowed
    await page.getByTestId('trust-folder').click();
    await expect(banner).toBeHidden();
    await expect(page.getByTestId('trust-badge')).toHaveText('Trusted');
    await expect(page.getByTestId('preview-rows').locator('thead')).toContainText('rpm_twice');
    await expect(page.getByTestId('run-start')).toBeEnabled();
    await expect(page.getByTestId('problems-summary')).toContainText('0 errors, 0 warnings');
    expect(hostile.ran(), 'a trusted module reached the file system from the sandbox').toBe(false);

    // remembered: a reload opens it trusted, without the banner
    await openIdle(page, w.url);
    await expect(page.getByTestId('trust-badge')).toHaveText('Trusted');
    await expect(banner).toBeHidden();

    // revoked: restricted again
    await page.getByTestId('trust-badge').click();
    await page.getByTestId('revoke-trust').click();
    await expect(page.getByTestId('trust-badge')).toHaveText('Restricted mode');
    await expect(page.getByTestId('run-start')).toBeDisabled();
  } finally {
    await stopWorkbench(w, page);
  }
});

test('a project made from a sample by the app is trusted; trusted folders are listed on the start screen and can be removed', async ({ page, errors }) => {
  void errors;
  const w = await startWorkbench({ openProject: false });
  try {
    await page.goto(w.url);
    await page.getByTestId('sample-sensors').click();
    await page.getByTestId('sample-dir').fill(`${w.tmp}/projects/mine`);
    await page.getByTestId('create-from-sample').click();
    await expect(page.getByTestId('trust-badge')).toHaveText('Trusted');
    await expect(page.getByTestId('trust-banner')).toHaveCount(0);
    await expect(page.getByTestId('run-start')).toBeEnabled();
    await page.getByRole('button', { name: 'close project' }).click();
    const list = page.getByTestId('trusted-folders');
    await expect(list).toContainText(`${w.tmp}/projects/mine`);
    await list.getByRole('button', { name: 'Remove' }).click();
    await expect(list).toHaveCount(0);
  } finally {
    await stopWorkbench(w, page);
  }
});
