// Starts the CLI (dist/cli.cjs, one CommonJS file) with V8's code cache (docs/performance.md#start-up).
//
// Node 20 compiles every module of a command again on each start, and then each function the first time it runs:
// most of what `ts-engine run` spent before its first row. One script compiled through `vm.Script` can take the
// bytecode V8 made in an earlier run instead. scripts/build-engine.mjs writes that cache once, after a run of the
// sensors sample, beside the bundle; a launch only reads it. This file and bin/ts-engine.cjs are CommonJS so that a
// launch does not set up Node's ES module loader either.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const CLI_BUNDLE = path.join(__dirname, '../dist/cli.cjs');
const CODE_CACHE = `${CLI_BUNDLE}.cache`;

/**
 * The bundle's size and modification time, first in its cache. V8 checks only the source's length, so a rebuilt
 * bundle of the same length would otherwise run the bytecode of the one before.
 */
function fingerprintOf(bundle) {
  const { size, mtimeMs } = statSync(bundle);
  return Buffer.from(`${size}:${mtimeMs}\n`, 'latin1');
}

/** The cache's bytecode, when it was made from `bundle` as it is now. */
function cachedDataFor(bundle = CLI_BUNDLE, cacheFile = CODE_CACHE) {
  let data;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const fingerprint = fingerprintOf(bundle);
  return data.length > fingerprint.length && data.subarray(0, fingerprint.length).equals(fingerprint) ? data.subarray(fingerprint.length) : undefined;
}

/**
 * The bundle compiled, with the cache's bytecode when `useCache` and the cache fits (`cachedDataRejected` is then
 * false). Sets the process's V8 flags first: V8 accepts a cache only under the flags it was made with.
 */
function compileCli({ bundle = CLI_BUNDLE, cacheFile = CODE_CACHE, useCache = true } = {}) {
  // The old generation may grow to at most twice what survived the last full GC: a long replay's peak memory was
  // mostly garbage waiting for a GC that a short one never reaches (docs/performance.md#memory). V8 reads it at every
  // GC, so it takes effect in the running process, and replays measured no slower with it.
  v8.setFlagsFromString('--heap-growing-percent=100');
  return new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData: useCache ? cachedDataFor(bundle, cacheFile) : undefined });
}

/**
 * Runs the CLI on `process.argv`. With `writeCache`, the bytecode compiled by the end of the run becomes the cache
 * (renamed into place: a concurrent launch reads the old cache or the new one, never half of one).
 */
function launchCli({ writeCache = false, bundle = CLI_BUNDLE, cacheFile = CODE_CACHE } = {}) {
  const script = compileCli({ bundle, cacheFile, useCache: !writeCache });
  if (writeCache) {
    process.on('exit', () => {
      const partial = `${cacheFile}.${process.pid}`;
      writeFileSync(partial, Buffer.concat([fingerprintOf(bundle), script.createCachedData()]));
      renameSync(partial, cacheFile);
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(bundle), module, bundle, path.dirname(bundle));
}

module.exports = { CLI_BUNDLE, CODE_CACHE, cachedDataFor, compileCli, launchCli };
