#!/usr/bin/env node
// Deterministic generator of a realistic sensor CSV for ts-engine samples and benchmarks.
//
// Columns (no header line, see samples/sensors/data_structure.json):
//   timestamp (epoch s, integer), sensor_id (integer), sensor_type (string, e.g. seal.t1),
//   pressure, temperature, rotation_speed, torque (doubles)
//
// Usage:
//   node samples/generate-sensors.mjs [--rows N] [--sensors K] [--start EPOCH_S] [--rate ROWS_PER_S]
//        [--anomalies FRACTION] [--disorder SECONDS] [--seed N] [--out FILE]
//        [--labels FILE [--label-spikes]]
//
// The committed sample samples/sensors/data/sensors.csv is produced by
//   node samples/generate-sensors.mjs --rows 18000 --out samples/sensors/data/sensors.csv
// (all defaults: 20 sensors reporting at 1 Hz for 15 minutes = 90 windows of 10 s, seed 42).
//
// Model: every sensor has a type that depends only on its id, per-sensor baselines, a slow
// mean-reverting random-walk drift plus a daily sine, and gaussian-ish noise. Rows are emitted
// round-robin over the sensors; row i has event time start + floor(i / rate). With the default
// rate (= number of sensors) every sensor reports once per second. Anomalies are bursts of 15-45 s
// (2-4 windows of 10 s) in which rotation_speed either surges by +80%..+200% (mostly above 4000) or
// stalls below 1000; in addition single-row pressure/temperature spikes occur. Outside anomalies
// rotation_speed stays within ~1500-3800, so speed_lt / speed_gt are 0 there.
//
// The same `--seed` and options always give byte-identical output.
//
// --labels FILE writes the anomalies it injects, in the labels format of `ts-engine backtest`
// (docs/backtest.md#labels): `sensor_id,sensor_type,start,end,label`, epoch seconds, end exclusive,
// one line per rotation-speed burst (label rpm_surge or rpm_stall). The single-row pressure and
// temperature spikes are written too (as instants, label pressure_spike / temperature_spike) only
// with --label-spikes: the samples aggregate rotation speed alone, so a rule of theirs cannot see them.
// The committed samples/sensors/data/labels.csv is produced by
//   node samples/generate-sensors.mjs --rows 18000 --out samples/sensors/data/sensors.csv --labels samples/sensors/data/labels.csv
// Writing labels does not change the CSV.

import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';

export const DEFAULTS = Object.freeze({
  rows: 18000,
  sensors: 20,
  start: 1700000000,
  rate: undefined, // rows per second of event time across all sensors; default = sensors
  anomalies: 0.02, // fraction of rows (approximately) that fall inside an rpm anomaly burst
  disorder: 0, // max seconds a timestamp may be moved back (0 = non-decreasing timestamps)
  seed: 42,
});

const TYPE_FAMILIES = ['seal', 'pump', 'fan', 'valve', 'motor', 'compressor', 'bearing', 'gear'];

