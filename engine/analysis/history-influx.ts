/** Placeholder until InfluxDB history lands (issue 4). */
import type { InfluxConnection } from '../config/model.js';
import type { Value } from '../types.js';
import type { HistoryQuery, HistorySource } from './history.js';

export class InfluxHistory implements HistorySource {
  readonly description = 'influx history';
  constructor(_conn: InfluxConnection, _opts: { warn(m: string): void }) {}
  async open(): Promise<void> {
    throw new Error('InfluxDB history is not available in this build yet');
  }
  async lookup(_q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    return undefined;
  }
  async close(): Promise<void> {}
}
