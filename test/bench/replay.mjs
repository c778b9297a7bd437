#!/usr/bin/env node
// Benchmark driver: replays generated sensor files through every peer and compares them.
//
//   node test/bench/replay.mjs [--quick] [--peers a,b,...] [--files 1m,10m,100k] [--repeat N]
//                              [--repeat-slow] [--timeout SECONDS] [--results FILE]
//
// * Generates (if missing or generated with other options) the files in test/bench/data/ with
//   samples/generate-sensors.mjs: sensors-1m.csv (1 M rows, 20 sensors at 1 Hz), sensors-10m.csv
//   (10 M rows, same), sensors-1m-100k-keys.csv (1 M rows, 100 000 sensor ids, 20 000 rows/s: 5
//   windows of 100 000 groups with 2 rows each).
// * Runs each peer of PEERS on each file as a separate child process (so RSS is per peer), reads its
//   one-line JSON result from stdout and its full checksum from --out, and compares the checksums of
//   all peers on a file. "RSS MB" is what the peer reports for its timed phase; latest.json also has
//   `treePeakRssMB`, the driver's own /proc sample of the child's process tree over the WHOLE child
//   run (start-up and the checksum phase after the timed part included), as a cross-check.
// * Prints one table per file (rows/s, peak RSS, ratios against `ts-engine-1`, or against
//   `minimal-loop` when ts-engine-1 has no result) and writes test/bench/results/latest.json.
// * A peer that fails is reported as "failed: <reason>" and the run goes on.
// --quick runs only the 1 M-row files. --repeat N keeps the run with the median rows/s (peers
// marked `slow`, the PySpark ones, run once unless --repeat-slow is given).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSensors } from '../../samples/generate-sensors.mjs';
import { compareChecksums, summary } from './checksum.mjs';
import { parseArgs, sampleTreeRss } from './peers/common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const DATA = join(HERE, 'data');
const VENV_PY = join(HERE, '.venv/bin/python');
const GENERATOR = join(ROOT, 'samples/generate-sensors.mjs');
const NCPU = cpus().length;
const LOAD_AT_START = loadavg().map((x) => Math.round(x * 100) / 100); // other work on the machine skews timings
const node = (script) => [process.execPath, join(HERE, 'peers', script)];

// The peers, in display order. `cmd` + `args` are run with `--file <csv> --out <json>` appended.
// `check()` returns null when the peer can run, or the reason why not (reported as failed).
export const PEERS = [
  { name: 'ts-engine-1', cmd: node('ts-engine.mjs'), args: ['--name', 'ts-engine-1'] },
  { name: 'ts-engine-all', cmd: node('ts-engine.mjs'), args: ['--name', 'ts-engine-all', '--threads', String(NCPU)] },
  { name: 'minimal-loop', cmd: node('minimal-loop.mjs'), args: [] },
  { name: 'duckdb-1', cmd: node('duckdb.mjs'), args: ['--threads', '1'] },
  { name: 'duckdb-all', cmd: node('duckdb.mjs'), args: ['--threads', String(NCPU)] },
  {
    name: 'pyspark-1',
    cmd: [VENV_PY, join(HERE, 'peers/pyspark_rdd.py')],
    args: ['--master', 'local[1]'],
    slow: true,
    check: () => (existsSync(VENV_PY) ? null : 'no test/bench/.venv (run bash test/bench/peers/setup-pyspark.sh)'),
  },
  {
    name: 'pyspark-all',
    cmd: [VENV_PY, join(HERE, 'peers/pyspark_rdd.py')],
    args: ['--master', 'local[*]'],
    slow: true,
    check: () => (existsSync(VENV_PY) ? null : 'no test/bench/.venv (run bash test/bench/peers/setup-pyspark.sh)'),
  },
];

export const FILES = [
  { id: '1m', name: 'sensors-1m.csv', quick: true, gen: { rows: 1_000_000, sensors: 20, seed: 42 } },
  { id: '10m', name: 'sensors-10m.csv', quick: false, gen: { rows: 10_000_000, sensors: 20, seed: 42 } },
  {
    id: '100k',
    name: 'sensors-1m-100k-keys.csv',
    quick: true,
    gen: { rows: 1_000_000, sensors: 100_000, rate: 20_000, seed: 42 },
  },
];

