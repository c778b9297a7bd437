#!/usr/bin/env node
// Flink benchmark (issue 8, docs/flink.md): the sensors sample exported with `--target flink`, replaying the 1 M-row
// bench file (`job.py --replay <csv> --sink jsonl:<file>`) at parallelism 1 and 2 in Flink local mode, beside
// `ts-engine run` of the same config writing the same JSON lines, all measured in this run. No target yet: rows/s and
// the ratios are printed and written to test/bench/results/flink-latest.json.
//
// The job's wall time includes starting the JVM and the Python workers; the same job on the file's first 1000 rows
// measures that fixed cost, and `steady rows/s` leaves it out. The job's lines are checked against ts-engine's:
// identical text at parallelism 1, the same lines within 1e-9 relative for doubles at 2 (other addition order).
// Skipped, with a line saying why, without a Python environment holding apache-flink or without Java.
//
//   node test/bench/flink.mjs [--repeat N] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sampleTreeRss } from './peers/common.mjs';
import { ensureFile, FILES } from './replay.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const CLI = join(ROOT, 'bin/ts-engine.mjs');
const RESULTS = join(HERE, 'results/flink-latest.json');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const repeat = Number(opt('repeat', 1));
const json = args.includes('--json');
const STARTUP_ROWS = 1000;

/** The venv with apache-flink (as the Flink tests find it) and Java, or why the job cannot run here. */
function flinkEnvironment() {
  const venv = process.env.TS_ENGINE_FLINK_VENV ?? join(process.env.TS_ENGINE_CACHE ?? join(ROOT, '.cache'), 'flink-venv');
  const python = join(venv, 'bin/python');
  if (!existsSync(python) || spawnSync(python, ['-c', 'import pyflink'], { encoding: 'utf8' }).status !== 0) {
    return { missing: `no Python environment with apache-flink at ${venv} (python3 -m venv ${venv} && ${venv}/bin/pip install apache-flink==2.3.0)` };
  }
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.status !== 0) return { missing: 'no java on PATH (Flink 2.3 needs Java 17)' };
  return { venv, python, java: (java.stderr.split('\n')[0] ?? '').trim() };
}

