/**
 * Kafka record batches (message format v2) decoded into exactly what kafkajs's own decoder gives, in a fraction of its
 * time (docs/performance.md#kafka). kafkajs decodes every record through a `Decoder` object of its own, parses the
 * batch's first offset and first timestamp from decimal strings for each record, and adds the deltas as BigInts
 * wrapped in objects: in a CPU profile of 1 M messages that, and the garbage it leaves, was most of a consumer's time.
 * Here a record is read straight from the fetch response's bytes, and its offset and timestamp are added as doubles
 * whenever the result is a safe integer (as a BigInt otherwise, as kafkajs does).
 *
 * Installed in kafkajs's module cache, so every fetch of every consumer uses it. Anything unusual — a partial batch at
 * the end of a fetch, a length out of range, a field running past its record — goes to kafkajs's own decoder from the
 * batch's start, so what it gives and throws stays kafkajs's own (a property test compares the two on valid, truncated
 * and corrupted batches: test/unit/connectors/kafka-record-batch.test.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** kafkajs's `Decoder`, as far as a record batch decoder uses it */
export interface ProtocolDecoder {
  buffer: Buffer;
  offset: number;
}

/** A record as kafkajs's decoder gives it. */
export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  batchContext: BatchContext & { magicByte: number };
}

interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
}

export type RecordBatchDecoder = (fetchDecoder: ProtocolDecoder) => Promise<BatchContext & { records: DecodedRecord[] }>;

interface Codec {
  decompress(compressed: Buffer): Promise<Buffer>;
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
const COMPRESSION_CODEC_MASK = 0x07;
/** FirstOffset (8) and Length (4): the batch's Length counts the bytes after them */
const BATCH_PREFIX = 12;
/** from the batch's start to its record count: the fixed fields of format v2 */
const RECORD_COUNT_AT = 57;
const RECORDS_AT = RECORD_COUNT_AT + 4;

/** The decoder falls back to kafkajs's own for this batch. */
const FALL_BACK = Symbol('fall back');

/**
 * Reads records from `buf`: `pos` moves on as they are read, `end` is where the current record (or, between
 * records, the records' bytes) ends. A read past `end` is not an error here, since kafkajs reads the same bytes
 * differently then (bytes beyond a record read as 0, slices cut at its end): the record checks its end once read.
 */
class RecordReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos: number,
    public end: number,
  ) {
    this.pos = pos;
  }

  /** kafkajs's varint, int32 arithmetic included (a fifth byte shifts bits out, as it does there) */
  varInt(): number {
    const buf = this.buf;
    let b: number;
    let result = 0;
    let i = 0;
    do {
      b = buf[this.pos++]!;
      if (b === undefined) throw FALL_BACK;
      result += (b & 0x7f) << i;
      i += 7;
    } while (b >= 0x80);
    return (result >>> 1) ^ -(result & 1);
  }

  /** a zigzag varlong: a double while it has at most 49 bits, else kafkajs's unbounded BigInt */
  varLong(): number | bigint {
    const buf = this.buf;
    const start = this.pos;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = buf[this.pos++];
      if (b === undefined) throw FALL_BACK;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      scale *= 128;
    }
    this.pos = start;
    return this.bigVarLong();
  }

  private bigVarLong(): bigint {
    let n = 0n;
    let b: number;
    let shift = 0n;
    do {
      // kafkajs throws KafkaJSInvalidLongError past 63 bits: its own decoder says so
      if (shift > 63n) throw FALL_BACK;
      b = this.buf[this.pos++]!;
      if (b === undefined) throw FALL_BACK;
      n += BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b >= 0x80);
    return (n >> 1n) ^ -(n & 1n);
  }

  /** bytes of a varint length; null for −1 */
  bytes(): Buffer | null {
    const length = this.varInt();
    if (length === -1) return null;
    if (length < -1 || this.pos + length > this.end) throw FALL_BACK;
    const at = this.pos;
    this.pos += length;
    return this.buf.subarray(at, this.pos);
  }
}

/** `first + delta` as kafkajs's decimal text of a BigInt sum */
function plus(first: bigint, firstAsNumber: number, delta: number | bigint): string {
  if (typeof delta === 'number') {
    const sum = firstAsNumber + delta;
    if (Number.isSafeInteger(firstAsNumber) && Number.isSafeInteger(sum)) return String(sum);
    return String(first + BigInt(delta));
  }
  return String(first + delta);
}

