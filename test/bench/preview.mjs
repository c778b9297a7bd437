#!/usr/bin/env node
// Interactive speed: time from an edited config to a preview of the first 1 000 rows
// (validate + compile + run), as the workbench does on every edit. Prints the median over 50 edits.
//
// usage: node test/bench/preview.mjs [--edits 50] [--rows 1000] [--json]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { check, preview } = await import(join(ROOT, 'dist/engine.mjs'));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const edits = opt('edits', 50);
const rows = opt('rows', 1000);
const configPath = join(ROOT, 'samples/sensors/config.json');
const base = readFileSync(configPath, 'utf8');

// warm-up edit (first compile of the engine's own code paths), not counted
const first = await check(configPath, base);
await preview(first.plan, { maxRows: rows });

const times = [];
let checksum = 0;
for (let i = 0; i < edits; i++) {
  // a realistic edit: change a threshold, as a user tuning the config does
  const text = base.replace('lt(rotation_speed, 1000)', `lt(rotation_speed, ${1000 + i * 10})`);
  const t0 = performance.now();
  const r = await check(configPath, text);
  if (!r.ok) throw new Error(`edit ${i} did not validate: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  const p = await preview(r.plan, { maxRows: rows });
  times.push(performance.now() - t0);
  checksum += p.rows.length + p.windows.length;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const result = {
  edits,
  rows,
  medianMs: +median.toFixed(2),
  p90Ms: +times[Math.floor(times.length * 0.9)].toFixed(2),
  maxMs: +times[times.length - 1].toFixed(2),
  checksum,
};
if (args.includes('--json')) console.log(JSON.stringify(result));
else
  console.log(
    `preview of ${rows} rows after an edit: median ${result.medianMs} ms, p90 ${result.p90Ms} ms, max ${result.maxMs} ms over ${edits} edits (target: median ≤ 50 ms)`,
  );
