// The user realm of the sandbox process (docs/sandbox.md): no Node global, no code from strings, no host object
// reachable through constructors, stack frames or callers; promise jobs of user code never run outside a time limit;
// project files are readable only when the config grants them.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig, type PipelinePlan } from '../../../engine/pipeline/plan.js';
import { makeConfig, runLinesInSandbox, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();

async function planWith(
  module: string,
  transformation: string[],
  extra: Record<string, unknown> = {},
  files: Record<string, string> = {},
): Promise<PipelinePlan> {
  const dir = tmp();
  writeFiles(dir, {
    'm.mjs': module,
    ...files,
    'ds.json': structure(SENSOR_SPEC),
    'config.json': makeConfig({
      transformation,
      rule: ['key: e', 'sum(c)'],
      options: { path: 'data.csv' },
      extensions: ['./m.mjs'],
      extra,
    }),
  });
  const outcome = await checkConfig(path.join(dir, 'config.json'));
  if (!outcome.plan) throw new Error(outcome.diagnostics.map((d) => d.message).join('\n'));
  return outcome.plan;
}

/** the key (one string) of every group, after running one row per value of rotation_speed */
async function keys(plan: PipelinePlan, rpms: number[] = [1]): Promise<{ keys: string[]; failures: { row: number; reason: string; message: string }[] }> {
  const r = await runLinesInSandbox(
    plan,
    rpms.map((v) => `0,1,a,0,0,${v},0`),
  );
  return { keys: r.windows.flatMap((w) => w.groups.map((g) => String(g.key![0]))), failures: r.failures };
}

const PROBE = `
const attempts = {
  process: () => typeof process,
  Buffer: () => typeof Buffer,
  fetch: () => typeof fetch,
  setTimeout: () => typeof setTimeout,
  queueMicrotask: () => typeof queueMicrotask,
  structuredClone: () => typeof structuredClone,
  WebAssembly: () => typeof WebAssembly,
  FinalizationRegistry: () => typeof FinalizationRegistry,
  waitAsync: () => typeof Atomics.waitAsync,
  hostGlobal: () => typeof globalThis.__tsEngineTimed,
  globalConstructor: () => globalThis.constructor.constructor('return typeof process')(),
  functionConstructor: () => (function () {}).constructor('return typeof process')(),
  arrowConstructor: () => (() => 1).constructor('return 1')(),
  eval: () => eval('typeof process'),
  indirectEval: () => (0, eval)('1'),
  requireFs: () => require(['node', 'fs'].join(':')).readFileSync('/etc/passwd', 'utf8').length,
  stackFrames: () => {
    let frames = [];
    Error.prepareStackTrace = (_e, f) => f;
    try { frames = new Error('x').stack; } finally { Error.prepareStackTrace = undefined; }
    const leaked = frames.filter((f) => f.getFunction() === undefined && f.getThis() !== undefined);
    const fromHost = frames.filter((f) => !String(f.getFileName()).endsWith('m.mjs') && f.getFunction() !== undefined);
    return 'host functions ' + fromHost.length + ', host receivers ' + leaked.length + ', array of the realm ' + (frames.constructor === Array);
  },
  consoleIsSilent: () => { console.log('to nowhere'); console.error('to nowhere'); return 'ok'; },
};
let imported = 'pending';
import(['node', 'fs'].join(':')).then(() => { imported = 'LOADED'; }, (e) => { imported = 'refused: ' + e.code; });
function run() {
  const out = [];
  for (const [name, f] of Object.entries(attempts)) {
    try { out.push(name + ' = ' + f()); } catch (e) { out.push(name + ' ! ' + (e && e.message)); }
  }
  // the host calls user functions from strict code, which a sloppy function's .caller does not reveal
  out.push('caller = ' + String(run.caller));
  out.push('dynamic import ' + imported);
  return out.join('\\n');
}
export const transformFunctions = [{ name: 'probe', arity: 1, params: ['any'], returns: 'StringType', apply: run }];
`;

describe('the user realm', () => {
  it('has no Node global, runs no code from strings, and reaches no host object', async () => {
    const plan = await planWith(PROBE, ['e: probe(rotation_speed)', 'c: one(timestamp)']);
    const { keys: k } = await keys(plan);
    expect(k[0]!.split('\n')).toEqual([
      'process = undefined',
      'Buffer = undefined',
      'fetch = undefined',
      'setTimeout = undefined',
      'queueMicrotask = undefined',
      'structuredClone = undefined',
      'WebAssembly = undefined',
      'FinalizationRegistry = undefined',
      'waitAsync = undefined',
      'hostGlobal = undefined',
      'globalConstructor ! Code generation from strings disallowed for this context',
      'functionConstructor ! Code generation from strings disallowed for this context',
      'arrowConstructor ! Code generation from strings disallowed for this context',
      'eval ! Code generation from strings disallowed for this context',
      'indirectEval ! Code generation from strings disallowed for this context',
      'requireFs ! Dynamic require of "node:fs" is not supported',
      'stackFrames = host functions 0, host receivers 0, array of the realm true',
      'consoleIsSilent = ok',
      'caller = null',
      'dynamic import refused: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING',
    ]);
  });

  it('runs the promise jobs a user function leaves behind under the time limit, never later: a job that hangs holds up nothing', async () => {
    const plan = await planWith(
      `let jobs = 0;
       export const transformFunctions = [{ name: 'later', arity: 1, params: ['any'], returns: 'StringType',
         apply: (x) => { Promise.resolve().then(() => { jobs++; if (x > 5) for (;;) {} }); return 'jobs before this row: ' + jobs; } }];`,
      ['e: later(rotation_speed)', 'c: one(timestamp)'],
      { sandbox: { timeout_ms: 1000 } },
    );
    const first = await keys(plan, [1, 2, 9, 3]);
    // a row's jobs run after its segment, so every row of one segment sees the jobs of earlier segments only
    expect(first).toEqual({ keys: ['jobs before this row: 0'], failures: [] });
  });

  it('reads the project files the config grants, and no other', async () => {
    const plan = await planWith(
      `const table = tsEngine.readFile('lookup/names.csv').trim().split('\\n').map((l) => l.split(','));
       const names = Object.fromEntries(table);
       const probe = (f) => { try { return tsEngine.readFile(f); } catch (e) { return e.message; } };
       export const transformFunctions = [
         { name: 'name_of', arity: 1, params: ['any'], returns: 'StringType', apply: (id) => names[String(id)] ?? '?' },
         { name: 'read', arity: 1, params: ['any'], returns: 'StringType', apply: () => probe('config.json') + ' | ' + probe('./lookup/names.csv').length },
       ];`,
      ['e: concat(name_of(sensor_id), read(1))', 'c: one(timestamp)'],
      { sandbox: { files: ['lookup/names.csv'] } },
      { 'lookup/names.csv': '1,seal\n2,pump\n' },
    );
    expect((await keys(plan)).keys).toEqual(['seal' + 'tsEngine.readFile("config.json"): not granted; list it in the config\'s sandbox.files | 14']);
  });

  it('refuses a granted file that is a link out of the project folder', async () => {
    const outside = tmp();
    writeFiles(outside, { 'secret.txt': 'secret' });
    const dir = tmp();
    writeFiles(dir, {
      'ds.json': structure(SENSOR_SPEC),
      'config.json': makeConfig({ transformation: ['sensor_id'], rule: ['key: sensor_id'], extra: { sandbox: { files: ['link.txt'] } } }),
    });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'link.txt'));
    const outcome = await checkConfig(path.join(dir, 'config.json'));
    expect(outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.path, d.message])).toEqual([
      [
        'sandbox.files[0]',
        `sandbox.files[0]: link.txt leads outside the project folder (to ${fs.realpathSync(path.join(outside, 'secret.txt'))}); only project files can be granted`,
      ],
    ]);
  });
});
