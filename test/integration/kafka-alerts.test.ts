// Alert delivery to Kafka as reliable as aggregates (docs/alerts.md#delivery, docs/live.md#alert-duplicates), against one real
// Apache Kafka broker (KRaft) started for this file: the broker killed (kill -9) mid-run and back 30 s later, the engine killed
// three times in the middle of a backlog. Every alert of a CSV replay of the same rows arrives on the alert topic; a duplicate
// carries the alert_id and state of the alert it repeats.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from './servers/kafka.js';
import {
  committedOffsets,
  createTopic,
  kafkaClient,
  removeTempDirs,
  runCli,
  sendLines,
  sensorConfig,
  sensorLines,
  sleep,
  tempDir,
  waitFor,
  writeJson,
} from './live-helpers.js';
import { checkConfig } from '../../engine/pipeline/plan.js';
import { Runner } from '../../engine/pipeline/runner.js';

const MIN = 60_000;
const LINES = sensorLines(3000); // 20 sensors at 1 Hz for 150 s: 15 windows of 10 s
const sum = (o: Record<number, number>) => Object.values(o).reduce((a, b) => a + b, 0);

/** one rule as the reference, one with a lifecycle: both deliver through the same sinks */
const RULES = [
  { module: 'SimpleAnalysis', name: 'Simple1', options: { deviation: { rpm_max: 2 }, batch_number: 1 } },
  { module: 'SimpleAnalysis', name: 'Life', options: { deviation: { rpm_max: 2 }, batch_number: 1 }, for: 1, keep_firing_for: 1, no_data: 3 },
];

interface Delivered {
  alertId: string;
  state: string;
  /** window end, ms */
  time: number;
}
const id = (d: Delivered) => `${d.alertId}/${d.state}/${d.time}`;

/** Every message of `topic`, read until `enough` says so (then a moment more, for late duplicates). */
async function readAlerts(brokers: string[], topic: string, enough: (got: Delivered[]) => boolean, ms = 60_000): Promise<Delivered[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: Delivered[] = [];
  try {
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = JSON.parse(message.value!.toString()) as { timestamp: number };
        const header = (k: string) => message.headers?.[k]?.toString() ?? '';
        got.push({ alertId: header('alert_id'), state: header('alert_state'), time: Math.round(value.timestamp * 1000) });
      },
    });
    await waitFor(() => enough(got), ms, `the alerts on ${topic} (${got.length} so far)`);
    await sleep(1000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

function storedAlerts(db: string): Delivered[] {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT alert_id, state, window_end FROM alerts').all() as { alert_id: string; state: string; window_end: number }[]).map((r) => ({
      alertId: r.alert_id,
      state: r.state,
      time: r.window_end,
    }));
  } finally {
    d.close();
  }
}

