// Real-server harness tests (no mocks): Kafka (KRaft) and InfluxDB 1.6 / 1.8; 2.7 is in
// servers.influx27.test.ts. Needs long time-outs: every test and hook here passes its own
// (>= 120 s), so it also runs without the repo's vitest config:
//   npx vitest run test/integration/servers --testTimeout=120000
// What the servers need (Java, the Kafka jars, influxd binaries) is prepared on first use by
// the set-up steps (scripts/setup/steps.mjs; `npm test` does it up front): docs/testing.md.
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, Partitioners, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflux, type InfluxServer } from './influx.js';
import { BASE_NS, expectTemps, readTemps, writeTemps } from './v2-roundtrip.js';
import { startKafka, type KafkaServer } from './kafka.js';

const MIN = 60_000;

function report(what: string, ms: number): void {
  // start-up times are worth seeing in CI output
  console.log(`[servers.test] ${what}: ${ms} ms`);
}

/** Consumes until `n` messages arrived (or throws after `ms`). */
async function consumeN(consumer: Consumer, topic: string, n: number, ms = 60_000): Promise<string[]> {
  const got: string[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`consumed ${got.length}/${n} messages in ${ms} ms`)), ms);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
        if (got.length >= n) {
          clearTimeout(t);
          res();
        }
      },
    });
  });
  return got;
}

describe('Kafka harness (KRaft broker from Maven Central jars)', () => {
  let kafka: KafkaServer;

  beforeAll(async () => {
    const t0 = Date.now();
    kafka = await startKafka();
    report(`kafka ${kafka.version} first start (incl. storage format)`, Date.now() - t0);
  }, 10 * MIN);

  afterAll(async () => {
    await kafka?.stop();
  }, 2 * MIN);

  it(
    'produces, consumes in a group, and keeps committed offsets across kill -9 + restart',
    async () => {
      expect(kafka.brokers).toEqual([`127.0.0.1:${kafka.port}`]);
      const client = () => new Kafka({ clientId: 'servers-test', brokers: kafka.brokers, logLevel: logLevel.WARN });
      const topic = 'harness-topic';
      const groupId = 'harness-group';

      const admin = client().admin();
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions).toHaveLength(3);
      await admin.disconnect();

      const producer = client().producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      const sent = Array.from({ length: 100 }, (_, i) => `m${i}`);
      await producer.send({ topic, acks: -1, messages: sent.map((v, i) => ({ key: `k${i % 7}`, value: v })) });
      await producer.disconnect();

      const consumer = client().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      await consumer.connect();
      const got = await consumeN(consumer, topic, 100);
      await consumer.disconnect(); // commits the resolved offsets
      expect([...got].sort()).toEqual([...sent].sort());

      const offsetsOf = async () => {
        const a = client().admin();
        await a.connect();
        try {
          const r = await a.fetchOffsets({ groupId, topics: [topic] });
          return r[0]!.partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })).sort((x, y) => x.partition - y.partition);
        } finally {
          await a.disconnect();
        }
      };
      const before = await offsetsOf();
      expect(before).toHaveLength(3);
      expect(before.reduce((s, p) => s + p.offset, 0)).toBe(100);

      // crash: SIGKILL, then restart on the same port with the same data dir
      await kafka.kill();
      await kafka.start();
      report('kafka restart after kill -9', kafka.lastStartMs);

      expect(await offsetsOf()).toEqual(before);

      // the group resumes after its committed offsets: it sees only new messages
      const producer2 = client().producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer2.connect();
      await producer2.send({ topic, acks: -1, messages: [0, 1, 2, 3, 4].map((i) => ({ key: `n${i}`, value: `after-${i}` })) });
      await producer2.disconnect();
      const consumer2 = client().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      await consumer2.connect();
      const got2 = await consumeN(consumer2, topic, 5);
      await consumer2.disconnect();
      expect(got2.sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'after-4']);

      // and the log itself survived: a fresh group reads all 105
      const consumer3 = client().consumer({ groupId: 'harness-fresh', sessionTimeout: 10_000, heartbeatInterval: 1000 });
      await consumer3.connect();
      const all = await consumeN(consumer3, topic, 105);
      await consumer3.disconnect();
      expect(all).toHaveLength(105);

      // graceful stop + start keeps data too
      const t0 = Date.now();
      await kafka.stop({ keepData: true });
      report('kafka graceful stop', Date.now() - t0);
      await kafka.start();
      report('kafka restart after graceful stop', kafka.lastStartMs);
      expect((await offsetsOf()).reduce((s, p) => s + p.offset, 0)).toBe(105);
      expect(kafka.logs()).toContain('Kafka Server started');
    },
    5 * MIN,
  );
});

// ------------------------------------------------------------- InfluxDB v1 --

async function influxQuery(server: InfluxServer, q: string, params: Record<string, string> = {}): Promise<any> {
  const body = new URLSearchParams({ q, ...params });
  const headers: Record<string, string> = {};
  if (server.auth) headers.authorization = `Basic ${Buffer.from(`${server.auth.username}:${server.auth.password}`).toString('base64')}`;
  const r = await fetch(`${server.url}/query`, { method: 'POST', body, headers });
  const json = await r.json();
  expect(r.status, JSON.stringify(json)).toBe(200);
  return json;
}