/** Stable sensor type for an id (independent of the seed and of the other options). */
export function sensorType(id) {
  let h = Math.imul((id | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h >>>= 0;
  return `${TYPE_FAMILIES[h % TYPE_FAMILIES.length]}.t${1 + ((h >>> 8) % 3)}`;
}

/** mulberry32: small, fast, seeded 32-bit PRNG returning doubles in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function rand() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalizeOptions(opts = {}) {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  const num = (name, v, { int = false, min = -Infinity } = {}) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min) {
      throw new RangeError(`generate-sensors: invalid --${name} ${v}`);
    }
    return n;
  };
  const rows = num('rows', o.rows, { int: true, min: 0 });
  const sensors = num('sensors', o.sensors, { int: true, min: 1 });
  const start = num('start', o.start, { int: true });
  const rate = o.rate === undefined || o.rate === null ? sensors : num('rate', o.rate, { min: Number.MIN_VALUE });
  const anomalies = num('anomalies', o.anomalies, { min: 0 });
  if (anomalies >= 1) throw new RangeError(`generate-sensors: --anomalies must be < 1, got ${anomalies}`);
  const disorder = num('disorder', o.disorder, { int: true, min: 0 });
  const seed = num('seed', o.seed, { int: true });
  return { rows, sensors, start, rate, anomalies, disorder, seed, out: o.out };
}

/**
 * Synchronous generator of CSV chunks: ASCII Buffers of about `chunkBytes` bytes, whole lines only
 * (call .toString() for text). Digits are written straight into the buffer (no per-value strings),
 * which keeps 10 M rows at a few seconds. Useful to generate data in memory from tests;
 * generateSensors() writes these chunks to a stream.
 */
export function* sensorChunks(opts = {}, chunkBytes = 1 << 20, onAnomaly = undefined) {
  const { rows, sensors: K, start, rate, anomalies, disorder, seed } = normalizeOptions(opts);
  const rand = mulberry32(seed ^ 0x5eed5eed);
  const gauss = () => rand() + rand() + rand() + rand() - 2; // approx N(0, 1/3)

  // Per-sensor state in typed arrays (100k+ sensors stay cheap).
  const types = new Array(K);
  const rpmBase = new Float64Array(K);
  const rpmDrift = new Float64Array(K); // relative drift, mean-reverting random walk
  const pressBase = new Float64Array(K);
  const tempBase = new Float64Array(K);
  const torqueBase = new Float64Array(K);
  const phase = new Float64Array(K);
  const anomEnd = new Float64Array(K); // event time (s) until which the burst lasts
  const anomFactor = new Float64Array(K); // rpm multiplier (surge) or absolute stall level (< 0 encodes stall)
  for (let s = 0; s < K; s++) {
    types[s] = sensorType(s + 1);
    rpmBase[s] = 2100 + 1000 * rand(); // 2100..3100
    pressBase[s] = 180 + 80 * rand();
    tempBase[s] = 45 + 30 * rand();
    torqueBase[s] = 350 + 250 * rand();
    phase[s] = 2 * Math.PI * rand();
    anomEnd[s] = -Infinity;
  }

  // Probability to start a burst at a report, so that about `anomalies` of the rows are in a burst.
  const reportsPerSec = rate / K; // reports per second of one sensor
  const meanBurstSec = 30;
  const meanBurstRows = Math.max(1, meanBurstSec * reportsPerSec);
  const pStart = anomalies > 0 ? anomalies / (meanBurstRows * (1 - anomalies)) : 0;
  const pSpike = anomalies > 0 ? anomalies / 10 : 0; // single-row pressure/temperature spikes
  const driftStep = 0.004 / Math.sqrt(Math.max(reportsPerSec, 1e-9) * 60); // ~0.4%/min random walk
  const TWO_PI_DAY = (2 * Math.PI) / 86400;

  const typeBytes = types.map((t) => Buffer.from(t, 'latin1'));
  const LINE_MAX = 256;
  let buf = Buffer.allocUnsafe(chunkBytes + LINE_MAX);
  let pos = 0;
  const digits = new Uint8Array(24);
  // writes a finite integer-valued double in decimal
  const putInt = (n) => {
    if (n < 0) {
      buf[pos++] = 45;
      n = -n;
    }
    let k = 0;
    do {
      const q = Math.floor(n / 10);
      digits[k++] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
    while (k > 0) buf[pos++] = digits[--k];
  };
  // writes x rounded to `d` decimals (d = 1 or 2), always with d digits after the point
  const putFixed = (x, d) => {
    const scale = d === 1 ? 10 : 100;
    let v = Math.round(x * scale);
    if (v < 0) {
      buf[pos++] = 45;
      v = -v;
    }
    const ip = Math.floor(v / scale);
    putInt(ip);
    buf[pos++] = 46;
    let f = v - ip * scale;
    if (d === 2) {
      const t = Math.floor(f / 10);
      buf[pos++] = 48 + t;
      f -= t * 10;
    }
    buf[pos++] = 48 + f;
  };

  for (let i = 0; i < rows; i++) {
    const s = i % K;
    const id = s + 1;
    const t = start + Math.floor(i / rate);

    // Slow drift: mean-reverting random walk, clamped to +-12 %, plus a daily sine of +-4 %.
    let d = rpmDrift[s] * 0.9995 + driftStep * gauss() * 1.7;
    if (d > 0.12) d = 0.12;
    else if (d < -0.12) d = -0.12;
    rpmDrift[s] = d;
    const daily = Math.sin(t * TWO_PI_DAY + phase[s]);
    const level = 1 + d + 0.04 * daily;

    let rpm = rpmBase[s] * level * (1 + 0.03 * gauss());
    let pressure = pressBase[s] * (1 + 0.02 * daily) * (1 + 0.015 * gauss());
    let temperature = tempBase[s] * (1 + 0.03 * daily + 0.2 * d) + 0.6 * gauss();
    let torque = torqueBase[s] * (2 - level) * (1 + 0.02 * gauss());

    // Anomaly bursts on rotation_speed.
    if (t >= anomEnd[s] && pStart > 0 && rand() < pStart) {
      anomEnd[s] = t + 15 + Math.floor(rand() * 31); // 15..45 s: 2-4 windows of 10 s
      anomFactor[s] = rand() < 0.7 ? 1.8 + 1.2 * rand() : -(300 + 600 * rand());
      onAnomaly?.({ sensorId: id, sensorType: types[s], start: t, end: anomEnd[s], label: anomFactor[s] > 0 ? 'rpm_surge' : 'rpm_stall' });
    }
    if (t < anomEnd[s]) {
      const f = anomFactor[s];
      if (f > 0) {
        rpm = rpmBase[s] * f * (1 + 0.03 * gauss());
        torque *= 0.6;
        temperature += 8 + 4 * rand();
      } else {
        rpm = -f * (1 + 0.05 * gauss());
        torque *= 1.4;
      }
    } else {
      // keep normal operation inside the documented band
      if (rpm < 1500) rpm = 1500 + 50 * rand();
      else if (rpm > 3800) rpm = 3800 - 50 * rand();
    }
    // Occasional single-row spikes of pressure or temperature.
    if (pSpike > 0 && rand() < pSpike) {
      const onPressure = rand() < 0.5;
      if (onPressure) pressure *= 1.5 + 1.5 * rand();
      else temperature *= 1.4 + rand();
      onAnomaly?.({ sensorId: id, sensorType: types[s], start: t, end: t, label: onPressure ? 'pressure_spike' : 'temperature_spike', spike: true });
    }

    const ts = disorder > 0 ? t - Math.floor(rand() * (disorder + 1)) : t;
    putInt(ts);
    buf[pos++] = 44;
    putInt(id);
    buf[pos++] = 44;
    const tb = typeBytes[s];
    for (let k = 0; k < tb.length; k++) buf[pos++] = tb[k];
    buf[pos++] = 44;
    putFixed(pressure, 2);
    buf[pos++] = 44;
    putFixed(temperature, 2);
    buf[pos++] = 44;
    putFixed(rpm, 1);
    buf[pos++] = 44;
    putFixed(torque, 2);
    buf[pos++] = 10;
    if (pos >= chunkBytes) {
      yield buf.subarray(0, pos);
      buf = Buffer.allocUnsafe(chunkBytes + LINE_MAX);
      pos = 0;
    }
  }
  if (pos > 0) yield buf.subarray(0, pos);
}

/**
 * Writes the CSV. `opts.out` is a file path, a writable stream, or undefined/"-" for stdout.
 * Resolves to a summary {rows, sensors, rate, firstTs, lastTs, bytes, seconds}.
 */
export async function generateSensors(opts = {}) {
  const o = normalizeOptions(opts);
  let stream;
  let ownStream = false;
  if (o.out === undefined || o.out === null || o.out === '-') {
    stream = process.stdout;
  } else if (typeof o.out === 'string') {
    await mkdir(dirname(resolve(o.out)), { recursive: true });
    stream = createWriteStream(o.out, { highWaterMark: 1 << 22 });
    ownStream = true;
  } else {
    stream = o.out;
  }
  const t0 = process.hrtime.bigint();
  const anomalies = [];
  const onAnomaly = opts.labels ? (a) => (!a.spike || opts.labelSpikes ? anomalies.push(a) : undefined) : undefined;
  let bytes = 0;
  let failed = null;
  const onError = (e) => {
    failed = e;
  };
  stream.on('error', onError);
  try {
    for (const chunk of sensorChunks(o, undefined, onAnomaly)) {
      if (failed) throw failed;
      bytes += chunk.length;
      if (!stream.write(chunk)) {
        await new Promise((res, rej) => {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', fail);
            res();
          };
          const fail = (e) => {
            stream.off('drain', done);
            rej(e);
          };
          stream.on('drain', done);
          stream.once('error', fail);
        });
      }
    }
    if (ownStream) {
      await new Promise((res, rej) => {
        stream.once('error', rej);
        stream.end(res);
      });
    }
    if (failed) throw failed;
  } finally {
    stream.off('error', onError);
  }
  if (opts.labels) await writeLabels(opts.labels, anomalies);
  const lastIdx = o.rows - 1;
  return {
    labels: opts.labels ? anomalies.length : undefined,
    rows: o.rows,
    sensors: o.sensors,
    rate: o.rate,
    firstTs: o.rows > 0 ? o.start : null,
    lastTs: o.rows > 0 ? o.start + Math.floor(lastIdx / o.rate) : null,
    bytes,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}

/** The injected anomalies as a labels file: in order of start, then sensor. */
async function writeLabels(file, anomalies) {
  const sorted = [...anomalies].sort((a, b) => a.start - b.start || a.sensorId - b.sensorId || a.label.localeCompare(b.label));
  const lines = ['sensor_id,sensor_type,start,end,label', ...sorted.map((a) => `${a.sensorId},${a.sensorType},${a.start},${a.end},${a.label}`)];
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, lines.join('\n') + '\n');
}

function parseArgs(argv) {
  const opts = {};
  const known = new Set(['rows', 'sensors', 'start', 'rate', 'out', 'anomalies', 'disorder', 'seed', 'labels']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      opts.help = true;
      continue;
    }
    if (a === '--label-spikes') {
      opts.labelSpikes = true;
      continue;
    }
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(a);
    if (!m || !known.has(m[1])) throw new Error(`generate-sensors: unknown argument ${a}`);
    let v = m[2];
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new Error(`generate-sensors: --${m[1]} needs a value`);
      v = argv[++i];
    }
    opts[m[1]] = v;
  }
  return opts;
}

