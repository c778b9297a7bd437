// What the benchmarks share: their `--name value` options, and the generated sensor CSVs under test/bench/data/, made
// again only when the rows or the generator changed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSensors } from '../../samples/generate-sensors.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = join(ROOT, 'test/bench/data');

/** `opt('repeat', 3)`: the value after `--repeat` in `argv`, else the default */
export function optionReader(argv) {
  return (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
}

/** `test/bench/data/<name>-<rows>.csv` of 20 sensors (seed 42), with its labels file when `labels` */
export async function sensorsCsv(name, rows, { labels = false } = {}) {
  const base = join(DATA, `${name}-${rows}`);
  const csv = `${base}.csv`;
  const labelsFile = labels ? `${base}.labels.csv` : undefined;
  const generator = createHash('sha1')
    .update(readFileSync(join(ROOT, 'samples/generate-sensors.mjs')))
    .digest('hex')
    .slice(0, 12);
  const gen = { rows, sensors: 20, seed: 42 };
  const wanted = JSON.stringify({ ...gen, generator });
  const meta = `${base}.meta.json`;
  const present = existsSync(csv) && (!labelsFile || existsSync(labelsFile)) && existsSync(meta);
  if (present && readFileSync(meta, 'utf8').trim() === wanted) return { csv, labels: labelsFile };
  mkdirSync(DATA, { recursive: true });
  process.stderr.write(`generating ${csv}${labelsFile ? ' with labels' : ''} ...\n`);
  await generateSensors({ ...gen, out: `${csv}.tmp`, ...(labelsFile ? { labels: labelsFile } : {}) });
  renameSync(`${csv}.tmp`, csv);
  writeFileSync(meta, `${wanted}\n`);
  return { csv, labels: labelsFile };
}
