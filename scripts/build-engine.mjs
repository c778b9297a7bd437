// Bundles the engine's entry points (CLI, workbench engine and worker threads) into dist/ with esbuild, then writes
// the CLI's code cache. Runs on `npm install` (prepare) so `npx ts-engine` works right after `npm ci`.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages stay outside the bundles, except jsonc-parser: every command reads a config with it, and its
 * CommonJS build alone cost ≈ 20 ms of each start-up (docs/performance.md#start-up); its ES module
 * build is bundled instead. The CLI's CommonJS bundle takes lossless-json's ES module build too, the one the
 * workbench runs, rather than the UMD build `require` would load.
 */
const bundleEsmBuilds = (packages) => ({
  name: 'bundle-esm-builds',
  setup(b) {
    for (const [name, file] of Object.entries(packages)) {
      b.onResolve({ filter: new RegExp(`^${name}$`) }, () => ({ path: path.join(root, 'node_modules', name, file) }));
    }
  },
});
const JSONC_PARSER = { 'jsonc-parser': 'lib/esm/main.js' };
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    engine: 'engine/index.ts',
    'replay-worker': 'engine/parallel/worker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [bundleEsmBuilds(JSONC_PARSER)],
  sourcemap: 'linked',
  logLevel: 'warning',
});
// The CLI: one CommonJS file, which bin/launch-cli.cjs compiles with V8's code cache. Packages a command loads on
// first use (kafkajs, the InfluxDB client, the Cassandra driver) are required inside their modules' lazy
// initialisers, so a command still loads only what it uses.
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'engine/cli/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [bundleEsmBuilds({ ...JSONC_PARSER, 'lossless-json': 'lib/esm/index.js' })],
  // the bundle finds dist/ (the worker threads, the sandbox host) from its own place, as the ES modules did
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
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
// a function restored from V8's code cache has no module loader to call: an `import()` in the CLI would fail there
const dynamicImport = /[^\w$.]import\(/.exec(readFileSync(path.join(root, 'dist/cli.cjs'), 'utf8'));
if (dynamicImport)
  throw new Error(`dist/cli.cjs calls import() at ${dynamicImport.index}: load that package with require (see loadEsbuild in engine/sandbox/bundle.ts)`);
writeCodeCache();
console.log(`ts-engine: engine built into dist/ in ${Date.now() - started} ms`);

/**
 * Runs the sensors sample once through the CLI and keeps the bytecode V8 compiled for it (bin/launch-cli.cjs): later
 * launches skip compiling what a check and a replay need. A failure costs only that: the CLI then compiles as it goes.
 */
function writeCodeCache() {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ts-engine-code-cache-'));
  try {
    const sampleDir = path.join(root, 'samples/sensors');
    const sample = JSON.parse(readFileSync(path.join(sampleDir, 'config.json'), 'utf8'));
    sample.input.data_structure = path.resolve(sampleDir, sample.input.data_structure);
    sample.input.options.path = path.resolve(sampleDir, sample.input.options.path);
    sample.outputs = [{ method: 'sqlite', main: true, options: { path: path.join(tmp, 'sensors.db'), table: 'points' } }, { method: 'stdout' }];
    const config = path.join(tmp, 'config.json');
    writeFileSync(config, JSON.stringify(sample));
    const warm = spawnSync(process.execPath, [path.join(root, 'scripts/write-code-cache.mjs'), 'run', config, '--no-progress'], { cwd: tmp, encoding: 'utf8' });
    if (warm.status !== 0) console.warn(`ts-engine: no code cache for the CLI (the sample's run exited ${warm.status}): ${warm.stderr.trim().split('\n')[0]}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
