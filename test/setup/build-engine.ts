// Worker threads and CLI tests run the bundled engine (dist/): rebuild it once per test run.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build-engine.mjs')], { cwd: root, stdio: 'inherit' });
}
