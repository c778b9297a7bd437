// Canonical result checksum for the sensor benchmark (same config as samples/sensors/config.json:
// key (sensor_id, sensor_type), columns counter, rpm_min, rpm_max, rpm_sum, speed_lt, speed_gt,
// windows identified by their end in epoch milliseconds).
//
// Per window:
//   * `hash`: first 16 hex digits of SHA-1 over
//       "<window_end_ms>\n" + for each group sorted by (sensor_id numerically, sensor_type by code unit):
//       "<sensor_id>\t<sensor_type>\t<counter>\t<canon(rpm_min)>\t<canon(rpm_max)>\t<speed_lt>\t<speed_gt>\n"
//     i.e. exact for the keys, the integer columns and min/max. canon(x) is the shortest round-trip
//     decimal in exponent form ("2.5347e+3", "1e+0", "0e+0"; "nan", "inf", "-inf") so that a Python
//     peer can reproduce it (see peers/pyspark_rdd.py: canon()).
//   * rpm_sum is a double sum whose last bits depend on summation order, so it is NOT hashed. It is
//     fingerprinted by two doubles, summed over the groups in the same sorted order:
//       `sum`  = sum of rpm_sum,
//       `wsum` = sum of rpm_sum * (1 + (fnv1a32("<sensor_id>\t<sensor_type>") % 1021) / 1021)
//     (the weight catches values swapped between groups), compared with a relative tolerance of 1e-9.
//   * `groups` (number of groups) and `rows` (sum of counter).
// Whole result: `windows`, `groups`, `rows`, `hash` (SHA-1 over "<end>:<window hash>\n" in ascending
// window order, 16 hex digits), `rpmSum` and `rpmWSum` (sums of the per-window fingerprints in window
// order). `perWindow` (array sorted by end) is kept in full checksums; summary() drops it for
// one-line reports.

import { createHash } from 'node:crypto';

export const RPM_SUM_RTOL = 1e-9;

/** Shortest round-trip decimal of a double, in exponent form; -0 is "0e+0". */
export function canonDouble(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return '0e+0';
  return x.toExponential();
}

/** 32-bit FNV-1a over the UTF-16 code units of an ASCII string (= its bytes for ASCII). */
export function fnv1a32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function keyWeight(sensorId, sensorType) {
  return 1 + (fnv1a32(`${sensorId}\t${sensorType}`) % 1021) / 1021;
}

function toInt(v, name) {
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new TypeError(`checksum: ${name} must be an integer, got ${v}`);
  return n;
}

/**
 * Incremental builder. add() takes one result row as an object
 *   {windowEnd (epoch ms), sensorId, sensorType, counter, rpmMin, rpmMax, rpmSum, speedLt, speedGt}
 * or as an array in that order. finish() returns the full checksum (with perWindow).
 */
export function createChecksumBuilder() {
  const windows = new Map(); // end -> array of rows
  return {
    add(r) {
      const row = Array.isArray(r) ? r : [r.windowEnd, r.sensorId, r.sensorType, r.counter, r.rpmMin, r.rpmMax, r.rpmSum, r.speedLt, r.speedGt];
      const end = toInt(row[0], 'windowEnd');
      const key = String(end);
      let list = windows.get(key);
      if (!list) windows.set(key, (list = []));
      list.push([
        toInt(row[1], 'sensorId'),
        String(row[2]),
        toInt(row[3], 'counter'),
        Number(row[4]),
        Number(row[5]),
        Number(row[6]),
        toInt(row[7], 'speedLt'),
        toInt(row[8], 'speedGt'),
      ]);
    },
    finish() {
      const ends = [...windows.keys()].sort((a, b) => {
        const x = BigInt(a);
        const y = BigInt(b);
        return x < y ? -1 : x > y ? 1 : 0;
      });
      const perWindow = [];
      const total = createHash('sha1');
      let groups = 0;
      let rows = 0;
      let rpmSum = 0;
      let rpmWSum = 0;
      for (const end of ends) {
        const list = windows.get(end);
        list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
        const parts = [end, '\n'];
        let wrows = 0;
        let sum = 0;
        let wsum = 0;
        for (const g of list) {
          parts.push(g[0], '\t', g[1], '\t', g[2], '\t', canonDouble(g[3]), '\t', canonDouble(g[4]), '\t', g[6], '\t', g[7], '\n');
          wrows += Number(g[2]);
          sum += g[5];
          wsum += g[5] * keyWeight(g[0], g[1]);
        }
        const hash = createHash('sha1').update(parts.join('')).digest('hex').slice(0, 16);
        total.update(`${end}:${hash}\n`);
        perWindow.push({ end: Number(end), groups: list.length, rows: wrows, hash, sum, wsum });
        groups += list.length;
        rows += wrows;
        rpmSum += sum;
        rpmWSum += wsum;
      }
      return {
        windows: perWindow.length,
        groups,
        rows,
        hash: total.digest('hex').slice(0, 16),
        rpmSum,
        rpmWSum,
        perWindow,
      };
    },
  };
}

/** Full checksum of an iterable of result rows (see createChecksumBuilder().add). */
export function checksumRows(rows) {
  const b = createChecksumBuilder();
  for (const r of rows) b.add(r);
  return b.finish();
}

/** The checksum without perWindow (for one-line JSON reports). */
export function summary(checksum) {
  if (!checksum) return checksum;
  const { perWindow, ...rest } = checksum;
  return rest;
}

export function closeEnough(a, b, rtol = RPM_SUM_RTOL) {
  if (a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
}

/**
 * Compares two checksums (full or summary). Returns {equal: true} or
 * {equal: false, window: <end ms or null>, field, a, b, message} for the first difference
 * (in window order when both have perWindow; otherwise on the totals).
 */
export function compareChecksums(a, b) {
  const diff = (window, field, x, y) => ({
    equal: false,
    window,
    field,
    a: x,
    b: y,
    message:
      window === null
        ? `totals differ in ${field}: ${x} vs ${y}`
        : `window ending ${window} (${new Date(window).toISOString()}) differs in ${field}: ${x} vs ${y}`,
  });
  if (!a || !b) return diff(null, 'checksum', a ? 'present' : 'missing', b ? 'present' : 'missing');
  if (Array.isArray(a.perWindow) && Array.isArray(b.perWindow)) {
    const n = Math.max(a.perWindow.length, b.perWindow.length);
    for (let i = 0; i < n; i++) {
      const x = a.perWindow[i];
      const y = b.perWindow[i];
      if (!x || !y || x.end !== y.end) {
        // a window present in one result only: report the earlier one
        const ex = x ? x.end : Infinity;
        const ey = y ? y.end : Infinity;
        const w = Math.min(ex, ey);
        return diff(w, 'presence', ex === w ? 'present' : 'missing', ey === w ? 'present' : 'missing');
      }
      for (const f of ['groups', 'rows', 'hash']) if (x[f] !== y[f]) return diff(x.end, f, x[f], y[f]);
      for (const f of ['sum', 'wsum']) if (!closeEnough(x[f], y[f])) return diff(x.end, `rpm_sum ${f}`, x[f], y[f]);
    }
  }
  for (const f of ['windows', 'groups', 'rows', 'hash']) if (a[f] !== b[f]) return diff(null, f, a[f], b[f]);
  for (const f of ['rpmSum', 'rpmWSum']) {
    if (!closeEnough(a[f], b[f], RPM_SUM_RTOL * 10)) return diff(null, f, a[f], b[f]);
  }
  return { equal: true };
}
