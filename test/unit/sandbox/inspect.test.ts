// `check` and `export` never run user code in the engine's process (docs/sandbox.md): modules are loaded and
// described in the sandbox, with its start-up time limit and memory limit; with --no-user-code they are only parsed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModuleInspector } from '../../../engine/sandbox/inspect.js';
import { DEFAULT_LIMITS } from '../../../engine/sandbox/protocol.js';
import { cli, makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

/** Top-level code that tries every way it has to write `marker` and read /etc/passwd, and never throws. */
const hostile = (marker: string) => `
const tries = [
  () => process.mainModule.require('fs').writeFileSync(${JSON.stringify(marker)}, 'process'),
  () => globalThis.constructor.constructor('return process')().mainModule.require('fs').writeFileSync(${JSON.stringify(marker)}, 'constructor'),
  () => require(['node', 'fs'].join(':')).writeFileSync(${JSON.stringify(marker)}, 'require'),
  () => import(['node', 'fs'].join(':')).then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'import')),
  () => import(['node', 'child_process'].join(':')).then((cp) => cp.execSync('id > ' + ${JSON.stringify(marker)})),
  () => fetch('http://127.0.0.1:9/' + 'leak'),
];
export const stolen = [];
for (const t of tries) { try { const r = t(); if (r && r.catch) r.catch(() => {}); } catch {} }
`;

function project(marker: string): string {
  const dir = tmp();
  writeFiles(dir, {
    'ops.mjs': `${hostile(marker)}
export const transformFunctions = [{ name: 'twice', arity: 1, params: ['numeric'], returns: 'promote', apply: (x) => x * 2 }];`,
    'Notes.mjs': `${hostile(marker)}
export class Notes { constructor(o, n) { this.n = n; } analysis() {} }`,
    'ds.json': structure(SENSOR_SPEC),
    'data.csv': '0,1,a,0,0,1,0\n',
    'config.json': makeConfig({
      transformation: ['sensor_id', 'r: twice(rotation_speed)'],
      rule: ['key: sensor_id', 'sum(r)'],
      extensions: ['./ops.mjs'],
      options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
      analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: './Notes.mjs', name: 'N', options: {} }] },
    }),
  });
  return dir;
}

