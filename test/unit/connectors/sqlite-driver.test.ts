// How the engine loads better-sqlite3 (engine/connectors/sqlite-driver.ts, docs/performance.md#start-up): unbundled,
// the package with its addon given by path; from the built CLI, its JavaScript bundled with the engine, never the
// package's own files nor `bindings`, and the CLI's start-up reads one chunk of the engine.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Database, sqliteAddon } from '../../../engine/connectors/sqlite-driver.js';
import { openDatabase } from '../../../engine/connectors/sqlite-store.js';
import { CLI, makeConfig, ROOT, SECTION14_ROWS, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();
const packageDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
const DIST = path.join(ROOT, 'dist');

describe('the SQLite driver', () => {
  it('unbundled, it is the package, given the addon its install built', () => {
    expect(Database).toBe(createRequire(import.meta.url)('better-sqlite3'));
    expect(sqliteAddon()).toBe(path.join(packageDir, 'build', 'Release', 'better_sqlite3.node'));
    const db = openDatabase(path.join(tmp(), 'a.db'));
    try {
      expect(db.prepare('select sqlite_version() as v').get()).toMatchObject({ v: expect.stringMatching(/^3\./) });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('a run of the built CLI loads the addon, none of the package’s JavaScript', () => {
    const dir = tmp();
    writeFiles(dir, {
      'config.json': makeConfig({
        options: { path: 'rows.csv' },
        transformation: SECTION14_TRANSFORMATION,
        rule: SECTION14_RULE,
        outputs: [{ method: 'sqlite', options: { path: 'out.db', table: 'points' } }],
      }),
      'ds.json': structure(SENSOR_SPEC),
      'rows.csv': SECTION14_ROWS.join('\n') + '\n',
      // CommonJS files loaded by the run, written when it exits
      'loaded.cjs': `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'loaded.json'))}, JSON.stringify(Object.keys(require.cache))));`,
    });
    const r = spawnSync(process.execPath, ['--require', path.join(dir, 'loaded.cjs'), CLI, 'run', 'config.json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(fs.readFileSync(path.join(dir, 'loaded.json'), 'utf8')) as string[];
    expect(loaded).toContain(path.join(packageDir, 'build', 'Release', 'better_sqlite3.node'));
    expect(loaded.filter((f) => f.startsWith(path.join(packageDir, 'lib')) || f.includes(`${path.sep}bindings${path.sep}`))).toEqual([]);
  });

  it('the built CLI imports one chunk of the engine at start-up, and node built-ins and the bundler’s helpers', () => {
    const imports = (file: string) => [...fs.readFileSync(path.join(DIST, file), 'utf8').matchAll(/^import\s[^;]*?["']([^"']+)["']/gm)].map((m) => m[1]!);
    const local = imports('cli.mjs').filter((s) => s.startsWith('./'));
    expect(local).toHaveLength(1);
    const startup = local[0]!.slice(2);
    expect(startup).toMatch(/^cli-startup-/);
    expect(imports(startup).filter((s) => !s.startsWith('node:') && !/^\.\/rolldown-runtime-[\w-]+\.mjs$/.test(s))).toEqual([]);
  });
});