/** headers as kafkajs folds them: a name given twice gets an array of its values */
function headersOf(r: RecordReader): DecodedRecord['headers'] {
  const count = r.varInt();
  if (count === -1 || count === 0) return {};
  if (count < -1) throw FALL_BACK;
  let headers: DecodedRecord['headers'] = {};
  for (let i = 0; i < count; i++) {
    const keyLength = r.varInt();
    let key: string | null = null;
    if (keyLength !== -1) {
      if (keyLength < -1 || r.pos + keyLength > r.end) throw FALL_BACK;
      key = r.buf.toString('utf8', r.pos, r.pos + keyLength);
      r.pos += keyLength;
    }
    const value = r.bytes();
    // kafkajs spreads into a new object per header (a computed "__proto__" key is an own property there too)
    const name = String(key);
    const before = headers[name];
    headers = { ...headers, [name]: before === undefined ? value : Array.isArray(before) ? before.concat([value]) : [before, value] };
  }
  return headers;
}

class BatchFields {
  readonly firstOffsetBig: bigint;
  readonly firstOffsetNumber: number;
  readonly firstTimestampBig: bigint;
  readonly firstTimestampNumber: number;
  readonly context: BatchContext;
  readonly recordContext: BatchContext & { magicByte: number };
  readonly codecId: number;

  constructor(buf: Buffer, s: number) {
    this.firstOffsetBig = buf.readBigInt64BE(s);
    this.firstOffsetNumber = Number(this.firstOffsetBig);
    const attributes = buf.readInt16BE(s + 21);
    this.firstTimestampBig = buf.readBigInt64BE(s + 27);
    this.firstTimestampNumber = Number(this.firstTimestampBig);
    this.codecId = attributes & COMPRESSION_CODEC_MASK;
    // the fields in kafkajs's order, which its result keeps
    this.context = {
      firstOffset: String(this.firstOffsetBig),
      firstTimestamp: String(this.firstTimestampBig),
      partitionLeaderEpoch: buf.readInt32BE(s + 12),
      inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
      isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
      lastOffsetDelta: buf.readInt32BE(s + 23),
      producerId: String(buf.readBigInt64BE(s + 43)),
      producerEpoch: buf.readInt16BE(s + 51),
      firstSequence: buf.readInt32BE(s + 53),
      maxTimestamp: String(buf.readBigInt64BE(s + 35)),
      timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
    };
    this.recordContext = { ...this.context, magicByte: buf.readInt8(s + 16) };
  }
}

/** `count` records from `r`, each framed by its varint length */
function readRecords(r: RecordReader, count: number, batch: BatchFields): DecodedRecord[] {
  const records: DecodedRecord[] = new Array(count);
  const context = batch.recordContext;
  const { magicByte, isControlBatch, maxTimestamp } = context;
  const logAppendTime = context.timestampType === LOG_APPEND_TIME && maxTimestamp !== '';
  const recordsEnd = r.end;
  for (let i = 0; i < count; i++) {
    r.end = recordsEnd;
    const length = r.varInt();
    if (length < 0 || r.pos + length > recordsEnd) throw FALL_BACK;
    const recordEnd = r.pos + length;
    r.end = recordEnd;
    if (r.pos >= recordEnd) throw FALL_BACK;
    const attributes = r.buf.readInt8(r.pos++);
    const timestampDelta = r.varLong();
    const timestamp = logAppendTime ? maxTimestamp : plus(batch.firstTimestampBig, batch.firstTimestampNumber, timestampDelta);
    const offset = plus(batch.firstOffsetBig, batch.firstOffsetNumber, r.varInt());
    const key = r.bytes();
    const value = r.bytes();
    const headers = headersOf(r);
    if (r.pos > recordEnd) throw FALL_BACK;
    records[i] = { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext: context };
    r.pos = recordEnd;
  }
  return records;
}

/**
 * The batch at `decoder.offset`, with the decoder moved past it; FALL_BACK (thrown) when kafkajs's decoder must
 * decode it. A compressed batch's records are decompressed by kafkajs's codec first.
 */
