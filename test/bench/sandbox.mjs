#!/usr/bin/env node
// What running user functions in the sandbox costs (docs/sandbox.md): the sensor sample config with one
// transformation calling a user function on every row (`clamp(rotation_speed, 0, 5000)`, rows processed in the
// sandbox process) beside the same config with a built-in in its place (rows processed in the engine's process),
// end to end (`ts-engine run`, SQLite output), median of --repeat runs, alternating. `--before <bin>` adds the
// user-function config run by another ts-engine (e.g. a checkout from before the sandbox, which called user
// functions in process).
//
// usage: node test/bench/sandbox.mjs [--rows 1000000] [--repeat 3] [--before <path/to/bin/ts-engine.mjs>]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, parseArgs } from './peers/common.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = 'usage: node test/bench/sandbox.mjs [--rows 1000000] [--repeat 3] [--before <bin>]';
const args = parseArgs(process.argv.slice(2), { rows: 'int', repeat: 'int', before: 'string' }, USAGE);
const rows = args.rows ?? 1_000_000;
const repeat = args.repeat ?? 3;

const data = join(ROOT, 'test/bench/data', `sensors-${rows}.csv`);
if (!existsSync(data)) {
  mkdirSync(dirname(data), { recursive: true });
  const g = spawnSync(process.execPath, [join(ROOT, 'samples/generate-sensors.mjs'), '--rows', String(rows), '--out', data], { stdio: 'inherit' });
  if (g.status !== 0) fail('cannot generate the input');
}

const tmp = mkdtempSync(join(tmpdir(), 'bench-sandbox-'));
writeFileSync(
  join(tmp, 'ops.mjs'),
  "export const transformFunctions = [{ name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'], returns: 'promote', apply: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x) }];\n",
);
const base = JSON.parse(readFileSync(join(ROOT, 'samples/sensors/config.json'), 'utf8'));
base.input.data_structure = join(ROOT, 'samples/sensors', base.input.data_structure);
base.input.options.path = data;
delete base.analysis;
const configOf = (name, rpmMin, extensions) => {
  const c = structuredClone(base);
  c.outputs = [{ method: 'sqlite', main: true, options: { path: join(tmp, `${name}.db`), table: 'points' } }];
  c.processing.transformation = c.processing.transformation.map((t) => (t.startsWith('rpm_min:') ? `rpm_min: ${rpmMin}` : t));
  if (extensions) c.extensions = extensions;
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
};
const peers = [
  { name: 'in-process (built-in)', bin: join(ROOT, 'bin/ts-engine.mjs'), config: configOf('builtin', 'id(rotation_speed)') },
  { name: 'sandbox (user clamp)', bin: join(ROOT, 'bin/ts-engine.mjs'), config: configOf('sandbox', 'clamp(rotation_speed, 0, 5000)', ['./ops.mjs']) },
];
if (args.before)
  peers.push({
    name: 'before (user clamp in process)',
    bin: resolve(args.before),
    config: configOf('before', 'clamp(rotation_speed, 0, 5000)', ['./ops.mjs']),
  });

const times = new Map(peers.map((p) => [p.name, []]));
for (let i = 0; i < repeat; i++) {
  for (const p of peers) {
    rmSync(join(tmp, `${p.name}.db`), { force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [p.bin, 'run', p.config], { encoding: 'utf8', cwd: tmp });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) fail(`${p.name}: exit ${r.status}\n${r.stderr}`);
    if (!/finished: [\d,]+ rows read/.test(r.stderr)) fail(`${p.name}: no summary\n${r.stderr}`);
    times.get(p.name).push(seconds);
  }
}
rmSync(tmp, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ref = median(times.get(peers[0].name));
const results = peers.map((p) => {
  const s = median(times.get(p.name));
  return { peer: p.name, seconds: +s.toFixed(3), rowsPerSec: Math.round(rows / s), timeRatio: +(s / ref).toFixed(3) };
});
console.log(`${rows.toLocaleString('en-US')} rows, median of ${repeat} (end to end, process start included)`);
for (const r of results)
  console.log(`  ${r.peer.padEnd(32)} ${r.seconds.toFixed(2)} s  ${r.rowsPerSec.toLocaleString('en-US').padStart(9)} rows/s  ${r.timeRatio.toFixed(2)}×`);
const out = join(ROOT, 'test/bench/results/sandbox-latest.json');
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), rows, repeat, results }, null, 2)}\n`);
