/**
 * `csv` input (docs/semantics.md#csv-input): a file or standard input ("-"), read in large chunks.
 * Lines are found with a native byte search and handed on as byte ranges of
 * the chunk (no string per line); CRLF tolerated; optional header skipped.
 */
import fs from 'node:fs';
import { EngineError } from '../../core/errors.js';
import type { SourcePosition } from '../../core/types.js';
import { bytesText } from '../../values/numeric.js';
import type { LineBatch, Source } from '../types.js';
import { bool, obj, str } from '../../options/spec.js';
import type { SourceDescriptor } from '../descriptor.js';

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

/**
 * The first read of a file is small: a replay's first rows (and first closed windows) come out after 64 KiB is parsed,
 * not after a whole chunk; five doublings later reads are full-sized, so a long replay makes as few reads as before.
 */
const FIRST_READ_BYTES = 64 << 10;

export class CsvSource implements Source {
  readonly description: string;
  readonly committable = false;
  private fd: number | undefined;
  private pos = 0;
  private end = Infinity;
  private rangeStart = 0;
  private buf: Buffer;
  /** bytes of buf in use; [consumed, fill) is the carried-over partial line */
  private fill = 0;
  private consumed = 0;
  private lineNo: number;
  private headerPending: boolean;
  private eof = false;
  private starts = new Int32Array(1 << 14);
  private ends = new Int32Array(1 << 14);
  private lineNos = new Float64Array(1 << 14);
  private stdinIter: AsyncIterator<Buffer | string> | undefined;
  private stdinRest: Buffer | undefined;
  /** bytes the next file read may take: small at first so the first windows close early, then doubling up to the buffer's size */
  private readAhead: number;
  /**
   * The next file read, started into `spare` (after room for the current batch's partial last line) when a batch is
   * handed on, so the disk or page cache works while the batch is processed instead of the thread waiting for it.
   */
  private ahead: { into: Buffer; at: number; bytes: Promise<number> } | undefined;
  private spare: Buffer | undefined;

  constructor(private readonly opts: CsvSourceOptions) {
    this.description = opts.path === '-' ? 'csv from standard input' : `csv ${opts.path}`;
    this.lineNo = opts.range ? opts.range.firstLine - 1 : 0;
    this.headerPending = !!opts.header && (!opts.range || opts.range.start === 0);
    this.buf = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
    // a byte range (a parallel replay's chunk, the sandbox's segment) is read whole: its reader sized the buffer for it
    this.readAhead = opts.range ? this.buf.length : Math.min(FIRST_READ_BYTES, this.buf.length);
  }

