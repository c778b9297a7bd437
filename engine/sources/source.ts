/** The input interface: one implementation per file (csv, kafka). Pull-based, so back-pressure is natural. */
import type { SourcePosition } from '../types.js';

export interface LineBatch {
  lines: string[];
  /** where line i came from (dead letters, error messages) */
  position(i: number): SourcePosition;
  /** for committable sources: partition of every line of the batch, and each line's offset */
  partition?: number;
  offsets?: string[];
}

export interface Source {
  readonly description: string;
  /** true when the source needs `commit` after outputs confirmed (Kafka) */
  readonly committable: boolean;
  open(): Promise<void>;
  /** next batch, or null at the end of a finite input; live sources wait for data (and return [] batches to let time advance) */
  next(): Promise<LineBatch | null>;
  /** fraction read, when the total is known */
  progress(): number | null;
  /** commit positions that every output has confirmed: partition → next offset to read */
  commit?(safe: Map<number, string>): Promise<void>;
  /** stop fetching without losing position (workbench pause, back-pressure) */
  pause?(): void;
  resume?(): void;
  close(): Promise<void>;
  status?(): import('../sinks/sink.js').ConnectionStatus;
}
