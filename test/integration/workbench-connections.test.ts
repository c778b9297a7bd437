// The workbench's connection panel back end (main/api/handlers.ts, connection.*) and live runs
// through the workbench API, against a real Apache Kafka broker (KRaft, with a SASL/PLAIN listener)
// and real InfluxDB 1.6 and 1.8 servers started by the harnesses (2.7: the .influx27 file). No mocks.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaServer } from './servers/kafka.js';
import { startInflux, type InfluxServer } from './servers/influx.js';
import { ROOT, createTopic, kafkaClient, removeTempDirs, sendLines, sensorLines, tempDir, waitFor } from './live-helpers.js';
import { createHandlers } from '../../main/api/handlers.js';
import { Tails } from '../../main/api/connections.js';
import type { Events } from '../../main/api/contract.js';

const MIN = 60_000;

type Got = { [E in keyof Events]?: Events[E][] };

function recorder() {
  const got: Got = {};
  const emit = <E extends keyof Events>(e: E, p: Events[E]) => {
    ((got[e] ??= []) as Events[E][]).push(p);
  };
  const list = <E extends keyof Events>(e: E): Events[E][] => (got[e] ?? []) as Events[E][];
  return { got, emit, list };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('workbench connections against real Kafka and InfluxDB servers', () => {
  let kafka: KafkaServer;
  let influx16: InfluxServer;
  let influx18: InfluxServer;
  let dir: string;
  let dead: number;
  const rec = recorder();
  let h: ReturnType<typeof createHandlers>;

  beforeAll(async () => {
    [kafka, influx16, influx18] = await Promise.all([
      startKafka({ saslPlain: { alice: 'alice-secret' } }),
      startInflux({ version: '1.6', auth: { username: 'admin', password: 'pw' } }),
      startInflux({ version: '1.8', auth: { username: 'admin', password: 'pw' } }),
    ]);
    dir = tempDir('ts-engine-conn-');
    dead = await closedPort();
    h = createHandlers({
      mode: 'web',
      samplesDir: path.join(ROOT, 'samples'),
      stateDir: path.join(dir, 'state'),
      projectsHome: path.join(dir, 'projects'),
      pickRoots: [dir],
      emit: rec.emit,
    });
  }, 10 * MIN);

  afterAll(async () => {
    await h?.dispose();
    await Promise.all([kafka?.stop(), influx16?.stop(), influx18?.stop()]);
    removeTempDirs();
  }, 2 * MIN);

  // ---- Kafka ----------------------------------------------------------------------------

  it('connection.testKafka: cluster id, brokers and controller of a live broker; a closed port is "connection refused" within a second or two', async () => {
    const ok = await h['connection.testKafka']({ brokers: kafka.brokers });
    expect(ok).toMatchObject({ ok: true, address: kafka.brokers[0], clusterId: kafka.clusterId, controller: 1 });
    expect(ok.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: kafka.port }]);
    expect(ok.error).toBeUndefined();
    expect(ok.elapsedMs).toBeLessThan(5000);

    const t0 = Date.now();
    const bad = await h['connection.testKafka']({ brokers: [`127.0.0.1:${dead}`] });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(bad).toMatchObject({ ok: false, brokers: [] });
    expect(bad.error).toBe(`cannot connect to Kafka at 127.0.0.1:${dead}: connection refused`);

    // an unresolvable host and a malformed address are named as such
    expect((await h['connection.testKafka']({ brokers: ['no-such-host.invalid:9092'] })).error).toMatch(
      /^cannot connect to Kafka at no-such-host\.invalid:9092: host not found/,
    );
    expect((await h['connection.testKafka']({ brokers: ['localhost'] })).error).toBe('Kafka broker "localhost" is not host:port');
    expect((await h['connection.testKafka']({ brokers: [] })).error).toMatch(/no Kafka brokers given/);
  });

  it('connection.testKafka with SASL/PLAIN: the right password connects, a wrong one is an authentication failure; the SASL port without SASL is named too', async () => {
    const sasl = kafka.saslBrokers!;
    const ok = await h['connection.testKafka']({ brokers: sasl, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
    expect(ok).toMatchObject({ ok: true, clusterId: kafka.clusterId });
    const wrong = await h['connection.testKafka']({ brokers: sasl, sasl: { mechanism: 'plain', username: 'alice', password: 'nope' } });
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatch(new RegExp(`^Kafka at ${sasl[0]}: authentication failed \\(SASL PLAIN authentication failed.*Invalid username or password`));
    const plain = await h['connection.testKafka']({ brokers: sasl });
    expect(plain.error).toMatch(/closed the connection \(wrong port, or the listener expects SASL or TLS\)/);
    expect(plain.elapsedMs).toBeLessThan(6000);
  });

  it('connection.listTopics: partitions with their high-water offsets and message counts; internal topics hidden; a dead broker fails fast with the address', async () => {
    await createTopic(kafka.brokers, 'conn-list', 3);
    await sendLines(kafka.brokers, 'conn-list', sensorLines(60));
    const r = await h['connection.listTopics']({ brokers: kafka.brokers });
    expect(r.address).toBe(kafka.brokers[0]);
    expect(r.truncated).toBe(false);
    expect(r.topics.some((t) => t.name.startsWith('__'))).toBe(false);
    const t = r.topics.find((x) => x.name === 'conn-list')!;
    expect(t.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(t.partitions.every((p) => p.leader === 1 && p.low === '0')).toBe(true);
    expect(t.partitions.reduce((s, p) => s + Number(p.high), 0)).toBe(60);
    expect(t.messages).toBe(60);

    const t0 = Date.now();
    await expect(h['connection.listTopics']({ brokers: [`127.0.0.1:${dead}`] })).rejects.toThrow(
      `cannot connect to Kafka at 127.0.0.1:${dead}: connection refused`,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('connection.tailStart from 3 messages back: the last 3 of each partition, then what is produced; tailStop ends it and removes the throwaway group', async () => {
    await createTopic(kafka.brokers, 'conn-tail', 2);
    const producer = kafkaClient(kafka.brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (const p of [0, 1])
        await producer.send({ topic: 'conn-tail', messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, key: `k${p}`, value: `old ${p}-${i}` })) });
      const info = await h['connection.tailStart']({ brokers: kafka.brokers, topic: 'conn-tail', from: 'back', back: 3 });
      expect(info).toMatchObject({ topic: 'conn-tail', address: kafka.brokers[0], maxPerSecond: 200 });
      expect(info.partitions).toEqual([
        { partition: 0, start: '7', high: '10' },
        { partition: 1, start: '7', high: '10' },
      ]);
      const mine = () =>
        rec
          .list('connection.tail')
          .filter((e) => e.tailId === info.tailId)
          .flatMap((e) => e.messages);
      await waitFor(() => mine().length >= 6, 20_000, 'the 6 old messages');
      expect(
        mine()
          .map((m) => `${m.partition}:${m.offset}:${m.key}:${m.value}`)
          .sort(),
      ).toEqual(['0:7:k0:old 0-7', '0:8:k0:old 0-8', '0:9:k0:old 0-9', '1:7:k1:old 1-7', '1:8:k1:old 1-8', '1:9:k1:old 1-9']);

      const before = Date.now();
      await producer.send({
        topic: 'conn-tail',
        messages: [
          { partition: 1, key: null, value: 'new, with a null key' },
          { partition: 0, key: 'bin', value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) },
          { partition: 0, key: 'big', value: 'x'.repeat(5000) },
        ],
      });
      await waitFor(() => mine().length >= 9, 20_000, 'the new messages');
      const news = mine().slice(6);
      const byKey = (k: string | null) => news.find((m) => m.key === k)!;
      expect(byKey(null)).toMatchObject({ partition: 1, offset: '10', value: 'new, with a null key', size: 20 });
      expect(byKey(null).timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(byKey('bin')).toMatchObject({ partition: 0, offset: '10', value: 'fffe0041', binary: true, size: 4 });
      expect(byKey('big')).toMatchObject({ offset: '11', truncated: true, size: 5000 });
      expect(byKey('big').value!.length).toBe(4096);
      expect(await h['connection.tailKeepAlive']({ tailId: info.tailId })).toEqual({ alive: true });

      await h['connection.tailStop']({ tailId: info.tailId });
      expect(rec.list('connection.tailEnded').find((e) => e.tailId === info.tailId)).toMatchObject({ reason: 'stopped', received: 9, sent: 9 });
      expect(await h['connection.tailKeepAlive']({ tailId: info.tailId })).toEqual({ alive: false });
      // the group offsets of the tail live in __consumer_offsets, listed when internal topics are asked for
      const withInternal = await h['connection.listTopics']({ brokers: kafka.brokers, internal: true });
      expect(withInternal.topics.map((x) => x.name)).toContain('__consumer_offsets');
      const admin = kafkaClient(kafka.brokers).admin();
      await admin.connect();
      try {
        expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(info.group);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await producer.disconnect();
    }
  });

  it('a tail from the latest offset sends only new messages, at most 200 a second (the newest; the rest counted as skipped), and ends at its message limit', async () => {
    await createTopic(kafka.brokers, 'conn-flood', 1);
    await sendLines(kafka.brokers, 'conn-flood', sensorLines(100), false);
    const info = await h['connection.tailStart']({ brokers: kafka.brokers, topic: 'conn-flood', from: 'latest', maxMessages: 150 });
    expect(info.partitions).toEqual([{ partition: 0, start: '100', high: '100' }]);
    const t0 = Date.now();
    // a steady flood (about 10 000 messages a second) until the tail has sent its 150
    const lines = sensorLines(1000);
    const ended = () => rec.list('connection.tailEnded').some((e) => e.tailId === info.tailId);
    let produced = 0;
    const producer = kafkaClient(kafka.brokers).producer();
    await producer.connect();
    try {
      while (!ended() && Date.now() - t0 < 30_000) {
        await producer.send({ topic: 'conn-flood', messages: lines.map((value) => ({ value })) });
        produced += lines.length;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await producer.disconnect();
    }
    expect(ended()).toBe(true);
    const secs = (Date.now() - t0) / 1000;
    expect(produced).toBeGreaterThan(2000);
    const events = rec.list('connection.tail').filter((e) => e.tailId === info.tailId);
    const msgs = events.flatMap((e) => e.messages);
    expect(Math.max(...events.map((e) => e.messages.length))).toBeLessThanOrEqual(50);
    expect(msgs.length).toBe(150);
    expect(msgs.length).toBeLessThanOrEqual(200 * secs + 50);
    expect(msgs.every((m) => Number(m.offset) >= 100)).toBe(true);
    const skipped = events.reduce((s, e) => s + e.skipped, 0);
    expect(skipped).toBeGreaterThan(0);
    const end = rec.list('connection.tailEnded').find((e) => e.tailId === info.tailId)!;
    expect(end).toMatchObject({ reason: 'limit', sent: 150 });
    expect(end.received).toBeGreaterThanOrEqual(msgs.length + skipped);
  });

  it('tail errors are clear and quick: an unknown topic, a closed port; a tail nobody keeps alive ends as idle', async () => {
    await expect(h['connection.tailStart']({ brokers: kafka.brokers, topic: 'no-such-topic' })).rejects.toThrow(
      `topic "no-such-topic" does not exist at ${kafka.brokers[0]}`,
    );
    const t0 = Date.now();
    await expect(h['connection.tailStart']({ brokers: [`127.0.0.1:${dead}`], topic: 'x' })).rejects.toThrow(
      `cannot connect to Kafka at 127.0.0.1:${dead}: connection refused`,
    );
    expect(Date.now() - t0).toBeLessThan(3000);

    const r = recorder();
    const tails = new Tails(r.emit, 1500);
    const info = await tails.start({ brokers: kafka.brokers, topic: 'conn-list' });
    await waitFor(() => r.list('connection.tailEnded').length > 0, 10_000, 'the idle tail to end');
    expect(r.list('connection.tailEnded')[0]).toMatchObject({ tailId: info.tailId, reason: 'idle' });
    expect(tails.size).toBe(0);
  });

  // ---- InfluxDB -------------------------------------------------------------------------------

  it('connection.testInflux, v1 API (InfluxDB 1.6 with auth): version, databases, measurements; wrong password, missing database, closed port', async () => {
    const admin = { username: 'admin', password: 'pw' };
    await fetch(`${influx16.url}/query?u=admin&p=pw`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE sensors' }) });
    await fetch(`${influx16.url}/write?db=sensors&u=admin&p=pw`, { method: 'POST', body: 'points,sensor_id=1 rpm=5i 1700000000000000000' });
    const u = new URL(influx16.url);
    const ok = await h['connection.testInflux']({ host: u.hostname, port: Number(u.port), ...admin, database: 'sensors' });
    expect(ok).toMatchObject({ ok: true, url: influx16.url, api: 'v1', version: influx16.serverVersion, measurements: ['points'], warnings: [] });
    expect(ok.databases).toContain('sensors');

    const missing = await h['connection.testInflux']({ url: influx16.url, ...admin, database: 'later' });
    expect(missing.ok).toBe(true);
    expect(missing.warnings.join()).toMatch(/database later does not exist yet/);

    const wrong = await h['connection.testInflux']({ url: influx16.url, username: 'admin', password: 'bad' });
    expect(wrong).toMatchObject({ ok: false, version: influx16.serverVersion });
    expect(wrong.error).toBe(`InfluxDB at ${influx16.url}: authentication failed (user admin): HTTP 401: authorization failed`);
    const none = await h['connection.testInflux']({ url: influx16.url });
    expect(none.error).toMatch(/authentication failed \(no user given\)/);

    const t0 = Date.now();
    const closed = await h['connection.testInflux']({ url: `http://127.0.0.1:${dead}` });
    expect(closed).toMatchObject({ ok: false, error: `cannot reach InfluxDB at http://127.0.0.1:${dead}: connection refused` });
    expect(Date.now() - t0).toBeLessThan(2000);
    // a Kafka port is no InfluxDB
    expect((await h['connection.testInflux']({ url: `http://${kafka.brokers[0]}`, timeoutMs: 2000 })).ok).toBe(false);
  });

  it('connection.testInflux, v2 API: InfluxDB 1.8 (token user:password, bucket db/rp)', async () => {
    await fetch(`${influx18.url}/query?u=admin&p=pw`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE sensors' }) });
    await fetch(`${influx18.url}/write?db=sensors&u=admin&p=pw`, { method: 'POST', body: 'points,sensor_id=1 rpm=5i 1700000000000000000' });
    const v18 = await h['connection.testInflux']({ url: influx18.url, token: influx18.token, bucket: 'sensors/autogen' });
    expect(v18).toMatchObject({ ok: true, api: 'v2', version: '1.8.10', measurements: ['points'] });
    expect(v18.buckets).toContain('sensors/autogen');
    // 1.6 has no v2 API
    expect((await h['connection.testInflux']({ url: influx16.url, token: 'admin:pw' })).error).toMatch(/has no v2 query API/);
  });

  // ---- defaults and live runs through the workbench API --------------------------------------------

  /** A project opened in the workbench and trusted by the user (runs are off in restricted mode). */
  async function project(name: string, config: (c: Record<string, any>) => void): Promise<string> {
    const p = path.join(dir, name);
    fs.cpSync(path.join(ROOT, 'samples/sensors'), p, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
    const cfg = JSON.parse(fs.readFileSync(path.join(p, 'config-kafka.json'), 'utf8')) as Record<string, any>;
    config(cfg);
    fs.writeFileSync(path.join(p, 'config.json'), JSON.stringify(cfg, null, 2));
    await h['project.open']({ dir: p });
    await h['trust.set']({ dir: p, trusted: true });
    return p;
  }

  it('connection.defaults reads the brokers, topic and InfluxDB settings of the open config (unsaved buffer included)', async () => {
    const p = await project('defaults', (c) => (c.input.options.brokers = kafka.brokers));
    const d = await h['connection.defaults']({ dir: p });
    expect(d).toMatchObject({ liveInput: true, kafka: { brokers: kafka.brokers, topic: 'sensors', consumerGroup: 'ts-engine-sensors', from: 'input' } });
    expect(d.influx).toBeUndefined();
    const influxText = fs.readFileSync(path.join(p, 'config-influx.json'), 'utf8');
    const d2 = await h['connection.defaults']({ dir: p, overlay: { 'config.json': influxText } });
    expect(d2).toMatchObject({
      liveInput: true,
      influx: { url: 'http://localhost:8086', username: 'root', password: 'root', database: 'sensors', measurement: 'points', from: 'output' },
    });
    const csv = await h['connection.defaults']({
      dir: p,
      overlay: {
        'config.json': fs.readFileSync(path.join(p, 'config.json'), 'utf8').replace('"kafka"', '"csv"').replace('"brokers"', '"path": "data/sensors.csv", "x"'),
      },
    });
    expect(csv.liveInput).toBe(false);
  });

  it('run.start on a Kafka config: not paced whatever the speed, windows and progress with an ok connection status; run.stop ends it', async () => {
    await createTopic(kafka.brokers, 'conn-live', 2);
    await sendLines(kafka.brokers, 'conn-live', sensorLines(1200)); // 60 s of event time: 5 windows of 10 s close
    const p = await project('live', (c) => {
      c.input.options.brokers = kafka.brokers;
      c.input.options.topic = 'conn-live';
      c.input.options.consumer_group = 'conn-live-run';
      c.analysis.alert = [{ method: 'kafka', option: { brokers: kafka.brokers, topic: 'conn-live-alerts' } }];
    });
    const start = Date.now();
    const { runId } = await h['run.start']({ dir: p, speed: 1 });
    const progress = () => rec.list('run.progress').filter((e) => e.runId === runId);
    await waitFor(() => progress().some((e) => e.windowsClosed >= 5), 30_000, '5 windows (speed 1 would need 50 s)');
    expect(Date.now() - start).toBeLessThan(30_000);
    const last = progress().at(-1)!;
    expect(last.rowsRead).toBe(1200);
    const src = last.connections.find((c) => c.name.startsWith('kafka conn-live'))!;
    expect(src).toMatchObject({ name: `kafka conn-live @ ${kafka.brokers[0]}`, status: 'ok' });
    expect(src.detail).toMatch(/group conn-live-run, partitions \[0, 1\]/);
    const windows = rec
      .list('run.windows')
      .filter((e) => e.runId === runId)
      .flatMap((e) => e.windows);
    expect(windows.length).toBeGreaterThanOrEqual(5);
    expect(windows[0]!.rows.length).toBe(20);
    // an idle topic keeps the run going; the status keeps coming
    const n = progress().length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(progress().length).toBeGreaterThan(n);
    await h['run.stop']({});
    // a live input ends only by a stop: the run ends 'stopped', with no error
    const fin = rec.list('run.finished').find((e) => e.runId === runId)!;
    expect(fin).toMatchObject({ state: 'stopped', record: { state: 'stopped', fraction: null } });
    expect(fin.error).toBeUndefined();
    expect((await h['run.status']({}))!.state).toBe('stopped');

    // read to the end (docs/live.md#until-end): from the committed offsets up to the end offsets of the start, then finished
    await sendLines(kafka.brokers, 'conn-live', sensorLines(1600).slice(1200));
    const bounded = await h['run.start']({ dir: p, untilEnd: true });
    await waitFor(() => rec.list('run.finished').some((e) => e.runId === bounded.runId), 30_000, 'the bounded run finished by itself');
    const end = rec.list('run.finished').find((e) => e.runId === bounded.runId)!;
    expect(end).toMatchObject({ state: 'finished', record: { state: 'finished', fraction: 1 } });
    expect(end.progress.rowsRead).toBeGreaterThanOrEqual(400);
    expect(end.progress.rowsRead).toBeLessThanOrEqual(400 + 1200 - 1000); // the 400 new rows, and at most the windows the stop left open
  });

  it('run.start on a Kafka config whose broker is down: the connection shows as down and the run fails within seconds, naming the broker', async () => {
    const p = await project('down', (c) => {
      c.input.options.brokers = [`127.0.0.1:${dead}`];
      delete c.analysis;
    });
    const t0 = Date.now();
    const { runId } = await h['run.start']({ dir: p });
    await waitFor(() => rec.list('run.finished').some((e) => e.runId === runId), 20_000, 'the run to fail');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const fin = rec.list('run.finished').find((e) => e.runId === runId)!;
    expect(fin.state).toBe('failed');
    expect(fin.error).toMatch(new RegExp(`KafkaConnectError|Connection refused: brokers=127\\.0\\.0\\.1:${dead}`));
    expect(fin.progress.connections).toEqual([expect.objectContaining({ name: `kafka sensors @ 127.0.0.1:${dead}`, status: 'down' })]);
  });
  it('faults show as run.progress connection status: InfluxDB killed → the output "retrying" while the run waits, back → "ok"; the broker killed → the source "retrying", back → "ok"', async () => {
    await createTopic(kafka.brokers, 'conn-faults', 1);
    const lines = sensorLines(1200);
    await sendLines(kafka.brokers, 'conn-faults', lines.slice(0, 400));
    const p = await project('faults', (c) => {
      c.input.options.brokers = kafka.brokers;
      c.input.options.topic = 'conn-faults';
      c.input.options.consumer_group = 'conn-faults-run';
      c.outputs = [
        {
          method: 'influx',
          main: true,
          options: {
            influx: { host: '127.0.0.1', port: influx16.port, username: 'admin', password: 'pw', database: 'faults', measurement: 'points' },
            max_retries: 100,
          },
        },
      ];
      delete c.analysis;
    });
    const { runId } = await h['run.start']({ dir: p });
    const mine = () => rec.list('run.progress').filter((e) => e.runId === runId);
    const status = (prefix: string) => () => mine().map((e) => e.connections.find((c) => c.name.startsWith(prefix))?.status);
    const kafkaStatus = status('kafka conn-faults');
    const influxStatus = status('influx');
    const seen = (f: () => (string | undefined)[], s: string, from = 0) => f().slice(from).includes(s);
    await waitFor(
      () =>
        mine().some((e) => e.windowsClosed >= 1) &&
        mine()
          .at(-1)!
          .connections.every((c) => c.status === 'ok'),
      60_000,
      'both connections ok and a window written',
    );
    expect(
      mine()
        .at(-1)!
        .connections.map((c) => c.name),
    ).toEqual([`kafka conn-faults @ ${kafka.brokers[0]}`, `influx ${influx16.url} faults/points`]);

    await influx16.kill();
    let mark = mine().length;
    await sendLines(kafka.brokers, 'conn-faults', lines.slice(400, 800));
    await waitFor(() => seen(influxStatus, 'retrying', mark), 30_000, 'the influx output retrying');
    const retrying = mine()
      .slice(mark)
      .find((e) => e.connections.some((c) => c.status === 'retrying'))!;
    expect(retrying.connections.find((c) => c.name.startsWith('influx'))!.detail).toMatch(
      new RegExp(`cannot reach InfluxDB at ${influx16.url}: connection refused; retry \\d+/100`),
    );
    await influx16.start();
    mark = mine().length;
    await waitFor(() => seen(influxStatus, 'ok', mark), 60_000, 'the influx output ok again');

    await kafka.kill();
    mark = mine().length;
    await waitFor(() => seen(kafkaStatus, 'retrying', mark), 60_000, 'the kafka source retrying');
    await kafka.start();
    await sendLines(kafka.brokers, 'conn-faults', lines.slice(800));
    mark = mine().length;
    await waitFor(() => mine().at(-1)!.rowsRead >= 1200 && seen(kafkaStatus, 'ok', mark), 120_000, 'every row read with the source ok again');
    await h['run.stop']({});
    const fin = rec.list('run.finished').find((e) => e.runId === runId)!;
    expect(fin.state).toBe('stopped');
    expect(fin.progress.rowsRead).toBe(1200);
  });
  it('run.stop during an outage returns within seconds: InfluxDB down → the retries give up, the window is not written (failed, named); the broker down → a short final commit and leave', async () => {
    const lines = sensorLines(800);
    await createTopic(kafka.brokers, 'conn-stop-a', 1);
    await sendLines(kafka.brokers, 'conn-stop-a', lines.slice(0, 400));
    const a = await project('stop-influx', (c) => {
      c.input.options.brokers = kafka.brokers;
      c.input.options.topic = 'conn-stop-a';
      c.input.options.consumer_group = 'conn-stop-a';
      c.outputs = [
        {
          method: 'influx',
          options: { influx: { host: '127.0.0.1', port: influx16.port, username: 'admin', password: 'pw', database: 'stop', measurement: 'points' } },
        },
      ];
      delete c.analysis;
    });
    const progressOf = (runId: string) => rec.list('run.progress').filter((e) => e.runId === runId);
    const first = await h['run.start']({ dir: a });
    await waitFor(() => progressOf(first.runId).some((e) => e.windowsClosed >= 1), 30_000, 'a window written');
    await influx16.kill();
    await sendLines(kafka.brokers, 'conn-stop-a', lines.slice(400));
    await waitFor(() => progressOf(first.runId).some((e) => e.connections.some((c) => c.status === 'retrying')), 30_000, 'the influx output retrying');
    let t0 = Date.now();
    await h['run.stop']({});
    expect(Date.now() - t0).toBeLessThan(3000); // the default 10 retries would hold the stop for about a minute
    const failed = rec.list('run.finished').find((e) => e.runId === first.runId)!;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(
        `^influx output: the window ending \\S+ was not written: the run was stopped while retrying \\(cannot reach InfluxDB at ${influx16.url}: connection refused\\)$`,
      ),
    );
    await influx16.start();

    await createTopic(kafka.brokers, 'conn-stop-k', 1);
    await sendLines(kafka.brokers, 'conn-stop-k', lines.slice(0, 400));
    const k = await project('stop-kafka', (c) => {
      c.input.options.brokers = kafka.brokers;
      c.input.options.topic = 'conn-stop-k';
      c.input.options.consumer_group = 'conn-stop-k';
      delete c.analysis;
    });
    const second = await h['run.start']({ dir: k });
    await waitFor(() => progressOf(second.runId).some((e) => e.windowsClosed >= 1), 30_000, 'a window closed');
    await kafka.kill();
    await waitFor(() => progressOf(second.runId).some((e) => e.connections.some((c) => c.status === 'retrying')), 60_000, 'the source retrying');
    t0 = Date.now();
    await h['run.stop']({});
    expect(Date.now() - t0).toBeLessThan(8000); // was 20 s (the disconnect time limit)
    expect(rec.list('run.finished').find((e) => e.runId === second.runId)).toMatchObject({ state: 'stopped' });
    await kafka.start();
  });
});
