/**
 * `file` output: aggregate rows as JSON lines in a file, each line exactly the `jsonl` format of
 * the stdout output (docs/semantics.md#output-formats), windows in the order they close.
 *
 * A re-run is idempotent: the file is truncated when the run opens it, so it always holds the
 * output of one whole run, never a mix of two. Each window is written with one write before the
 * runner goes on (and before Kafka offsets are committed), so a reader following the file sees
 * whole windows. For a live input whose run is restarted after a crash, the file holds only what
 * that run wrote: keep history in a sqlite or influx output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../../core/errors.js';
import type { ClosedWindow } from '../../core/window.js';
import { filePath, obj } from '../../options/spec.js';
import type { OutputDescriptor } from '../descriptor.js';
import type { Sink, SinkContext } from '../types.js';
import { jsonLine, sortedGroups } from './format.js';

export class FileSink implements Sink {
  readonly description: string;
  private fd: number | undefined;
  windowsWritten = 0;

  constructor(
    private readonly ctx: SinkContext,
    private readonly file: string,
  ) {
    this.description = `file ${file} (jsonl)`;
  }

  async open(): Promise<void> {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = fs.openSync(this.file, 'w');
    } catch (e) {
      throw new EngineError('OutputError', `file output: cannot open ${this.file} for writing: ${(e as Error).message}`);
    }
  }

  async write(w: ClosedWindow): Promise<void> {
    let text = '';
    for (const g of sortedGroups(w.groups)) text += jsonLine(w, g, this.ctx.shape) + '\n';
    if (text.length === 0) return;
    try {
      fs.writeSync(this.fd!, text);
    } catch (e) {
      throw new EngineError(
        'OutputError',
        `file output: writing the window ending ${new Date(w.endMs).toISOString()} to ${this.file} failed: ${(e as Error).message}`,
      );
    }
    this.windowsWritten++;
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export const fileOutput: OutputDescriptor<'file', { path: string }> = {
  kind: 'output',
  name: 'file',
  doc: 'Aggregate rows as JSON lines in a file (the stdout jsonl format); the file is rewritten by every run.',
  options: obj({ path: filePath().required().describe('The JSONL file, relative to the config file; truncated when a run starts.') }),
  describe: (o) => `${o.path} (jsonl)`,
  create: async (o, ctx) => new FileSink(ctx, o.path),
  export: { reference: { unsupported: 'the file output is ts-engine only' } },
};
