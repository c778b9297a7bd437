#!/usr/bin/env node
// Start-up benchmark (docs/performance.md#start-up): how long `ts-engine run` of the sensor sample takes until its first
// row is out — the first window its stdout output prints — beside `node -e 0` (the runtime's own start) and `ts-engine
// check` of the same config, all measured in this run, alternating, median of --repeat runs. The sample's outputs go
// to a temporary folder. Target: run to first row ≤ 100 ms. Prints a table and, with --json, one JSON line at the end.
//
//   node test/bench/startup.mjs [--repeat N] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin/ts-engine.mjs');
const args = process.argv.slice(2);
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 15;

/** ms from spawn until the first byte on stdout (`untilOutput`) or until the process exits */
function timed(argv, untilOutput) {
  return new Promise((done, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let ms;
    let stderr = '';
    const stop = () => (ms ??= Number(process.hrtime.bigint() - t0) / 1e6);
    child.stdout.once('data', () => {
      if (untilOutput) stop();
    });
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('exit', (code) => {
      stop();
      if (code !== 0) fail(new Error(`${argv.join(' ')} exited ${code}\n${stderr}`));
      else done(ms);
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const tmp = mkdtempSync(join(tmpdir(), 'bench-startup-'));
try {
  const sampleDir = join(ROOT, 'samples/sensors');
  const config = JSON.parse(readFileSync(join(sampleDir, 'config.json'), 'utf8'));
  config.input.data_structure = resolve(sampleDir, config.input.data_structure);
  config.input.options.path = resolve(sampleDir, config.input.options.path);
  for (const o of config.outputs) if (o.options?.path) o.options.path = join(tmp, 'sensors.db');
  const configPath = join(tmp, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const load1AtStart = loadavg()[0];
  const times = { node: [], check: [], firstRow: [] };
  for (let i = 0; i < repeat; i++) {
    rmSync(join(tmp, 'sensors.db'), { force: true });
    times.node.push(await timed(['-e', '0'], false));
    times.check.push(await timed([CLI, 'check', configPath], false));
    times.firstRow.push(await timed([CLI, 'run', configPath, '--no-progress'], true));
  }
  const result = {
    repeat,
    nodeMs: median(times.node),
    checkMs: median(times.check),
    firstRowMs: median(times.firstRow),
    load1AtStart,
    load1AtEnd: loadavg()[0],
  };
  result.firstRowOverNode = result.firstRowMs / result.nodeMs;
  result.met = result.firstRowMs <= 100;
  console.log(`\nstart-up (median of ${repeat}, load ${load1AtStart.toFixed(2)} → ${result.load1AtEnd.toFixed(2)})`);
  console.log(`  node -e 0                              ${result.nodeMs.toFixed(0)} ms`);
  console.log(`  ts-engine check (sample)               ${result.checkMs.toFixed(0)} ms   ${(result.checkMs / result.nodeMs).toFixed(2)} × node`);
  console.log(
    `  ts-engine run (sample) to first row    ${result.firstRowMs.toFixed(0)} ms   ${result.firstRowOverNode.toFixed(2)} × node   target ≤ 100 ms: ${result.met ? 'MET' : 'MISSED'}`,
  );
  if (args.includes('--json')) console.log(JSON.stringify(result));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
