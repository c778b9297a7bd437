/** The output interface: one implementation per file (stdout, sqlite, influx). */
import type { ClosedWindow } from '../pipeline/processor.js';
import type { RowShape } from './format.js';

export interface ConnectionStatus {
  name: string;
  status: 'connecting' | 'ok' | 'retrying' | 'down';
  detail?: string;
}

export interface Sink {
  readonly description: string;
  open(): Promise<void>;
  /** Resolves once the window is durably written (offsets are committed only after every sink confirmed). */
  write(window: ClosedWindow): Promise<void>;
  close(): Promise<void>;
  status?(): ConnectionStatus;
}

export interface SinkContext {
  shape: RowShape;
  /** the operation: reduce has no key */
  keyed: boolean;
  /** where text outputs go (process.stdout by default) */
  stdout: NodeJS.WritableStream;
  /** shared SQLite handles of this pipeline */
  stores: import('../store/sqlite-store.js').SqliteStores;
  warn(message: string): void;
  /** true once the run is being stopped: a sink retrying a dead server gives up instead of holding up the stop */
  stopping?(): boolean;
  /** an aggregate row this output cannot store (15.4): counted and dead-lettered like a bad input row */
  rowFailed?(d: import('../pipeline/dead-letters.js').DeadLetter): void;
}
