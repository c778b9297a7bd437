// Bundles the engine's entry points (CLI and worker threads) into dist/ with rolldown, and the sandbox's script, which
// must stand alone, with esbuild.
// Runs on `npm install` (prepare) so `npx ts-engine` works right after `npm ci`.
import { build } from 'esbuild';
import { rolldown } from 'rolldown';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages stay outside the bundle, except two the CLI's start-up would otherwise pay for (docs/performance.md#start-up):
 * - jsonc-parser: every command reads a config with it, and its CommonJS build alone cost ≈ 20 ms; its ES module build
 *   is bundled instead;
 * - better-sqlite3's JavaScript: as an external CommonJS package it cost 10–12 ms (Node's export lexer, 13 files
 *   through the CommonJS loader, `bindings` looking for the addon). The addon stays where its install built it:
 *   engine/connectors/sqlite-driver.ts gives its path to every database it opens, so the bundled copy never needs
 *   `bindings` to find it.
 */
const BUNDLED_PACKAGES = ['jsonc-parser', 'better-sqlite3'];
const JSONC_PARSER_ESM = path.join(root, 'node_modules/jsonc-parser/lib/esm/main.js');

/**
 * Every module the CLI imports statically goes into one chunk: Node 20's ES module loader resolves, reads, compiles
 * and links each file on its own, and the CLI's start-up read 21 files, which cost ≈ 6 ms more than a few
 * (docs/performance.md#start-up). What the CLI imports lazily (Kafka, InfluxDB, export, the parallel replay…) stays
 * in chunks of its own, loaded by the commands that need them. The engine's other entries share the chunk; the CLI's
 * entry stays out of it, as importing the entry runs the CLI. Rolldown's runtime helpers are a chunk of their own.
 */
const CLI_ENTRY = path.join(root, 'engine/cli/entry.ts');
const cliStartupModules = new Set();
const collectCliStartupModules = {
  name: 'cli-startup-modules',
  buildEnd() {
    const visit = (id) => {
      if (cliStartupModules.has(id)) return;
      cliStartupModules.add(id);
      for (const imported of this.getModuleInfo(id)?.importedIds ?? []) visit(imported);
    };
    visit(CLI_ENTRY);
    cliStartupModules.delete(CLI_ENTRY);
  },
};

const started = Date.now();
const engine = await rolldown({
  cwd: root,
  input: {
    cli: 'engine/cli/entry.ts',
    engine: 'engine/index.ts',
    'replay-worker': 'engine/parallel/worker.ts',
  },
  platform: 'node',
  external: (id) => !BUNDLED_PACKAGES.includes(id) && !id.startsWith('.') && !path.isAbsolute(id),
  resolve: { alias: { 'jsonc-parser': JSONC_PARSER_ESM } },
  transform: { target: 'node20' },
  logLevel: 'warn',
  plugins: [collectCliStartupModules],
});
await engine.write({
  dir: 'dist',
  format: 'esm',
  entryFileNames: '[name].mjs',
  chunkFileNames: '[name]-[hash].mjs',
  sourcemap: true,
  codeSplitting: { groups: [{ name: 'cli-startup', test: (id) => cliStartupModules.has(id) }] },
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
