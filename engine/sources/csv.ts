/**
 * `csv` input (D-32): a file or standard input ("-"), read in large chunks and
 * split into lines by hand; CRLF tolerated; optional header line skipped.
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { SourcePosition } from '../types.js';
import type { LineBatch, Source } from './source.js';

export interface CsvSourceOptions {
  path: string;
  header?: boolean;
  /** bytes per read */
  chunkSize?: number;
  /** read only [start, end) of the file (parallel replay ranges); start must be at a line start */
  range?: { start: number; end: number; firstLine: number };
  /** override standard input (tests) */
  stdin?: NodeJS.ReadableStream;
}

export class CsvSource implements Source {
  readonly description: string;
  readonly committable = false;
  private fd: number | undefined;
  private size = 0;
  private pos = 0;
  private end = Infinity;
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private lineNo: number;
  private headerPending: boolean;
  private done = false;
  private buffer: Buffer;
  private stdinIter: AsyncIterator<Buffer | string> | undefined;
  private bytesRead = 0;

  constructor(private readonly opts: CsvSourceOptions) {
    this.description = opts.path === '-' ? 'csv from standard input' : `csv ${opts.path}`;
    this.lineNo = opts.range ? opts.range.firstLine - 1 : 0;
    this.headerPending = !!opts.header && (!opts.range || opts.range.start === 0);
    this.buffer = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
  }

  async open(): Promise<void> {
    if (this.opts.path === '-') {
      const stream = this.opts.stdin ?? process.stdin;
      this.stdinIter = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
      return;
    }
    try {
      this.fd = fs.openSync(this.opts.path, 'r');
    } catch (e) {
      throw new Error(`cannot open input file ${this.opts.path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    this.size = fs.fstatSync(this.fd).size;
    if (this.opts.range) {
      this.pos = this.opts.range.start;
      this.end = Math.min(this.opts.range.end, this.size);
    } else this.end = this.size;
  }

  private async readChunk(): Promise<string | null> {
    if (this.stdinIter) {
      const r = await this.stdinIter.next();
      if (r.done) return null;
      const v = r.value;
      this.bytesRead += typeof v === 'string' ? v.length : v.length;
      return typeof v === 'string' ? v : this.decoder.write(v);
    }
    if (this.pos >= this.end) return null;
    const want = Math.min(this.buffer.length, this.end - this.pos);
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(this.fd!, this.buffer, 0, want, this.pos, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    );
    if (n === 0) return null;
    this.pos += n;
    return this.decoder.write(this.buffer.subarray(0, n));
  }

  async next(): Promise<LineBatch | null> {
    if (this.done) return null;
    for (;;) {
      const chunk = await this.readChunk();
      let text: string;
      if (chunk === null) {
        text = this.carry + this.decoder.end();
        this.carry = '';
        this.done = true;
        if (text.length === 0) return null;
        text += '\n';
      } else {
        text = this.carry + chunk;
        const last = text.lastIndexOf('\n');
        if (last < 0) {
          this.carry = text;
          continue;
        }
        this.carry = text.slice(last + 1);
        text = text.slice(0, last + 1);
      }
      const batch = this.split(text);
      if (batch.lines.length > 0 || this.done) return batch.lines.length > 0 ? batch : null;
    }
  }

  private split(text: string): LineBatch {
    const lines: string[] = [];
    const lineNos: number[] = [];
    let start = 0;
    let lineNo = this.lineNo;
    const n = text.length;
    while (start < n) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = n;
      lineNo++;
      let e = nl;
      if (e > start && text.charCodeAt(e - 1) === 13) e--;
      if (this.headerPending) this.headerPending = false;
      else if (e > start) {
        lines.push(text.slice(start, e));
        lineNos.push(lineNo);
      }
      start = nl + 1;
    }
    this.lineNo = lineNo;
    const source = this.opts.path;
    return { lines, position: (i: number): SourcePosition => ({ source, line: lineNos[i] }) };
  }

  progress(): number | null {
    if (this.stdinIter) return null;
    const total = this.end - (this.opts.range?.start ?? 0);
    return total > 0 ? (this.pos - (this.opts.range?.start ?? 0)) / total : 1;
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
