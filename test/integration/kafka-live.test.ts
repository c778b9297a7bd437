// The Kafka input (docs/semantics.md#config, docs/semantics.md#kafka-brokers, docs/semantics.md#windows, docs/semantics.md#delivery), the Kafka alert sink (docs/semantics.md#kafka-alerts) and `ts-engine produce`
// against one real Apache Kafka broker (KRaft) started by the harness for this file; the
// back-pressure test adds a real influxd 1.6. Crash, restart and scale-out tests compare the
// stored aggregates with a CSV replay of the same rows.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AssignerProtocol, CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from './servers/kafka.js';
import { startInflux } from './servers/influx.js';
import { freePorts } from './servers/proc.js';
import {
  ROOT,
  SENSOR_STRUCTURE,
  comparable,
  committedOffsets,
  createTopic,
  expectedSensorRows,
  kafkaClient,
  readTopic,
  removeTempDirs,
  runCli,
  sendLines,
  sensorConfig,
  sensorLines,
  sleep,
  sqliteRows,
  tempDir,
  waitFor,
  writeJson,
  type Row,
} from './live-helpers.js';
import { checkConfig } from '../../engine/pipeline/plan.js';
import { Runner } from '../../engine/pipeline/runner.js';
import { KafkaSource, type KafkaSourceOptions } from '../../engine/components/sources/kafka/source.js';
import { InfluxV1 } from '../../engine/connectors/influx/index.js';
import { recordBatchStats } from '../../engine/connectors/kafka-record-batch.js';

