#!/usr/bin/env node
// Kafka throughput: end-to-end msgs/s of `ts-engine run` from a topic of generated sensor rows into
// SQLite, beside a bare kafkajs consumer that only reads the same topic, in one run.
//
//   node test/bench/kafka.mjs [--rows 1000000] [--partitions 1] [--brokers host:port] [--repeat 1]
//                             [--results test/bench/results/kafka-latest.json]
//
// * Without --brokers it starts a real single-node Kafka (KRaft) with the integration-test harness
//   (test/integration/servers/kafka.ts, bundled on the fly with esbuild) and stops it at the end.
// * Generates test/bench/data/kafka-sensors-<rows>.csv (samples/generate-sensors.mjs: 20 sensors at
//   1 Hz) if missing, produces it to a fresh topic (one message per line, keyed by sensor_id).
// * Peers, each in its own child process, each with a fresh consumer group reading from the start:
//     kafkajs-bare   kafka.consumer + eachBatch that only counts the messages (autoCommit off)
//     ts-engine      the engine's Runner (dist/engine.mjs) with the samples/sensors aggregation,
//                    event-time 10 s windows, a SQLite output, as a bounded read (`run --until-end`):
//                    done when it read to the topic's end, flushed the last window to SQLite,
//                    committed the offsets and left the group (run() resolved)
//   Both clocks start before the consumer connects (group join included) and stop at the end.
// * Prints msgs/s of both and the ratio ts-engine / kafkajs-bare; writes the results as JSON.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const require_ = (await import('node:module')).createRequire(import.meta.url);
const { Kafka, Partitioners, logLevel } = require_('kafkajs');

