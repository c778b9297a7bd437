// `npm test`: prepares what the tests need beyond node_modules (scripts/setup: Java, the Kafka
// jars, InfluxDB servers, Chromium, the Flink venv, …, cached under .cache/), then runs lint, the
// layer check, the type checks, the unit and integration tests (vitest, real servers started by
// the tests themselves), the end-to-end tests (Playwright in Chromium against web mode), and last
// the vitest projects that wait for long work started in the background at the beginning
// (influxd 2.7 built from source, the Flink venv): `influx27`, then `flink`. docs/testing.md.
//
// Without CI=true a missing optional piece (Rust for influxd 2.7, a Python that apache-flink
// supports) skips the projects that need it with one line saying so; under CI=true it fails the run.
import { spawn } from 'node:child_process';
import { abortRunning } from './setup/lib.mjs';
import { Unavailable, childEnv, ensureStep, handDown, listSteps, neededNow } from './setup/index.mjs';

const ci = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const startedAt = Date.now();
const results = {};
/** step name → why it cannot be had here (optional steps outside CI) */
const missing = new Map();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (text) => console.log(text);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    abortRunning();
    process.exit(130);
  });
}

function fail(message) {
  say(`\n=== npm test: FAILED (${message}) after ${secs(Date.now() - startedAt)}`);
  abortRunning();
  process.exit(1);
}

/**
 * Prepares a step: true when ready, false when an optional one cannot be had here (outside CI:
 * the projects needing it are skipped), and otherwise a function that fails the run. Background
 * steps report only when awaited, so a failed build never cuts the tests that run meanwhile short.
 */
async function prepare(step) {
  try {
    results[step.name] = await ensureStep(step.name, { say, verbose: true });
    return true;
  } catch (e) {
    if (e instanceof Unavailable && step.optional && !ci) {
      missing.set(step.name, `${e.reason}; to run them: ${e.remedy}`);
      return false;
    }
    return () => fail(`set-up step ${step.name}${e instanceof Unavailable ? ' cannot be had here' : ''}`);
  }
}

async function prepareNow(step) {
  const r = await prepare(step);
  if (typeof r === 'function') r();
  return r;
}

// ------------------------------------------------------------------ set-up --

say('=== set-up: what the tests need beyond node_modules (scripts/setup/steps.mjs, cached in .cache/)');
const setupStarted = Date.now();
const steps = listSteps().filter((s) => neededNow(s.name));
const stepNamed = (name) => steps.find((s) => s.name === name) ?? listSteps().find((s) => s.name === name);
/** background step name → its preparation, awaited before the projects that need it */
const background = new Map();
for (const step of steps.filter((s) => s.background)) {
  // what it needs first, in the foreground: a missing prerequisite fails (or skips) before anything else
  let ready = true;
  for (const need of step.needs) if (!(await prepareNow(stepNamed(need)))) ready = false;
  if (!ready) {
    missing.set(step.name, missing.get(step.needs.find((n) => missing.has(n))));
    continue;
  }
  background.set(step.name, prepare(step));
}
for (const step of steps.filter((s) => !s.background && !results[s.name] && !missing.has(s.name))) await prepareNow(step);
say(`=== set-up: done in ${secs(Date.now() - setupStarted)}${background.size ? ` (${[...background.keys()].join(', ')} continue in the background)` : ''}`);

// ------------------------------------------------------------------- tests --

const envNow = () => ({ ...childEnv(Object.values(results)), TS_ENGINE_SETUP: handDown(results) });

async function runStep(name, cmd, args) {
  const started = Date.now();
  say(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const code = await new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: envNow() });
    child.on('error', () => resolve(-1));
    child.on('exit', (c, signal) => resolve(c ?? signal));
  });
  say(`=== ${name}: ${code === 0 ? 'passed' : 'FAILED'} in ${secs(Date.now() - started)}`);
  if (code !== 0) fail(name);
}

await runStep('lint and format', npx, ['biome', 'check', '--error-on-warnings', '.']);
await runStep('layers (docs/architecture.md#layers)', npx, ['depcruise', 'engine', 'main', 'renderer/src', '--config', '.dependency-cruiser.cjs']);
await runStep('type check', npx, ['tsc', '--noEmit', '-p', 'tsconfig.json']);
await runStep('renderer type check', npx, ['svelte-check', '--fail-on-warnings', '--tsconfig', './renderer/tsconfig.json']);
await runStep('unit + renderer + integration tests', npx, ['vitest', 'run', '--project', 'unit', '--project', 'renderer', '--project', 'integration']);
await runStep('end-to-end tests', npx, ['playwright', 'test']);

// the projects named by the steps, in the order of the steps (influx27, then flink)
const skipped = [];
const lateProjects = [...new Set(steps.flatMap((s) => s.tests))];
for (const project of lateProjects) {
  const needed = steps.filter((s) => s.tests.includes(project));
  for (const s of needed.filter((n) => background.has(n.name) && !results[n.name])) {
    const waitStarted = Date.now();
    say(`\n=== waiting for ${s.name} (started in the background at the beginning)`);
    const ready = await background.get(s.name);
    if (typeof ready === 'function') ready();
    say(`=== ${s.name}: ${ready ? 'ready' : 'cannot be had here'} after ${secs(Date.now() - waitStarted)} more`);
  }
  const lacking = needed.find((s) => missing.has(s.name));
  if (lacking) {
    skipped.push(`the ${project} tests (${lacking.name}: ${missing.get(lacking.name)})`);
    say(`\n=== ${project} tests: SKIPPED, ${lacking.name} cannot be had here`);
    continue;
  }
  await runStep(`${project} tests`, npx, ['vitest', 'run', '--project', project, '--passWithNoTests']);
}

say(`\n=== npm test: passed in ${secs(Date.now() - startedAt)}`);
for (const s of skipped) say(`=== skipped: ${s}`);
