// The fast record batch decoder (engine/connectors/kafka-record-batch.ts) gives what kafkajs's own decoder gives — the
// same records, the same decoder position after, the same error — on valid batches of every shape the format allows,
// compressed or not, and on truncated and corrupted ones.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  installFastRecordBatchDecoder,
  kafkajsRecordBatchDecoders,
  type ProtocolDecoder,
  type RecordBatchDecoder,
  recordBatchStats,
} from '../../../engine/connectors/kafka-record-batch.js';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => ProtocolDecoder & { canReadBytes(n: number): boolean };
const { original, fast } = kafkajsRecordBatchDecoders();

interface RecordSpec {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string | null; value: Buffer | null }[];
}

interface BatchSpec {
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  /** compression codec (0 none, 1 gzip), timestamp type, transactional and control flags */
  attributes: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  records: RecordSpec[];
}

// ---------------------------------------------------------------- an encoder of the format (the Kafka protocol's)

function varInt(n: number): number[] {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return out;
}

function varLong(n: bigint): number[] {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

function varBytes(b: Buffer | null): number[] {
  return b === null ? varInt(-1) : [...varInt(b.length), ...b];
}

function encodeRecord(r: RecordSpec): number[] {
  const body = [
    r.attributes & 0xff,
    ...varLong(r.timestampDelta),
    ...varInt(r.offsetDelta),
    ...varBytes(r.key),
    ...varBytes(r.value),
    ...varInt(r.headers.length),
    ...r.headers.flatMap((h) => [...varBytes(h.key === null ? null : Buffer.from(h.key, 'utf8')), ...varBytes(h.value)]),
  ];
  return [...varInt(body.length), ...body];
}

function encodeBatch(b: BatchSpec): Buffer {
  const records = Buffer.from(b.records.flatMap(encodeRecord));
  const codec = b.attributes & 0x07;
  const afterCount = codec === 1 ? gzipSync(records) : records;
  const body = Buffer.alloc(49 + afterCount.length);
  body.writeInt32BE(b.partitionLeaderEpoch, 0);
  body.writeInt8(2, 4);
  body.writeUInt32BE(0, 5); // the CRC: neither decoder checks it
  body.writeInt16BE(b.attributes, 9);
  body.writeInt32BE(b.lastOffsetDelta, 11);
  body.writeBigInt64BE(b.firstTimestamp, 15);
  body.writeBigInt64BE(b.maxTimestamp, 23);
  body.writeBigInt64BE(b.producerId, 31);
  body.writeInt16BE(b.producerEpoch, 39);
  body.writeInt32BE(b.firstSequence, 41);
  body.writeInt32BE(b.records.length, 45);
  afterCount.copy(body, 49);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(b.firstOffset, 0);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

/** a batch as a producer without transactions sends it, of `records` */
function plainBatch(records: RecordSpec[], fields: Partial<BatchSpec> = {}): BatchSpec {
  return {
    firstOffset: 10n,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 0n,
    attributes: 0,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: records.length - 1,
    producerId: -1n,
    producerEpoch: 0,
    firstSequence: 0,
    records,
    ...fields,
  };
}

// ---------------------------------------------------------------- arbitraries

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
/** offsets and times as they come (small, near 2^53, anywhere in int64) */
const longValue = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 41n }), fc.bigInt({ min: 2n ** 53n - 1000n, max: 2n ** 53n + 1000n }), int64);
const bytes = fc.option(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  { nil: null, freq: 5 },
);
const headerKey = fc.option(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('k', '__proto__', 'toString', 'é€')), { nil: null, freq: 8 });

const recordSpec: fc.Arbitrary<RecordSpec> = fc.record({
  attributes: fc.integer({ min: -128, max: 127 }),
  timestampDelta: fc.oneof(fc.bigInt({ min: -(2n ** 20n), max: 2n ** 20n }), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })),
  offsetDelta: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  key: bytes,
  value: bytes,
  headers: fc.array(fc.record({ key: headerKey, value: bytes }), { maxLength: 4 }),
});