/** Runs a command with its stdout into `outFile`; wall seconds from spawn to exit and the tree's peak RSS. */
async function timed(cmd, argv, { env, outFile } = {}) {
  const out = outFile ? createWriteStream(outFile) : 'ignore';
  if (outFile) await new Promise((r) => out.on('open', r));
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, argv, { cwd: ROOT, env: env ?? process.env, stdio: ['ignore', outFile ? out : 'ignore', 'pipe'] });
  const rss = sampleTreeRss(child.pid, 200);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const code = await new Promise((r) => child.on('close', (c, sig) => r(sig ? `signal ${sig}` : c)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMB = Math.round(rss.stop());
  if (outFile) out.close();
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited with ${code}:\n${stderr}`);
  return { seconds, peakRssMB };
}

async function lines(file) {
  const out = [];
  for await (const l of createInterface({ input: createReadStream(file) })) if (l !== '') out.push(l);
  return out;
}

/** Same JSON lines in the same order, numbers within `relTol` relative (0: identical text). */
function firstDifference(expected, actual, relTol) {
  if (expected.length !== actual.length) return `${actual.length} lines, expected ${expected.length}`;
  const close = (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a === b;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => close(a[k], b[k]));
  };
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === actual[i]) continue;
    if (relTol === 0 || !close(JSON.parse(expected[i]), JSON.parse(actual[i]))) return `line ${i + 1}: expected ${expected[i]}\n  got ${actual[i]}`;
  }
  return undefined;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const env = flinkEnvironment();
  if (env.missing) {
    const result = { status: 'skipped', reason: env.missing };
    console.log(`\nflink: skipped — ${env.missing}`);
    // a machine without Flink keeps the results measured where it was installed
    const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : undefined;
    if (previous?.status === 'ok') console.log(`flink: ${RESULTS} keeps the results of ${previous.generatedAt}`);
    else {
      mkdirSync(dirname(RESULTS), { recursive: true });
      writeFileSync(RESULTS, `${JSON.stringify({ generatedAt: new Date().toISOString(), ...result }, null, 2)}\n`);
    }
    if (json) console.log(JSON.stringify(result));
    return;
  }
  const file = FILES.find((f) => f.id === '1m');
  const csv = await ensureFile(file);
  const rows = file.gen.rows;
  const tmp = mkdtempSync(join(tmpdir(), 'bench-flink-'));
  try {
    // the sample as a csv replay printing JSON lines: what `--sink jsonl:` of the job writes
    const sampleDir = join(ROOT, 'samples/sensors');
    const config = JSON.parse(readFileSync(join(sampleDir, 'config.json'), 'utf8'));
    config.input.data_structure = resolve(sampleDir, config.input.data_structure);
    config.input.options.path = csv;
    config.outputs = [{ method: 'stdout', options: { format: 'jsonl' } }];
    delete config.analysis;
    const project = join(tmp, 'sensors');
    mkdirSync(project);
    const configPath = join(project, 'config.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const jobDir = join(tmp, 'sensors-flink');
    const exported = spawnSync(process.execPath, [CLI, 'export', configPath, jobDir, '--target', 'flink'], { encoding: 'utf8' });
    if (exported.status !== 0) throw new Error(`export --target flink failed:\n${exported.stderr}`);
    const head = join(tmp, 'head.csv');
    writeFileSync(head, `${readFileSync(csv, 'utf8').split('\n', STARTUP_ROWS).join('\n')}\n`);

    const jobEnv = { ...process.env, PATH: `${join(env.venv, 'bin')}:${process.env.PATH}` };
    const job = (replay, parallelism, out) =>
      timed(env.python, [join(jobDir, 'job.py'), '--replay', replay, '--sink', `jsonl:${out}`, '--parallelism', String(parallelism)], { env: jobEnv });
    const load1AtStart = loadavg()[0];
    const times = { tsEngine: [], p1: [], p2: [], startup: [] };
    const rss = { tsEngine: 0, p1: 0, p2: 0 };
    const outputs = { tsEngine: join(tmp, 'ts-engine.jsonl'), p1: join(tmp, 'flink-p1.jsonl'), p2: join(tmp, 'flink-p2.jsonl') };
    for (let i = 0; i < repeat; i++) {
      const ts = await timed(process.execPath, [CLI, 'run', configPath, '--no-progress'], { outFile: outputs.tsEngine });
      times.tsEngine.push(ts.seconds);
      rss.tsEngine = Math.max(rss.tsEngine, ts.peakRssMB);
      times.startup.push((await job(head, 1, join(tmp, 'head.jsonl'))).seconds);
      for (const p of [1, 2]) {
        const r = await job(csv, p, outputs[`p${p}`]);
        times[`p${p}`].push(r.seconds);
        rss[`p${p}`] = Math.max(rss[`p${p}`], r.peakRssMB);
      }
    }
    const expected = await lines(outputs.tsEngine);
    const check = {
      p1: firstDifference(expected, await lines(outputs.p1), 0) ?? 'identical',
      p2: firstDifference(expected, await lines(outputs.p2), 1e-9) ?? 'identical (doubles within 1e-9)',
    };
    const startupSeconds = median(times.startup);
    const peer = (name, seconds, peakRssMB, extra = {}) => ({ name, seconds, rowsPerSec: rows / seconds, peakRssMB, ...extra });
    const flinkPeer = (p) => {
      const seconds = median(times[`p${p}`]);
      return peer(`flink-p${p}`, seconds, rss[`p${p}`], { steadyRowsPerSec: rows / Math.max(1e-3, seconds - startupSeconds), output: check[`p${p}`] });
    };
    const peers = [peer('ts-engine-1', median(times.tsEngine), rss.tsEngine), flinkPeer(1), flinkPeer(2)];
    const result = {
      status: 'ok',
      file: file.name,
      rows,
      windowLines: expected.length,
      repeat,
      java: env.java,
      startupSeconds,
      load1AtStart,
      load1AtEnd: loadavg()[0],
      peers,
      ratios: {
        tsEngineOverFlinkP1: peers[0].rowsPerSec / peers[1].rowsPerSec,
        tsEngineOverFlinkP2: peers[0].rowsPerSec / peers[2].rowsPerSec,
        flinkP2OverP1: peers[2].rowsPerSec / peers[1].rowsPerSec,
      },
    };
    const n = (x) => Math.round(x).toLocaleString('en-US').padStart(10);
    console.log(
      `\nFlink job beside ts-engine on ${file.name} (${rows.toLocaleString('en-US')} rows, median of ${repeat}, load ${load1AtStart.toFixed(2)} → ${result.load1AtEnd.toFixed(2)})`,
    );
    console.log('  peer           seconds     rows/s  steady rows/s  peak RSS  output');
    for (const p of peers) {
      console.log(
        `  ${p.name.padEnd(12)} ${p.seconds.toFixed(2).padStart(8)} ${n(p.rowsPerSec)} ${p.steadyRowsPerSec ? n(p.steadyRowsPerSec) : '         -'}     ${String(p.peakRssMB).padStart(5)} MB  ${p.output ?? `${expected.length} window lines`}`,
      );
    }
    console.log(`  Flink start-up (job on ${STARTUP_ROWS} rows): ${startupSeconds.toFixed(2)} s`);
    console.log(
      `  ts-engine-1 ÷ flink-p1 ${result.ratios.tsEngineOverFlinkP1.toFixed(2)}, ts-engine-1 ÷ flink-p2 ${result.ratios.tsEngineOverFlinkP2.toFixed(2)}, flink-p2 ÷ flink-p1 ${result.ratios.flinkP2OverP1.toFixed(2)}`,
    );
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify({ generatedAt: new Date().toISOString(), ...result }, null, 2)}\n`);
    if (json) console.log(JSON.stringify(result));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`flink bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
