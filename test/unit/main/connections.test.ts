// The connection panel's back end without servers: input checks, fast and clear errors against a
// closed port, message display, and the defaults read from the sample configs.
// (Against real Kafka and InfluxDB servers: test/integration/workbench-connections.test.ts.)
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectionDefaults,
  kafkaProblem,
  listKeyspaces,
  listTopics,
  tailMessage,
  testCassandra,
  testInflux,
  testKafka,
  Tails,
} from '../../../main/api/connections.js';
import { checkConfig } from '../../../engine/pipeline/plan.js';

const root = path.resolve(import.meta.dirname, '../../..');

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('connections without a server', () => {
  it('Kafka at a closed port: "connection refused" with the address, in well under the time limit', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const r = await testKafka({ brokers: [`127.0.0.1:${port}`] });
    expect(r).toMatchObject({
      ok: false,
      address: `127.0.0.1:${port}`,
      brokers: [],
      error: `cannot connect to Kafka at 127.0.0.1:${port}: connection refused`,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect(listTopics({ brokers: [`127.0.0.1:${port}`] })).rejects.toThrow(`cannot connect to Kafka at 127.0.0.1:${port}: connection refused`);
    await expect(new Tails(() => {}).start({ brokers: [`127.0.0.1:${port}`], topic: 't' })).rejects.toThrow('connection refused');
  });

  it('bad input is named: no brokers, not host:port, no topic', async () => {
    expect((await testKafka({ brokers: [] })).error).toBe('no Kafka brokers given (host:port, comma-separated)');
    expect((await testKafka({ brokers: ['a:1', 'kafka'] })).error).toBe('Kafka broker "kafka" is not host:port');
    expect((await testKafka({ brokers: ['a:70000'] })).error).toBe('Kafka broker "a:70000" is not host:port');
    await expect(new Tails(() => {}).start({ brokers: ['a:1'], topic: ' ' })).rejects.toThrow('no topic given to tail');
  });

  it('kafkaProblem: authentication, DNS, TLS and closed connections in one line each', () => {
    const wrap = (inner: object) => Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: inner });
    expect(kafkaProblem('b:1', { name: 'KafkaJSSASLAuthenticationError', message: 'SASL PLAIN authentication failed: Invalid username or password' })).toBe(
      'Kafka at b:1: authentication failed (SASL PLAIN authentication failed: Invalid username or password)',
    );
    expect(kafkaProblem('b:1', wrap({ name: 'KafkaJSConnectionError', message: 'Connection error: getaddrinfo ENOTFOUND b', code: 'ENOTFOUND' }))).toBe(
      'cannot connect to Kafka at b:1: host not found (getaddrinfo ENOTFOUND b)',
    );
    expect(kafkaProblem('b:1', wrap({ name: 'KafkaJSConnectionError', message: 'Connection timeout' }))).toBe(
      'cannot connect to Kafka at b:1: no answer (timed out)',
    );
    expect(
      kafkaProblem(
        'b:1',
        wrap({
          name: 'KafkaJSConnectionError',
          message: 'Connection error: Client network socket disconnected before secure TLS connection was established',
          code: 'ECONNRESET',
        }),
      ),
    ).toMatch(/TLS failed/);
    expect(kafkaProblem('b:1', { name: 'KafkaJSConnectionClosedError', message: 'Closed connection' })).toBe(
      'Kafka at b:1 closed the connection (wrong port, or the listener expects SASL or TLS)',
    );
  });

  it('InfluxDB at a closed port or a bad address', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    expect(await testInflux({ host: '127.0.0.1', port })).toMatchObject({
      ok: false,
      url: `http://127.0.0.1:${port}`,
      api: 'v1',
      error: `cannot reach InfluxDB at http://127.0.0.1:${port}: connection refused`,
    });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await testInflux({ url: `127.0.0.1:${port}`, token: 't' })).error).toBe(`cannot reach InfluxDB at http://127.0.0.1:${port}: connection refused`);
    expect((await testInflux({})).error).toBe('no InfluxDB address given (url, or host and port)');
  });

  it('raw messages: UTF-8 text, hex for other bytes, long values cut, null keys and tombstones', () => {
    const m = (key: Buffer | null, value: Buffer | null) => ({ key, value, offset: '7', timestamp: '1700000000123', attributes: 0, headers: {} }) as never;
    expect(tailMessage(2, m(Buffer.from('k'), Buffer.from('1,é,2')))).toEqual({
      partition: 2,
      offset: '7',
      key: 'k',
      value: '1,é,2',
      timestamp: 1700000000123,
      size: 6,
    });
    expect(tailMessage(0, m(null, Buffer.from([0xff, 0x00])))).toEqual({
      partition: 0,
      offset: '7',
      key: null,
      value: 'ff00',
      timestamp: 1700000000123,
      size: 2,
      binary: true,
    });
    const long = tailMessage(0, m(null, Buffer.from('x'.repeat(5000))));
    expect(long).toMatchObject({ truncated: true, size: 5000 });
    expect(long.value).toHaveLength(4096);
    expect(tailMessage(0, m(Buffer.from('k'), null))).toMatchObject({ value: null, size: 0 });
  });

  it('defaults: the Kafka input of config-kafka.json, the influx output of config-influx.json, nothing from the CSV sample', async () => {
    const plan = async (f: string) => (await checkConfig(path.join(root, 'samples/sensors', f))).plan!.config;
    expect(connectionDefaults(await plan('config-kafka.json'))).toEqual({
      liveInput: true,
      kafka: {
        brokers: ['localhost:9092'],
        clientId: 'ts-engine',
        ssl: undefined,
        sasl: undefined,
        topic: 'sensors',
        consumerGroup: 'ts-engine-sensors',
        from: 'input',
      },
    });
    expect(connectionDefaults(await plan('config-influx.json')).influx).toEqual({
      url: 'http://localhost:8086',
      username: 'root',
      password: 'root',
      database: 'sensors',
      measurement: 'points',
      from: 'output',
    });
    expect(connectionDefaults(await plan('config.json'))).toEqual({ liveInput: false });
    expect(connectionDefaults(undefined)).toMatchObject({ liveInput: false, note: expect.stringMatching(/config has errors/) });
  });

  it('Cassandra at a closed port: one line naming the contact point; keyspaces likewise; bad contact points are refused before connecting', async () => {
    const port = await closedPort();
    const r = await testCassandra({ contactPoints: [`127.0.0.1:${port}`], keyspace: 'ks' });
    expect(r).toMatchObject({ ok: false, address: `127.0.0.1:${port}`, hosts: [] });
    expect(r.error).toMatch(new RegExp(`^cannot connect to Cassandra at 127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${port}: connection refused$`));
    await expect(listKeyspaces({ contactPoints: [`127.0.0.1:${port}`] })).rejects.toThrow(
      /^cannot connect to Cassandra at 127\.0\.0\.1:\d+: .*connection refused$/,
    );
    expect((await testCassandra({ contactPoints: [] })).error).toBe('no Cassandra contact points given (host:port, comma-separated)');
    expect((await testCassandra({ contactPoints: ['h:99999'] })).error).toBe('Cassandra contact point "h:99999" is not host:port');
  });

  it('defaults: the cassandra output of a config (main: also its history)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-conn-'));
    try {
      const base = JSON.parse(fs.readFileSync(path.join(root, 'samples/sensors/config.json'), 'utf8'));
      base.input.data_structure = path.join(root, 'samples/sensors/data_structure.json');
      base.input.options.path = path.join(root, 'samples/sensors', base.input.options.path);
      const cassandra = { contact_points: ['c1:9042', 'c2'], keyspace: 'ks', username: 'u', password: 'p', ssl: true };
      const file = path.join(dir, 'c.json');
      fs.writeFileSync(file, JSON.stringify({ ...base, outputs: [{ method: 'cassandra', main: true, options: cassandra }] }));
      const plan = await checkConfig(file);
      expect(plan.plan, JSON.stringify(plan.diagnostics)).toBeDefined();
      expect(connectionDefaults(plan.plan!.config).cassandra).toEqual({
        contactPoints: ['c1:9042', 'c2'],
        localDataCenter: 'datacenter1',
        username: 'u',
        password: 'p',
        ssl: true,
        keyspace: 'ks',
        table: 'points',
        from: 'output',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