const batchSpec = (codecs: number[]): fc.Arbitrary<BatchSpec> =>
  fc.record({
    firstOffset: longValue,
    firstTimestamp: longValue,
    maxTimestamp: longValue,
    attributes: fc.tuple(fc.constantFrom(...codecs), fc.boolean(), fc.boolean(), fc.boolean()).map(([codec, logAppend, tx, control]) => {
      return codec | (logAppend ? 0x08 : 0) | (tx ? 0x10 : 0) | (control ? 0x20 : 0);
    }),
    partitionLeaderEpoch: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    lastOffsetDelta: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    producerId: int64,
    producerEpoch: fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 }),
    firstSequence: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    records: fc.array(recordSpec, { maxLength: 8 }),
  });

// ---------------------------------------------------------------- the comparison

type Outcome = { batch: unknown; offset: number } | { error: string; offset: number };

/** the batch at the start of `buf` */
async function decodeWith(decode: RecordBatchDecoder, buf: Buffer): Promise<Outcome> {
  const d = new Decoder(buf);
  try {
    return { batch: await decode(d), offset: d.offset };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}`, offset: d.offset };
  }
}

/** The batches of a fetch response's record set, as kafkajs's fetch decoding reads them (until a partial batch). */
async function decodeAll(decode: RecordBatchDecoder, buf: Buffer): Promise<Outcome[]> {
  const d = new Decoder(buf);
  const out: Outcome[] = [];
  while (d.canReadBytes(49)) {
    try {
      out.push({ batch: await decode(d), offset: d.offset });
    } catch (e) {
      out.push({ error: `${(e as Error).name}: ${(e as Error).message}`, offset: d.offset });
      break;
    }
  }
  return out;
}

async function expectSame(buf: Buffer): Promise<Outcome> {
  const expected = await decodeWith(original, buf);
  const got = await decodeWith(fast, buf);
  expect(got).toEqual(expected);
  return got;
}

describe('the fast Kafka record batch decoder', () => {
  it('decodes valid batches as kafkajs does, without falling back', async () => {
    await fc.assert(
      fc.asyncProperty(batchSpec([0, 1]), async (spec) => {
        const before = recordBatchStats.fallBack;
        const got = await expectSame(encodeBatch(spec));
        expect('batch' in got).toBe(true);
        // varlongs beyond 2^63 (a corrupted batch) are kafkajs's to decode; encodable ones never are
        expect(recordBatchStats.fallBack).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a batch of a fetch response at its offset, and moves past it, as kafkajs does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchSpec([0]), { minLength: 1, maxLength: 4 }), fc.nat(), async (specs, cut) => {
        const all = Buffer.concat(specs.map(encodeBatch));
        // a fetch response's records end within a batch when they reach the fetch's byte limit
        const fetched = all.subarray(0, all.length - (cut % Math.min(all.length, 80)));
        expect(await decodeAll(fast, fetched)).toEqual(await decodeAll(original, fetched));
      }),
      { numRuns: 200 },
    );
  });

  it('gives what kafkajs gives on truncated and corrupted batches (kafkajs decodes those itself)', async () => {
    const corrupted = fc
      .tuple(batchSpec([0, 1, 2, 5]), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
      .map(([spec, flips, cut]) => {
        const buf = Buffer.from(encodeBatch(spec));
        // bytes of the records mostly: lengths, varints, counts
        for (const [at, byte] of flips) buf[12 + (at % (buf.length - 12))] = byte;
        return cut === null ? buf : buf.subarray(0, cut % (buf.length + 1));
      });
    await fc.assert(
      fc.asyncProperty(corrupted, async (buf) => {
        await expectSame(buf);
      }),
      { numRuns: 500 },
    );
  });

  it('gives what kafkajs gives when a record is shorter or longer than its fields', async () => {
    // kafkajs reads a record from a slice of it: bytes past the slice read as 0, and a length past the batch is cut
    // at the batch's end; each cut and each extension of the record's length, with another batch behind
    const shapes: RecordSpec[] = [
      { attributes: 0, timestampDelta: 5n, offsetDelta: 0, key: null, value: null, headers: [] },
      { attributes: 0, timestampDelta: 2n ** 50n, offsetDelta: 300, key: Buffer.from('k'), value: Buffer.from('1,2'), headers: [{ key: 'h', value: null }] },
    ];
    for (const shape of shapes) {
      const batch = encodeBatch(plainBatch([shape]));
      const length = batch[61]! / 2; // a one-byte varint: bodies here are shorter than 64 bytes
      for (let newLength = 1; newLength < length + 40; newLength++) {
        const buf = Buffer.concat([batch, batch]);
        buf[61] = newLength * 2;
        await expectSame(buf);
        expect(await decodeAll(fast, buf)).toEqual(await decodeAll(original, buf));
      }
    }
  });

  it('gives offsets and timestamps beyond 2^53 exactly', async () => {
    const records = [0, 1, 2].map((i) => ({ attributes: 0, timestampDelta: BigInt(i), offsetDelta: i, key: null, value: Buffer.from('v'), headers: [] }));
    const spec = plainBatch(records, { firstOffset: 2n ** 53n - 1n, firstTimestamp: 2n ** 60n });
    const got = (await expectSame(encodeBatch(spec))) as { batch: { records: { offset: string; timestamp: string }[] } };
    expect(got.batch.records.map((r) => r.offset)).toEqual(['9007199254740991', '9007199254740992', '9007199254740993']);
    expect(got.batch.records.map((r) => r.timestamp)).toEqual(['1152921504606846976', '1152921504606846977', '1152921504606846978']);
  });

  it('keeps keys and values as views of the fetched bytes (the Kafka source frames them without copying)', async () => {
    const buf = encodeBatch(
      plainBatch([{ attributes: 0, timestampDelta: 0n, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('1,2,3'), headers: [] }]),
    );
    const { batch } = (await decodeWith(fast, buf)) as { batch: { records: { value: Buffer }[] } };
    expect(batch.records[0]!.value.buffer).toBe(buf.buffer);
    expect(batch.records[0]!.value.toString()).toBe('1,2,3');
  });

  it('is what kafkajs fetches with once installed, including response modules loaded before', async () => {
    const decodeMessagesPath = require.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');
    const responsePath = require.resolve('kafkajs/src/protocol/requests/fetch/v11/response.js');
    // loaded (and bound to the decoder in kafkajs's cache) before the installation, as a consumer's first fetch would
    const loadedBefore = require(responsePath);
    expect(installFastRecordBatchDecoder()).toBe(true);
    expect(require(responsePath)).not.toBe(loadedBefore);
    expect(require(require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js'))).toBe(fast);
    const decodeMessages = require(decodeMessagesPath) as (d: ProtocolDecoder) => Promise<unknown[]>;
    const batch = encodeBatch(plainBatch([{ attributes: 0, timestampDelta: 7n, offsetDelta: 0, key: null, value: Buffer.from('1,2,3'), headers: [] }]));
    const size = Buffer.alloc(4);
    size.writeInt32BE(batch.length);
    const fastBefore = recordBatchStats.fast;
    const records = await decodeMessages(new Decoder(Buffer.concat([size, batch])));
    expect(recordBatchStats.fast).toBe(fastBefore + 1);
    expect(records).toEqual(((await decodeWith(original, batch)) as { batch: { records: unknown[] } }).batch.records);
    // a copy of the module loaded afterwards (as each test file gets) still compares with kafkajs's own decoder
    vi.resetModules();
    const again = await import('../../../engine/connectors/kafka-record-batch.js');
    expect(again.kafkajsRecordBatchDecoders().original).toBe(original);
    expect(again.kafkajsRecordBatchDecoders().original).not.toBe(fast);
  });
});
