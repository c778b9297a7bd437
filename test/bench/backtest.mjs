#!/usr/bin/env node
// Backtest benchmark (docs/backtest.md#speed): `ts-engine backtest` of the 1 M-row sensor file with its labels beside a plain
// replay of the same file (`ts-engine run`, the sqlite output of the replay benchmark's ts-engine-1 peer, no analysis), both
// measured in this run, alternating, median of --repeat runs. A sweep of 5 values is measured too (one pass over the input).
// Target: backtest ≤ 1.5 × replay. Beside them, the same replay with both built-in analyses on and their alerts to
// the store's SQLite alerts table (`ts-engine run`): issue 12's target of analysis adding ≤ 25 % to a replay.
// `--before <bin>` adds that run by another ts-engine (e.g. a checkout from before a change), in the same rounds.
// Prints a table and, with --json, one JSON line at the end.
//
//   node test/bench/backtest.mjs [--repeat N (7)] [--rows N] [--json] [--before <path/to/bin/ts-engine.mjs>]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionReader, sensorsCsv } from './generated.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'bin/ts-engine.mjs');
const args = process.argv.slice(2);
const opt = optionReader(args);
// 7 rounds: on this machine single rounds swing by 10–20 %, and the target's margin is smaller than that
const repeat = Number(opt('repeat', 7));
const rows = Number(opt('rows', 1_000_000));
const before = opt('before', undefined);

/** the CSV and its labels, regenerated when the options or the generator changed */
const ensureData = () => sensorsCsv('backtest', rows, { labels: true });

function configs(csv, tmp) {
  const sampleDir = join(ROOT, 'samples/sensors');
  const sample = JSON.parse(readFileSync(join(sampleDir, 'config.json'), 'utf8'));
  sample.input.data_structure = resolve(sampleDir, sample.input.data_structure);
  sample.input.options.path = csv;
  sample.outputs = [{ method: 'sqlite', main: true, options: { path: join(tmp, 'points.db'), table: 'points' } }];
  const withAnalysis = join(tmp, 'backtest.json');
  writeFileSync(withAnalysis, JSON.stringify(sample, null, 2));
  const plain = { ...sample };
  delete plain.analysis;
  const replay = join(tmp, 'replay.json');
  writeFileSync(replay, JSON.stringify(plain, null, 2));
  const analysed = join(tmp, 'analysed.json');
  writeFileSync(analysed, JSON.stringify({ ...sample, analysis: { ...sample.analysis, alert: { method: 'sqlite' } } }, null, 2));
  return { replay, backtest: withAnalysis, analysed };
}

function timed(argv, cli = CLI) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`ts-engine ${argv.join(' ')} exited ${r.status}\n${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { csv, labels } = await ensureData();
const tmp = mkdtempSync(join(tmpdir(), 'bench-backtest-'));
try {
  const cfg = configs(csv, tmp);
  const load1AtStart = loadavg()[0];
  const times = { replay: [], backtest: [], sweep: [], analysed: [] };
  let scores;
  const fresh = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(tmp, `points.db${suffix}`), { force: true });
  };
  for (let i = 0; i < repeat; i++) {
    fresh();
    times.replay.push(timed(['run', cfg.replay, '--no-progress']).seconds);
    fresh();
    times.analysed.push(timed(['run', cfg.analysed, '--no-progress']).seconds);
    if (before) {
      fresh();
      (times.analysedBefore ??= []).push(timed(['run', cfg.analysed, '--no-progress'], resolve(before)).seconds);
    }
    const b = timed(['backtest', cfg.backtest, '--labels', labels, '--format', 'json']);
    times.backtest.push(b.seconds);
    scores = JSON.parse(b.stdout).rules.map((r) => ({ name: r.name, tp: r.tp, fp: r.fp, fn: r.fn, f1: r.f1 }));
    times.sweep.push(timed(['backtest', cfg.backtest, '--labels', labels, '--sweep', 'Avg6.num_average=2..10:2', '--format', 'json']).seconds);
  }
  const result = {
    rows,
    repeat,
    replaySeconds: median(times.replay),
    backtestSeconds: median(times.backtest),
    sweep5Seconds: median(times.sweep),
    analysedRunSeconds: median(times.analysed),
    load1AtStart,
    load1AtEnd: loadavg()[0],
    scores,
  };
  result.backtestOverReplay = result.backtestSeconds / result.replaySeconds;
  result.sweep5OverReplay = result.sweep5Seconds / result.replaySeconds;
  result.met = result.backtestOverReplay <= 1.5;
  // per round, then the median: the two runs of a round see the same load on the machine
  result.analysedOverReplay = median(times.analysed.map((t, i) => t / times.replay[i]));
  result.analysedMet = result.analysedOverReplay <= 1.25;
  if (before) {
    result.analysedBeforeSeconds = median(times.analysedBefore);
    result.analysedBeforeOverReplay = median(times.analysedBefore.map((t, i) => t / times.replay[i]));
  }
  console.log(`\nbacktest of ${rows.toLocaleString('en-US')} rows (median of ${repeat}, load ${load1AtStart.toFixed(2)} → ${result.load1AtEnd.toFixed(2)})`);
  console.log(`  plain replay (run, sqlite output)     ${result.replaySeconds.toFixed(2)} s`);
  console.log(
    `  run with both analyses, alerts to SQLite ${result.analysedRunSeconds.toFixed(2)} s   ${result.analysedOverReplay.toFixed(2)} × replay (median of the rounds' ratios)`,
  );
  if (before) {
    console.log(`  the same by ${before} ${result.analysedBeforeSeconds.toFixed(2)} s   ${result.analysedBeforeOverReplay.toFixed(2)} × replay`);
  }
  console.log(`  backtest (2 rules, scored)            ${result.backtestSeconds.toFixed(2)} s   ${result.backtestOverReplay.toFixed(2)} × replay`);
  console.log(`  backtest + sweep of 5 values          ${result.sweep5Seconds.toFixed(2)} s   ${result.sweep5OverReplay.toFixed(2)} × replay`);
  for (const s of scores) console.log(`  ${s.name}: TP ${s.tp} FP ${s.fp} FN ${s.fn} F1 ${s.f1?.toFixed(3) ?? '-'}`);
  if (args.includes('--json')) console.log(JSON.stringify(result));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
