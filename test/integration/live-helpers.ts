/**
 * Helpers of the live-data integration tests (Kafka, InfluxDB): sensor data,
 * configs in temp dirs, the CLI as a child process, SQLite read-back and the
 * expected aggregates of a CSV replay. No mocks: every test talks to the real
 * servers of ./servers/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
// @ts-expect-error -- plain ESM script without type declarations
import { sensorChunks } from '../../samples/generate-sensors.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin/ts-engine.mjs');
export const SENSOR_STRUCTURE = path.join(ROOT, 'samples/sensors/data_structure.json');

const dirs: string[] = [];
export function tempDir(prefix = 'ts-engine-live-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Generated sensor rows (samples/generate-sensors.mjs): 20 sensors at 1 Hz from 1 700 000 000 s. */
export function sensorLines(rows: number, opts: Record<string, unknown> = {}): string[] {
  const text = Buffer.concat([...(sensorChunks({ rows, ...opts }) as Iterable<Buffer>)]).toString('utf8');
  return text.split('\n').filter((l: string) => l.length > 0);
}

export const SENSOR_PROCESSING = {
  transformation: [
    'counter: one(timestamp)',
    'sensor_id',
    'sensor_type',
    'rpm_min: rotation_speed',
    'rpm_max: rotation_speed',
    'rpm_sum: rotation_speed',
    'speed_lt: lt(rotation_speed, 1000)',
    'speed_gt: gt(rotation_speed, 4000)',
  ],
  aggregations: {
    operation_type: 'reduceByKey',
    rule: ['key: (sensor_id, sensor_type)', 'sum(counter)', 'min(rpm_min)', 'max(rpm_max)', 'sum(rpm_sum)', 'sum(speed_lt)', 'sum(speed_gt)'],
  },
};

/** The analysis the history tests compare across stores: a simple and an average rule, alerts to stdout as JSON lines. */
export function sensorAnalysis(historical?: unknown): Record<string, unknown> {
  return {
    ...(historical ? { historical } : {}),
    alert: { method: 'stdout', format: 'jsonl' },
    accuracy: 2,
    rule: [
      { module: 'SimpleAnalysis', name: 'Simple1', options: { deviation: { rpm_max: 20 }, batch_number: 1 } },
      { module: 'AverageAnalysis', name: 'Avg3', options: { deviation: { rpm_sum: 15 }, num_average: 3 } },
    ],
  };
}

/** The alerts a run printed (stdout, JSON lines), sorted. */
export function alertLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"module"'))
    .sort();
}

export function writeJson(file: string, value: unknown): string {
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** Config for the generated sensor data with the given input and outputs (and optional analysis). */
export function sensorConfig(
  input: { input_type: string; options: Record<string, unknown> },
  outputs: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    input: { input_type: input.input_type, data_structure: SENSOR_STRUCTURE, options: input.options },
    outputs,
    processing: SENSOR_PROCESSING,
    databases: {},
    ...extra,
  };
}

// ---- the CLI as a child process -------------------------------------------------

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the exit code */
  exited: Promise<number>;
  /** rows read so far, from the --progress lines */
  rowsRead(): number;
  waitFor(pred: () => boolean, ms: number, what: string): Promise<void>;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  const run: CliRun = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    rowsRead: () => {
      let max = 0;
      for (const m of err.matchAll(/rows ([\d,]+) /g)) max = Math.max(max, Number(m[1]!.replace(/,/g, '')));
      const fin = /: ([\d,]+) rows read/.exec(err);
      if (fin) max = Math.max(max, Number(fin[1]!.replace(/,/g, '')));
      return max;
    },
    waitFor: (pred, ms, what) => waitFor(pred, ms, `${what}; stderr so far:\n${err.slice(-3000)}`),
  };
  return run;
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- SQLite read-back ----------------------------------------------------------------

export type Row = Record<string, unknown>;

export function sqliteRows(file: string, table = 'points'): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM "${table}" ORDER BY window_end, sensor_id`).all() as Row[];
  } finally {
    db.close();
  }
}

/** The aggregates of the sensor config over the given lines, by a CSV replay through the CLI (the reference result). */
export async function expectedSensorRows(dir: string, lines: string[], name = 'expected', options: Record<string, unknown> = {}): Promise<Row[]> {
  const csv = path.join(dir, `${name}.csv`);
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  const db = path.join(dir, `${name}.db`);
  const cfg = writeJson(
    path.join(dir, `${name}.json`),
    sensorConfig({ input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp', ...options } }, [
      { method: 'sqlite', options: { path: db, table: 'points' } },
    ]),
  );
  const r = runCli(['run', cfg, '--no-progress']);
  const code = await r.exited;
  if (code !== 0) throw new Error(`expected-result replay failed (${code}): ${r.stderr()}`);
  return sqliteRows(db);
}

/** Rows without the columns that depend on how the window was closed. */
export function comparable(rows: Row[]): Row[] {
  return rows.map((r) => ({ ...r, rpm_sum: Math.round((r.rpm_sum as number) * 1e6) / 1e6 }));
}

// ---- Kafka ----------------------------------------------------------------------------------

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'live-test', brokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(brokers: string[], topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Sends lines keyed by the sensor id (column 1), so one sensor stays on one partition. */
export async function sendLines(brokers: string[], topic: string, lines: string[], keyed = true, perRequest = 2000): Promise<void> {
  const producer = kafkaClient(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += perRequest) {
      await producer.send({ topic, acks: -1, messages: lines.slice(i, i + perRequest).map((l) => ({ key: keyed ? l.split(',')[1]! : null, value: l })) });
    }
  } finally {
    await producer.disconnect();
  }
}

export async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<Record<number, number>> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const r = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** All messages of a topic (from the beginning), read by a throw-away group until `n` arrived. */
export async function readTopic(brokers: string[], topic: string, n: number, ms = 30_000): Promise<{ key: string | null; value: string; partition: number }[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: { key: string | null; value: string; partition: number }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`read ${got.length}/${n} messages of ${topic} in ${ms} ms`)), ms);
      if (n === 0) {
        clearTimeout(t);
        resolve();
      }
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          got.push({ key: message.key?.toString() ?? null, value: message.value!.toString(), partition });
          if (got.length >= n) {
            clearTimeout(t);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