describe('alerts to Kafka without loss', () => {
  let kafka: KafkaServer;
  let dir: string;
  /** the alerts of a CSV replay of LINES, as (alert_id, state, window end) */
  let expected: Set<string>;

  const config = (input: { input_type: string; options: Record<string, unknown> }, db: string, alertTopic?: string) =>
    sensorConfig(input, [{ method: 'sqlite', main: true, options: { path: db, table: 'points' } }], {
      analysis: {
        alert: [...(alertTopic ? [{ method: 'kafka', option: { brokers: kafka.brokers, topic: alertTopic } }] : []), { method: 'sqlite' }],
        accuracy: 2,
        rule: RULES,
      },
    });
  const kafkaInput = (topic: string, group: string) => ({
    input_type: 'kafka',
    options: { brokers: kafka.brokers, topic, consumer_group: group, from_beginning: true, batchDuration: 10, time_field: 'timestamp' },
  });

  beforeAll(async () => {
    kafka = await startKafka();
    dir = tempDir();
    const csv = path.join(dir, 'replay.csv');
    (await import('node:fs')).writeFileSync(csv, LINES.join('\n') + '\n');
    const db = path.join(dir, 'replay.db');
    const cfg = writeJson(path.join(dir, 'replay.json'), config({ input_type: 'csv', options: { path: csv, batchDuration: 10, time_field: 'timestamp' } }, db));
    const r = runCli(['run', cfg, '--no-progress']);
    expect(await r.exited, r.stderr()).toBe(0);
    const stored = storedAlerts(db);
    expected = new Set(stored.map(id));
    // both rules alert, the lifecycle one resolves too: a replay worth comparing with
    expect(stored.filter((a) => a.state === 'resolved').length).toBeGreaterThan(0);
    expect(expected.size).toBeGreaterThan(20);
  }, 10 * MIN);
  afterAll(async () => {
    await kafka?.stop();
    removeTempDirs();
  }, 2 * MIN);

  it(
    'the broker killed (kill -9) mid-run and back 30 s later: alert delivery is retried while the input waits, every alert arrives, the summary claims only what was delivered',
    async () => {
      await createTopic(kafka.brokers, 'alerts-b', 2);
      const db = path.join(dir, 'broker.db');
      // the replay's rows at 5× their own pace (30 s): windows close, and raise alerts, while the broker is down
      const input = { input_type: 'csv', options: { path: path.join(dir, 'replay.csv'), batchDuration: 10, time_field: 'timestamp', speed: 5 } };
      const outcome = await checkConfig(writeJson(path.join(dir, 'broker.json'), config(input, db, 'alerts-b')));
      expect(outcome.plan, JSON.stringify(outcome.diagnostics)).toBeDefined();
      const warnings: string[] = [];
      const runner = new Runner(outcome.plan!, { warn: (m) => warnings.push(m) });
      const done = runner.run();
      let readAtRestart = 0;
      try {
        await waitFor(() => runner.stats().rowsRead >= 600, 90_000, 'a fifth of the rows read');
        await kafka.kill();
        await sleep(30_000);
        readAtRestart = runner.stats().rowsRead;
        await kafka.start();
        const stats = await done;
        expect(stats.state).toBe('finished');
        const [toKafka, toSqlite] = stats.alertSinks!;
        expect(toKafka).toMatchObject({ sink: `kafka topic alerts-b @ ${kafka.brokers.join(',')}`, failed: 0 });
        expect(toKafka!.retries).toBeGreaterThan(0);
        expect(toKafka!.delivered).toBe(stats.alerts);
        expect(toSqlite!.delivered).toBe(stats.alerts);
      } finally {
        runner.stop();
      }
      // the input waited for the alerts: without back-pressure the 30 s outage would have seen every row read
      expect(readAtRestart).toBeLessThan(LINES.length);
      expect(warnings.some((w) => w.startsWith(`alert sink kafka topic alerts-b @ ${kafka.brokers.join(',')}: delivering`))).toBe(true);
      const got = await readAlerts(kafka.brokers, 'alerts-b', (g) => new Set(g.map(id)).size >= expected.size);
      expect(new Set(got.map(id))).toEqual(expected);
      expect(got.every((a) => /^[0-9a-f]{32}$/.test(a.alertId))).toBe(true);
    },
    10 * MIN,
  );

  it(
    'the engine killed (SIGKILL) three times in the middle of a backlog: every alert id arrives, duplicates carry the same id and state',
    async () => {
      await createTopic(kafka.brokers, 'rows-e', 2);
      await createTopic(kafka.brokers, 'alerts-e', 2);
      const db = path.join(dir, 'engine.db');
      const cfg = writeJson(path.join(dir, 'engine.json'), config(kafkaInput('rows-e', 'g-e'), db, 'alerts-e'));
      let committed = 0;
      let sent = 0;
      for (let crash = 0; crash < 3; crash++) {
        // the backlog grows by a quarter before each start
        await sendLines(kafka.brokers, 'rows-e', LINES.slice(sent, sent + 750));
        sent += 750;
        const run = runCli(['run', cfg, '--progress']);
        await run.waitFor(() => run.rowsRead() >= Math.min(300, sent - committed), 90_000, `rows read before crash ${crash + 1}`);
        const before = committed;
        await waitFor(
          async () => (committed = sum(await committedOffsets(kafka.brokers, 'g-e', 'rows-e'))) > before,
          60_000,
          `a commit before crash ${crash + 1}`,
        );
        run.child.kill('SIGKILL');
        await run.exited;
      }
      await sendLines(kafka.brokers, 'rows-e', LINES.slice(sent));
      committed = sum(await committedOffsets(kafka.brokers, 'g-e', 'rows-e'));
      const last = runCli(['run', cfg, '--progress']);
      await last.waitFor(() => last.rowsRead() >= LINES.length - committed, 90_000, 'the rest of the backlog after the last restart');
      // the last windows close, and their alerts go out, when the run is stopped
      last.child.kill('SIGINT');
      expect(await last.exited, last.stderr()).toBe(130);
      const got = await readAlerts(kafka.brokers, 'alerts-e', (g) => new Set(g.map(id)).size >= expected.size);
      expect(new Set(got.map(id))).toEqual(expected);
      // a duplicate is the same alert: one (alert_id, state) never names two window ends but for notify "every" (not used here)
      const byIdState = new Map<string, Set<number>>();
      for (const a of got) byIdState.set(`${a.alertId}/${a.state}`, (byIdState.get(`${a.alertId}/${a.state}`) ?? new Set()).add(a.time));
      for (const times of byIdState.values()) expect(times.size).toBe(1);
    },
    10 * MIN,
  );
});