const USAGE =
  'usage: node test/bench/replay.mjs [--quick] [--peers a,b] [--files 1m,10m,100k] [--repeat N] [--repeat-slow] [--timeout SECONDS] [--results FILE]';

export async function ensureFile(f) {
  const path = join(DATA, f.name);
  const metaPath = path + '.meta.json';
  // regenerate when the options or the generator's source changed
  const generator = createHash('sha1').update(readFileSync(GENERATOR)).digest('hex').slice(0, 12);
  const wanted = JSON.stringify({ ...f.gen, generator });
  if (existsSync(path) && existsSync(metaPath) && readFileSync(metaPath, 'utf8').trim() === wanted) return path;
  mkdirSync(DATA, { recursive: true });
  process.stderr.write(`generating ${relative(ROOT, path)} ${wanted} ...\n`);
  const tmp = path + '.tmp';
  const r = await generateSensors({ ...f.gen, out: tmp });
  renameSync(tmp, path);
  writeFileSync(metaPath, wanted + '\n');
  process.stderr.write(`  ${r.rows} rows, ${(r.bytes / 1e6).toFixed(0)} MB in ${r.seconds.toFixed(1)} s\n`);
  return path;
}

function runPeer(peer, file, timeoutSec) {
  return new Promise((resolveRun) => {
    const why = peer.check?.();
    if (why) return resolveRun({ status: 'failed', reason: why });
    const load1AtStart = Math.round(loadavg()[0] * 100) / 100; // 1-minute load average when the run starts
    const tmp = mkdtempSync(join(tmpdir(), 'bench-run-'));
    const outFile = join(tmp, 'result.json');
    const argv = [...peer.cmd.slice(1), ...peer.args, '--file', file, '--out', outFile];
    const t0 = process.hrtime.bigint();
    const child = spawn(peer.cmd[0], argv, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout can end the whole tree
      env: { ...process.env, SPARK_LOCAL_IP: process.env.SPARK_LOCAL_IP ?? '127.0.0.1' },
    });
    const rss = sampleTreeRss(child.pid, 100);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutSec * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rss.stop();
      rmSync(tmp, { recursive: true, force: true });
      resolveRun({ status: 'failed', reason: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const treePeakRssMB = Math.round(rss.stop() * 10) / 10;
      let line = null;
      for (const l of stdout.trim().split('\n').reverse()) {
        try {
          const j = JSON.parse(l);
          if (j && typeof j === 'object' && 'peer' in j) {
            line = j;
            break;
          }
        } catch {
          /* not JSON */
        }
      }
      let full = null;
      try {
        full = JSON.parse(readFileSync(outFile, 'utf8'));
      } catch {
        /* no full result */
      }
      rmSync(tmp, { recursive: true, force: true });
      if (timedOut) return resolveRun({ status: 'failed', reason: `timeout after ${timeoutSec} s` });
      if (code !== 0 || !line) {
        const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 400);
        return resolveRun({
          status: 'failed',
          reason: `${signal ? `signal ${signal}` : `exit code ${code}`}${last ? `: ${last}` : line ? '' : ' (no result line)'}`,
        });
      }
      resolveRun({
        status: 'ok',
        ...line,
        reportedPeer: line.peer,
        treePeakRssMB,
        wallSeconds,
        load1AtStart,
        fullChecksum: full?.checksum ?? null,
      });
    });
  });
}

function median(runs) {
  const ok = runs.filter((r) => r.status === 'ok').sort((a, b) => a.rowsPerSec - b.rowsPerSec);
  if (ok.length === 0) return runs[runs.length - 1];
  return { ...ok[(ok.length - 1) >> 1], repeats: runs.length, allRowsPerSec: ok.map((r) => r.rowsPerSec) };
}

const fmtInt = (n) => (n == null ? '' : Math.round(n).toLocaleString('en-US'));
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? '' : `${x.toFixed(2)}x`);

