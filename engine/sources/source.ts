/** The input interface: one implementation per file (csv, kafka). Pull-based, so back-pressure is natural. */
import type { SourcePosition } from '../types.js';

/**
 * A batch of input lines, either as strings (`lines`) or as byte ranges of one
 * buffer (`buf`, `starts`, `ends`: the CSV replay path never builds a string
 * per line). The batch is only valid until the next `next()` call.
 */
export interface LineBatch {
  count: number;
  lines?: string[];
  buf?: Uint8Array;
  starts?: Int32Array;
  ends?: Int32Array;
  /** the text of line i (dead letters, string parsing) */
  text(i: number): string;
  /** a copy of the exact bytes of line i, when the source reads bytes (dead letters keep them) */
  bytes?(i: number): Uint8Array;
  /** where line i came from (dead letters, error messages) */
  position(i: number): SourcePosition;
  /** committable sources: the partition of every line of the batch, and each line's offset */
  partition?: number;
  offsets?: string[];
}

export function stringBatch(lines: string[], position: (i: number) => SourcePosition, extra: Partial<LineBatch> = {}): LineBatch {
  return { count: lines.length, lines, text: (i) => lines[i]!, position, ...extra };
}

export interface Source {
  readonly description: string;
  /** true when the source needs `commit` after outputs confirmed (Kafka) */
  readonly committable: boolean;
  open(): Promise<void>;
  /** next batch, or null at the end of a finite input; live sources wait for data (and return empty batches to let time advance) */
  next(): Promise<LineBatch | null>;
  /** fraction read, when the total is known */
  progress(): number | null;
  /**
   * commit positions that every output has confirmed: partition → next offset to read; under
   * event time with the watermark of that moment, which a restarted run resumes from
   */
  commit?(safe: Map<number, string>, meta?: { watermarkMs?: number }): Promise<void>;
  /** after open(): the event-time watermark stored with the last commit, if any */
  resumeWatermarkMs?(): number | undefined;
  /** stop fetching without losing position (workbench pause, back-pressure) */
  pause?(): void;
  resume?(): void;
  close(): Promise<void>;
  status?(): import('../sinks/sink.js').ConnectionStatus;
}
