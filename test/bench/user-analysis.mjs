#!/usr/bin/env node
// What a user analysis module costs beside the built-in it imitates (docs/performance.md#user-analysis-modules): the
// 1 M-row sensor file replayed with `AverageAnalysis` (`Avg6`: the average of the last 6 windows of rpm_sum, ±40 %),
// and with a user module (`AvgUser.mjs`) computing the same rule in the sandbox, alerts to the store's SQLite alerts
// table; beside a plain replay without analysis. Whole `ts-engine run`s, alternating, median of --repeat. Both
// analysed runs must give the same alerts table (every column but recorded_at: both rules are named Avg6), which the
// benchmark checks. `--before <bin>` adds the user module run by another ts-engine in the same rounds.
// Prints a table and, with --json, one JSON line at the end.
//
//   node test/bench/user-analysis.mjs [--repeat N (3)] [--rows N] [--json] [--before <path/to/bin/ts-engine.mjs>]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { optionReader, sensorsCsv } from './generated.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin/ts-engine.mjs');
const args = process.argv.slice(2);
const opt = optionReader(args);
const repeat = Number(opt('repeat', 3));
const rows = Number(opt('rows', 1_000_000));
const before = opt('before', undefined);

// AverageAnalysis as a user module: history[1..6], the values that are numbers, their average, the ±40 % band
// (ordered for a negative base), a deviation sent and every other evaluation observed
const MODULE = `export default class AvgUser {
  constructor(options, name) { this.name = name; this.n = options.num_average; this.pct = options.deviation.rpm_sum; }
  async analysis(history, alerts) {
    const cur = history.current();
    let sum = 0, count = 0;
    for (let i = 1; i <= this.n; i++) {
      const v = (await history.get(i)).rpm_sum;
      if (v === null || v === undefined || typeof v === 'string' || Array.isArray(v)) continue;
      sum += Number(v);
      count++;
    }
    const x = cur.rpm_sum;
    if (count === 0 || x === null || x === undefined || typeof x === 'string') return;
    const base = sum / count, a = base * (1 - this.pct / 100), b = base * (1 + this.pct / 100);
    const lower = a <= b ? a : b, upper = a <= b ? b : a;
    const m = { module: this.name, timestamp: 0, param: { key: cur.key, field: 'rpm_sum', lower_bound: lower, upper_bound: upper, value: x } };
    const v = Number(x);
    if (v < lower || v > upper) await alerts.send(m); else await alerts.observe(m);
  }
}
`;

const { csv } = await sensorsCsv('backtest', rows, { labels: true });
const tmp = mkdtempSync(join(tmpdir(), 'bench-user-analysis-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  writeFileSync(join(tmp, 'AvgUser.mjs'), MODULE);
  const sampleDir = join(ROOT, 'samples/sensors');
  const sample = JSON.parse(readFileSync(join(sampleDir, 'config.json'), 'utf8'));
  sample.input.data_structure = resolve(sampleDir, sample.input.data_structure);
  sample.input.options.path = csv;
  const rule = { name: 'Avg6', options: { deviation: { rpm_sum: 40 }, num_average: 6 } };
  const configOf = (name, analysisRule) => {
    const c = structuredClone(sample);
    c.outputs = [{ method: 'sqlite', main: true, options: { path: join(tmp, `${name}.db`), table: 'points' } }];
    if (analysisRule) c.analysis = { ...c.analysis, alert: { method: 'sqlite' }, rule: [analysisRule] };
    else delete c.analysis;
    const file = join(tmp, `${name}.json`);
    writeFileSync(file, JSON.stringify(c, null, 2));
    return file;
  };
  const peers = [
    { name: 'plain replay', db: 'plain', bin: CLI, config: configOf('plain') },
    { name: 'built-in AverageAnalysis', db: 'builtin', bin: CLI, config: configOf('builtin', { module: 'AverageAnalysis', ...rule }) },
    { name: 'user module, sandbox', db: 'user', bin: CLI, config: configOf('user', { module: './AvgUser.mjs', ...rule }) },
  ];
  if (before) peers.push({ name: 'user module, before', db: 'before', bin: resolve(before), config: configOf('before', { module: './AvgUser.mjs', ...rule }) });

  const times = new Map(peers.map((p) => [p.name, []]));
  for (let i = 0; i < repeat; i++) {
    for (const p of peers) {
      rmSync(join(tmp, `${p.db}.db`), { force: true });
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [p.bin, 'run', p.config], { cwd: tmp, encoding: 'utf8' });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0 || /failed for window/.test(r.stderr)) throw new Error(`${p.name}: exit ${r.status}\n${r.stderr}`);
      times.get(p.name).push(seconds);
    }
  }

  // the same alerts, to the bit: both rules are named Avg6, so ids and every column but the time of recording agree
  const alertsOf = (db) => {
    const d = new Database(join(tmp, `${db}.db`), { readonly: true });
    const cols = d
      .prepare('SELECT name FROM pragma_table_info(?)')
      .all('alerts')
      .map((c) => c.name)
      .filter((c) => c !== 'recorded_at');
    const all = d
      .prepare(`SELECT ${cols.join(', ')} FROM alerts ORDER BY window_end, alert_id, state`)
      .raw()
      .all();
    d.close();
    return JSON.stringify(all, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
  };
  const reference = alertsOf('builtin');
  const alertCount = JSON.parse(reference).length;
  for (const p of peers.slice(2)) if (alertsOf(p.db) !== reference) throw new Error(`${p.name}: its alerts differ from the built-in's`);

  const seconds = Object.fromEntries(peers.map((p) => [p.name, median(times.get(p.name))]));
  const plain = seconds['plain replay'];
  const builtin = seconds['built-in AverageAnalysis'];
  const results = peers.map((p) => ({
    peer: p.name,
    seconds: +seconds[p.name].toFixed(3),
    timeRatioToPlain: +(seconds[p.name] / plain).toFixed(3),
    timeRatioToBuiltin: +(seconds[p.name] / builtin).toFixed(3),
  }));
  console.log(
    `${rows.toLocaleString('en-US')} rows, ${alertCount} alerts (the same in every analysed run), median of ${repeat} (end to end, process start included)`,
  );
  for (const r of results)
    console.log(
      `  ${r.peer.padEnd(26)} ${r.seconds.toFixed(2).padStart(7)} s  ${r.timeRatioToPlain.toFixed(2).padStart(6)} × plain  ${r.timeRatioToBuiltin.toFixed(2).padStart(6)} × built-in`,
    );
  const user = seconds['user module, sandbox'];
  const summary = {
    rows,
    repeat,
    alerts: alertCount,
    results,
    userVsBuiltin: +(user / builtin).toFixed(3),
    /** what the user module adds to the replay, over what the built-in adds */
    addedVsBuiltin: +((user - plain) / (builtin - plain)).toFixed(2),
  };
  writeFileSync(join(ROOT, 'test/bench/results/user-analysis-latest.json'), `${JSON.stringify({ date: new Date().toISOString(), ...summary }, null, 2)}\n`);
  if (args.includes('--json')) console.log(JSON.stringify(summary));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
