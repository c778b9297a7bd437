/**
 * Loads better-sqlite3 when the first database opens, as cheaply as the CLI's start-up needs
 * (docs/performance.md#start-up). What the package's own way costs, measured under Node 20:
 * - imported from an ES module, Node starts its CommonJS export lexer and scans the package's files for their export
 *   names (≈ 5 ms), for every command, whether it opens a database or not;
 * - required, its 13 files through the CommonJS loader take 4–6 ms, and `bindings`, which finds the addon by walking
 *   the caller's stack and trying a list of build folders, 2–3 ms more; the addon itself loads in 0.7 ms.
 *
 * So the engine's build (scripts/build-engine.mjs) bundles the package's JavaScript into one CommonJS file beside the
 * CLI and names it in `TS_ENGINE_BUNDLED_SQLITE_DRIVER`; the addon is loaded from the package's `build/Release`, where
 * its install (or an Electron rebuild) puts it, and `bindings` searches only when it is not there. Unbundled (the
 * workbench's own bundle, the tests), the package is required as it is.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

/** Set by scripts/build-engine.mjs to the bundled driver's file name, relative to the engine's chunks. */
declare const TS_ENGINE_BUNDLED_SQLITE_DRIVER: string | undefined;

export interface SqliteDriver {
  Database: typeof BetterSqlite3;
  /** the addon's path, or the addon itself when `bindings` found it: given to every `new Database`, so that the bundled copy never looks for it */
  nativeBinding: string | object;
}

let loaded: SqliteDriver | undefined;

export function sqliteDriver(): SqliteDriver {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const bundled = typeof TS_ENGINE_BUNDLED_SQLITE_DRIVER === 'string' ? TS_ENGINE_BUNDLED_SQLITE_DRIVER : undefined;
  const Database = require(bundled ?? 'better-sqlite3') as typeof BetterSqlite3;
  const packageDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const built = path.join(packageDir, 'build', 'Release', 'better_sqlite3.node');
  const nativeBinding = fs.existsSync(built)
    ? built
    : (createRequire(path.join(packageDir, 'package.json'))('bindings')({ bindings: 'better_sqlite3.node', module_root: packageDir }) as object);
  loaded = { Database, nativeBinding };
  return loaded;
}
