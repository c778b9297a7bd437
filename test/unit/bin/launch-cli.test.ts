// The CLI's launcher (bin/launch-cli.cjs, docs/performance.md#start-up): the bundle runs with the code cache the build
// wrote, never with a cache made from another bundle, and a damaged cache costs only the compile.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, useTmpDir } from '../helpers.js';

const tmp = useTmpDir();
const LAUNCHER = path.join(ROOT, 'bin/launch-cli.cjs');

/** Runs `code` in a fresh Node process with the launcher as `launcher` (flags and code caches are per process). */
function node(code: string, cwd = ROOT) {
  const r = spawnSync(process.execPath, ['-e', `const launcher = require(${JSON.stringify(LAUNCHER)});\n${code}`], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/launch-cli.cjs', () => {
  it("the build's cache fits the CLI bundle: V8 takes it", () => {
    const r = node('const s = launcher.compileCli(); process.stdout.write(String(s.cachedDataRejected));');
    expect(r).toEqual({ status: 0, stdout: 'false', stderr: '' });
  });

  it('a bundle rebuilt to the same length never runs with the bytecode of the one before', () => {
    const dir = tmp();
    const bundle = path.join(dir, 'cli.cjs');
    const cacheFile = path.join(dir, 'cli.cjs.cache');
    const options = JSON.stringify({ bundle, cacheFile });
    fs.writeFileSync(bundle, "process.stdout.write('one');\n");
    expect(node(`launcher.launchCli({ ...${options}, writeCache: true });`).stdout).toBe('one');
    expect(node(`process.stdout.write(String(launcher.compileCli(${options}).cachedDataRejected));`).stdout).toBe('false');
    expect(node(`launcher.launchCli(${options});`).stdout).toBe('one');

    // same length, so V8's own check (the source's length) would take the old cache and print 'one'
    fs.writeFileSync(bundle, "process.stdout.write('two');\n");
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(bundle, later, later);
    expect(node(`process.stdout.write(String(launcher.cachedDataFor(${JSON.stringify(bundle)}, ${JSON.stringify(cacheFile)})));`).stdout).toBe('undefined');
    expect(node(`launcher.launchCli(${options});`).stdout).toBe('two');
  });

  it('a damaged cache is rejected by V8 and the CLI compiles as it goes', () => {
    const dir = tmp();
    const bundle = path.join(ROOT, 'dist/cli.cjs');
    const cacheFile = path.join(dir, 'cli.cjs.cache');
    const { size, mtimeMs } = fs.statSync(bundle);
    fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from(`${size}:${mtimeMs}\n`, 'latin1'), Buffer.alloc(4096, 7)]));
    const options = JSON.stringify({ bundle, cacheFile });
    expect(node(`process.stdout.write(String(launcher.compileCli(${options}).cachedDataRejected));`).stdout).toBe('true');
    const check = node(`process.argv = [process.execPath, 'ts-engine', 'check', 'samples/sensors/config.json'];\nlauncher.launchCli(${options});`);
    expect(check).toEqual({ status: 0, stdout: 'OK\n', stderr: '' });
  });

  it('bin/ts-engine.mjs, the entry point units written before name, starts the same CLI', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/ts-engine.mjs'), 'check', 'samples/sensors/config.json'], { cwd: ROOT, encoding: 'utf8' });
    const viaCjs = spawnSync(process.execPath, [CLI, 'check', 'samples/sensors/config.json'], { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'OK\n', '']);
    expect([viaCjs.status, viaCjs.stdout, viaCjs.stderr]).toEqual([0, 'OK\n', '']);
  });
});
