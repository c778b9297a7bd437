// The JSON parsers ts-engine chose, side by side with JSON.parse and with the hand-written parsers they
// replaced (docs/architecture.md#libraries-chosen-by-measurement):
//   - configs: engine/options/json.ts (jsonc-parser, with the place of every value) — read on every
//     `check`, every keystroke's diagnostics in the workbench, and every run's start;
//   - InfluxDB answers: engine/connectors/influx/json.ts (lossless-json, int64 kept exact) — read on every
//     history lookup of an analysis.
// The replaced parsers are taken from git history (`--old-rev`, default the commit before the change) and
// built beside the current ones with esbuild; without git history they are left out.
//
//   node test/bench/json.mjs [--seconds 1] [--old-rev <commit>]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('--seconds', '1'));
// the commit that replaced engine/config/json.ts and engine/live/influx.ts: its parent still has them
const oldRev = arg('--old-rev', 'ae5d369^');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-json-bench-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function bundle(entry, name) {
  const outfile = path.join(tmp, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
    mainFields: ['module', 'main'],
    nodePaths: [path.join(root, 'node_modules')],
  });
  return import(pathToFileURL(outfile).href);
}

const current = {
  config: (await bundle(path.join(root, 'engine/options/json.ts'), 'config-now')).parseJsonWithLocations,
  influx: (await bundle(path.join(root, 'engine/connectors/influx/json.ts'), 'influx-now')).parseJsonBig,
};

let old = null;
try {
  const dir = path.join(tmp, 'old');
  fs.mkdirSync(dir);
  const tar = execFileSync('git', ['-C', root, 'archive', oldRev, 'engine/config/json.ts', 'engine/live/influx.ts', 'engine'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  old = {
    config: (await bundle(path.join(dir, 'engine/config/json.ts'), 'config-old')).parseJsonWithLocations,
    influx: (await bundle(path.join(dir, 'engine/live/influx.ts'), 'influx-old')).parseJsonBig,
  };
} catch (e) {
  console.log(`(the replaced parsers are left out: no git history at ${oldRev}: ${String(e.message ?? e).split('\n')[0]})`);
}

// ---- inputs ----------------------------------------------------------------------------------------
const sampleConfig = fs.readFileSync(path.join(root, 'samples/sensors/config.json'), 'utf8');
/** A config of about 1 MB: the sample's with 20 000 transformations, as a generated config may have. */
function bigConfig() {
  const config = JSON.parse(sampleConfig);
  config.processing.transformation = Array.from({ length: 20_000 }, (_, i) => `f${i}: add(mul(rotation_speed, ${i}.5), pydiv(${i}, 7))`);
  return JSON.stringify(config, null, 2);
}
/** An InfluxQL answer of `rows` points: ns times and int64 counters beyond 2^53. */
function influxAnswer(rows) {
  const values = [];
  for (let i = 0; i < rows; i++)
    values.push(`[${1_700_000_000_000_000_000n + BigInt(i) * 10_000_000_000n},${9_007_199_254_740_993n + BigInt(i)},${(i * 0.37).toFixed(3)},"compressor.t2"]`);
  return `{"results":[{"statement_id":0,"series":[{"name":"points","columns":["time","counter","rpm_sum","sensor_type"],"values":[${values.join(',')}]}]}]}`;
}
const inputs = {
  config: [
    ['sample config', sampleConfig],
    ['1 MB config', bigConfig()],
  ],
  influx: [
    ['history lookup (3 points)', influxAnswer(3)],
    ['1 MB answer', influxAnswer(12_000)],
  ],
};

// ---- measuring -------------------------------------------------------------------------------------
/** Median µs per call over rounds of ~seconds/5, after a warm-up. */
function measure(fn, text) {
  const round = (ms) => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      fn(text);
      n++;
      t = performance.now();
    }
    return ((t - t0) * 1000) / n;
  };
  round(200);
  const rounds = Array.from({ length: 5 }, () => round((seconds * 1000) / 5)).sort((a, b) => a - b);
  return rounds[2];
}

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
const results = [];
for (const [kind, label] of [
  ['config', 'config parser (positions kept)'],
  ['influx', 'InfluxDB answer parser (int64 exact)'],
]) {
  console.log(`\n${label}`);
  console.log(`  ${'input'.padEnd(38)}${'JSON.parse'.padStart(12)}${'now'.padStart(12)}${'replaced'.padStart(12)}  now ÷ JSON.parse  now ÷ replaced`);
  for (const [name, text] of inputs[kind]) {
    const peer = measure(JSON.parse, text);
    const now = measure(current[kind], text);
    const before = old ? measure(old[kind], text) : Number.NaN;
    results.push({ kind, input: name, bytes: text.length, jsonParseUs: peer, nowUs: now, replacedUs: old ? before : null });
    console.log(
      `  ${`${name} (${(text.length / 1024).toFixed(0)} KiB)`.padEnd(38)}${fmt(peer).padStart(12)}${fmt(now).padStart(12)}${(old ? fmt(before) : '—').padStart(12)}` +
        `  ${(now / peer).toFixed(2).padStart(15)}  ${old ? (now / before).toFixed(2).padStart(14) : '—'.padStart(14)}`,
    );
  }
}
console.log('\n(time per call, median of 5 rounds; a ratio above 1 means slower than the peer)');
const out = path.join(root, 'test/bench/results/json-latest.json');
fs.writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), load: os.loadavg(), oldRev, results }, null, 2)}\n`);
