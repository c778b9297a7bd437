#!/usr/bin/env node
// Benchmark peer "minimal-loop": the floor a JavaScript engine can reach for the sensor config.
// A hand-written loop does the same end-to-end work as ts-engine on samples/sensors/config.json
// (no analysis): read the CSV in large chunks, split lines and fields by hand on the bytes, parse
// only timestamp / sensor_id+sensor_type (as one key string) / rotation_speed, assign event-time
// windows [floor(ts/10)*10, +10), aggregate counter, rpm_min, rpm_max, rpm_sum, speed_lt, speed_gt
// per (window, sensor_id, sensor_type) in a Map, close a window as soon as the largest timestamp
// seen reaches its end (lateness 0; a row for a closed window is counted as late and skipped), and
// upsert each closed window into SQLite (better-sqlite3, WAL, one transaction per window).
//
// usage: node test/bench/peers/minimal-loop.mjs --file <csv> [--out <result.json>] [--db <sqlite file>]
//        [--batch 10] [--sync normal|full|off] [--keep-db]
// (--threads is accepted and ignored: this peer is single-threaded.)
// Wall time covers opening the database to the commit of the last window; the checksum is computed
// afterwards by reading the table back.

import { openSync, readSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createChecksumBuilder } from '../checksum.mjs';
import { parseArgs, report, selfPeakRssMB, fail } from './common.mjs';

const USAGE =
  'usage: node test/bench/peers/minimal-loop.mjs --file <csv> [--out <result.json>] [--db <file>] [--batch 10] [--sync normal|full|off] [--keep-db]';
const args = parseArgs(
  process.argv.slice(2),
  { file: 'string', out: 'string', db: 'string', batch: 'int', sync: 'string', 'keep-db': 'bool', threads: 'int' },
  USAGE,
);
if (!args.file) fail(USAGE, 2);
const BATCH = args.batch ?? 10;
const SYNC = (args.sync ?? 'normal').toUpperCase();
if (!['NORMAL', 'FULL', 'OFF'].includes(SYNC)) fail(`--sync must be normal, full or off`, 2);

const tmp = args.db ? null : mkdtempSync(join(tmpdir(), 'bench-minimal-'));
const dbPath = args.db ?? join(tmp, 'points.db');

