// Builds the engine bundle (dist/) and the workbench (out/: web-mode server + renderer) once per run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function globalSetup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) throw new Error(`${chromium} is missing: install Debian's Chromium (apt-get install -y chromium)`);
  execFileSync(process.execPath, [path.join(root, 'scripts/build-engine.mjs')], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  fs.mkdirSync(path.join(root, 'test/e2e/screenshots'), { recursive: true });
}
