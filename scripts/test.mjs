// `npm test`: prepares what the tests need beyond node_modules (scripts/setup: Java, the Kafka
// jars, InfluxDB servers, Chromium, …, cached under .cache/), then runs lint, the type checks,
// the unit and integration tests (vitest, real servers started by the tests themselves), the
// end-to-end tests (Playwright in Chromium against web mode), and last the tests that wait for
// a long build started in the background at the beginning (influxd 2.7). docs/testing.md.
//
// Without CI=true a missing optional piece (cargo for influxd 2.7, Python for Flink) skips its
// tests with one line saying so; under CI=true it fails the run.
import { spawn } from 'node:child_process';
import { abortRunning } from './setup/lib.mjs';
import { Unavailable, childEnv, ensureStep, handDown, listSteps, neededNow } from './setup/index.mjs';

const ci = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const startedAt = Date.now();
const results = {};
const skipped = [];
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
 * its tests are skipped), and a failure of the run otherwise. Background steps report only
 * when awaited, so a failed build never cuts the tests that run meanwhile short.
 */
async function prepare(step, opts) {
  try {
    results[step.name] = await ensureStep(step.name, opts);
    return true;
  } catch (e) {
    if (e instanceof Unavailable && step.optional && !ci) {
      skipped.push(`${step.tests ? `the ${step.tests} tests` : `what needs ${step.name}`} (${e.reason}; to run them: ${e.remedy})`);
      return false;
    }
    return () => fail(`set-up step ${step.name}${e instanceof Unavailable ? ' cannot be had here' : ''}`);
  }
}

async function prepareNow(step, opts) {
  const r = await prepare(step, opts);
  if (typeof r === 'function') r();
  return r;
}

// ------------------------------------------------------------------ set-up --

say('=== set-up: what the tests need beyond node_modules (scripts/setup/steps.mjs, cached in .cache/)');
const setupStarted = Date.now();
const steps = listSteps().filter((s) => neededNow(s.name));
const background = [];
for (const step of steps.filter((s) => s.background)) {
  // what it needs first, in the foreground, so a missing prerequisite fails before anything else
  for (const need of step.needs) await prepareNow(steps.find((s) => s.name === need) ?? { name: need }, { say, verbose: true });
  background.push({ step, done: prepare(step, { say, verbose: true }) });
}
for (const step of steps.filter((s) => !s.background && !results[s.name])) await prepareNow(step, { say, verbose: true });
say(
  `=== set-up: done in ${secs(Date.now() - setupStarted)}${background.length ? ` (${background.map((b) => b.step.name).join(', ')} continues in the background)` : ''}`,
);

// ------------------------------------------------------------------- tests --

const env = { ...childEnv(Object.values(results)), TS_ENGINE_SETUP: handDown(results) };

async function runStep(name, cmd, args, stepEnv = env) {
  const started = Date.now();
  say(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const code = await new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: stepEnv });
    child.on('error', () => resolve(-1));
    child.on('exit', (c, signal) => resolve(c ?? signal));
  });
  say(`=== ${name}: ${code === 0 ? 'passed' : 'FAILED'} in ${secs(Date.now() - started)}`);
  if (code !== 0) fail(name);
}

await runStep('lint and format', npx, ['biome', 'check', '--error-on-warnings', '.']);
await runStep('type check', npx, ['tsc', '--noEmit', '-p', 'tsconfig.json']);
await runStep('renderer type check', npx, ['svelte-check', '--fail-on-warnings', '--tsconfig', './renderer/tsconfig.json']);
await runStep('unit + integration tests', npx, ['vitest', 'run', '--project', 'unit', '--project', 'integration']);
await runStep('end-to-end tests', npx, ['playwright', 'test']);

for (const { step, done } of background) {
  const waitStarted = Date.now();
  if (!results[step.name]) say(`\n=== waiting for ${step.name} (started in the background at the beginning)`);
  const ready = await done;
  if (typeof ready === 'function') ready();
  if (!ready) continue;
  if (Date.now() - waitStarted > 1000) say(`=== ${step.name}: waited ${secs(Date.now() - waitStarted)}`);
  const stepEnv = { ...childEnv(Object.values(results)), TS_ENGINE_SETUP: handDown(results) };
  await runStep(`${step.tests} tests`, npx, ['vitest', 'run', '--project', step.tests], stepEnv);
}

say(`\n=== npm test: passed in ${secs(Date.now() - startedAt)}`);
for (const s of skipped) say(`=== skipped: ${s}`);
