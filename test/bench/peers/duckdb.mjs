#!/usr/bin/env node
// Benchmark peer "duckdb": the same aggregation as samples/sensors/config.json done by DuckDB
// (@duckdb/node-api) as one batch query: read_csv with explicit column types, GROUP BY the window
// start and (sensor_id, sensor_type), the 6 aggregates, written into a table (in memory by default,
// or in a DuckDB file with --db). This is a batch plan over the whole file, not a streaming one:
// it has no notion of late rows (on a file with non-decreasing timestamps the results are the same).
//
// usage: node test/bench/peers/duckdb.mjs --file <csv> [--threads N] [--out <result.json>] [--db <file>] [--batch 10]
// Wall time: from creating the DuckDB instance to the end of CREATE TABLE ... AS; the checksum is
// computed afterwards by reading the table back.

import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createChecksumBuilder } from '../checksum.mjs';
import { parseArgs, report, selfPeakRssMB, fail } from './common.mjs';

const USAGE = 'usage: node test/bench/peers/duckdb.mjs --file <csv> [--threads N] [--out <result.json>] [--db <file>] [--batch 10]';
const args = parseArgs(process.argv.slice(2), { file: 'string', threads: 'int', out: 'string', db: 'string', batch: 'int' }, USAGE);
if (!args.file) fail(USAGE, 2);
const B = args.batch ?? 10;
const sqlString = (s) => `'${String(s).replaceAll("'", "''")}'`;

const t0 = process.hrtime.bigint();
if (args.db) rmSync(args.db, { force: true });
const instance = await DuckDBInstance.create(args.db ?? ':memory:');
const con = await instance.connect();
if (args.threads) await con.run(`SET threads = ${args.threads}`);
const threads = (await con.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0][0];
await con.run(`
  CREATE OR REPLACE TABLE points AS
  WITH src AS (
    SELECT timestamp - (((timestamp % ${B}) + ${B}) % ${B}) AS ws, sensor_id, sensor_type, rotation_speed
    FROM read_csv(${sqlString(resolve(args.file))},
      header = false, delim = ',', quote = '', escape = '', auto_detect = false,
      columns = {'timestamp': 'BIGINT', 'sensor_id': 'BIGINT', 'sensor_type': 'VARCHAR',
                 'pressure': 'DOUBLE', 'temperature': 'DOUBLE', 'rotation_speed': 'DOUBLE', 'torque': 'DOUBLE'})
  )
  SELECT ws * 1000 AS window_start, (ws + ${B}) * 1000 AS window_end, sensor_id, sensor_type,
         count(*) AS counter, min(rotation_speed) AS rpm_min, max(rotation_speed) AS rpm_max,
         sum(rotation_speed) AS rpm_sum,
         count_if(rotation_speed < 1000) AS speed_lt, count_if(rotation_speed > 4000) AS speed_gt
  FROM src
  GROUP BY ws, sensor_id, sensor_type`);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const peakRssMB = selfPeakRssMB();

const b = createChecksumBuilder();
const result = await con.stream('SELECT window_end, sensor_id, sensor_type, counter, rpm_min, rpm_max, rpm_sum, speed_lt, speed_gt FROM points');
for (;;) {
  const chunk = await result.fetchChunk();
  if (!chunk || chunk.rowCount === 0) break;
  for (const r of chunk.getRows()) b.add(r);
}
const checksum = b.finish();
con.closeSync?.();
instance.closeSync?.();

report({ peer: 'duckdb', rows: checksum.rows, seconds, peakRssMB, checksum, threads: Number(threads) }, args.out);
