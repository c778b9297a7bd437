// Runs the set-up steps of scripts/setup/steps.mjs: dependencies first, one progress line per
// step on stderr, a lock per step across processes, results memoised per process and handed
// to child processes through TS_ENGINE_SETUP (so a test worker does not probe again).
//
//   import { ensureStep } from '../../scripts/setup/index.mjs';
//   const java = await ensureStep('java');          // { path, summary, env, pathDirs }
//
// As a command: `node scripts/setup/index.mjs [--list] [step ...]` prepares the named steps (all
// that `npm test` would prepare when none are named). docs/testing.md explains the whole.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR, REPO_ROOT, SetupError, Unavailable, shown, tailOf, withLock } from './lib.mjs';
import { STEPS } from './steps.mjs';

export { SetupError, Unavailable } from './lib.mjs';

const byName = new Map(STEPS.map((s) => [s.name, s]));
const memo = new Map();

/** Results handed down by the parent process (scripts/test.mjs), trusted as they are. */
const inherited = (() => {
  try {
    return JSON.parse(process.env.TS_ENGINE_SETUP ?? '{}');
  } catch {
    return {};
  }
})();

function stepOf(name) {
  const step = byName.get(name);
  if (!step) throw new Error(`unknown set-up step "${name}" (known: ${[...byName.keys()].join(', ')})`);
  return step;
}

/** Public description of the steps (for `--list`, scripts/test.mjs and docs). */
export function listSteps() {
  return STEPS.map((s) => ({
    name: s.name,
    why: s.why,
    needs: s.needs ?? [],
    optional: !!s.optional,
    background: !!s.background,
    tests: s.tests ?? [],
    usedBy: s.usedBy,
  }));
}

/** Whether `npm test` prepares this step: always, or once a test that uses it exists. */
export function neededNow(name) {
  const { usedBy } = stepOf(name);
  return !usedBy || usedBy.some((p) => fs.existsSync(path.join(REPO_ROOT, p)));
}

/** The progress line printer: `setup  <step>  <status>  <text>`. */
export function line(name, status, text) {
  return `setup  ${name.padEnd(14)} ${status.padEnd(7)} ${text}`;
}

const defaultSay = (text) => process.stderr.write(`${text}\n`);

/**
 * Prepares a step (and what it needs) unless it is ready; returns its result. Throws
 * Unavailable (cannot be had here: reason and remedy) or SetupError (tried and failed).
 * `say` receives the progress lines; `verbose` also reports steps that were ready.
 */
export function ensureStep(name, opts = {}) {
  const known = inherited[name];
  if (known && fs.existsSync(known.path)) return Promise.resolve(known);
  if (!memo.has(name)) memo.set(name, prepare(name, opts));
  return memo.get(name);
}

async function prepare(name, { say = defaultSay, verbose = false }) {
  const step = stepOf(name);
  const deps = {};
  for (const n of step.needs ?? []) deps[n] = await ensureStep(n, { say, verbose });
  let noted;
  let announced = false;
  const ctx = {
    dir: step.dir ?? path.join(CACHE_DIR, step.name),
    log: path.join(CACHE_DIR, 'logs', `${step.name}.log`),
    result: (n) => deps[n] ?? memo.get(n),
    envOf: (...names) => childEnv(names.map((n) => deps[n])),
    ensure: (n) => ensureStep(n, { say, verbose }),
    note: (text) => {
      noted = text;
    },
    noted: () => noted,
    fetching: (text) => {
      announced = true;
      say(line(step.name, 'fetch', `${text} — ${step.why}`));
    },
  };
  fs.mkdirSync(path.dirname(ctx.log), { recursive: true });
  let result = await step.find(ctx);
  if (result) {
    if (verbose) say(line(step.name, 'ready', result.summary));
    return result;
  }
  const started = Date.now();
  try {
    fs.writeFileSync(ctx.log, `# ${step.name}: ${step.why}\n# started ${new Date().toISOString()}\n`);
    result = await withLock(
      step.name,
      async () => (await step.find(ctx)) ?? step.fetch(ctx),
      (pid) => say(line(step.name, 'wait', `another process${pid ? ` (pid ${pid})` : ''} is preparing it`)),
    );
  } catch (e) {
    if (e instanceof Unavailable) {
      say(line(step.name, step.optional ? 'skip' : 'MISSING', e.message));
    } else {
      const log = e instanceof SetupError && e.log ? ` (log: ${shown(e.log)})` : '';
      say(line(step.name, 'FAILED', `${e.message}${log}`));
      if (process.env.CI && e.log) say(tailOf(e.log).replace(/^/gm, '  | '));
    }
    throw e;
  }
  if (!announced) say(line(step.name, 'ready', result.summary));
  else say(line(step.name, 'done', `${result.summary}, in ${((Date.now() - started) / 1000).toFixed(1)} s`));
  return result;
}

/** Environment for a child process that uses these results: their variables, their PATH first. */
export function childEnv(results, base = process.env) {
  const env = { ...base };
  const dirs = [];
  for (const r of results) {
    if (!r) continue;
    Object.assign(env, r.env ?? {});
    dirs.push(...(r.pathDirs ?? []));
  }
  env.PATH = [...new Set(dirs), base.PATH ?? ''].join(path.delimiter);
  return env;
}

/** The results to hand to child processes (TS_ENGINE_SETUP). */
export function handDown(results) {
  return JSON.stringify(Object.fromEntries(Object.entries(results).filter(([, r]) => r)));
}

export { CACHE_DIR };

// ---------------------------------------------------------------- command --

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--list') || args.includes('--help')) {
    console.log('Set-up steps of `npm test` (scripts/setup/steps.mjs; cache: %s):', shown(CACHE_DIR));
    for (const s of listSteps()) {
      const flags = [
        s.optional && 'optional',
        s.background && 'background',
        s.tests.length > 0 && `for the ${s.tests.join(' and ')} tests`,
        s.usedBy && `when ${s.usedBy.join(' or ')} exists`,
      ].filter(Boolean);
      console.log(`  ${s.name.padEnd(14)} ${s.why}${flags.length ? ` [${flags.join(', ')}]` : ''}`);
    }
    process.exit(0);
  }
  const names = args.length > 0 ? args : STEPS.filter((s) => neededNow(s.name)).map((s) => s.name);
  let failed = false;
  for (const n of names) {
    try {
      await ensureStep(n, { verbose: true });
    } catch (e) {
      if (!(e instanceof Unavailable && stepOf(n).optional && !process.env.CI)) failed = true;
      if (!(e instanceof Unavailable || e instanceof SetupError)) console.error(e);
    }
  }
  process.exit(failed ? 1 : 0);
}