async function decodeBatch(decoder: ProtocolDecoder, codecOf: (codecId: number) => Codec | null): Promise<BatchContext & { records: DecodedRecord[] }> {
  const buf = decoder.buffer;
  const s = decoder.offset;
  if (s + BATCH_PREFIX > buf.length) throw FALL_BACK;
  const length = buf.readInt32BE(s + 8);
  const end = s + BATCH_PREFIX + length;
  // a partial batch (kafkajs throws KafkaJSPartialMessageError, which ends the fetch's batches) or a short one
  if (length < RECORDS_AT - BATCH_PREFIX || end > buf.length) throw FALL_BACK;
  const batch = new BatchFields(buf, s);
  // past the batch before its records, as kafkajs is when they fail to decompress
  decoder.offset = end;
  const count = buf.readInt32BE(s + RECORD_COUNT_AT);
  let records: DecodedRecord[];
  if (batch.codecId === 0) {
    records = count === -1 ? [] : count < -1 ? fallBack() : readRecords(new RecordReader(buf, s + RECORDS_AT, end), count, batch);
  } else {
    const codec = codecOf(batch.codecId);
    if (!codec) throw FALL_BACK;
    if (count <= 0) records = [];
    else {
      const decompressed = await codec.decompress(buf.subarray(s + RECORDS_AT, end));
      records = readRecords(new RecordReader(decompressed, 0, decompressed.length), count, batch);
    }
  }
  return { ...batch.context, records };
}

function fallBack(): never {
  throw FALL_BACK;
}

/** batches decoded here, and handed to kafkajs's own decoder (tests read them) */
export const recordBatchStats = { fast: 0, fallBack: 0 };

/** The fast decoder in front of kafkajs's own (`original`), which decodes whatever this one does not. */
export function fastRecordBatchDecoder(original: RecordBatchDecoder, codecOf: (codecId: number) => Codec | null): RecordBatchDecoder {
  return async (decoder) => {
    const start = decoder.offset;
    try {
      const batch = await decodeBatch(decoder, codecOf);
      recordBatchStats.fast++;
      return batch;
    } catch (e) {
      if (e !== FALL_BACK) throw e;
      recordBatchStats.fallBack++;
      decoder.offset = start;
      return original(decoder);
    }
  };
}

const kafkajsRequire = createRequire(import.meta.url);

/** on an installed fast decoder: the kafkajs decoder it stands in front of */
const KAFKAJS_DECODER = Symbol.for('ts-engine.kafkajs-record-batch-decoder');

let decoders: { original: RecordBatchDecoder; fast: RecordBatchDecoder } | undefined;

/** kafkajs's record batch decoder and the fast one in front of it */
export function kafkajsRecordBatchDecoders(): { original: RecordBatchDecoder; fast: RecordBatchDecoder } {
  if (decoders) return decoders;
  const cached = kafkajsRequire('kafkajs/src/protocol/recordBatch/v0/decoder.js') as RecordBatchDecoder & { [KAFKAJS_DECODER]?: RecordBatchDecoder };
  // a fast decoder another copy of this module installed (tests load modules anew; kafkajs's cache stays)
  const original = cached[KAFKAJS_DECODER] ?? cached;
  const { Codecs } = kafkajsRequire('kafkajs/src/protocol/message/compression/index.js') as { Codecs: Record<number, (() => Codec) | undefined> };
  // kafkajs's lookup throws for a codec it has none for: its own decoder then throws that
  const codecOf = (codecId: number) => {
    const make = Codecs[codecId];
    if (!make) return null;
    try {
      return make();
    } catch {
      return null;
    }
  };
  decoders = { original, fast: Object.assign(fastRecordBatchDecoder(original, codecOf), { [KAFKAJS_DECODER]: original }) };
  return decoders;
}

let installed: boolean | undefined;

/**
 * Puts the fast decoder in kafkajs's module cache; false when it stays out. The fetch responses' modules bind the
 * record batch decoder when they are loaded, and a fetch request requires its response module anew each time: the
 * ones loaded already are dropped from the cache, so the next fetch loads them again, bound to this decoder.
 */
export function installFastRecordBatchDecoder(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  try {
    // the records it makes are those of the kafkajs its tests compare it with: another one keeps its own decoder
    if (!(kafkajsRequire('kafkajs/package.json') as { version: string }).version.startsWith('2.2.')) return false;
    const { fast } = kafkajsRecordBatchDecoders();
    kafkajsRequire.cache[kafkajsRequire.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js')]!.exports = fast;
    const fetchDir = path.dirname(kafkajsRequire.resolve('kafkajs/src/protocol/requests/fetch/index.js'));
    for (const file of Object.keys(kafkajsRequire.cache)) {
      if (file.startsWith(fetchDir + path.sep) && (file.endsWith(`${path.sep}response.js`) || file.endsWith(`${path.sep}decodeMessages.js`)))
        delete kafkajsRequire.cache[file];
    }
    installed = true;
  } catch {
    // kafkajs's files laid out otherwise: it decodes with its own decoder, slower, to the same records
  }
  return installed;
}
