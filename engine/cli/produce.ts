/**
 * `ts-engine produce <file.csv | -> --brokers h:p[,h:p] --topic t [--rate N]
 *   [--key-field <index|name>[,…] [--structure data_structure.json]] [--sep ,]
 *   [--partitions N] [--batch N] [--acks all|1|0] [--header]`
 *
 * Sends a CSV file (e.g. the generated sensor data) to a Kafka topic, one
 * message per line. With --key-field the message key is that field (several
 * fields: their texts joined by the separator), so every row of one
 * aggregation key lands in one partition — what consumer-group scale-out
 * needs (docs/live.md). --partitions creates the topic when it is missing.
 * --rate paces the sending (rows per second); without it, as fast as the
 * broker takes them. Progress and the summary go to standard error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Partitioners, type Message, type Producer } from 'kafkajs';
import { parseArgs, UsageError } from './args.js';
import { readBoundedText } from '../core/files.js';
import { createKafka, kafkaCause, kafkaConnectError, probeBrokers } from '../connectors/kafka-client.js';
import { parseDataStructure } from '../config/validate.js';
import { systemClock, type Clock } from '../core/clock.js';

export interface ProduceOptions {
  file: string;
  brokers: string[];
  topic: string;
  rate?: number;
  keyIndexes?: number[];
  sep: string;
  partitions?: number;
  batch: number;
  acks: number;
  header: boolean;
  clientId: string;
  warn(m: string): void;
  /** stop early (Ctrl-C) */
  stopped?(): boolean;
  onProgress?(sent: number): void;
  /** time of the pacing (--rate); the system clock when absent */
  clock?: Clock;
}

function keyIndexes(spec: string, structurePath: string | undefined): number[] {
  const names = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--key-field needs a field index or name');
  let fields: { name: string; index: number }[] | undefined;
  return names.map((n) => {
    if (/^\d+$/.test(n)) return Number(n);
    if (!structurePath) throw new UsageError(`--key-field ${n}: a field name needs --structure <data_structure.json> (or give the column index)`);
    if (!fields) {
      let text: string;
      try {
        text = readBoundedText(structurePath);
      } catch (e) {
        throw new UsageError(`cannot read --structure ${structurePath}: ${(e as Error).message}`);
      }
      const r = parseDataStructure(text, structurePath);
      if (!r.fields) throw new UsageError(`--structure ${structurePath} is not a valid data-structure file`);
      fields = r.fields;
    }
    const f = fields.find((x) => x.name === n);
    if (!f) throw new UsageError(`--key-field ${n} is not a field of ${structurePath} (${fields.map((x) => x.name).join(', ')})`);
    return f.index;
  });
}

/** Lines of a file or of standard input, as Buffers without the newline. */
async function* lines(file: string): AsyncGenerator<Buffer[]> {
  const stream = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let rest: Buffer | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let p = 0;
    for (;;) {
      const nl = buf.indexOf(10, p);
      if (nl < 0) break;
      const e = nl > p && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (e > p) out.push(buf.subarray(p, e));
      p = nl + 1;
    }
    rest = p < buf.length ? Buffer.from(buf.subarray(p)) : undefined;
    if (out.length) yield out;
  }
  if (rest?.length) yield [rest];
}

function fieldText(line: Buffer, sep: Buffer, indexes: number[]): string {
  const text = line.toString('utf8');
  const s = sep.toString('utf8');
  const cols = text.split(s);
  return indexes.map((i) => cols[i] ?? '').join(s);
}

