/** `stdout` output: the reference format (separator + tuple lines) or JSON lines (docs/semantics.md#output-formats). */
import type { ClosedWindow } from '../../core/window.js';
import { obj, oneOf } from '../../options/spec.js';
import type { OutputDescriptor } from '../descriptor.js';
import { jsonLine, referenceLine, SEPARATOR, sortedGroups } from './format.js';
import type { Sink, SinkContext } from '../types.js';

export async function writeText(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text.length === 0) return;
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

export class StdoutSink implements Sink {
  readonly description: string;
  constructor(
    private readonly ctx: SinkContext,
    private readonly format: 'reference' | 'jsonl',
  ) {
    this.description = `stdout (${format})`;
  }

  async open(): Promise<void> {}

  write(w: ClosedWindow): Promise<void> {
    const shape = this.ctx.shape;
    let text = '';
    if (this.format === 'reference') {
      text = SEPARATOR + '\n';
      for (const g of sortedGroups(w.groups)) text += referenceLine(g, shape) + '\n';
    } else {
      for (const g of sortedGroups(w.groups)) text += jsonLine(w, g, shape) + '\n';
    }
    return writeText(this.ctx.stdout, text);
  }

  async close(): Promise<void> {}
}

const options = obj({
  format: oneOf('reference', 'jsonl').default('reference').describe('reference tuples (default) or JSON lines.'),
});

export const stdoutOutput: OutputDescriptor<'stdout', { format: 'reference' | 'jsonl' }> = {
  kind: 'output',
  name: 'stdout',
  doc: 'Aggregate rows on standard output, one window after the other.',
  options,
  describe: (o) => `stdout (${o.format})`,
  create: async (o, ctx) => new StdoutSink(ctx, o.format),
  export: { reference: { dropKeys: [{ key: 'format', why: 'ts-engine only (the reference prints its tuple format)' }] } },
};
