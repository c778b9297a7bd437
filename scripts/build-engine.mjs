// Bundles the engine's entry points (CLI and worker threads) into dist/ with esbuild.
// Runs on `npm install` (prepare) so `npx ts-engine` works right after `npm ci`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Packages stay outside the bundle, except jsonc-parser: every command reads a config with it, and its
 * CommonJS build alone cost ≈ 20 ms of each start-up (docs/performance.md#start-up); its ES module
 * build is bundled instead.
 */
const bundleJsoncParser = {
  name: 'bundle-jsonc-parser',
  setup(b) {
    b.onResolve({ filter: /^jsonc-parser$/ }, () => ({ path: path.join(root, 'node_modules/jsonc-parser/lib/esm/main.js') }));
  },
};
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: {
    cli: 'engine/cli/entry.ts',
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
  plugins: [bundleJsoncParser],
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
console.log(`ts-engine: engine built into dist/ in ${Date.now() - started} ms`);
