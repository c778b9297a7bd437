// `npm test`: unit and integration tests (vitest, real servers started by the tests themselves),
// then the end-to-end workbench tests (Playwright in Chromium against web mode).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const steps = [
  ['lint and format', [npx, 'biome', 'check', '--error-on-warnings', '.']],
  ['layers (docs/architecture.md#layers)', [npx, 'depcruise', 'engine', 'main', 'renderer/src', '--config', '.dependency-cruiser.cjs']],
  ['type check', [npx, 'tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['renderer type check', [npx, 'svelte-check', '--fail-on-warnings', '--tsconfig', './renderer/tsconfig.json']],
  ['unit + integration tests', [npx, 'vitest', 'run']],
];
if (fs.existsSync('playwright.config.ts')) steps.push(['end-to-end tests', [npx, 'playwright', 'test']]);

for (const [name, [cmd, ...args]] of steps) {
  const started = Date.now();
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  console.log(`=== ${name}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