function args(argv) {
  const o = { rows: 1_000_000, partitions: 1, repeat: 1, results: join(HERE, 'results', 'kafka-latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    const v = m[2] ?? argv[++i];
    if (['rows', 'partitions', 'repeat'].includes(m[1])) o[m[1]] = Number(v);
    else if (['brokers', 'results', 'peer', 'topic', 'config', 'group'].includes(m[1])) o[m[1]] = v;
    else throw new Error(`unknown argument --${m[1]}`);
  }
  return o;
}

const opts = args(process.argv.slice(2));

// ------------------------------------------------------------------ peers (child processes) --

async function peerBare() {
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: opts.brokers.split(','), logLevel: logLevel.NOTHING });
  const t0 = performance.now();
  const consumer = kafka.consumer({ groupId: opts.group, maxBytesPerPartition: 1 << 20, maxBytes: 8 << 20, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
  let n = 0;
  let bytes = 0;
  await new Promise((done) => {
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value.length;
        n += batch.messages.length;
        if (n >= opts.rows) done();
      },
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return { peer: 'kafkajs-bare', rows: n, seconds, msgsPerSec: n / seconds, bytes, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

async function peerEngine() {
  const { checkConfig, Runner } = await import(pathToFileURL(join(ROOT, 'dist', 'engine.mjs')).href);
  const outcome = await checkConfig(opts.config);
  if (!outcome.plan) throw new Error(`config: ${JSON.stringify(outcome.diagnostics)}`);
  const t0 = performance.now();
  const runner = new Runner(outcome.plan, { warn: (m) => process.stderr.write(`warning: ${m}\n`), untilEnd: true });
  const stats = await runner.run();
  const seconds = (performance.now() - t0) / 1000;
  const db = new (require_('better-sqlite3'))(JSON.parse(readFileSync(opts.config, 'utf8')).outputs[0].options.path, { readonly: true });
  const stored = db.prepare('SELECT count(*) AS n, sum(counter) AS rows FROM points').get();
  db.close();
  return {
    peer: 'ts-engine',
    rows: stats.rowsRead,
    seconds,
    msgsPerSec: stats.rowsRead / seconds,
    windows: stats.windowsClosed,
    aggregateRows: stats.aggregateRows,
    storedRows: stored.n,
    storedCount: stored.rows,
    rowErrors: stats.rowErrors,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (opts.peer) {
  const r = opts.peer === 'bare' ? await peerBare() : await peerEngine();
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

// ------------------------------------------------------------------------------- driver --

function runPeer(peer, extra) {
  return new Promise((resolvePeer, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--peer', peer, '--rows', String(opts.rows), ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolvePeer(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${peer} exited ${code}`))));
  });
}

async function startBroker() {
  const { build } = await import('esbuild');
  // the bundled setup steps (scripts/setup/lib.mjs) find the repository root two folders above the bundle
  const outDir = join(ROOT, '.tmp', 'bench-harness');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'kafka.mjs');
  await build({
    entryPoints: [join(ROOT, 'test/integration/servers/kafka.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  const { startKafka } = await import(pathToFileURL(outfile).href);
  const t0 = Date.now();
  const server = await startKafka();
  console.error(`kafka ${server.version} started in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${server.brokers.join(',')}`);
  return server;
}

async function ensureData(rows) {
  const file = join(HERE, 'data', `kafka-sensors-${rows}.csv`);
  if (!existsSync(file)) {
    const { generateSensors } = await import(pathToFileURL(join(ROOT, 'samples/generate-sensors.mjs')).href);
    await generateSensors({ rows, out: file });
  }
  return file;
}

async function produce(brokers, topic, file) {
  const kafka = new Kafka({ clientId: 'bench-produce', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const t0 = performance.now();
  // one request at a time: concurrent requests could be appended out of order (the rows are in event-time order)
  for (let i = 0; i < lines.length; i += 10_000) {
    const messages = lines.slice(i, i + 10_000).map((l) => ({ key: l.slice(l.indexOf(',') + 1, l.indexOf(',', l.indexOf(',') + 1)), value: l }));
    await producer.send({ topic, acks: 1, messages });
  }
  await producer.disconnect();
  const seconds = (performance.now() - t0) / 1000;
  console.error(`produced ${lines.length.toLocaleString('en-US')} messages to ${topic} (${opts.partitions} partition(s)) in ${seconds.toFixed(1)} s`);
  return lines.length;
}

const load0 = loadavg().map((x) => Math.round(x * 100) / 100);
if (!existsSync(join(ROOT, 'dist', 'engine.mjs'))) throw new Error('dist/engine.mjs missing: run npm run build:engine');
const server = opts.brokers ? undefined : await startBroker();
const brokers = opts.brokers ? opts.brokers.split(',') : server.brokers;
const work = mkdtempSync(join(tmpdir(), 'ts-engine-kafka-bench-'));
try {
  const file = await ensureData(opts.rows);
  const topic = `bench-${Date.now()}`;
  const count = await produce(brokers, topic, file);
  if (count !== opts.rows) throw new Error(`the data file has ${count} rows, not ${opts.rows}`);
  const runs = [];
  for (let r = 0; r < opts.repeat; r++) {
    const bare = await runPeer('bare', ['--brokers', brokers.join(','), '--topic', topic, '--group', `bare-${r}-${Date.now()}`]);
    const cfgPath = join(work, `engine-${r}.json`);
    writeFileSync(
      cfgPath,
      JSON.stringify({
        input: {
          input_type: 'kafka',
          data_structure: join(ROOT, 'samples/sensors/data_structure.json'),
          options: { brokers, topic, consumer_group: `engine-${r}-${Date.now()}`, from_beginning: true, batchDuration: 10, time_field: 'timestamp' },
        },
        outputs: [{ method: 'sqlite', options: { path: join(work, `engine-${r}.db`), table: 'points' } }],
        processing: JSON.parse(readFileSync(join(ROOT, 'samples/sensors/config.json'), 'utf8')).processing,
        databases: {},
      }),
    );
    const engine = await runPeer('engine', ['--config', cfgPath]);
    if (engine.storedCount !== opts.rows || engine.rowErrors !== 0)
      throw new Error(`ts-engine stored ${engine.storedCount} rows' worth of aggregates (${engine.rowErrors} row errors), not ${opts.rows}`);
    runs.push({ bare, engine, ratio: engine.msgsPerSec / bare.msgsPerSec });
    console.error(
      `run ${r + 1}: kafkajs-bare ${Math.round(bare.msgsPerSec).toLocaleString('en-US')} msgs/s, ts-engine ${Math.round(engine.msgsPerSec).toLocaleString('en-US')} msgs/s`,
    );
  }
  runs.sort((a, b) => a.ratio - b.ratio);
  const med = runs[Math.floor(runs.length / 2)];
  const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(
    `Kafka → engine throughput, ${opts.rows.toLocaleString('en-US')} messages, ${opts.partitions} partition(s), ${cpus().length} cores, load ${load0.join(' ')}`,
  );
  console.log(`  peer            msgs/s     seconds   peak RSS`);
  console.log(`  kafkajs-bare ${fmt(med.bare.msgsPerSec)}  ${med.bare.seconds.toFixed(2).padStart(9)}   ${med.bare.peakRssMB} MB   (reads only)`);
  console.log(
    `  ts-engine    ${fmt(med.engine.msgsPerSec)}  ${med.engine.seconds.toFixed(2).padStart(9)}   ${med.engine.peakRssMB} MB   (reads, aggregates ${med.engine.windows} windows into SQLite, commits)`,
  );
  console.log(`  ratio ts-engine / kafkajs-bare: ${med.ratio.toFixed(2)}`);
  const result = {
    date: new Date().toISOString(),
    rows: opts.rows,
    partitions: opts.partitions,
    cores: cpus().length,
    loadAtStart: load0,
    loadAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    runs,
    median: med,
  };
  mkdirSync(dirname(opts.results), { recursive: true });
  writeFileSync(opts.results, JSON.stringify(result, null, 2) + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
  await server?.stop();
}
