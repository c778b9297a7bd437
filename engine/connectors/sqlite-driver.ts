/**
 * better-sqlite3, loaded as cheaply as the CLI's start-up needs (docs/performance.md#start-up). What the package's
 * own way costs under Node 20:
 * - imported from an ES module as an external package, Node starts its CommonJS export lexer and scans the package's
 *   files for their export names (≈ 5 ms);
 * - its 13 files through the CommonJS loader take 4–6 ms more, and `bindings`, which finds the addon by walking the
 *   caller's stack and trying a list of build folders, 2–3 ms; the addon itself loads in 0.7 ms.
 *
 * So the engine's build (scripts/build-engine.mjs) bundles the package's JavaScript with the engine, and every
 * `new Database` is given the addon's path in the package's `build/Release`, where its install (or an Electron
 * rebuild) puts it, so that the bundled copy never looks for it; `bindings` searches only when it is not there.
 * Unbundled (the workbench's own bundle, the tests), the import is the package as it is.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';

export { Database };

let addon: string | object | undefined;

/** the addon's path, or the addon itself when only `bindings` knows where it is */
export function sqliteAddon(): string | object {
  if (addon) return addon;
  const packageJson = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
  const packageDir = path.dirname(packageJson);
  const built = path.join(packageDir, 'build', 'Release', 'better_sqlite3.node');
  addon = fs.existsSync(built) ? built : (createRequire(packageJson)('bindings')({ bindings: 'better_sqlite3.node', module_root: packageDir }) as object);
  return addon;
}
