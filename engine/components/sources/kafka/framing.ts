/**
 * Kafka messages as rows: the lines of runs of messages as byte ranges (no string per line), and
 * the event time of a message read straight from its bytes (the partition merge orders by it).
 */
import { MS_PER_UNIT, type TimeUnit } from '../../../core/time.js';
import type { SourcePosition } from '../../../core/types.js';
import { bytesText } from '../../../values/numeric.js';
import type { LineBatch } from '../../types.js';
import type { Run } from './merge.js';

const NL = 10;
const CR = 13;

/** A batch of no rows: the wait ended without data (processing-time windows may close). */
export const EMPTY: LineBatch = { count: 0, text: () => '', position: () => ({ source: '' }) };

/**
 * The lines of the messages of `runs` (each [start, end) of one partition's fetched messages, in
 * the order handed on) as byte ranges: of the fetch response buffer when every value is a view of
 * it (no copy), else of one concatenated buffer. A value holding several lines yields several rows
 * with the same offset; trailing newlines are dropped; an empty value is one empty row (a row error,
 * dead-lettered with its offset). A batch of one partition has `partition`; a merged batch of
 * several has `partitions`, one per row.
 */
export function buildBatch(topic: string, runs: readonly Run[]): LineBatch {
  let n = 0;
  for (const r of runs) n += r.end - r.start;
  const firstRun = runs[0]!;
  const sharedBuffer = firstRun.msgs[firstRun.start]!.value!.buffer;
  let shared = true;
  for (const r of runs) {
    for (let i = r.start; i < r.end && shared; i++) shared = r.msgs[i]!.value!.buffer === sharedBuffer;
  }
  let buf: Buffer;
  // where each message's value starts in buf: all copied before the newline search, which looks ahead
  const base = new Int32Array(n);
  if (shared) {
    buf = Buffer.from(sharedBuffer, 0, sharedBuffer.byteLength);
    let k = 0;
    for (const r of runs) for (let i = r.start; i < r.end; i++) base[k++] = r.msgs[i]!.value!.byteOffset;
  } else {
    let total = 0;
    for (const r of runs) for (let i = r.start; i < r.end; i++) total += r.msgs[i]!.value!.length;
    buf = Buffer.allocUnsafe(total);
    let at = 0;
    let k = 0;
    for (const r of runs) {
      for (let i = r.start; i < r.end; i++) {
        const v = r.msgs[i]!.value!;
        v.copy(buf, at);
        base[k++] = at;
        at += v.length;
      }
    }
  }
  const mixed = runs.length > 1 && runs.some((r) => r.partition !== firstRun.partition);
  let starts = new Int32Array(n);
  let ends = new Int32Array(n);
  let offsets: string[] = new Array(n);
  let partitions = mixed ? new Int32Array(n) : undefined;
  let count = 0;
  let runPartition = firstRun.partition;
  const push = (s: number, e: number, offset: string) => {
    if (count === starts.length) {
      const grow = (a: Int32Array) => {
        const x = new Int32Array(a.length * 2);
        x.set(a);
        return x;
      };
      starts = grow(starts);
      ends = grow(ends);
      if (partitions) partitions = grow(partitions);
      offsets = offsets.concat(new Array<string>(offsets.length));
    }
    starts[count] = s;
    ends[count] = e;
    offsets[count] = offset;
    if (partitions) partitions[count] = runPartition;
    count++;
  };
  let nextNl = -2;
  let prevStart = -1;
  let msgIndex = 0;
  for (const r of runs) {
    runPartition = r.partition;
    for (let m = r.start; m < r.end; m++) {
      const msg = r.msgs[m]!;
      const s0 = base[msgIndex++]!;
      let e = s0 + msg.value!.length;
      while (e > s0 && (buf[e - 1] === NL || buf[e - 1] === CR)) e--;
      // one native search serves many values: the next newline found is kept until passed
      if (s0 < prevStart || (nextNl !== -1 && nextNl < s0)) nextNl = buf.indexOf(NL, s0);
      prevStart = s0;
      if (nextNl === -1 || nextNl >= e) {
        push(s0, e, msg.offset); // the usual case: one line
        continue;
      }
      let s = s0;
      let k = nextNl;
      for (;;) {
        let le = k;
        if (le > s && buf[le - 1] === CR) le--;
        if (le > s) push(s, le, msg.offset);
        if (k >= e) break;
        s = k + 1;
        k = s;
        while (k < e && buf[k] !== NL) k++;
      }
    }
  }
  const source = topic;
  const partition = mixed ? undefined : firstRun.partition;
  return {
    count,
    buf,
    starts,
    ends,
    partition,
    partitions,
    offsets,
    text: (i) => bytesText(buf, starts[i]!, ends[i]!),
    bytes: (i) => Uint8Array.prototype.slice.call(buf, starts[i]!, ends[i]!),
    position: (i): SourcePosition => ({ source, partition: partitions ? partitions[i] : partition, offset: offsets[i] }),
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