async function influxWriteV1(server: InfluxServer, db: string, lines: string): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (server.auth) headers.authorization = `Basic ${Buffer.from(`${server.auth.username}:${server.auth.password}`).toString('base64')}`;
  const r = await fetch(`${server.url}/write?db=${encodeURIComponent(db)}&precision=ns`, { method: 'POST', body: lines, headers });
  expect(r.status, await r.text()).toBe(204);
}

const LINES = Array.from({ length: 50 }, (_, i) => `cpu,host=h${i % 3} value=${i * 1.5},n=${i}i ${BASE_NS + BigInt(i) * 1_000_000_123n}`).join('\n');

async function readBackNs(server: InfluxServer, db: string): Promise<Array<[number, number, number]>> {
  const json = await influxQuery(server, 'SELECT value, n FROM cpu ORDER BY time ASC', { db, epoch: 'ns' });
  return json.results[0].series[0].values;
}

function checkRows(rows: Array<[number, number, number]>): void {
  expect(rows).toHaveLength(50);
  // JSON numbers lose the low digits of ns epochs; compare values and the
  // spacing instead of exact ns (exactness is checked through the raw text).
  rows.forEach(([, value, n], i) => {
    expect(value).toBe(i * 1.5);
    expect(n).toBe(i);
  });
}

describe('InfluxDB 1.6 harness (Debian package, v1 API)', () => {
  let influx: InfluxServer;

  beforeAll(async () => {
    influx = await startInflux();
    report('influxd 1.6 first start', influx.lastStartMs);
  }, 2 * MIN);

  afterAll(async () => {
    await influx?.stop();
  }, MIN);

  it(
    'writes line protocol, reads back with InfluxQL epoch=ns, survives kill -9 + restart',
    async () => {
      expect(influx.url).toBe(`http://127.0.0.1:${influx.port}`);
      const ping = await fetch(`${influx.url}/ping`);
      expect(ping.status).toBe(204);
      expect(ping.headers.get('x-influxdb-version')).toBe(influx.serverVersion);

      await influxQuery(influx, 'CREATE DATABASE harness');
      await influxWriteV1(influx, 'harness', LINES);
      checkRows(await readBackNs(influx, 'harness'));
      // exact ns timestamps: the raw JSON text carries all 19 digits
      const raw = await (await fetch(`${influx.url}/query?db=harness&epoch=ns&q=${encodeURIComponent('SELECT value FROM cpu LIMIT 2')}`)).text();
      expect(raw).toContain(`[${BASE_NS},0]`);
      expect(raw).toContain(`[${BASE_NS + 1_000_000_123n},1.5]`);

      await influx.kill();
      await influx.start();
      report('influxd 1.6 restart after kill -9', influx.lastStartMs);
      checkRows(await readBackNs(influx, 'harness'));

      await influx.stop({ keepData: true });
      await influx.start();
      checkRows(await readBackNs(influx, 'harness'));
      expect(influx.logs()).not.toContain('usage statistics'); // reporting is off
    },
    3 * MIN,
  );
});

// ---------------------------------------------- InfluxDB 1.8, v2 API form --

describe('InfluxDB 1.8 harness (built from source, v2 compatibility API)', () => {
  let influx: InfluxServer;
  const auth = { username: 'harness', password: 'pw-1' };
  const org = '-'; // 1.8 ignores the org
  const bucket = 'harness_v2/autogen'; // database/retention-policy

  beforeAll(async () => {
    const t0 = Date.now();
    influx = await startInflux({ version: '1.8', auth }); // builds influxd-1.8 if missing (~2-3 min)
    report('influxd 1.8 first start (incl. build if it was missing)', Date.now() - t0);
  }, 10 * MIN);

  afterAll(async () => {
    await influx?.stop();
  }, MIN);

  it(
    'writes through /api/v2/write (token user:password) and reads back with Flux on /api/v2/query',
    async () => {
      const ping = await fetch(`${influx.url}/ping`);
      expect(ping.status).toBe(204);
      expect(ping.headers.get('x-influxdb-version')).toBe('1.8.10');
      expect(influx.token).toBe('harness:pw-1');

      await influxQuery(influx, 'CREATE DATABASE harness_v2');

      // a wrong token is refused: auth is really on
      const bad = await fetch(`${influx.url}/api/v2/write?bucket=${encodeURIComponent(bucket)}&precision=ns`, {
        method: 'POST',
        headers: { authorization: 'Token harness:wrong' },
        body: 'cpu value=1 1',
      });
      expect(bad.status).toBe(401);

      const client = new InfluxDB({ url: influx.url, token: influx.token });
      await writeTemps(client, org, bucket);
      const readAll = () => readTemps(client, org, bucket);
      const rows = await readAll();
      expectTemps(rows);

      // the same data through the v1 API
      const v1 = await influxQuery(influx, 'SELECT count(value) FROM temp', { db: 'harness_v2' });
      expect(v1.results[0].series[0].values[0][1]).toBe(20);

      await influx.kill();
      await influx.start();
      report('influxd 1.8 restart after kill -9', influx.lastStartMs);
      expect(await readAll()).toEqual(rows);
      expect(influx.logs()).not.toContain('usage statistics'); // reporting is off
    },
    3 * MIN,
  );
});
