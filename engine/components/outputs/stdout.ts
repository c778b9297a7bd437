/** `stdout` output: the reference format of 9.1 (separator + tuple lines) or JSON lines (15.3). */
import type { ClosedWindow } from '../../core/window.js';
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