function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
  const args = parseArgs(
    process.argv.slice(2),
    {
      quick: 'bool',
      peers: 'string',
      files: 'string',
      repeat: 'int',
      'repeat-slow': 'bool',
      timeout: 'int',
      results: 'string',
    },
    USAGE,
  );
  const peers = args.peers
    ? args.peers.split(',').map((n) => {
        const p = PEERS.find((x) => x.name === n);
        if (!p) throw new Error(`unknown peer ${n}; known: ${PEERS.map((x) => x.name).join(', ')}`);
        return p;
      })
    : PEERS;
  let files = args.quick ? FILES.filter((f) => f.quick) : FILES;
  if (args.files) {
    const ids = args.files.split(',');
    files = FILES.filter((f) => ids.includes(f.id) || ids.includes(f.name));
  }
  const repeat = args.repeat ?? 1;
  const timeout = args.timeout ?? 1800;
  const resultsPath = resolve(args.results ?? join(HERE, 'results/latest.json'));

  const results = [];
  const fileInfo = [];
  for (const f of files) {
    const path = await ensureFile(f);
    const bytes = statSync(path).size;
    fileInfo.push({ id: f.id, name: f.name, ...f.gen, bytes });
    process.stderr.write(`\n== ${f.name} (${fmtInt(f.gen.rows)} rows, ${(bytes / 1e6).toFixed(0)} MB)\n`);
    const fileResults = [];
    for (const p of peers) {
      const runs = [];
      const times = p.slow && !args['repeat-slow'] ? 1 : repeat;
      for (let i = 0; i < times; i++) {
        process.stderr.write(`  ${p.name}${times > 1 ? ` #${i + 1}` : ''} ... `);
        const r = await runPeer(p, path, timeout);
        process.stderr.write(r.status === 'ok' ? `${fmtInt(r.rowsPerSec)} rows/s, ${r.peakRssMB} MB\n` : `failed: ${r.reason}\n`);
        runs.push(r);
        if (r.status !== 'ok') break;
      }
      fileResults.push({ ...median(runs), peer: p.name, file: f.name });
    }

    // Checksum agreement: against the baseline peer (ts-engine-1 when it has a result, else
    // minimal-loop, else the first successful peer).
    const ok = fileResults.filter((r) => r.status === 'ok');
    const base = ok.find((r) => r.peer === 'ts-engine-1') ?? ok.find((r) => r.peer === 'minimal-loop') ?? ok[0] ?? null;
    for (const r of fileResults) {
      r.baseline = base?.peer ?? null;
      if (r.status !== 'ok' || !base) continue;
      r.speedRatio = r.rowsPerSec / base.rowsPerSec;
      r.rssRatio = r.peakRssMB / base.peakRssMB;
      if (r === base) r.agrees = 'reference';
      else {
        const c = compareChecksums(r.fullChecksum ?? r.checksum, base.fullChecksum ?? base.checksum);
        r.agrees = c.equal ? 'yes' : `NO: ${c.message}`;
      }
    }
    for (const r of fileResults) {
      delete r.fullChecksum;
      if (r.checksum) r.checksum = summary(r.checksum);
    }
    results.push(...fileResults);

    const rows = fileResults.map((r) =>
      r.status === 'ok'
        ? [r.peer, r.seconds.toFixed(2), fmtInt(r.rowsPerSec), r.peakRssMB.toFixed(0), fmtRatio(r.speedRatio), fmtRatio(r.rssRatio), r.agrees]
        : [r.peer, '', '', '', '', '', `failed: ${r.reason}`],
    );
    process.stdout.write(
      `\n${f.name}: ${fmtInt(f.gen.rows)} rows, ${f.gen.sensors} sensors; ratios vs ${base?.peer ?? '-'}\n` +
        table(['peer', 'seconds', 'rows/s', 'RSS MB', 'x rows/s', 'x RSS', 'checksum'], rows) +
        '\n',
    );
  }

  const cpuModel = cpus()[0]?.model ?? 'unknown';
  const out = {
    generatedAt: new Date().toISOString(),
    quick: !!args.quick,
    repeat,
    machine: {
      cpus: NCPU,
      cpuModel,
      totalMemGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAvgAtStart: LOAD_AT_START,
      loadAvgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    files: fileInfo,
    peers: peers.map((p) => ({ name: p.name, args: p.args })),
    results,
  };
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(resultsPath, JSON.stringify(out, null, 2) + '\n');
  process.stderr.write(`\nwrote ${relative(ROOT, resultsPath)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`replay: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
