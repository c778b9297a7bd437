// Finds Chromium (the `chromium` set-up step: CHROMIUM_PATH, the system's, Debian's unpacked without
// root, or Playwright's own; docs/testing.md) and builds the engine bundle (dist/) and the workbench
// (out/: web-mode server + renderer) once per run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureStep } from '../../scripts/setup/index.mjs';

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  // workers read it when they load playwright.config.ts
  process.env.CHROMIUM_PATH = (await ensureStep('chromium')).path;
  execFileSync(process.execPath, [path.join(root, 'scripts/build-engine.mjs')], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  fs.mkdirSync(path.join(root, 'test/e2e/screenshots'), { recursive: true });
}