const MIN = 60_000;
const LINES = sensorLines(3000); // 20 sensors at 1 Hz for 150 s: 15 windows of 10 s, 200 rows each
const sum = (o: Record<number, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('Kafka input, Kafka alerts and ts-engine produce against a real broker', () => {
  let kafka: KafkaServer;
  let dir: string;
  let expected: Row[];
  let csv: string;

  beforeAll(async () => {
    kafka = await startKafka({ saslPlain: { alice: 'alice-secret' } }); // a SASL/PLAIN listener beside the plain one
    dir = tempDir();
    expected = await expectedSensorRows(dir, LINES);
    csv = path.join(dir, 'expected.csv');
  }, 10 * MIN);
  afterAll(async () => {
    await kafka?.stop();
    removeTempDirs();
  }, 2 * MIN);

  const kafkaInput = (topic: string, group: string, extra: Record<string, unknown> = {}) => ({
    input_type: 'kafka',
    options: { brokers: kafka.brokers, topic, consumer_group: group, from_beginning: true, batchDuration: 10, time_field: 'timestamp', ...extra },
  });
  const sqliteOut = (file: string) => [{ method: 'sqlite', options: { path: file, table: 'points' } }];
  /** Topic `name` holding `lines` (keyed by sensor_id unless `keyed` is false), and a config that reads it as group g-<name> into <name>.db. */
  async function topicWithConfig(name: string, partitions: number, lines: string[], opts: { keyed?: boolean; input?: Record<string, unknown> } = {}) {
    await createTopic(kafka.brokers, name, partitions);
    await sendLines(kafka.brokers, name, lines, opts.keyed);
    const db = path.join(dir, `${name}.db`);
    const cfg = writeJson(path.join(dir, `${name}.json`), sensorConfig(kafkaInput(name, `g-${name}`, opts.input), sqliteOut(db)));
    return { db, cfg };
  }
  /** The plan of `cfgFile` and a KafkaSource of its input built in the test, with `options` (limits, a bounded read) beside the defaults. */
  async function planWithSource(cfgFile: string, options: Partial<KafkaSourceOptions>) {
    const outcome = await checkConfig(cfgFile);
    expect(outcome.plan, JSON.stringify(outcome.diagnostics)).toBeDefined();
    const plan = outcome.plan!;
    const source = new KafkaSource(plan.config.input.source as never, { warn: () => undefined, pollMs: 200, input: plan.config.input, ...options });
    return { plan, source };
  }

  it('produce keys messages by a field (one key, one partition); run reads the topic under event time into SQLite exactly like a CSV replay; Ctrl-C exits 130 after committing what is complete', async () => {
    const p = runCli([
      'produce',
      csv,
      '--brokers',
      kafka.brokers.join(','),
      '--topic',
      'sensors',
      '--partitions',
      '3',
      '--key-field',
      'sensor_id',
      '--structure',
      SENSOR_STRUCTURE,
    ]);
    expect(await p.exited, p.stderr()).toBe(0);
    expect(p.stderr()).toMatch(/^sent 3,000 messages to topic sensors in [\d.]+ s \([\d,]+ msgs\/s\)\n$/);
    const msgs = await readTopic(kafka.brokers, 'sensors', 3000);
    expect(msgs.map((m) => m.value).sort()).toEqual([...LINES].sort());
    const partitionOf = new Map<string, Set<number>>();
    for (const m of msgs) {
      expect(m.key).toBe(m.value.split(',')[1]);
      partitionOf.set(m.key!, (partitionOf.get(m.key!) ?? new Set()).add(m.partition));
    }
    expect(partitionOf.size).toBe(20);
    for (const parts of partitionOf.values()) expect(parts.size).toBe(1);
    expect(new Set(msgs.map((m) => m.partition)).size).toBe(3);
    // the key by column index gives the same keys
    const one = path.join(dir, 'one.csv');
    fs.writeFileSync(one, LINES.slice(0, 5).join('\n') + '\n');
    const p2 = runCli(['produce', one, '--brokers', kafka.brokers[0]!, '--topic', 'by-index', '--key-field', '1,2']);
    expect(await p2.exited, p2.stderr()).toBe(0);
    expect((await readTopic(kafka.brokers, 'by-index', 5)).map((m) => m.key)).toEqual(LINES.slice(0, 5).map((l) => l.split(',').slice(1, 3).join(',')));

    const db = path.join(dir, 'e2e.db');
    const cfg = writeJson(path.join(dir, 'e2e.json'), sensorConfig(kafkaInput('sensors', 'g-e2e'), sqliteOut(db)));
    const run = runCli(['run', cfg, '--progress']);
    await run.waitFor(() => run.rowsRead() >= 3000, 90_000, 'all 3000 rows read');
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/finished: 3,000 rows read .* 15 windows closed, 300 aggregate rows/);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
    // docs/semantics.md#commit-after-outputs + event time: the last window was flushed by the stop, incomplete as far as the run
    // knows, so its 200 rows stay uncommitted and are read again by the next run
    expect(sum(await committedOffsets(kafka.brokers, 'g-e2e', 'sensors'))).toBe(2800);
    const again = runCli(['run', cfg, '--progress']);
    await again.waitFor(() => again.rowsRead() >= 200, 90_000, 'the last window read again');
    await sleep(1500);
    again.child.kill('SIGINT');
    expect(await again.exited, again.stderr()).toBe(130);
    expect(again.stderr()).toMatch(/finished: 200 rows read .* 1 windows closed, 20 aggregate rows/);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
  });

  it('the engine killed (SIGKILL) mid-stream and restarted: nothing is lost and the stored aggregates are the same', async () => {
    const { db, cfg } = await topicWithConfig('crash', 2, LINES.slice(0, 1700));
    const first = runCli(['run', cfg, '--progress']);
    await first.waitFor(() => first.rowsRead() >= 1700, 90_000, 'the first 1700 rows read');
    await waitFor(async () => sum(await committedOffsets(kafka.brokers, 'g-crash', 'crash')) >= 1400, 20_000, 'commits of the closed windows');
    first.child.kill('SIGKILL');
    await first.exited;
    const committed = sum(await committedOffsets(kafka.brokers, 'g-crash', 'crash'));
    // windows still open at the crash (1600-1700 at least) were not committed
    expect(committed).toBeGreaterThanOrEqual(1400);
    expect(committed).toBeLessThanOrEqual(1600);
    await sendLines(kafka.brokers, 'crash', LINES.slice(1700));
    const second = runCli(['run', cfg, '--progress']);
    await second.waitFor(() => second.rowsRead() >= 3000 - committed, 90_000, 'the rest read after the restart');
    second.child.kill('SIGINT');
    expect(await second.exited, second.stderr()).toBe(130);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
  });

  it('out-of-order rows, a crash and a restart: the restarted run resumes from the committed watermark, so rows of windows stored before the crash do not open them again', async () => {
    const lines = sensorLines(3000, { disorder: 8 }); // timestamps moved back by up to 8 s; lateness 2 s: some rows are late
    const expectedD = await expectedSensorRows(dir, lines, 'disorder', { allowed_lateness: 2 });
    // one partition: the CSV order, so the same rows are late
    const { db, cfg } = await topicWithConfig('disorder', 1, lines.slice(0, 1700), { keyed: false, input: { allowed_lateness: 2 } });
    const first = runCli(['run', cfg, '--progress']);
    await first.waitFor(() => first.rowsRead() >= 1700, 90_000, 'the first 1700 rows read');
    await waitFor(async () => sum(await committedOffsets(kafka.brokers, 'g-disorder', 'disorder')) >= 1300, 20_000, 'commits of the closed windows');
    first.child.kill('SIGKILL');
    await first.exited;
    await sendLines(kafka.brokers, 'disorder', lines.slice(1700), false);
    const committed = sum(await committedOffsets(kafka.brokers, 'g-disorder', 'disorder'));
    const second = runCli(['run', cfg, '--progress']);
    await second.waitFor(() => second.rowsRead() >= 3000 - committed, 90_000, 'the rest read after the restart');
    second.child.kill('SIGINT');
    expect(await second.exited, second.stderr()).toBe(130);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expectedD));
  });

  it('run --until-end reads to the end offsets of its start and exits 0; bounded runs one after another store what a CSV replay of all the rows stores', async () => {
    const { db, cfg } = await topicWithConfig('bounded', 3, LINES.slice(0, 1500));
    const first = runCli(['run', cfg, '--until-end']);
    expect(await first.exited, first.stderr()).toBe(0);
    // 75 s of rows: 7 complete windows and the first half of [70 s, 80 s), flushed at the end
    expect(first.stderr()).toMatch(/finished: 1,500 rows read .* 8 windows closed, 160 aggregate rows/);
    // as after Ctrl-C, the rows of the window the end flushed early stay uncommitted
    expect(sum(await committedOffsets(kafka.brokers, 'g-bounded', 'bounded'))).toBe(1400);
    await sendLines(kafka.brokers, 'bounded', LINES.slice(1500));
    const second = runCli(['run', cfg, '--until-end']);
    expect(await second.exited, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/finished: 1,600 rows read .* 8 windows closed, 160 aggregate rows/);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
    expect(sum(await committedOffsets(kafka.brokers, 'g-bounded', 'bounded'))).toBe(2800);
    // a new group without from_beginning starts at the end: nothing to read, and the run ends at once
    const none = runCli([
      'run',
      writeJson(
        path.join(dir, 'bounded-new.json'),
        sensorConfig(kafkaInput('bounded', 'g-bounded-new', { from_beginning: false }), sqliteOut(path.join(dir, 'none.db'))),
      ),
      '--until-end',
    ]);
    expect(await none.exited, none.stderr()).toBe(0);
    expect(none.stderr()).toMatch(/finished: 0 rows read/);
  });

  it('two `run --until-end` started together in one group split the partitions and both end; between them they store every window of every key complete', async () => {
    await createTopic(kafka.brokers, 'scale-bounded', 4);
    await sendLines(kafka.brokers, 'scale-bounded', LINES); // keyed by sensor_id
    const dbs = [path.join(dir, 'scale-bounded-a.db'), path.join(dir, 'scale-bounded-b.db')];
    const runs = dbs.map((db, i) =>
      runCli([
        'run',
        writeJson(path.join(dir, `scale-bounded-${i}.json`), sensorConfig(kafkaInput('scale-bounded', 'g-scale-bounded'), sqliteOut(db))),
        '--until-end',
      ]),
    );
    for (const r of runs) expect(await r.exited, r.stderr()).toBe(0);
    expect(runs[0]!.rowsRead() + runs[1]!.rowsRead()).toBeGreaterThanOrEqual(3000);
    // a partition that moved is read by its new owner from the old owner's committed offset: the windows the old
    // owner had open are recomputed whole, so each (window, key) is complete in one of the stores
    const stored = dbs.flatMap((d) => (fs.existsSync(d) ? comparable(sqliteRows(d)) : []));
    const seen = new Set(stored.map((r) => JSON.stringify(r)));
    const missing = comparable(expected).filter((r) => !seen.has(JSON.stringify(r)));
    expect(missing).toEqual([]);
  });

  it('a bounded read takes its end offsets before it fetches: messages produced after open() are not read, though fetched', async () => {
    await createTopic(kafka.brokers, 'bounded-grow', 2);
    await sendLines(kafka.brokers, 'bounded-grow', LINES.slice(0, 600), true, 100);
    const cfgFile = writeJson(path.join(dir, 'bounded-grow.json'), sensorConfig(kafkaInput('bounded-grow', 'g-grow'), sqliteOut(path.join(dir, 'grow.db'))));
    const { source } = await planWithSource(cfgFile, {
      maxBytesPerPartition: 8 * 1024, // several fetches per partition: later ones bring the messages sent below
      untilEnd: true,
    });
    const fastBefore = recordBatchStats.fast;
    await source.open();
    await sendLines(kafka.brokers, 'bounded-grow', LINES.slice(600, 1200), true, 100);
    const offsets = new Map<number, number[]>();
    let rows = 0;
    for (let batch = await source.next(); batch !== null; batch = await source.next()) {
      for (let i = 0; i < batch.count; i++) {
        const at = batch.position(i);
        (offsets.get(at.partition!) ?? offsets.set(at.partition!, []).get(at.partition!)!).push(Number(at.offset));
      }
      rows += batch.count;
    }
    expect(source.progress()).toBe(1);
    await source.close();
    expect(rows).toBe(600);
    // each partition from offset 0 to its end at the start, once each, in order
    for (const list of offsets.values()) expect(list).toEqual(list.map((_, i) => i));
    // the broker's record batches went through the engine's decoder (engine/connectors/kafka-record-batch.ts)
    expect(recordBatchStats.fast).toBeGreaterThan(fastBefore);
    expect(await readTopic(kafka.brokers, 'bounded-grow', 1200)).toHaveLength(1200);
  });

  it('a transactional producer with gzip: a bounded read gets the committed messages only, once each, in order, and ends', async () => {
    await createTopic(kafka.brokers, 'txn', 1);
    const producer = kafkaClient(kafka.brokers).producer({ transactionalId: 'txn-test', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = async (lines: string[], compression: CompressionTypes, commit: boolean) => {
      const t = await producer.transaction();
      await t.send({ topic: 'txn', compression, messages: lines.map((l) => ({ key: l.split(',')[1]!, value: l })) });
      await (commit ? t.commit() : t.abort());
    };
    try {
      await send(LINES.slice(0, 300), CompressionTypes.GZIP, true);
      await send(LINES.slice(300, 400), CompressionTypes.GZIP, false);
      await send(LINES.slice(400, 600), CompressionTypes.None, true);
    } finally {
      await producer.disconnect();
    }
    const cfgFile = writeJson(path.join(dir, 'txn.json'), sensorConfig(kafkaInput('txn', 'g-txn'), sqliteOut(path.join(dir, 'txn.db'))));
    const { source } = await planWithSource(cfgFile, { untilEnd: true });
    const fastBefore = recordBatchStats.fast;
    await source.open();
    const values: string[] = [];
    for (let batch = await source.next(); batch !== null; batch = await source.next()) {
      for (let i = 0; i < batch.count; i++) values.push(batch.text(i));
    }
    await source.close();
    expect(values).toEqual([...LINES.slice(0, 300), ...LINES.slice(400, 600)]);
    expect(recordBatchStats.fast).toBeGreaterThan(fastBefore);
  });

  it('the broker killed (kill -9) and restarted mid-run: the run reconnects and goes on; the output is complete and nothing is counted twice', async () => {
    const { db, cfg } = await topicWithConfig('restart', 3, LINES.slice(0, 1500));
    const outcome = await checkConfig(cfg);
    expect(outcome.plan, JSON.stringify(outcome.diagnostics)).toBeDefined();
    const warnings: string[] = [];
    const runner = new Runner(outcome.plan!, { warn: (m) => warnings.push(m) });
    const seen: string[] = [];
    const poll = setInterval(() => {
      const s = runner.stats().connections[0]?.status;
      if (s && seen[seen.length - 1] !== s) seen.push(s);
    }, 50);
    const done = runner.run();
    try {
      await waitFor(() => runner.stats().rowsRead >= 1500, 90_000, 'the first half read');
      seen.length = 0;
      await kafka.kill();
      await waitFor(() => seen.includes('retrying'), 60_000, 'the source noticing the broker is gone');
      await kafka.start();
      await sendLines(kafka.brokers, 'restart', LINES.slice(1500));
      await waitFor(() => runner.stats().rowsRead >= 3000, 120_000, 'the second half read after the restart');
      await sleep(1000);
      expect(runner.stats().connections[0]?.status).toBe('ok');
      runner.stop();
      const stats = await done;
      expect(stats.rowsRead).toBe(3000); // re-fetched messages were recognised, not counted again
      expect(stats.lateRows).toBe(0);
    } finally {
      clearInterval(poll);
      runner.stop();
    }
    expect(seen).toContain('retrying');
    expect(seen[seen.length - 1]).toBe('ok');
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
  });

  it('processing time by default: windows close on the wall clock (empty ones too) and every row counts once', async () => {
    await createTopic(kafka.brokers, 'ptime', 2);
    const outcome = await checkConfig(
      writeJson(
        path.join(dir, 'ptime.json'),
        sensorConfig({ input_type: 'kafka', options: { brokers: kafka.brokers, topic: 'ptime', consumer_group: 'g-ptime', batchDuration: 1 } }, [
          { method: 'sqlite', options: { path: path.join(dir, 'ptime.db') } },
          { method: 'stdout' },
        ]),
      ),
    );
    expect(outcome.plan, JSON.stringify(outcome.diagnostics)).toBeDefined();
    let out = '';
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    const ends: number[] = [];
    const runner = new Runner(outcome.plan!, { stdout, warn: () => undefined, onWindow: (w) => ends.push(w.endMs) });
    const done = runner.run();
    const t0 = Date.now();
    await waitFor(() => runner.stats().connections[0]?.status === 'ok', 60_000, 'joined');
    await sendLines(kafka.brokers, 'ptime', LINES.slice(0, 300));
    await sleep(2500); // at least one empty window
    await sendLines(kafka.brokers, 'ptime', LINES.slice(300, 600));
    await waitFor(() => runner.stats().rowsRead >= 600, 30_000, '600 rows');
    await sleep(2100); // ≥ 4.6 s since the join: at least 4 windows of 1 s closed on the clock
    runner.stop();
    const stats = await done;
    expect(stats.rowsRead).toBe(600);
    const rows = sqliteRows(path.join(dir, 'ptime.db'));
    expect(rows.reduce((s, r) => s + (r.counter as number), 0)).toBe(600);
    for (const e of ends) expect(e % 1000).toBe(0);
    expect(Math.min(...ends)).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
    expect(ends.length).toBeGreaterThanOrEqual(4);
    const blocks = out.split('---------------------------\n').slice(1);
    expect(blocks.length).toBe(ends.length);
    expect(blocks.some((b) => b === '')).toBe(true); // an empty window prints only its separator
  });

  it('two `ts-engine run` processes in one consumer group split the partitions; with a topic keyed by the aggregation key each writes the correct aggregates of its own keys', async () => {
    await createTopic(kafka.brokers, 'scale', 4);
    const dbs = [path.join(dir, 'scale-a.db'), path.join(dir, 'scale-b.db')];
    const runs = dbs.map((db, i) =>
      runCli(['run', writeJson(path.join(dir, `scale-${i}.json`), sensorConfig(kafkaInput('scale', 'g-scale'), sqliteOut(db))), '--progress']),
    );
    const admin = kafkaClient(kafka.brokers).admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const g = (await admin.describeGroups(['g-scale'])).groups[0]!;
          if (g.state !== 'Stable' || g.members.length !== 2) return false;
          return g.members.every((m) => (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment.scale?.length ?? 0) === 2);
        },
        90_000,
        'both members with two partitions each',
        250,
      );
    } finally {
      await admin.disconnect();
    }
    await sendLines(kafka.brokers, 'scale', LINES); // keyed by sensor_id
    await waitFor(() => runs[0]!.rowsRead() + runs[1]!.rowsRead() >= 3000, 90_000, 'all rows read by the two processes');
    for (const r of runs) r.child.kill('SIGINT');
    for (const r of runs) expect(await r.exited, r.stderr()).toBe(130);
    const [a, b] = dbs.map((d) => sqliteRows(d));
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    const keysA = new Set(a!.map((r) => r.sensor_id));
    for (const r of b!) expect(keysA.has(r.sensor_id)).toBe(false);
    const union = [...a!, ...b!].sort((x, y) => (x.window_end as number) - (y.window_end as number) || (x.sensor_id as number) - (y.sensor_id as number));
    expect(comparable(union)).toEqual(comparable(expected));
  });

  it('Kafka alert sink: one message per alert, the JSON the reference sends, keyed by the aggregation key', async () => {
    const cfg = writeJson(
      path.join(dir, 'alerts.json'),
      sensorConfig(
        { input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp' } },
        [{ method: 'sqlite', main: true, options: { path: path.join(dir, 'alerts.db') } }],
        {
          analysis: {
            alert: [
              { method: 'kafka', option: { brokers: kafka.brokers, topic: 'alerts' } },
              { method: 'stdout', format: 'jsonl' },
            ],
            accuracy: 2,
            rule: [{ module: 'SimpleAnalysis', name: 'Simple1', options: { deviation: { rpm_max: 3 }, batch_number: 1 } }],
          },
        },
      ),
    );
    const r = runCli(['run', cfg, '--no-progress']);
    expect(await r.exited, r.stderr()).toBe(0);
    const local = r
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { module: string; time: string; key: unknown[]; field: string; value: number; lower_bound: number; upper_bound: number });
    expect(local.length).toBeGreaterThan(3);
    const msgs = await readTopic(kafka.brokers, 'alerts', local.length);
    expect(msgs.length).toBe(local.length);
    for (const m of msgs) {
      expect(m.value).toMatch(
        /^\{"AnalysisModule": "Simple1", "timestamp": \d+\.0, "param": \{"key": \[\d+, "[a-z]+\.t\d"\], "field": "rpm_max", "lower_bound": -?[\d.e+-]+, "upper_bound": [\d.e+-]+, "value": [\d.e+-]+\}\}$/,
      );
      const v = JSON.parse(m.value) as { timestamp: number; param: { key: unknown[] } };
      expect(m.key).toBe(JSON.stringify(v.param.key).replace(/,/g, ', '));
    }
    const fromKafka = msgs.map(
      (m) =>
        JSON.parse(m.value) as {
          AnalysisModule: string;
          timestamp: number;
          param: { key: unknown[]; field: string; value: number; lower_bound: number; upper_bound: number };
        },
    );
    const norm = (x: { module: string; ms: number; key: unknown[]; field: string; value: number; lo: number; hi: number }) => JSON.stringify(x);
    expect(
      fromKafka
        .map((a) =>
          norm({
            module: a.AnalysisModule,
            ms: a.timestamp * 1000,
            key: a.param.key,
            field: a.param.field,
            value: a.param.value,
            lo: a.param.lower_bound,
            hi: a.param.upper_bound,
          }),
        )
        .sort(),
    ).toEqual(
      local
        .map((a) => norm({ module: a.module, ms: Date.parse(a.time), key: a.key, field: a.field, value: a.value, lo: a.lower_bound, hi: a.upper_bound }))
        .sort(),
    );
  });

  it('a run started before its topic exists waits for it, then consumes everything the producer sends to it', async () => {
    const db = path.join(dir, 'late.db');
    // from_beginning false: a topic created after the start is read from its first message anyway
    const cfg = writeJson(path.join(dir, 'late.json'), sensorConfig(kafkaInput('late-topic', 'g-late', { from_beginning: false }), sqliteOut(db)));
    const run = runCli(['run', cfg, '--progress']);
    await run.waitFor(() => /waiting for kafka topic 'late-topic' to be created/.test(run.stderr()), 60_000, 'the waiting message');
    await sleep(2000); // the producer comes later; the run keeps waiting (it used to fail 0.4 s after the message)
    expect(run.child.exitCode).toBeNull();
    const p = runCli(['produce', csv, '--brokers', kafka.brokers.join(','), '--topic', 'late-topic', '--partitions', '2']);
    expect(await p.exited, p.stderr()).toBe(0);
    await run.waitFor(() => run.rowsRead() >= 3000, 90_000, 'all 3000 rows read');
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr()).toBe(130);
    expect(run.stderr()).not.toMatch(/Connection refused|KafkaConnectError|^\s+at /m);
    expect(comparable(sqliteRows(db))).toEqual(comparable(expected));
  });

  it('a broker that does not answer at start: KafkaConnectError naming the address, exit 1 (run and produce)', async () => {
    const [port] = await freePorts(1);
    const cfg = writeJson(
      path.join(dir, 'down.json'),
      sensorConfig(
        { input_type: 'kafka', options: { brokers: [`127.0.0.1:${port}`], topic: 't', consumer_group: 'g', batchDuration: 10 } },
        sqliteOut(path.join(dir, 'down.db')),
      ),
    );
    const t0 = Date.now();
    const r = runCli(['run', cfg, '--no-progress']);
    expect(await r.exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.stderr()).toContain(`error: KafkaConnectError: Kafka error: Connection refused: brokers=127.0.0.1:${port} consumer_group=g topic=t`);
    expect(r.stderr()).not.toMatch(/^\s+at /m); // one line, no stack trace
    // the reference's server + port form: accepted with a warning, same error
    const ref = writeJson(
      path.join(dir, 'down-ref.json'),
      sensorConfig(
        { input_type: 'kafka', options: { server: '127.0.0.1', port, topic: 't', consumer_group: 'g', batchDuration: 10 } },
        sqliteOut(path.join(dir, 'down.db')),
      ),
    );
    const r2 = runCli(['run', ref, '--no-progress']);
    expect(await r2.exited).toBe(1);
    expect(r2.stderr()).toMatch(/warning: .*server \+ port is the reference's ZooKeeper form/);
    expect(r2.stderr()).toContain(`Kafka error: Connection refused: brokers=127.0.0.1:${port}`);
    const p = runCli(['produce', csv, '--brokers', `127.0.0.1:${port}`, '--topic', 't']);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain(`KafkaConnectError: Kafka error: Connection refused: brokers=127.0.0.1:${port} topic=t`);
  });

  it('SASL (PLAIN): the input authenticates with options.sasl; a wrong password is a KafkaConnectError', async () => {
    await createTopic(kafka.brokers, 'sasl', 1);
    await sendLines(kafka.brokers, 'sasl', LINES.slice(0, 600));
    const cfg = (password: string, name: string) =>
      writeJson(
        path.join(dir, `${name}.json`),
        sensorConfig(
          {
            input_type: 'kafka',
            options: {
              brokers: kafka.saslBrokers,
              topic: 'sasl',
              consumer_group: `g-${name}`,
              from_beginning: true,
              batchDuration: 10,
              time_field: 'timestamp',
              sasl: { mechanism: 'plain', username: 'alice', password },
            },
          },
          sqliteOut(path.join(dir, `${name}.db`)),
        ),
      );
    // check --connect reaches the broker with the same credentials, and names a wrong password
    const connect = runCli(['check', '--connect', cfg('alice-secret', 'sasl-check')]);
    expect(await connect.exited, connect.stderr()).toBe(0);
    expect(connect.stderr()).toMatch(/^connected: input: kafka \S+: 1 broker, \d+ topics; topic sasl: 1 partition, 600 messages\n/);
    const refused = runCli(['check', '--connect', cfg('wrong', 'sasl-check-bad')]);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/^error: input: kafka \S+: Kafka at \S+: authentication failed/);
    const run = runCli(['run', cfg('alice-secret', 'sasl-ok'), '--progress']);
    await run.waitFor(() => run.rowsRead() >= 600, 60_000, '600 rows over SASL');
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr()).toBe(130);
    expect(comparable(sqliteRows(path.join(dir, 'sasl-ok.db')))).toEqual(comparable(expected.filter((r) => (r.window_end as number) <= 1_700_000_030_000)));
    const bad = runCli(['run', cfg('wrong', 'sasl-bad'), '--no-progress']);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(
      new RegExp(
        `KafkaConnectError: Kafka error: Connection refused: brokers=${kafka.saslBrokers![0]!.replace(/\./g, '\\.')} consumer_group=g-sasl-bad topic=sasl \\(.*SASL PLAIN authentication failed`,
      ),
    );
  });

  it('samples/sensors/config-influx.json, the production setup: rows from Kafka, aggregates into InfluxDB, history read back from InfluxDB, alerts to a Kafka topic', async () => {
    const influx = await startInflux({ version: '1.6', auth: { username: 'root', password: 'root' } });
    try {
      await createTopic(kafka.brokers, 'sensors-prod', 2);
      await sendLines(kafka.brokers, 'sensors-prod', LINES);
      const sample = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples/sensors/config-influx.json'), 'utf8'));
      const port = influx.port;
      sample.input.data_structure = SENSOR_STRUCTURE;
      Object.assign(sample.input.options, { brokers: kafka.brokers, topic: 'sensors-prod' });
      Object.assign(sample.outputs[0].options.influx, { host: '127.0.0.1', port });
      Object.assign(sample.analysis.historical.influx_options, { host: '127.0.0.1', port });
      Object.assign(sample.analysis.alert.option, { brokers: kafka.brokers, topic: 'prod-alerts' });
      const run = runCli(['run', writeJson(path.join(dir, 'prod.json'), sample), '--progress']);
      // the same analysis over a CSV replay with SQLite history: the alerts to expect
      const ref = sensorConfig(
        { input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp' } },
        [{ method: 'sqlite', main: true, options: { path: path.join(dir, 'prod-ref.db') } }],
        {
          analysis: { ...sample.analysis, historical: undefined, alert: { method: 'stdout', format: 'jsonl' } },
        },
      );
      const r = runCli(['run', writeJson(path.join(dir, 'prod-ref.json'), ref), '--no-progress']);
      expect(await r.exited, r.stderr()).toBe(0);
      const want = r
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { module: string; time: string; key: unknown[]; field: string; value: number });
      expect(want.length).toBeGreaterThan(0);

      await run.waitFor(() => run.rowsRead() >= 3000, 90_000, 'all rows read');
      run.child.kill('SIGINT');
      expect(await run.exited, run.stderr()).toBe(130);
      expect(run.stderr()).toMatch(/analysis: 300 records, [\d,]+ history lookups, [\d,]+ alerts/);
      const got = await new InfluxV1({ kind: 'v1', url: influx.url, username: 'root', password: 'root', database: 'sensors', measurement: 'points' }).history({
        measurement: 'points',
        fromNs: 0n,
        toNs: 4_000_000_000_000_000_000n,
        tags: [],
      });
      expect(got.length).toBe(300);
      expect(got.reduce((s, p) => s + (p.counter as number), 0)).toBe(3000);
      const alerts = await readTopic(kafka.brokers, 'prod-alerts', want.length);
      const key = (a: { module: string; ms: number; key: unknown; field: string; value: number }) => JSON.stringify([a.module, a.ms, a.key, a.field, a.value]);
      expect(
        alerts
          .map((m) => JSON.parse(m.value))
          .map((a) => key({ module: a.AnalysisModule, ms: a.timestamp * 1000, key: a.param.key, field: a.param.field, value: a.param.value }))
          .sort(),
      ).toEqual(want.map((a) => key({ module: a.module, ms: Date.parse(a.time), key: a.key, field: a.field, value: a.value })).sort());
    } finally {
      await influx.stop();
    }
  });

  it('InfluxDB down: writes retried while the Kafka source stops fetching (partitions paused, memory bounded); afterwards every window arrives once', async () => {
    const influx = await startInflux({ version: '1.6' });
    try {
      await createTopic(kafka.brokers, 'bp', 1);
      const cfgFile = writeJson(
        path.join(dir, 'bp.json'),
        sensorConfig(kafkaInput('bp', 'g-bp'), [
          { method: 'influx', options: { influx: { host: '127.0.0.1', port: influx.port, database: 'bp', measurement: 'points' }, max_retries: 40 } },
        ]),
      );
      const { plan, source } = await planWithSource(cfgFile, { maxQueuedPerPartition: 100, maxBatch: 50, maxBytesPerPartition: 8 * 1024 });
      const runner = new Runner(plan, { source, warn: () => undefined });
      const done = runner.run();
      await waitFor(() => source.status().status === 'ok', 60_000, 'joined');
      await influx.kill();
      await sendLines(kafka.brokers, 'bp', LINES, true, 100); // small record batches: a fetch returns at least one whole batch
      let maxQueued = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 4000) {
        maxQueued = Math.max(maxQueued, source.queued);
        await sleep(50);
      }
      const sink = runner.stats().connections.find((c) => c.name.startsWith('influx'))!;
      expect(sink.status).toBe('retrying');
      expect(source.status().detail).toMatch(/paused \[0\] \(waiting for the outputs\)/);
      // 100 queued + at most one fetch of 8 KiB (~150 rows) in flight: far from the 3000 sent
      expect(maxQueued).toBeLessThan(400);
      expect(runner.stats().rowsRead).toBeLessThan(1000);
      await influx.start();
      await waitFor(() => runner.stats().rowsRead >= 3000, 120_000, 'every row read after InfluxDB came back');
      await sleep(500);
      runner.stop();
      const stats = await done;
      expect(stats.rowsRead).toBe(3000);
      const got = await new InfluxV1({ kind: 'v1', url: influx.url, database: 'bp', measurement: 'points' }).history({
        measurement: 'points',
        fromNs: 0n,
        toNs: 4_000_000_000_000_000_000n,
        tags: [],
      });
      expect(got.length).toBe(300);
      expect(got.reduce((s, p) => s + (p.counter as number), 0)).toBe(3000);
    } finally {
      await influx.stop();
    }
  });
});
