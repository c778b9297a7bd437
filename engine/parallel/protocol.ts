/** Messages between the replay coordinator and its workers. */
import type { FlatWindowData } from '../core/flat-window.js';

export interface ChunkTask {
  index: number;
  /** byte range [start, end), start at a line start */
  start: number;
  end: number;
  /** event time: windows ending at or before this are closed before the chunk starts (re-runs only) */
  initialWatermarkMs: number | null;
}

export interface ChunkResult {
  type: 'result';
  index: number;
  /** windows the chunk closed itself, in time order */
  closed: FlatWindowData[];
  /** windows still open at the chunk's end (partial aggregates) */
  partial: FlatWindowData[];
  /** lines in the chunk (blank and header lines included), to number lines of later chunks */
  lines: number;
  rowsRead: number;
  rowsOk: number;
  failed: number;
  late: number;
  maxEventMs: number;
  /**
   * When merging partials depends on their order (refold.ts): for each window the range added rows to, the file offset
   * where the last of those rows ends
   */
  rowEnds?: Map<number, number>;
  /** failed rows, with their line number inside the chunk */
  deadLetters: { line: number; reason: string; message: string; raw: string /** the exact bytes when not valid UTF-8 */; rawBase64?: string }[];
}

export type WorkerReply = ChunkResult | { type: 'error'; index: number; message: string };