  async open(): Promise<void> {
    if (this.opts.path === '-') {
      const stream = this.opts.stdin ?? process.stdin;
      this.stdinIter = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
      return;
    }
    const fail = (why: string) => new EngineError('InputError', `cannot open input file ${this.opts.path}: ${why}`);
    try {
      // O_NONBLOCK: a named pipe without a writer must not block the open
      this.fd = fs.openSync(this.opts.path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw fail(code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message);
    }
    const st = fs.fstatSync(this.fd);
    if (!st.isFile()) {
      fs.closeSync(this.fd);
      this.fd = undefined;
      // a replay needs the file's size and offsets (progress, --workers); a pipe or device is a stream
      throw fail(st.isDirectory() ? 'it is a directory' : 'it is not a regular file (a pipe or device: use "path": "-" and redirect it to standard input)');
    }
    const size = st.size;
    if (this.opts.range) {
      this.pos = this.rangeStart = this.opts.range.start;
      this.end = Math.min(this.opts.range.end, size);
    } else this.end = size;
  }

  /** reads more bytes into buf[fill…]; returns 0 at the end */
  private async read(): Promise<number> {
    const room = this.buf.length - this.fill;
    if (this.stdinIter) {
      let chunk = this.stdinRest;
      this.stdinRest = undefined;
      if (!chunk) {
        const r = await this.stdinIter.next();
        if (r.done) return 0;
        chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
      const n = Math.min(room, chunk.length);
      chunk.copy(this.buf, this.fill, 0, n);
      if (n < chunk.length) this.stdinRest = chunk.subarray(n);
      this.fill += n;
      return n;
    }
    if (this.pos >= this.end) return 0;
    const want = Math.min(room, this.end - this.pos, this.readAhead);
    this.readAhead = Math.min(this.readAhead * 2, this.buf.length);
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(this.fd!, this.buf, this.fill, want, this.pos, (err, bytes) => (err ? reject(err) : resolve(bytes))),
    );
    this.pos += n;
    this.fill += n;
    return n;
  }

  async next(): Promise<LineBatch | null> {
    for (;;) {
      if (this.eof && this.consumed >= this.fill) return null;
      if (this.ahead) await this.takeReadAhead();
      else {
        // keep the partial last line, drop what the previous batch used
        if (this.consumed > 0) {
          this.buf.copy(this.buf, 0, this.consumed, this.fill);
          this.fill -= this.consumed;
          this.consumed = 0;
        }
        if (!this.eof) {
          if (this.fill === this.buf.length) {
            const bigger = Buffer.allocUnsafe(this.buf.length * 2); // a line longer than the buffer
            this.buf.copy(bigger, 0, 0, this.fill);
            this.buf = bigger;
          }
          if ((await this.read()) === 0) this.eof = true;
        }
      }
      const batch = this.split();
      if (batch.count > 0) {
        this.startReadAhead();
        return batch;
      }
    }
  }

  /**
   * Starts reading the bytes after `pos` into the spare buffer, behind room for the partial last line, which is copied
   * there when the next batch is asked for (the batch just handed on may still read it until then). Not for standard
   * input. A batch was handed on, so the partial line is shorter than the buffer and there is room to read into.
   */
  private startReadAhead(): void {
    if (this.fd === undefined || this.eof || this.pos >= this.end) return;
    const partial = this.fill - this.consumed;
    if (this.spare?.length !== this.buf.length) this.spare = Buffer.allocUnsafe(this.buf.length);
    const into = this.spare;
    const want = Math.min(into.length - partial, this.end - this.pos, this.readAhead);
    this.readAhead = Math.min(this.readAhead * 2, this.buf.length);
    const fd = this.fd;
    const at = this.pos;
    const bytes = new Promise<number>((resolve, reject) => fs.read(fd, into, partial, want, at, (err, n) => (err ? reject(err) : resolve(n))));
    // a failure is reported by the next() that takes the read; until then it must not count as unhandled
    bytes.catch(() => {});
    this.ahead = { into, at: partial, bytes };
  }

  /** the read started by startReadAhead becomes the buffer: the partial line first, then the bytes read */
  private async takeReadAhead(): Promise<void> {
    const { into, at, bytes } = this.ahead!;
    this.ahead = undefined;
    this.buf.copy(into, 0, this.consumed, this.fill);
    const n = await bytes;
    this.spare = this.buf;
    this.buf = into;
    this.fill = at + n;
    this.consumed = 0;
    this.pos += n;
    if (n === 0) this.eof = true;
  }

  private ensure(n: number): void {
    if (n <= this.starts.length) return;
    const size = Math.max(n, this.starts.length * 2);
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (k: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, (k) => new Int32Array(k));
    this.ends = grow(this.ends, (k) => new Int32Array(k));
    this.lineNos = grow(this.lineNos, (k) => new Float64Array(k));
  }

  /** complete lines of buf[0, fill) (all of it at eof) */
  private split(): LineBatch {
    const buf = this.buf;
    const fill = this.fill;
    let count = 0;
    let p = 0;
    let lineNo = this.lineNo;
    for (;;) {
      let nl = buf.indexOf(10, p);
      if (nl < 0 || nl >= fill) {
        if (!this.eof || p >= fill) break;
        nl = fill; // last line without a newline
      }
      lineNo++;
      let e = nl;
      if (e > p && buf[e - 1] === 13) e--;
      if (this.headerPending) this.headerPending = false;
      else if (e > p) {
        if (count === this.starts.length) this.ensure(count + 1);
        this.starts[count] = p;
        this.ends[count] = e;
        this.lineNos[count] = lineNo;
        count++;
      }
      p = nl + 1;
    }
    this.consumed = Math.min(p, fill);
    this.lineNo = lineNo;
    const source = this.opts.path;
    const { starts, ends, lineNos } = this;
    // buf holds the file's bytes [pos - fill, pos)
    const at = this.pos - fill;
    return {
      count,
      buf,
      starts,
      ends,
      text: (i) => bytesText(buf, starts[i]!, ends[i]!),
      bytes: (i) => Uint8Array.prototype.slice.call(buf, starts[i]!, ends[i]!),
      position: (i): SourcePosition => ({ source, line: lineNos[i] }),
      fileRange: this.fd !== undefined && count > 0 ? { path: source, start: at + starts[0]!, end: at + this.consumed, firstLine: lineNos[0]! } : undefined,
    };
  }

  /** lines seen so far (blank and header lines included) */
  get linesRead(): number {
    return this.lineNo - (this.opts.range ? this.opts.range.firstLine - 1 : 0);
  }

  progress(): number | null {
    if (this.stdinIter) return null;
    const total = this.end - this.rangeStart;
    return total > 0 ? (this.pos - this.fill + this.consumed - this.rangeStart) / total : 1;
  }

  async close(): Promise<void> {
    // the descriptor must outlive a read still in flight: closed under it, its number could be reused meanwhile
    await this.ahead?.bytes.catch(() => {});
    this.ahead = undefined;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    if (this.stdinIter) {
      // a stop while stdin is still open: release it so the process can exit
      const stream = (this.opts.stdin ?? process.stdin) as NodeJS.ReadableStream & { destroy?: () => void };
      this.stdinIter = undefined;
      stream.destroy?.();
    }
  }
}

export interface CsvInputConfig {
  type: 'csv';
  /** absolute path, or "-" for standard input */
  path: string;
  header: boolean;
}

const options = obj({
  path: str()
    .required()
    .describe('The file to read, relative to the config file; "-" reads standard input.')
    .map((p, at, env) => {
      const abs = p === '-' ? '-' : env.resolve(p);
      if (abs !== '-' && !env.exists(abs)) env.sink.warn(at.path, `input file ${abs} does not exist (yet)`);
      return abs;
    }),
  header: bool().default(false).describe('Skip the first line.'),
}).map((o): CsvInputConfig => ({ type: 'csv', path: o.path, header: o.header }));

export const csvSource: SourceDescriptor<'csv', CsvInputConfig> = {
  kind: 'source',
  name: 'csv',
  doc: 'A CSV file (or standard input), replayed in event time with time_field, else as one window or paced by rate.',
  live: false,
  options,
  inputKeys: ['rate'],
  describe: (o) => (o.path === '-' ? 'csv from standard input' : `csv ${o.path}`),
  create: async (o) => new CsvSource({ path: o.path, header: o.header }),
  position: (o) => o.path,
  previewFile: (o) => (o.path !== '-' ? o.path : undefined),
  export: {
    reference: {
      dropKeys: [{ key: 'header', why: 'ts-engine only (no reference equivalent)' }],
      notes: () => ['kept input.input_type "csv": the reference reads only Kafka (input_type "kafka"); change the input before running it there'],
    },
  },
};