const USAGE = `usage: node samples/generate-sensors.mjs [--rows N] [--sensors K] [--start EPOCH_S]
       [--rate ROWS_PER_S] [--anomalies FRACTION] [--disorder SECONDS] [--seed N] [--out FILE]
       [--labels FILE [--label-spikes]]
defaults: --rows ${DEFAULTS.rows} --sensors ${DEFAULTS.sensors} --start ${DEFAULTS.start} --rate <sensors>
          --anomalies ${DEFAULTS.anomalies} --disorder 0 --seed ${DEFAULTS.seed} --out - (stdout)`;

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
  } else {
    process.stdout.on('error', (e) => {
      if (e.code === 'EPIPE') process.exit(0);
    });
    generateSensors(opts).then(
      (r) => {
        if (opts.out && opts.out !== '-') {
          process.stderr.write(
            `generate-sensors: ${r.rows} rows, ${r.sensors} sensors, ts ${r.firstTs}..${r.lastTs}, ` +
              `${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s -> ${opts.out}` +
              (opts.labels ? `, ${r.labels} labelled anomalies -> ${opts.labels}` : '') +
              '\n',
          );
        }
      },
      (e) => {
        process.stderr.write(`generate-sensors: ${e.message}\n`);
        process.exit(e instanceof RangeError ? 2 : 1);
      },
    );
  }
}
