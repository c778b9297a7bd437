// Multi-core replay (issue 5): byte ranges processed by worker threads and merged in file order give
// exactly what one thread gives — windows, values, dead letters and their line numbers — also when rows
// arrive out of order across range boundaries (ranges re-run with the watermark already reached).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import { Runner } from '../../../engine/pipeline/runner.js';
import { AUTO_MIN_FILE_BYTES, autoWorkers, chunkBoundaries, parallelReplay, parallelUnsupportedReason } from '../../../engine/parallel/replay.js';
import { makeConfig, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir();
const quiet = { warn: () => {} };

/** Deterministic sensor rows; `disorder` seconds of event-time jitter (out-of-order rows). */
function rows(n: number, disorder: number): string[] {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_700_000_000 + Math.floor(i / 5) - Math.floor(rnd() * (disorder + 1));
    const sid = i % 5;
    out.push(`${t},${sid},type${sid % 2},1.5,2.5,${(1000 + rnd() * 3000).toFixed(1)},3.5`);
    if (i % 997 === 0) out.push('not,a,row'); // bad rows: dead letters with line numbers
  }
  return out;
}

const INTEGER_AND_MAX = {
  transformation: ['sensor_id', 'sensor_type', 'n: one(timestamp)', 'top: rotation_speed', 'low: lt(rotation_speed, 2000)'],
  rule: ['key: (sensor_id, sensor_type)', 'sum(n)', 'max(top)', 'sum(low)'],
};

async function project(lines: string[], lateness: number, db: string, aggregation = INTEGER_AND_MAX) {
  const dir = tmp();
  const cfg = makeConfig({
    ...aggregation,
    options: { path: 'data.csv', time_field: 'timestamp', batchDuration: 10, allowed_lateness: lateness },
    outputs: [{ method: 'sqlite', options: { path: db } }],
  });
  writeFiles(dir, { 'config.json': JSON.stringify(cfg), 'ds.json': JSON.stringify(structure(SENSOR_SPEC)), 'data.csv': lines.join('\n') + '\n' });
  const { plan, diagnostics } = await checkConfig(path.join(dir, 'config.json'));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { dir, plan: plan! };
}

function dump(file: string) {
  const db = new Database(file, { readonly: true });
  const points = db.prepare('SELECT * FROM points ORDER BY window_end, sensor_id, sensor_type').all();
  const dead = db.prepare('SELECT line, reason, raw FROM dead_letters ORDER BY line').all();
  db.close();
  return { points, dead };
}