export async function produce(o: ProduceOptions): Promise<{ sent: number; seconds: number }> {
  const conn = { brokers: o.brokers, clientId: o.clientId };
  let topics: string[];
  try {
    ({ topics } = await probeBrokers(conn, { warn: o.warn }));
  } catch (e) {
    throw kafkaConnectError(o.brokers, { topic: o.topic }, e);
  }
  const kafka = createKafka(conn, { warn: o.warn, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } });
  if (o.partitions !== undefined || !topics.includes(o.topic)) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!topics.includes(o.topic)) {
        // the broker's default partition count unless --partitions says otherwise
        await admin.createTopics({
          topics: [{ topic: o.topic, ...(o.partitions !== undefined ? { numPartitions: o.partitions } : {}) }],
          waitForLeaders: true,
        });
      } else {
        const meta = await admin.fetchTopicMetadata({ topics: [o.topic] });
        const n = meta.topics[0]?.partitions.length ?? 0;
        if (n !== o.partitions) o.warn(`topic ${o.topic} exists with ${n} partitions (not ${o.partitions}); left as it is`);
      }
    } finally {
      await admin.disconnect();
    }
  }
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  try {
    await producer.connect();
  } catch (e) {
    throw kafkaConnectError(o.brokers, { topic: o.topic }, e);
  }
  const sepBuf = Buffer.from(o.sep, 'utf8');
  const clock = o.clock ?? systemClock;
  const started = clock.now();
  let sent = 0;
  let skipHeader = o.header;
  let pending: Message[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    try {
      await producer.send({ topic: o.topic, acks: o.acks, messages });
    } catch (e) {
      throw new Error(`sending to topic ${o.topic} failed after ${sent} messages: ${kafkaCause(e)}`);
    }
    sent += messages.length;
    o.onProgress?.(sent);
    if (o.rate !== undefined) {
      const due = started + (sent * 1000) / o.rate;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait);
    }
  };
  // with a rate, send small batches so the pacing is smooth (about 20 per second)
  const batch = o.rate !== undefined ? Math.max(1, Math.min(o.batch, Math.ceil(o.rate / 20))) : o.batch;
  try {
    outer: for await (const ls of lines(o.file)) {
      for (const line of ls) {
        if (skipHeader) {
          skipHeader = false;
          continue;
        }
        pending.push(o.keyIndexes ? { key: fieldText(line, sepBuf, o.keyIndexes), value: line } : { value: line });
        if (pending.length >= batch) {
          await flush();
          if (o.stopped?.()) break outer;
        }
      }
    }
    await flush();
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return { sent, seconds: (clock.now() - started) / 1000 };
}

export async function produceCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(
    argv,
    ['brokers', 'topic', 'rate', 'key-field', 'structure', 'sep', 'partitions', 'batch', 'acks', 'client-id'],
    ['header', 'quiet'],
  );
  if (positionals.length !== 1) throw new UsageError('produce takes exactly one CSV file (or - for standard input)');
  const file = positionals[0]!;
  const brokersOpt = options.get('brokers');
  const topic = options.get('topic');
  if (typeof brokersOpt !== 'string' || brokersOpt.trim() === '') throw new UsageError('produce needs --brokers <host:port>[,<host:port>…]');
  if (typeof topic !== 'string' || topic === '') throw new UsageError('produce needs --topic <name>');
  const brokers = brokersOpt
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers) if (!/^[^\s:]+:\d+$/.test(b)) throw new UsageError(`--brokers: '${b}' is not host:port`);
  const num = (name: string, min: number, integer: boolean): number | undefined => {
    const v = options.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(v)}`);
    return n;
  };
  const rate = num('rate', Number.MIN_VALUE, false);
  const partitions = num('partitions', 1, true);
  const batch = num('batch', 1, true) ?? 5000;
  const acksOpt = (options.get('acks') as string | undefined) ?? 'all';
  const acks = acksOpt === 'all' || acksOpt === '-1' ? -1 : acksOpt === '1' ? 1 : acksOpt === '0' ? 0 : NaN;
  if (Number.isNaN(acks)) throw new UsageError('--acks must be all, 1 or 0');
  const structure = options.get('structure') as string | undefined;
  const keySpec = options.get('key-field') as string | undefined;
  const sep = (options.get('sep') as string | undefined) ?? ',';
  if (file !== '-' && !fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const keyIdx = keySpec !== undefined ? keyIndexes(keySpec, structure ? path.resolve(structure) : undefined) : undefined;

  const err = process.stderr;
  const quiet = options.has('quiet');
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    err.write('warning: stopping after the current batch (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let lastReport = 0;
  try {
    const r = await produce({
      file,
      brokers,
      topic,
      rate,
      keyIndexes: keyIdx,
      sep,
      partitions,
      batch,
      acks,
      header: options.has('header'),
      clientId: (options.get('client-id') as string | undefined) ?? 'ts-engine-produce',
      warn: (m) => err.write(`warning: ${m}\n`),
      stopped: () => stop,
      onProgress: (n) => {
        if (quiet || !err.isTTY) return;
        const now = Date.now();
        if (now - lastReport < 500) return;
        lastReport = now;
        err.write(`\r\x1b[Ksent ${n.toLocaleString('en-US')} messages`);
      },
    });
    if (!quiet && err.isTTY) err.write('\r\x1b[K');
    err.write(
      `sent ${r.sent.toLocaleString('en-US')} messages to topic ${topic} in ${r.seconds.toFixed(2)} s (${Math.round(r.sent / Math.max(r.seconds, 1e-3)).toLocaleString('en-US')} msgs/s)\n`,
    );
    return stop ? 130 : 0;
  } catch (e) {
    err.write(`${(e as Error).name === 'KafkaConnectError' ? 'KafkaConnectError: ' : 'error: '}${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
