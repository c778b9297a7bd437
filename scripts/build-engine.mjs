// Bundles the engine's entry points (CLI and worker threads) into dist/ with rolldown, and the files that must stand
// alone (the sandbox's script, better-sqlite3's JavaScript) with esbuild.
// Runs on `npm install` (prepare) so `npx ts-engine` works right after `npm ci`.
import { build } from 'esbuild';
import { rolldown } from 'rolldown';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages stay outside the bundle, except jsonc-parser: every command reads a config with it, and its
 * CommonJS build alone cost ≈ 20 ms of each start-up (docs/performance.md#start-up); its ES module
 * build is bundled instead.
 */
const JSONC_PARSER_ESM = path.join(root, 'node_modules/jsonc-parser/lib/esm/main.js');

/**
 * Every module the CLI imports statically goes into one chunk: Node 20's ES module loader resolves, reads, compiles
 * and links each file on its own, and the CLI's start-up read 21 files, which cost ≈ 6 ms more than 2
 * (docs/performance.md#start-up). What the CLI imports lazily (Kafka, InfluxDB, export, the parallel replay…) stays
 * in chunks of its own, loaded by the commands that need them. The engine's other entries share the chunk.
 */
const CLI_ENTRY = path.join(root, 'engine/cli/entry.ts');
let cliStartupModules;
function cliStartup(getModuleInfo) {
  if (!cliStartupModules) {
    cliStartupModules = new Set();
    const visit = (id) => {
      if (cliStartupModules.has(id)) return;
      cliStartupModules.add(id);
      for (const imported of getModuleInfo(id)?.importedIds ?? []) visit(imported);
    };
    visit(CLI_ENTRY);
    cliStartupModules.delete(CLI_ENTRY);
  }
  return cliStartupModules;
}

/**
 * better-sqlite3's JavaScript, as one CommonJS file the engine requires when it opens its first database: its 13 files
 * through Node's loader, and `bindings` looking for the addon, cost 7–9 ms of a run's start-up
 * (engine/connectors/sqlite-driver.ts, which hands the bundled copy its addon).
 */
const SQLITE_DRIVER_FILE = 'better-sqlite3.cjs';
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: { [SQLITE_DRIVER_FILE.replace(/\.cjs$/, '')]: 'node_modules/better-sqlite3/lib/index.js' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // only reached when no addon is given, which the engine always gives
  external: ['bindings'],
  logLevel: 'warning',
});
const engine = await rolldown({
  cwd: root,
  input: {
    cli: 'engine/cli/entry.ts',
    engine: 'engine/index.ts',
    'replay-worker': 'engine/parallel/worker.ts',
  },
  platform: 'node',
  external: (id) => id !== 'jsonc-parser' && !id.startsWith('.') && !path.isAbsolute(id),
  resolve: { alias: { 'jsonc-parser': JSONC_PARSER_ESM } },
  transform: { target: 'node20', define: { TS_ENGINE_BUNDLED_SQLITE_DRIVER: JSON.stringify(`./${SQLITE_DRIVER_FILE}`) } },
  logLevel: 'warn',
});
await engine.write({
  dir: 'dist',
  format: 'esm',
  entryFileNames: '[name].mjs',
  chunkFileNames: '[name]-[hash].mjs',
  sourcemap: true,
  manualChunks: (id, { getModuleInfo }) => (cliStartup(getModuleInfo).has(id) ? 'cli-startup' : undefined),
});
await engine.close();
// The sandbox process may read nothing but its own script (Node's permission model, docs/sandbox.md):
// it is one self-contained file, its few pure-JavaScript dependencies included.
await build({
  absWorkingDir: root,
  entryPoints: { 'sandbox-host': 'engine/sandbox/host.ts' },
  // ESM builds of dependencies: a UMD build's require() calls cannot be bundled into an ES module
  mainFields: ['module', 'main'],
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`ts-engine: engine built into dist/ in ${Date.now() - started} ms`);
