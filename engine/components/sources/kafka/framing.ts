/**
 * Kafka messages as rows: the lines of a run of messages as byte ranges (no string per line), and
 * the event time of a message read straight from its bytes (the partition merge orders by it).
 */
import type { KafkaMessage } from 'kafkajs';
import { MS_PER_UNIT, type TimeUnit } from '../../../core/time.js';
import type { SourcePosition } from '../../../core/types.js';
import { bytesText } from '../../../values/numeric.js';
import type { LineBatch } from '../../types.js';

const NL = 10;
const CR = 13;

/** A batch of no rows: the wait ended without data (processing-time windows may close). */
export const EMPTY: LineBatch = { count: 0, text: () => '', position: () => ({ source: '' }) };

/**
 * The lines of messages [start, end) of one partition as byte ranges: of the
 * fetch response buffer when every value is a view of it (no copy), else of
 * one concatenated buffer. A value holding several lines yields several rows
 * with the same offset; trailing newlines are dropped; an empty value is one
 * empty row (a row error, dead-lettered with its offset).
 */
export function buildBatch(topic: string, partition: number, msgs: KafkaMessage[], start: number, end: number): LineBatch {
  const n = end - start;
  const first = msgs[start]!.value!;
  let shared = true;
  for (let i = start + 1; i < end; i++) {
    if (msgs[i]!.value!.buffer !== first.buffer) {
      shared = false;
      break;
    }
  }
  let buf: Buffer;
  const base = new Int32Array(n);
  if (shared) {
    buf = Buffer.from(first.buffer, 0, first.buffer.byteLength);
    for (let i = 0; i < n; i++) base[i] = msgs[start + i]!.value!.byteOffset;
  } else {
    let total = 0;
    for (let i = start; i < end; i++) total += msgs[i]!.value!.length;
    buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = msgs[start + i]!.value!;
      v.copy(buf, at);
      base[i] = at;
      at += v.length;
    }
  }
  let starts = new Int32Array(n);
  let ends = new Int32Array(n);
  let offsets: string[] = new Array(n);
  let count = 0;
  const push = (s: number, e: number, offset: string) => {
    if (count === starts.length) {
      const grow = (a: Int32Array) => {
        const x = new Int32Array(a.length * 2);
        x.set(a);
        return x;
      };
      starts = grow(starts);
      ends = grow(ends);
      offsets = offsets.concat(new Array<string>(offsets.length));
    }
    starts[count] = s;
    ends[count] = e;
    offsets[count] = offset;
    count++;
  };
  let nextNl = -2;
  let prevStart = -1;
  for (let i = 0; i < n; i++) {
    const m = msgs[start + i]!;
    const s0 = base[i]!;
    let e = s0 + m.value!.length;
    while (e > s0 && (buf[e - 1] === NL || buf[e - 1] === CR)) e--;
    // one native search serves many values: the next newline found is kept until passed
    if (s0 < prevStart || (nextNl !== -1 && nextNl < s0)) nextNl = buf.indexOf(NL, s0);
    prevStart = s0;
    if (nextNl === -1 || nextNl >= e) {
      push(s0, e, m.offset); // the usual case: one line
      continue;
    }
    let s = s0;
    let k = nextNl;
    for (;;) {
      let le = k;
      if (le > s && buf[le - 1] === CR) le--;
      if (le > s) push(s, le, m.offset);
      if (k >= e) break;
      s = k + 1;
      k = s;
      while (k < e && buf[k] !== NL) k++;
    }
  }
  const source = topic;
  return {
    count,
    buf,
    starts,
    ends,
    partition,
    offsets,
    text: (i) => bytesText(buf, starts[i]!, ends[i]!),
    bytes: (i) => Uint8Array.prototype.slice.call(buf, starts[i]!, ends[i]!),
    position: (i): SourcePosition => ({ source, partition, offset: offsets[i] }),
  };
}

/** Reads the event time (epoch ms) of a line: field `index` split on `sep`; -Infinity when unreadable. */
export function eventTimeReader(index: number, sep: string, unit: TimeUnit): (b: Uint8Array, s: number, e: number) => number {
  const mul = MS_PER_UNIT[unit];
  const sepBytes = Buffer.from(sep, 'utf8');
  const toMs = (text: string | undefined) => {
    const v = text === undefined ? NaN : Number(text.trim());
    return Number.isFinite(v) && text!.trim() !== '' ? v * mul : -Infinity;
  };
  if (sepBytes.length !== 1) return (b, s, e) => toMs(bytesText(b, s, e).split(/\r?\n/)[0]!.split(sep)[index]);
  const one = sepBytes[0]!;
  return (b, s, e) => {
    let fs = s;
    for (let k = 0; k < index; k++) {
      while (fs < e && b[fs] !== one && b[fs] !== NL) fs++;
      if (fs >= e || b[fs] === NL) return -Infinity;
      fs++;
    }
    let fe = fs;
    while (fe < e && b[fe] !== one && b[fe] !== NL && b[fe] !== CR) fe++;
    // plain decimal digits (the usual epoch value) without a string
    let i = fs;
    const neg = b[i] === 45;
    if (neg) i++;
    let v = 0;
    let digits = 0;
    let scale = 1;
    let dot = false;
    for (; i < fe; i++) {
      const c = b[i]!;
      if (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        digits++;
        if (dot) scale *= 10;
      } else if (c === 46 && !dot) dot = true;
      else return toMs(bytesText(b, fs, fe));
    }
    if (digits === 0 || digits > 15) return toMs(bytesText(b, fs, fe));
    return ((neg ? -v : v) / scale) * mul;
  };
}