class Agg {
  constructor(r) {
    this.counter = 1;
    this.min = r;
    this.max = r;
    this.sum = r;
    this.lt = r < 1000 ? 1 : 0;
    this.gt = r > 4000 ? 1 : 0;
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const t0 = process.hrtime.bigint();

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${SYNC}`);
db.exec(`CREATE TABLE IF NOT EXISTS points (
  window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,
  sensor_id INTEGER NOT NULL, sensor_type TEXT NOT NULL,
  counter INTEGER, rpm_min REAL, rpm_max REAL, rpm_sum REAL, speed_lt INTEGER, speed_gt INTEGER,
  PRIMARY KEY (window_end, sensor_id, sensor_type))`);
const UPSERT_TAIL = ` ON CONFLICT (window_end, sensor_id, sensor_type) DO UPDATE SET window_start=excluded.window_start,
  counter=excluded.counter, rpm_min=excluded.rpm_min, rpm_max=excluded.rpm_max, rpm_sum=excluded.rpm_sum,
  speed_lt=excluded.speed_lt, speed_gt=excluded.speed_gt`;
const ROWS_PER_STMT = 50; // multi-row VALUES: fewer statement executions per window
const upsertOne = db.prepare(`INSERT INTO points VALUES (?,?,?,?,?,?,?,?,?,?)${UPSERT_TAIL}`);
const upsertMany = db.prepare(`INSERT INTO points VALUES ${Array(ROWS_PER_STMT).fill('(?,?,?,?,?,?,?,?,?,?)').join(',')}${UPSERT_TAIL}`);
const params = new Array(ROWS_PER_STMT * 10);
const writeWindow = db.transaction((start, groups) => {
  const ws = start * 1000;
  const we = (start + BATCH) * 1000;
  let n = 0;
  for (const [key, a] of groups) {
    const c = key.indexOf(',');
    params[n++] = ws;
    params[n++] = we;
    params[n++] = Number(key.slice(0, c));
    params[n++] = key.slice(c + 1);
    params[n++] = a.counter;
    params[n++] = a.min;
    params[n++] = a.max;
    params[n++] = a.sum;
    params[n++] = a.lt;
    params[n++] = a.gt;
    if (n === params.length) {
      upsertMany.run(params);
      n = 0;
    }
  }
  for (let i = 0; i < n; i += 10) upsertOne.run(params.slice(i, i + 10));
});

const open = new Map(); // window start (s) -> Map<"sid,stype", Agg>
let maxTs = -Infinity;
let closedBelow = -Infinity; // every window with end <= closedBelow is closed (= maxTs)
let rows = 0;
let late = 0;
let windowsWritten = 0;
let badRows = 0;

function closeUpTo(watermark) {
  // close, in time order, every open window whose end <= watermark
  const starts = [];
  for (const s of open.keys()) if (s + BATCH <= watermark) starts.push(s);
  if (starts.length > 1) starts.sort((a, b) => a - b);
  for (const s of starts) {
    writeWindow(s, open.get(s));
    open.delete(s);
    windowsWritten++;
  }
}

let curStart = NaN;
let curMap = null;

function processBuffer(buf, end) {
  // parses complete lines in buf[0, end); returns the offset of the first unparsed byte
  let p = 0;
  for (;;) {
    const lineStart = p;
    // timestamp
    let ts = 0;
    let c = 0;
    let neg = false;
    if (p < end && buf[p] === 45) {
      neg = true;
      p++;
    }
    while (p < end && (c = buf[p]) >= 48 && c <= 57) {
      ts = ts * 10 + (c - 48);
      p++;
    }
    if (p >= end) return lineStart;
    if (c !== 44) {
      // not a plain integer: skip the line (counted as bad)
      const nl = buf.indexOf(10, p);
      if (nl === -1 || nl >= end) return lineStart;
      if (nl > lineStart + 1 || buf[lineStart] !== 10) badRows++;
      p = nl + 1;
      continue;
    }
    if (neg) ts = -ts;
    const keyStart = ++p;
    // sensor_id, sensor_type
    let commas = 0;
    while (p < end) {
      if (buf[p] === 44 && ++commas === 2) break;
      p++;
    }
    const keyEnd = p;
    // skip pressure, temperature
    p++;
    commas = 0;
    while (p < end) {
      if (buf[p] === 44 && ++commas === 2) break;
      p++;
    }
    // rotation_speed
    const fStart = ++p;
    let m = 0;
    let frac = -1;
    let simple = true;
    let fneg = false;
    if (p < end && buf[p] === 45) {
      fneg = true;
      p++;
    }
    while (p < end && (c = buf[p]) !== 44) {
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        if (frac >= 0) frac++;
      } else if (c === 46 && frac < 0) frac = 0;
      else simple = false;
      p++;
    }
    const fEnd = p;
    // rest of the line
    while (p < end && buf[p] !== 10) p++;
    if (p >= end) return lineStart;
    p++;

    let r;
    if (simple && m <= 9007199254740991 && frac <= 22) {
      r = frac > 0 ? m / POW10[frac] : m; // exact and correctly rounded, same as Number(text)
      if (fneg) r = -r;
    } else {
      r = Number(buf.latin1Slice(fStart, fEnd).trim());
      if (Number.isNaN(r) && buf.latin1Slice(fStart, fEnd).trim().toLowerCase() !== 'nan') {
        badRows++;
        continue;
      }
    }
    rows++;

    const start = ts - (((ts % BATCH) + BATCH) % BATCH);
    if (start + BATCH <= maxTs) {
      late++;
      continue;
    }
    if (ts > maxTs) {
      maxTs = ts;
      if (maxTs - (((maxTs % BATCH) + BATCH) % BATCH) > closedBelow) {
        closedBelow = maxTs - (((maxTs % BATCH) + BATCH) % BATCH);
        closeUpTo(maxTs);
        if (!open.has(curStart)) {
          curStart = NaN;
          curMap = null;
        }
      }
    }
    if (start !== curStart) {
      curMap = open.get(start);
      if (!curMap) open.set(start, (curMap = new Map()));
      curStart = start;
    }
    const key = buf.latin1Slice(keyStart, keyEnd);
    const a = curMap.get(key);
    if (a === undefined) curMap.set(key, new Agg(r));
    else {
      a.counter++;
      if (r < a.min) a.min = r;
      if (r > a.max) a.max = r;
      a.sum += r;
      if (r < 1000) a.lt++;
      if (r > 4000) a.gt++;
    }
  }
}

const CHUNK = 8 << 20;
let buf = Buffer.allocUnsafe(CHUNK);
let fill = 0;
const fd = openSync(args.file, 'r');
for (;;) {
  if (fill === buf.length) {
    const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
    buf.copy(bigger, 0, 0, fill);
    buf = bigger;
  }
  const n = readSync(fd, buf, fill, buf.length - fill, null);
  if (n === 0) break;
  fill += n;
  const used = processBuffer(buf, fill);
  buf.copy(buf, 0, used, fill);
  fill -= used;
}
closeSync(fd);
if (fill > 0) {
  // last line without a newline
  buf[fill++] = 10;
  processBuffer(buf, fill);
}
closeUpTo(Infinity);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const peakRssMB = selfPeakRssMB();

const b = createChecksumBuilder();
for (const r of db.prepare('SELECT window_end, sensor_id, sensor_type, counter, rpm_min, rpm_max, rpm_sum, speed_lt, speed_gt FROM points').raw().iterate()) {
  b.add(r);
}
db.close();
if (tmp && !args['keep-db']) rmSync(tmp, { recursive: true, force: true });

report({ peer: 'minimal-loop', rows, seconds, peakRssMB, checksum: b.finish(), late, badRows, windowsWritten }, args.out);
