/** Locations of the engine's own files (worker bundles) from wherever the engine code runs. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The ts-engine package root: the nearest ancestor whose package.json is named "ts-engine". */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'ts-engine') return (root = dir);
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot locate the ts-engine package root');
    dir = up;
  }
}

/** Worker threads and the sandbox process need JavaScript: the build (`npm run build:engine`, run by `npm install`) bundles them into dist/. */
export function workerScript(name: 'sandbox-host' | 'replay-worker'): string {
  const file = path.join(packageRoot(), 'dist', `${name}.mjs`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "npm run build:engine"`);
  return file;
}