describe('check and export', () => {
  it('load modules in the sandbox only: top-level code that reaches for the file system, processes or the network gets nowhere', () => {
    const marker = path.join(tmp(), 'marker');
    const dir = project(marker);
    const check = cli(['check', 'config.json'], { cwd: dir });
    expect([check.status, check.stdout, check.stderr]).toEqual([0, 'OK\n', '']);
    const exported = cli(['export', 'config.json', 'out'], { cwd: dir });
    expect(exported.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'out', 'config.json'))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('cut off a module whose top-level code hangs (sandbox.startup_timeout_ms), and one that fills memory (sandbox.memory_mb)', () => {
    const dir = tmp();
    const check = (module: string, sandbox: Record<string, unknown>) => {
      writeFiles(dir, {
        'm.mjs': `${module}\nexport const transformFunctions = [];`,
        'ds.json': structure(SENSOR_SPEC),
        'data.csv': '',
        'config.json': makeConfig({ transformation: ['sensor_id'], rule: ['key: sensor_id'], extensions: ['./m.mjs'], extra: { sandbox } }),
      });
      const r = cli(['check', 'config.json'], { cwd: dir });
      expect(r.status).toBe(2);
      return r.stderr.trim().split('\n');
    };
    expect(check('for (;;) {}', { startup_timeout_ms: 300 })).toEqual([
      expect.stringMatching(
        /^config\.json:\d+:\d+: ImportError: extensions\[0\]: cannot load extension module .*m\.mjs: loading the module timed out after 300 ms$/,
      ),
    ]);
    // a minute to fill 128 MB: the memory limit is what ends it
    expect(check('const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(1));', { startup_timeout_ms: 60_000, memory_mb: 128 })).toEqual([
      expect.stringMatching(
        /^config\.json:\d+:\d+: ImportError: extensions\[0\]: cannot load extension module .*m\.mjs: user code in m\.mjs exceeded the sandbox memory limit of 128 MB \(sandbox\.memory_mb\); the sandbox was stopped$/,
      ),
    ]);
  });

  it('with --no-user-code only parse modules: names and signatures are checked, what only running could tell is a warning', () => {
    const dir = tmp();
    writeFiles(dir, {
      // running this module would never end: parsing it does not run it
      'ops.ts': `for (;;) {}
export const transformFunctions = [
  { name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'] as const, returns: 'promote' as const, apply: (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x)) },
  { name: 'shout', arity: 1, resultType: (t: string[]) => t[0], apply: (s: string) => s.toUpperCase() },
];`,
      'Watch.mjs': 'for (;;) {}\nexport class Watch { analysis() {} }',
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': '',
      'config.json': makeConfig({
        transformation: ['sensor_id', 'c: clamp(rotation_speed, 0)', 'd: clamp(rotation_speed, 0, 10)'],
        rule: ['key: sensor_id', 'max(d)'],
        extensions: ['./ops.ts'],
        options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10 },
        outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
        analysis: { alert: { method: 'stdout' }, accuracy: 1, rule: [{ module: './Watch.mjs', name: 'W', options: {} }] },
      }),
    });
    const r = cli(['check', '--no-user-code', 'config.json'], { cwd: dir });
    expect(r.status).toBe(2);
    const parsedOnly = expect.stringMatching(
      /^warning: config\.json:\d+:\d+: extensions\[0\]: extension module .*ops\.ts: not checked in restricted mode: .* \(it was parsed, not run\)$/,
    );
    expect(r.stderr.trim().split('\n')).toEqual([
      parsedOnly,
      expect.stringMatching(
        /^warning: config\.json:\d+:\d+: processing\.transformation\[2\]: Operation 'clamp' is an extension function \(its module was parsed, not run\); not checked in restricted mode: user modules are not loaded until the folder is trusted$/,
      ),
      expect.stringMatching(
        /^config\.json:\d+:\d+: IncorrectArgumentsAmountForOperationError: processing\.transformation\[1\]: Operation 'clamp' expects 3 arguments, got 2\.$/,
      ),
    ]);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.processing.transformation = ['sensor_id', 'd: clamp(rotation_speed, 0, 10)', 'e: shout(sensor_type)'];
    config.processing.aggregations.rule = ['key: (sensor_id, e)', 'max(d)'];
    writeFiles(dir, { 'config.json': config });
    const ok = cli(['check', '--no-user-code', 'config.json'], { cwd: dir });
    expect([ok.status, ok.stdout]).toEqual([0, 'OK\n']);
    expect(ok.stderr.trim().split('\n')).toEqual([
      parsedOnly,
      expect.stringMatching(/^warning: config\.json:\d+:\d+: processing\.transformation\[2\]: shout: result type not checked in restricted mode: /),
      expect.stringMatching(
        /^warning: config\.json:\d+:\d+: processing\.transformation\[1\]: Operation 'clamp' is an extension function .*; not checked in restricted mode/,
      ),
    ]);
    // the analysis module, which never ran either
    config.processing.transformation = ['sensor_id', 'd: clamp(rotation_speed, 0, 10)'];
    config.processing.aggregations.rule = ['key: sensor_id', 'max(d)'];
    writeFiles(dir, { 'config.json': config });
    const analysis = cli(['check', '--no-user-code', 'config.json'], { cwd: dir });
    expect([analysis.status, analysis.stdout]).toEqual([0, 'OK\n']);
    expect(analysis.stderr.trim().split('\n')).toEqual([
      parsedOnly,
      expect.stringMatching(/^warning: config\.json:\d+:\d+: processing\.transformation\[1\]: Operation 'clamp' is an extension function .*; not checked/),
      expect.stringMatching(
        /^warning: config\.json:\d+:\d+: analysis\.rule\[0\]\.module: analysis module .*Watch\.mjs: not checked in restricted mode: .* \(it was not loaded\)$/,
      ),
    ]);
  });

  it('remember a module’s shape per module text, granted files and limits: a granted file that changes is read again', async () => {
    const dir = tmp();
    // the module's function is named after the first line of a granted file
    writeFiles(dir, {
      'named.mjs': "export const transformFunctions = [{ name: tsEngine.readFile('names.txt').split('\\n')[0], arity: 1, returns: 'arg0', apply: (a) => a }];",
    });
    const named = async (files: Record<string, string>, limits = DEFAULT_LIMITS) => {
      const inspector = new ModuleInspector(limits, files);
      try {
        const r = await inspector.shapeOf(path.join(dir, 'named.mjs'));
        return 'error' in r ? r.error : r.shape.transform.map((f) => ('problem' in f ? f.problem : f.name));
      } finally {
        await inspector.close();
      }
    };
    expect(await named({ 'names.txt': 'first\n' })).toEqual(['first']);
    expect(await named({ 'names.txt': 'second\n' })).toEqual(['second']);
    expect(await named({ 'names.txt': 'first\n' })).toEqual(['first']);
    // other limits: loaded again, not answered from the load under the defaults (200 MB fit in 512 MB, not in 128 MB)
    writeFiles(dir, {
      'named.mjs': `globalThis.keep = Array.from({ length: 25 }, () => new Float64Array(1 << 20).fill(1));\n${fs.readFileSync(path.join(dir, 'named.mjs'), 'utf8')}`,
    });
    expect(await named({ 'names.txt': 'big\n' })).toEqual(['big']);
    expect(await named({ 'names.txt': 'big\n' }, { ...DEFAULT_LIMITS, memoryMb: 128 })).toEqual(expect.stringContaining('memory limit of 128 MB'));
    expect(await named({})).toEqual(expect.stringContaining('not granted'));
  }, 30_000);
});
