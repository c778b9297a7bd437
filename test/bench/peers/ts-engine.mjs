#!/usr/bin/env node
// Benchmark peer "ts-engine": runs the real headless runner on the bench file.
// Builds a temporary config from samples/sensors/config.json (input path -> the bench file,
// data_structure -> the sample's data_structure.json by absolute path, outputs -> only a sqlite output
// into a temporary database, no analysis), runs `node bin/ts-engine.mjs run <config>` as a child
// process, then reads the SQLite table back for the checksum.
//
// usage: node test/bench/peers/ts-engine.mjs --file <csv> [--threads N] [--out <result.json>]
//        [--name ts-engine-1] [--bin bin/ts-engine.mjs] [--keep]
// --threads N is passed to the runner as `--workers N` (only when given).
// Wall time: from spawning the runner to its exit (process start-up included). peakRssMB: the
// peak summed RSS of the runner's process tree, sampled from /proc every 100 ms.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createChecksumBuilder } from '../checksum.mjs';
import { fail, parseArgs, report, sampleTreeRss } from './common.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const USAGE = 'usage: node test/bench/peers/ts-engine.mjs --file <csv> [--threads N] [--out <result.json>] [--name NAME] [--bin bin/ts-engine.mjs] [--keep]';
const args = parseArgs(process.argv.slice(2), { file: 'string', threads: 'int', out: 'string', name: 'string', bin: 'string', keep: 'bool' }, USAGE);
if (!args.file) fail(USAGE, 2);
const name = args.name ?? (args.threads ? `ts-engine-${args.threads}` : 'ts-engine-1');
const bin = resolve(ROOT, args.bin ?? 'bin/ts-engine.mjs');
if (!existsSync(bin)) fail(`${name}: ${bin} not found (the engine's CLI is not there yet)`, 1);

const sampleDir = join(ROOT, 'samples/sensors');
const config = JSON.parse(readFileSync(join(sampleDir, 'config.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'bench-ts-engine-'));
const dbPath = join(tmp, 'points.db');
config.input.data_structure = resolve(sampleDir, config.input.data_structure);
config.input.options.path = resolve(args.file);
delete config.input.options.speed;
delete config.input.options.rate;
config.outputs = [{ method: 'sqlite', main: true, options: { path: dbPath, table: 'points' } }];
delete config.analysis;
const configPath = join(tmp, 'config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2));

const cliArgs = [bin, 'run', configPath];
if (args.threads) cliArgs.push('--workers', String(args.threads));

const t0 = process.hrtime.bigint();
const child = spawn(process.execPath, cliArgs, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
const rss = sampleTreeRss(child.pid, 100);
let stderrTail = '';
child.stdout.on('data', (d) => process.stderr.write(d)); // nothing is expected on stdout (no stdout output)
child.stderr.on('data', (d) => {
  process.stderr.write(d);
  stderrTail = (stderrTail + d.toString()).slice(-4000);
});
const code = await new Promise((res) => child.on('close', (c, sig) => res(sig ? `signal ${sig}` : c)));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const peakRssMB = rss.stop();
if (code !== 0) {
  const last = stderrTail.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  if (!args.keep) rmSync(tmp, { recursive: true, force: true });
  fail(`${name}: ts-engine exited with ${code}${last ? `: ${last}` : ''}`, 1);
}

// Read the result back. Column names per SEMANTICS 15.2: window start/end (epoch ms), key fields,
// aggregated columns; the window-end column name is detected.
const db = new Database(dbPath, { readonly: true });
const cols = db.prepare("SELECT name FROM pragma_table_info('points')").pluck().all();
const endCol = ['window_end', 'window_end_ms', 'end_ms', 'end', 'time'].find((c) => cols.includes(c));
const need = ['sensor_id', 'sensor_type', 'counter', 'rpm_min', 'rpm_max', 'rpm_sum', 'speed_lt', 'speed_gt'];
const missing = need.filter((c) => !cols.includes(c));
if (!endCol || missing.length) {
  fail(`${name}: unexpected columns in table points: ${cols.join(', ')} (missing ${endCol ? missing : 'window end'})`, 1);
}
const b = createChecksumBuilder();
for (const r of db
  .prepare(`SELECT "${endCol}", ${need.map((c) => `"${c}"`).join(', ')} FROM points`)
  .raw()
  .iterate()) {
  b.add(r);
}
db.close();
const checksum = b.finish();
if (!args.keep) rmSync(tmp, { recursive: true, force: true });
else process.stderr.write(`${name}: kept ${tmp}\n`);

report({ peer: name, rows: checksum.rows, seconds, peakRssMB, checksum, workers: args.threads ?? null }, args.out);