describe('multi-core replay gives the one-thread result', () => {
  for (const [name, disorder, lateness] of [
    ['in-order rows', 0, 0],
    ['out-of-order rows within allowed_lateness', 8, 10],
    ['out-of-order rows beyond allowed_lateness (late rows across range boundaries)', 25, 5],
  ] as const) {
    it(name, async () => {
      const lines = rows(20_000, disorder);
      const one = await project(lines, lateness, 'one.db');
      const seq = await new Runner(one.plan, quiet).run();
      const many = await project(lines, lateness, 'many.db');
      // small ranges: many boundaries, most windows cross one
      const warnings: string[] = [];
      const { run } = parallelReplay(many.plan, { warn: (m) => warnings.push(m), workers: 2, chunkBytes: 16 << 10 });
      const par = await run();
      expect(chunkBoundaries(path.join(many.dir, 'data.csv'), 16 << 10).length).toBeGreaterThan(20);
      const a = dump(path.join(one.dir, 'one.db'));
      const b = dump(path.join(many.dir, 'many.db'));
      expect(b.points).toEqual(a.points);
      expect(b.dead).toEqual(a.dead);
      expect([par.rowsRead, par.rowsOk, par.rowErrors, par.lateRows, par.windowsClosed]).toEqual([
        seq.rowsRead,
        seq.rowsOk,
        seq.rowErrors,
        seq.lateRows,
        seq.windowsClosed,
      ]);
      if (disorder > lateness) {
        expect(seq.lateRows).toBeGreaterThan(0);
        // the boundary rule was exercised: ranges re-run with the watermark the earlier ranges reached
        expect(warnings.join('\n')).toMatch(/ranges were re-run/);
      } else expect(warnings).toEqual([]);
    }, 60_000);
  }

  // A sum of doubles rounds differently when two ranges' partial sums are added, and a max that meets a NaN keeps
  // what came first: the rows a range adds to a window an earlier range began are folded again in file order.
  const FLOATING = {
    transformation: ['sensor_id', 'sensor_type', 'total: rotation_speed', 'product: torque', 'top: pressure', 'bottom: pressure'],
    rule: ['key: (sensor_id, sensor_type)', 'sum(total)', 'mul(product)', 'max(top)', 'min(bottom)'],
  };
  /** the stored rows as text, every double with all its digits (NaN is stored as NULL by SQLite) */
  const exact = (ps: unknown[]) => JSON.stringify(ps, (_k, v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : v.toString()) : v));
  /** rows with many decimals, and a NaN pressure now and then */
  const floatingRows = (n: number, disorder: number) =>
    rows(n, disorder).map((line, i) => {
      const cells = line.split(',');
      if (cells.length < 7) return line;
      cells[3] = i % 613 === 0 ? 'nan' : String(((i * 7919) % 1000) / 7);
      cells[5] = String(1000 + ((i * 104729) % 3000) / 3);
      cells[6] = String(1 + ((i % 13) - 6) / 1e6);
      return cells.join(',');
    });
  for (const [name, disorder, lateness] of [
    ['floating-point sums, products, min and max, in order', 0, 0],
    ['floating-point aggregates, out of order within allowed_lateness', 8, 10],
    ['floating-point aggregates, late rows across range boundaries', 25, 5],
  ] as const) {
    it(`${name}: the same bytes as one thread`, async () => {
      const lines = floatingRows(20_000, disorder);
      const one = await project(lines, lateness, 'one.db', FLOATING);
      await new Runner(one.plan, quiet).run();
      const many = await project(lines, lateness, 'many.db', FLOATING);
      await parallelReplay(many.plan, { ...quiet, workers: 2, chunkBytes: 16 << 10 }).run();
      const a = dump(path.join(one.dir, 'one.db'));
      const b = dump(path.join(many.dir, 'many.db'));
      expect(a.points.length).toBeGreaterThan(100);
      expect(exact(b.points)).toBe(exact(a.points));
      expect(b.dead).toEqual(a.dead);
    }, 60_000);
  }

  it('many keys with a row or two each per window: groups of one row merge, the others are folded again', async () => {
    // 400 sensors, each every 4 to 6 s, in 10-second windows that span several ranges
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const lines: string[] = [];
    for (let t = 0; t < 120; t++) {
      for (let s = 0; s < 400; s++) {
        if ((t + s) % (4 + (s % 3)) !== 0) continue;
        lines.push(`${1_700_000_000 + t},${s},type${s % 2},${(rnd() * 1000) / 7},2.5,${1000 + (rnd() * 3000) / 3},${1 + rnd() / 1e6}`);
      }
    }
    const one = await project(lines, 0, 'one.db', FLOATING);
    await new Runner(one.plan, quiet).run();
    const many = await project(lines, 0, 'many.db', FLOATING);
    await parallelReplay(many.plan, { ...quiet, workers: 2, chunkBytes: 8 << 10 }).run();
    const a = dump(path.join(one.dir, 'one.db'));
    expect(a.points.length).toBeGreaterThan(1000);
    expect(exact(dump(path.join(many.dir, 'many.db')).points)).toBe(exact(a.points));
  }, 60_000);

  it('a whole-input window of floating-point aggregates stays on one thread', async () => {
    const dir = tmp();
    const cfg = makeConfig({ ...FLOATING, options: { path: 'data.csv' }, outputs: [{ method: 'stdout' }] });
    writeFiles(dir, { 'config.json': JSON.stringify(cfg), 'ds.json': JSON.stringify(structure(SENSOR_SPEC)), 'data.csv': 'x\n' });
    const { plan } = await checkConfig(path.join(dir, 'config.json'));
    expect(parallelUnsupportedReason(plan!)).toMatch(/whole-input window of floating-point/);
    const integers = makeConfig({
      transformation: ['sensor_id', 'sensor_type', 'n: one(timestamp)', 'low: lt(rotation_speed, 2000)'],
      rule: ['key: (sensor_id, sensor_type)', 'sum(n)', 'sum(low)'],
      options: { path: 'data.csv' },
      outputs: [{ method: 'stdout' }],
    });
    writeFiles(dir, { 'config.json': JSON.stringify(integers) });
    expect(parallelUnsupportedReason((await checkConfig(path.join(dir, 'config.json'))).plan!)).toBeUndefined();
  });

  it('--workers auto: one thread on 2 cores or fewer and for files under 64 MiB, else a worker per core', async () => {
    const { dir, plan } = await project(rows(100, 0), 0, 'auto.db');
    expect(autoWorkers(plan, 1)).toEqual({ workers: 1, why: expect.stringMatching(/^1 core: /) });
    expect(autoWorkers(plan, 2)).toEqual({ workers: 1, why: expect.stringMatching(/^2 cores: workers would share them/) });
    expect(autoWorkers(plan, 8)).toEqual({ workers: 1, why: expect.stringMatching(/under 64 MiB/) });
    // the size is the file's, as it is when the run starts (a sparse file of exactly the limit)
    fs.truncateSync(path.join(dir, 'data.csv'), AUTO_MIN_FILE_BYTES);
    expect(autoWorkers(plan, 8)).toEqual({ workers: 8 });
    fs.truncateSync(path.join(dir, 'data.csv'), AUTO_MIN_FILE_BYTES - 1);
    expect(autoWorkers(plan, 8).workers).toBe(1);
  });

  it('a file missing or not a file fails as one thread fails: one line naming it, no errno text', async () => {
    const { dir, plan } = await project(rows(100, 0), 0, 'gone.db');
    for (const [make, why] of [
      [() => fs.rmSync(path.join(dir, 'data.csv')), 'no such file'],
      [() => fs.mkdirSync(path.join(dir, 'data.csv')), 'it is a directory'],
    ] as const) {
      make();
      const expected = `cannot open input file ${path.join(dir, 'data.csv')}: ${why}`;
      await expect(new Runner(plan, quiet).run()).rejects.toThrow(expected);
      await expect(parallelReplay(plan, { ...quiet, workers: 2 }).run()).rejects.toThrow(expected);
    }
  });

  it('range boundaries fall on line starts and cover the file', () => {
    const dir = tmp();
    const text = rows(3000, 0).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'f.csv'), text);
    const ranges = chunkBoundaries(path.join(dir, 'f.csv'), 4096);
    expect(ranges[0]!.start).toBe(0);
    expect(ranges[ranges.length - 1]!.end).toBe(Buffer.byteLength(text));
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
      expect(text[ranges[i]!.start - 1]).toBe('\n');
    }
  });

  it('says why a config cannot be split', async () => {
    const { plan } = await project(rows(10, 0), 0, 'x.db');
    expect(parallelUnsupportedReason(plan)).toBeUndefined();
    const paced = { ...plan, config: { ...plan.config, input: { ...plan.config.input, speed: 1 } } };
    expect(parallelUnsupportedReason(paced)).toMatch(/paced replay/);
  });
});
